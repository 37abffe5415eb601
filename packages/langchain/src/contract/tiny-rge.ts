/** Test fixture: a tiny random-weight RGE bundle and an embedder on it, made once per test file. */
import { tempDir, writeTinyBundle, type TinyModelOptions } from "@rge/core/testing";
import { afterAll, beforeAll } from "vitest";
import { RgeEmbeddings, type RgeEmbeddingsParams } from "../embeddings/rge-embeddings.js";

export interface TinyRge {
  dir: string;
  embeddings: RgeEmbeddings;
  /** Another embedder on the same bundle (e.g. with other settings); disposed with the fixture. */
  embedder(params?: Partial<RgeEmbeddingsParams>): RgeEmbeddings;
}

export function useTinyRge(params: Partial<RgeEmbeddingsParams> = {}, bundle: TinyModelOptions = { seed: 1 }): () => TinyRge {
  const tmp = tempDir("rge-langchain-");
  const made: RgeEmbeddings[] = [];
  let fixture: TinyRge | undefined;
  beforeAll(() => {
    writeTinyBundle(tmp.dir, bundle);
    const embedder = (more: Partial<RgeEmbeddingsParams> = {}) => {
      const e = new RgeEmbeddings({ model: tmp.dir, maxNewTokens: 24, ...params, ...more });
      made.push(e);
      return e;
    };
    fixture = { dir: tmp.dir, embeddings: embedder(), embedder };
  });
  afterAll(async () => {
    await Promise.all(made.map((e) => e.dispose()));
    tmp.remove();
  });
  return () => fixture!;
}
