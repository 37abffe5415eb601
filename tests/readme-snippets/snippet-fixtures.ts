import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadRgeModel, type RgeModel } from "@rge/core";
import { gradientPng, MockHub, tempDir, writeRandomCheckpoint, writeTinyBundle, type CheckpointShapes } from "@rge/core/testing";
import { createRgeServer } from "@rge/server";
import sharp from "sharp";

/** The images the READMEs name, by path relative to the working directory (JPEGs where the name says so). */
export const SNIPPET_IMAGES = ["cat.jpg", "tiger.png", "query.jpg", "photo.jpg", "photos/apple.png", "photos/night-sky.png", "photos/query.png"];

/** The hub repo the READMEs load, served by the mock hub as a tiny random checkpoint. */
export const HUB_REPO = "MCG-NJU/RGE";

/** The server URL the READMEs connect to; the snippets that run get the fixture server's URL in its place. */
export const README_SERVER_URL = "http://127.0.0.1:8080";

/** A Qwen2.5-VL checkpoint of random weights, a few hundred KB, with the tiny bundle's tokenizer. */
const TINY_CHECKPOINT: Omit<CheckpointShapes, "vocab_size"> = {
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: false,
  vision_config: {
    depth: 2,
    hidden_size: 32,
    intermediate_size: 64,
    num_heads: 2,
    out_hidden_size: 64,
    patch_size: 14,
    temporal_patch_size: 2,
    spatial_merge_size: 2,
    window_size: 56,
    fullatt_block_indexes: [1],
    in_chans: 3,
  },
};

/** The world the README snippets run in; `close()` undoes all of it. */
export interface SnippetWorld {
  /** The working directory, laid out as the READMEs assume: `./rge-bundle`, the images. */
  dir: string;
  /** String literals the snippets that run get replaced (a README's server URL by the fixture server's). */
  substitutions: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Sets up what the README snippets expect, on this machine only:
 * - the working directory holds `./rge-bundle` (a tiny random-weight bundle) and the images of {@link SNIPPET_IMAGES};
 * - {@link HUB_REPO} is a tiny random checkpoint on a mock hub at 127.0.0.1 (`HF_ENDPOINT`), with empty caches
 *   (`RGE_CACHE_DIR`, `HF_HUB_CACHE`, `HF_HOME`) and no token, so `allowNetwork: true` downloads and converts it;
 * - an `rge-serve` server of the tiny bundle listens on a free loopback port, requiring the key `$RGE_API_KEY`, and
 *   stands in for {@link README_SERVER_URL}.
 * The environment variables are restored by `close()`.
 */
export async function snippetWorld(): Promise<SnippetWorld> {
  const scratch = tempDir("rge-readme-snippets-");
  const dir = join(scratch.dir, "work");
  const { dir: bundle, config } = writeTinyBundle(join(dir, "rge-bundle"), { seed: 1 });
  for (const [i, name] of SNIPPET_IMAGES.entries()) {
    const png = await gradientPng(48 + 16 * i, 40 + 8 * i, 40 * i);
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), name.endsWith(".jpg") ? await sharp(png).jpeg().toBuffer() : png);
  }

  // The checkpoint takes its tokenizer, processor and chat template from a tiny bundle.
  const template = writeTinyBundle(join(scratch.dir, "template"), { seed: 2 }).dir;
  const { chat_template } = JSON.parse(readFileSync(join(template, "tokenizer_config.json"), "utf8")) as { chat_template: string };
  writeFileSync(join(template, "chat_template.json"), JSON.stringify({ chat_template }));
  const checkpoint = join(scratch.dir, "checkpoint");
  writeRandomCheckpoint(checkpoint, { ...TINY_CHECKPOINT, vocab_size: config.text.vocabSize }, template, { seed: 3 });
  const hub = await MockHub.start();
  hub.addRepo(HUB_REPO, checkpoint);

  const model: RgeModel = await loadRgeModel(bundle);
  const apiKey = "readme-snippets-key";
  const server = await createRgeServer(model, { apiKey });
  const url = await server.listen({ host: "127.0.0.1", port: 0 });

  const env = {
    HF_ENDPOINT: hub.url,
    RGE_CACHE_DIR: join(scratch.dir, "rge-cache"),
    HF_HUB_CACHE: join(scratch.dir, "hf-cache"),
    HF_HOME: join(scratch.dir, "hf-home"),
    HF_TOKEN: undefined,
    HF_TOKEN_PATH: undefined,
    RGE_API_KEY: apiKey,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const assign = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  assign(env);

  return {
    dir,
    substitutions: { [README_SERVER_URL]: url },
    async close() {
      assign(saved);
      await server.close();
      await model.dispose();
      await hub.close();
      scratch.remove();
    },
  };
}
