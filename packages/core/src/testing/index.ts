/**
 * Test helpers shipped for integrations (LangChain, LlamaIndex, examples): a tiny random RGE bundle that
 * builds in well under a second, so tests never download a model.
 *
 * @packageDocumentation
 */
export { writeTinyBundle, type TinyBundle, type TinyEmbBehaviour, type TinyModelOptions } from "./tiny-model.js";
export { SeededRandom } from "./random.js";
export { gradientPng } from "./test-images.js";
export { tempDir } from "./temp-dir.js";
export { checkpointTensors, QWEN2_5_VL_3B_SHAPES, writeRandomCheckpoint, type CheckpointShapes } from "./random-checkpoint.js";
export { exampleBundle, type ExampleBundle } from "./example-bundle.js";
export { hostBytes, observeSessionRuns, type SessionRunObserver } from "./observe-session-runs.js";
export { MockHub, gitBlobSha, sha256, type MockHubContent, type MockHubDiskFile, type MockHubFault, type MockHubRepo, type MockHubRequest } from "./mock-hub.js";
