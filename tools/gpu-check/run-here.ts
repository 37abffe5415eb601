// Runs the GPU check from the repo: finds (or downloads) a Vulkan driver for WebGPU and writes the tokenizer
// template of the throughput model (Qwen's BPE, as the benchmark uses) first, then runs check.ts.
//   npx tsx --conditions=@rge/source gpu-check/run-here.ts [options of check.ts]
import { join } from "node:path";
import { writeBenchTemplate } from "../bench/bench-template.js";
import { rerunWithVulkanDriver } from "../gpu/vulkan-driver.js";

const root = join(import.meta.dirname, "..", "..");
if (!process.argv.includes("--child")) {
  rerunWithVulkanDriver(root);
  if (!process.argv.includes("--template")) process.argv.push("--template", writeBenchTemplate(join(root, "bench-results", "work", "template-151936"), 151936));
}
await import("./check.js");
