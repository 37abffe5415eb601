import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_FORMAT_VERSION, MANIFEST_FILE, type RgeManifest } from "../bundle/manifest.js";
import { CheckpointInvalidError } from "../errors.js";

type Json = Record<string, unknown>;

/**
 * Finds the chat template wherever the checkpoint keeps it: `tokenizer_config.json`, the processor's
 * `chat_template.json`, or `chat_template.jinja`.
 */
export function findChatTemplate(dir: string): string | undefined {
  const tokenizerConfig = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")) as Json;
  if (typeof tokenizerConfig.chat_template === "string") return tokenizerConfig.chat_template;
  const processorTemplate = join(dir, "chat_template.json");
  if (existsSync(processorTemplate)) {
    const t = (JSON.parse(readFileSync(processorTemplate, "utf8")) as Json).chat_template;
    if (typeof t === "string") return t;
  }
  const jinja = join(dir, "chat_template.jinja");
  return existsSync(jinja) ? readFileSync(jinja, "utf8") : undefined;
}

/** The id of the `<emb>` token in a `tokenizer.json`, or a typed error saying it is missing. */
export function findEmbToken(tokenizerJson: Json, token: string, where: string): number {
  const added = (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? [];
  const vocab = ((tokenizerJson.model as Json | undefined)?.vocab as Record<string, number> | undefined) ?? {};
  const id = added.find((t) => t.content === token)?.id ?? vocab[token];
  if (id === undefined) {
    throw new CheckpointInvalidError(
      `${where} has no ${token} token. RGE checkpoints add it to the Qwen2.5-VL tokenizer; this looks like a base model.`,
    );
  }
  return id;
}

/** Copies the configs and tokenizer a bundle needs, putting the chat template into tokenizer_config.json. */
export function writeBundleConfigs(from: string, to: string, chatTemplate: string): void {
  for (const file of ["config.json", "preprocessor_config.json", "tokenizer.json"]) {
    if (!existsSync(join(from, file))) throw new CheckpointInvalidError(`The checkpoint in ${from} has no ${file}.`);
    copyFileSync(join(from, file), join(to, file));
  }
  if (existsSync(join(from, "generation_config.json"))) copyFileSync(join(from, "generation_config.json"), join(to, "generation_config.json"));
  const tokenizerConfig = JSON.parse(readFileSync(join(from, "tokenizer_config.json"), "utf8")) as Json;
  tokenizerConfig.chat_template = chatTemplate;
  writeFileSync(join(to, "tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2) + "\n");
}

export function writeManifest(to: string, fields: Omit<RgeManifest, "format" | "formatVersion" | "architecture">): RgeManifest {
  const manifest: RgeManifest = { format: "rge-bundle", formatVersion: BUNDLE_FORMAT_VERSION, architecture: "qwen2_5_vl", ...fields };
  writeFileSync(join(to, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}
