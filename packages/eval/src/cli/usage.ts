import { DTYPES } from "@rge/core";

export const USAGE = `Usage: rge-eval --data <MMEB-eval folder> --images <image folder> --model <bundle>
                [--subsets ImageNet-1K,VOC2007,...] [--reasoning on|off|both] [--out rge-eval-out]
                [--cache-dir <out>/cache] [--skip-bad-rows] [--device cpu|cuda|webgpu|auto]
                [--dtype ${DTYPES.join("|")}] [--max-new-tokens 128] [--batch-size 8] [--threads N] [--chunk-size 32]
                [--min-pixels 200704] [--max-pixels 802816]

Runs the MMEB evaluation (36 subsets, Precision@1) with RGE's prompt protocol and prints per-subset accuracy,
the meta-tasks, IND, OOD and overall beside the paper's figures. Reports go to <out>/reasoning-on|off/.
Embeddings are cached: rerun the same command to resume an interrupted run.`;

/** A command-line mistake: the CLI prints the message and exits 2. */
export class UsageError extends Error {}
