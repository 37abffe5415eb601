import { rgeProject } from "../../vitest.shared.js";

// The WebGPU suite: its global setup finds or downloads a Vulkan driver, and every case runs in a child process.
export default rgeProject("gpu", { include: ["**/*.test.ts"], globalSetup: ["./global-setup.ts"], testTimeout: 300_000, hookTimeout: 300_000 });
