import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_MODEL_DIR } from "./demo-model.js";

/** P@1 (and, with reasoning, the share of exactly right rationales) on some queries. */
export interface DemoScore {
  p_at_1: number;
  rationales_right?: number;
}

/** What the training script measured (`model/metrics.json`), with the weights rounded to fp16 as committed. */
export interface DemoMetrics {
  script_sha256: string;
  seed: number;
  parameters: number;
  heldout_queries: number;
  candidates: number;
  rge: { heldout_reasoning: DemoScore; heldout_no_reasoning: DemoScore; train_reasoning: DemoScore; train_seconds: number };
  direct: { heldout: DemoScore; train: DemoScore; train_seconds: number };
}

/** The held-out questions the script scored (`model/heldout.json`): each fact they need was trained, never the chain. */
export interface DemoHeldout {
  query_instruction: string;
  target_instruction: string;
  /** Every candidate answer: the pool each query is ranked against. */
  candidates: string[];
  queries: { text: string; rationale: string; answer: string }[];
}

export function demoMetrics(): DemoMetrics {
  return JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "metrics.json"), "utf8")) as DemoMetrics;
}

export function demoHeldout(): DemoHeldout {
  return JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "heldout.json"), "utf8")) as DemoHeldout;
}
