import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RgeInput } from "@rge/core";
import { gradientPng } from "@rge/core/testing";

export interface BenchQuery {
  input: RgeInput;
  maxNewTokens: number;
  image?: string;
}

const topics = ["a red car in the snow", "the history of bread", "how tides work", "a cat on a sofa", "prime numbers", "jazz in the 1950s", "mountain weather", "solar panels"];

/**
 * The benchmark's queries: varied text, rationale budgets spread evenly over 16..128 (a random model has no
 * natural stopping point; some rows also stop early on `<emb>`), and with `imageEvery`, every such query carries
 * a gradient image of its own size (260x180 up), written once under `imageDir`.
 */
export async function makeQueries(count: number, imageEvery: number | undefined, imageDir: string): Promise<BenchQuery[]> {
  mkdirSync(imageDir, { recursive: true });
  const queries: BenchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const withImage = imageEvery !== undefined && i % imageEvery === imageEvery - 1;
    const image = withImage ? join(imageDir, `q${i}.png`) : undefined;
    if (image && !existsSync(image)) writeFileSync(image, await gradientPng(200 + 20 * i, 150 + 10 * i, i));
    queries.push({
      input: { text: `Query ${i}: tell me about ${topics[i % topics.length]}${"!".repeat(i % 5)}`, ...(image ? { image } : {}) },
      maxNewTokens: 16 + Math.round(((i * 37) % count) * (112 / Math.max(count - 1, 1))),
      ...(image ? { image } : {}),
    });
  }
  return queries;
}
