/** How a page hands its result to the harness's `waitForResult`: a global the test polls for. */
export type PageResult<T> = { ok: true; value: T } | { ok: false; error: string };

declare global {
  var __rgeResult: PageResult<unknown> | undefined;
}

/** Runs `work` and posts its value, or its error with the stack, for the test to read. */
export async function postResult<T>(work: () => Promise<T>): Promise<void> {
  try {
    globalThis.__rgeResult = { ok: true, value: await work() };
  } catch (error) {
    globalThis.__rgeResult = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}
