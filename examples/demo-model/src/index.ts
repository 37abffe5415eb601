/**
 * The demo model: a tiny RGE trained by tools/demo-model/train_demo_model.py on two-hop questions about a
 * made-up world of 200 people, committed as a
 * Hugging Face checkpoint and converted into a bundle at first use. The examples run it by default.
 */
export { DEMO_MODEL_DIR, demoCheckpointDir, demoModel, type DemoModelName, type DemoModelOptions } from "./demo-model.js";
export {
  demoBadgeQuestion,
  demoHeldout,
  demoMetrics,
  type DemoHeldout,
  type DemoImageTask,
  type DemoImageTaskName,
  type DemoMetrics,
  type DemoScore,
  type DemoTaskMetrics,
} from "./metrics.js";
export { DEMO_SUBSET, DEMO_SUBSETS, demoBenchmarkRows, demoEvalFlags, writeDemoBenchmark, type DemoBenchmarkRow, type DemoSubset } from "./mini-benchmark.js";
export { demoOrGivenBundle, type DemoExampleBundle } from "./example-bundle.js";
