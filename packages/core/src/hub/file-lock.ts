import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { AbortedError } from "../errors.js";

/**
 * Runs `work` holding an inter-process lock at `lockPath` (proper-lockfile: an atomic mkdir, refreshed while held and
 * taken over once stale, so a crashed holder does not block forever). Waits for another holder without a time limit,
 * since it may be downloading gigabytes, calling `onWait` once; the wait ends with `signal`.
 */
export async function withLock<T>(lockPath: string, signal: AbortSignal | undefined, onWait: () => void, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  let waited = false;
  while (!release) {
    if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
    try {
      release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        // Refreshed every 10 s; a lock left 60 s unrefreshed belongs to a dead process. Generous, because a
        // conversion keeps the event loop busy for stretches.
        stale: 60_000,
        update: 10_000,
        // Without a handler, proper-lockfile throws from a timer (an uncaught exception) when the lock is lost.
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      if (!waited) onWait();
      waited = true;
      try {
        await sleep(250, undefined, { signal });
      } catch (cause) {
        throw new AbortedError(undefined, { cause });
      }
    }
  }
  try {
    const result = await work();
    if (compromised) throw compromised;
    return result;
  } finally {
    await release().catch(() => undefined); // already released when compromised
  }
}
