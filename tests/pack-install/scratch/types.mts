// Type-checked in the scratch project (ES module resolution): the published declarations resolve and are typed.
import { loadRgeModel, type QueryEmbedding } from "@rge/core";
import { writeTinyBundle } from "@rge/core/testing";
import { evaluateMmeb } from "@rge/eval";
import { RgeEmbeddings } from "@rge/langchain";
import { RgeLlamaEmbedding } from "@rge/llamaindex";
import { createRgeServer } from "@rge/server";

export async function typed(dir: string): Promise<number> {
  writeTinyBundle(dir, { seed: 1 });
  const model = await loadRgeModel(dir, { maxNewTokens: 4 });
  const [query]: QueryEmbedding[] = await model.embedQueries([{ text: "a" }]);
  // @ts-expect-error maxNewTokens is a number
  await loadRgeModel(dir, { maxNewTokens: "4" });
  const embeddings: RgeEmbeddings = new RgeEmbeddings({ model });
  const llama: RgeLlamaEmbedding = new RgeLlamaEmbedding({ model });
  void [evaluateMmeb, createRgeServer, embeddings, llama];
  return query!.embedding.length;
}
