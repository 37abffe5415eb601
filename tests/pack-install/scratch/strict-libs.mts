// Type-checked with skipLibCheck off: our declarations, and every declaration they pull in, must compile in a
// consumer's strict build. (@rge/llamaindex is left out: llamaindex's own .d.ts files fail this check by themselves.)
import { loadRgeModel, type QueryStream } from "@rge/core";
import { writeTinyBundle } from "@rge/core/testing";
import { evaluateMmeb } from "@rge/eval";
import { RgeEmbeddings } from "@rge/langchain";
import { createRgeServer } from "@rge/server";

export async function strict(dir: string): Promise<string> {
  writeTinyBundle(dir, { seed: 1 });
  const model = await loadRgeModel(dir, { maxNewTokens: 4 });
  const stream: QueryStream = model.streamQuery({ text: "a" });
  void [evaluateMmeb, createRgeServer, new RgeEmbeddings({ model })];
  return (await stream.result).rationale;
}
