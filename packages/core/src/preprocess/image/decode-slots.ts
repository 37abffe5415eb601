import { AbortedError, throwIfAborted } from "../../errors.js";

/**
 * Default size of a model's {@link DecodeSlots}. Two let one image decode (on libuv's thread pool) while another is
 * resized (on the JavaScript thread), which is where the overlap pays; more would only add full-size images in
 * memory at once.
 */
export const CONCURRENT_DECODES = 2;

/**
 * Bounds how many images are decoded at once. A decoded image is held at full size (up to `maxImagePixels`) until
 * it is resized, so a call with many huge images would otherwise keep all of them in memory together; a task
 * holds its slot from decoding through resizing. Waiters are served first come, first served.
 *
 * @example
 * const slots = new DecodeSlots(2);
 * const patches = await slots.run(async () => preprocessImage(await decodeImage(bytes), config), signal);
 */
export class DecodeSlots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number = CONCURRENT_DECODES) {}

  /** Runs `task` once a slot is free; an abort while waiting rejects with `AbortedError` without running it. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    if (this.busy < this.size) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new AbortedError(undefined, { cause: signal?.reason }));
      };
      this.waiting.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Hands the slot straight to the next waiter, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}
