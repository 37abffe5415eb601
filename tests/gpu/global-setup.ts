import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { findVulkanDriver } from "../../tools/gpu/vulkan-driver.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Vulkan driver the suite runs WebGPU on, or why there is none. */
    webgpu: { description: string } | { unavailable: string };
  }
}

/** Finds (or downloads) a Vulkan driver once for the whole suite and exports it to the child processes. */
export default function setup(project: TestProject): void {
  const started = Date.now();
  const search = findVulkanDriver(join(import.meta.dirname, "..", ".."));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (search.driver) {
    Object.assign(process.env, search.driver.env);
    console.log(`webgpu suite: ${search.driver.description}; ${[...search.log, `ready in ${seconds} s`].join("; ")}`);
    project.provide("webgpu", { description: search.driver.description });
  } else {
    console.log(`webgpu suite: no WebGPU adapter (${search.reason})`);
    project.provide("webgpu", { unavailable: search.reason });
  }
}
