import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Page } from "playwright-core";

/** Saves a PNG of the whole page at `path` (parent folders made as needed); returns `path`. */
export async function screenshot(page: Page, path: string): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true, type: "png" });
  return path;
}
