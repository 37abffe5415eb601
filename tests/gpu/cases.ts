import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RgeInput, RgeModel } from "@rge/core";

/**
 * The workloads the WebGPU suite runs on both providers, over the parity fixture's queries and targets (the tiny
 * Qwen2.5-VL checkpoint that the reference script made): every kind of input, alone and continuously batched.
 */
export const CASES = ["text queries", "image queries", "text+image queries", "targets", "continuous batch"] as const;
export type CaseName = (typeof CASES)[number];

/** One embedded item: its name, the rationale's token ids (queries) and the embedding. */
export interface CaseRow {
  name: string;
  generatedIds?: number[];
  embedding: number[];
}

const fixtures = join(import.meta.dirname, "..", "..", "packages", "core", "src", "convert", "__fixtures__", "reference");
export const CHECKPOINT = join(fixtures, "checkpoint");

interface RefItem {
  name: string;
  text?: string;
  image?: string;
  instruction: string;
}
const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as { max_new_tokens: number; queries: RefItem[]; targets: RefItem[] };
export const MAX_NEW_TOKENS = reference.max_new_tokens;

const input = (item: RefItem): RgeInput => ({
  ...(item.text !== undefined ? { text: item.text } : {}),
  ...(item.image !== undefined ? { image: join(fixtures, "images", item.image) } : {}),
  instruction: item.instruction,
});
const queries = (test: (q: RefItem) => boolean) => reference.queries.filter(test);

/** Options every run of a case loads the model with (batchSize 2 so that the batch case has rows leave and join). */
export const LOAD_OPTIONS = { maxNewTokens: MAX_NEW_TOKENS, cacheSize: 0, batchSize: 2 } as const;

export async function runCase(model: RgeModel, name: CaseName): Promise<CaseRow[]> {
  const query = async (item: RefItem, maxNewTokens?: number) => {
    const q = await model.embedQuery(input(item), maxNewTokens ? { maxNewTokens } : {});
    return { name: item.name, generatedIds: q.generatedIds, embedding: [...q.embedding] };
  };
  const oneByOne = async (items: RefItem[]) => {
    const rows: CaseRow[] = [];
    for (const item of items) rows.push(await query(item));
    return rows;
  };
  switch (name) {
    case "text queries":
      return oneByOne(queries((q) => q.image === undefined));
    case "image queries":
      return oneByOne(queries((q) => q.image !== undefined && q.text === undefined));
    case "text+image queries":
      return oneByOne(queries((q) => q.image !== undefined && q.text !== undefined));
    case "targets": {
      const alone: CaseRow[] = [];
      for (const t of reference.targets) alone.push({ name: t.name, embedding: [...(await model.embedTarget(input(t))).embedding] });
      const batched = await model.embedTargets(reference.targets.map(input));
      return [...alone, ...batched.map((t, i) => ({ name: `${reference.targets[i]!.name} (batched)`, embedding: [...t.embedding] }))];
    }
    case "continuous batch":
      // Seven queries through two slots with budgets from 3 to the full one: rows finish at different steps and
      // queued ones take their slots mid-generation.
      return Promise.all(
        [...reference.queries, reference.queries[0]!, reference.queries[2]!].map((item, i) => query(item, i % 2 === 0 ? MAX_NEW_TOKENS : 3 + i)),
      );
  }
}
