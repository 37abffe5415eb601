import type { TestProject } from "vitest/node";
import { findChromium } from "../../tools/browser/chromium.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Chromium the suite drives, or why there is none. */
    chromium: { executablePath: string; version: string; unavailable?: undefined } | { executablePath?: undefined; unavailable: string };
  }
}

/**
 * Finds (or installs) Chromium once for the whole suite. Where it should be there (RGE_CHROMIUM set, or Linux as
 * root with apt-get) and is not, the suite fails here rather than skipping every test in silence.
 */
export default function setup(project: TestProject): void {
  const started = Date.now();
  const search = findChromium();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if ("executablePath" in search) {
    console.log(`browser suite: ${search.version} at ${search.executablePath}; ${[...search.log, `ready in ${seconds} s`].join("; ")}`);
    project.provide("chromium", { executablePath: search.executablePath, version: search.version });
    return;
  }
  if (search.expected) throw new Error(`browser suite: no Chromium: ${search.unavailable}`);
  console.log(`browser suite: no Chromium, its tests are skipped: ${search.unavailable}`);
  project.provide("chromium", { unavailable: search.unavailable });
}
