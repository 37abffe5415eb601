import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_MODEL_DIR } from "./demo-model.js";

/** P@1 (and, with reasoning, the share of exactly right rationales) on some queries. */
export interface DemoScore {
  p_at_1: number;
  rationales_right?: number;
}

/** One task's held-out figures: the RGE model with and without reasoning, and the direct-embedding baseline. */
export interface DemoTaskMetrics {
  heldout_queries: number;
  /** Size of the pool each query is ranked against. */
  candidates: number;
  rge_reasoning: DemoScore;
  rge_no_reasoning: DemoScore;
  direct: DemoScore;
  /** The same, on as many training queries. */
  train_rge_reasoning: DemoScore;
  train_direct: DemoScore;
}

/** What the training script measured (`model/metrics.json`), with the weights rounded to fp16 as committed. */
export interface DemoMetrics {
  script_sha256: string;
  seed: number;
  parameters: number;
  /** The two-hop task's held-out queries and candidates (its figures are also under `tasks.DemoTwoHop`). */
  heldout_queries: number;
  candidates: number;
  rge: { heldout_reasoning: DemoScore; heldout_no_reasoning: DemoScore; train_reasoning: DemoScore; train_seconds: number };
  direct: { heldout: DemoScore; train: DemoScore; train_seconds: number };
  /** Per task, keyed by the mini benchmark's subset name. */
  tasks: Record<"DemoTwoHop" | DemoImageTaskName, DemoTaskMetrics>;
  /** "who is this ?" on every badge (all trained): P@1 over the 200 names, and how often RGE names the right person. */
  badge_recognition: { queries: number; rge_reasoning: DemoScore; direct: DemoScore };
}

/** The tasks whose queries carry an image. */
export type DemoImageTaskName = "DemoBadgeTwoHop" | "DemoBadgeProfile";

/** The held-out queries of an image task; `image` is a PNG's path relative to the model directory. */
export interface DemoImageTask {
  query_instruction: string;
  target_instruction: string;
  candidates: string[];
  queries: { image: string; text?: string; rationale: string; answer: string }[];
}

/**
 * The held-out queries the script scored (`model/heldout.json`). The top-level fields are the two-hop task's (each
 * fact they need was trained, never the chain); `image_tasks` holds the badge tasks (who is on each badge and each
 * fact were trained, never that badge with that question).
 */
export interface DemoHeldout {
  query_instruction: string;
  target_instruction: string;
  /** Every candidate answer: the pool each query is ranked against. */
  candidates: string[];
  queries: { text: string; rationale: string; answer: string }[];
  /** Each person's badge: its PNG relative to the model directory, and what it shows ("a white circle on red"). */
  badges: Record<string, { image: string; look: string }>;
  image_tasks: Record<DemoImageTaskName, DemoImageTask>;
}

export function demoMetrics(): DemoMetrics {
  return JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "metrics.json"), "utf8")) as DemoMetrics;
}

/** A held-out DemoBadgeTwoHop question (the `index`-th), with its badge's absolute path as `imagePath`. */
export function demoBadgeQuestion(index = 0): { text: string; image: string; imagePath: string; rationale: string; answer: string } {
  const q = demoHeldout().image_tasks.DemoBadgeTwoHop.queries[index]!;
  return { ...q, text: q.text!, imagePath: join(DEMO_MODEL_DIR, q.image) };
}

export function demoHeldout(): DemoHeldout {
  return JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "heldout.json"), "utf8")) as DemoHeldout;
}
