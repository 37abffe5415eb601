import type { PageResult } from "../pages/shared/post-result.js";
import type { OpenedPage } from "./open-page.js";

/**
 * Waits for the value the page posts with `postResult` (pages/shared/post-result.ts). Rejects when the page
 * posts an error, or after `timeout` ms (default 60 000); either message ends with the page's errors and last
 * console lines, so a failure reads without rerunning.
 */
export async function waitForResult<T>(opened: OpenedPage, options: { timeout?: number } = {}): Promise<T> {
  const timeout = options.timeout ?? 60_000;
  let result: PageResult<T>;
  try {
    await opened.page.waitForFunction(() => globalThis.__rgeResult !== undefined, undefined, { timeout, polling: 100 });
    result = (await opened.page.evaluate(() => globalThis.__rgeResult)) as PageResult<T>;
  } catch (error) {
    throw new Error(`the page posted no result: ${(error as Error).message.split("\n")[0]}${pageReport(opened)}`);
  }
  if (!result.ok) throw new Error(`the page failed: ${result.error}${pageReport(opened)}`);
  return result.value;
}

function pageReport(opened: OpenedPage): string {
  const errors = opened.errors.length > 0 ? `\npage errors:\n  ${opened.errors.join("\n  ")}` : "";
  const logs = opened.logs.length > 0 ? `\nlast console lines:\n  ${opened.logs.slice(-10).join("\n  ")}` : "";
  return errors + logs;
}
