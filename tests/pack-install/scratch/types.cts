// Type-checked in the scratch project (CommonJS resolution: the "require" declarations, .d.cts).
import { loadRgeModel } from "@rge/core";
import { writeTinyBundle } from "@rge/core/testing";
import { evaluateMmeb } from "@rge/eval";
import { RgeEmbeddings } from "@rge/langchain";
import { RgeLlamaEmbedding } from "@rge/llamaindex";
import { createRgeServer } from "@rge/server";

export async function typed(dir: string): Promise<number> {
  writeTinyBundle(dir, { seed: 1 });
  const model = await loadRgeModel(dir, { maxNewTokens: 4 });
  // @ts-expect-error embedTargets takes inputs, not a string
  await model.embedTargets("a");
  void [evaluateMmeb, createRgeServer, RgeEmbeddings, RgeLlamaEmbedding];
  return model.dimension;
}
