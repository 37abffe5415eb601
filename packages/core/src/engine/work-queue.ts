import { AbortedError, DisposedError } from "../errors.js";
import { yieldToEventLoop } from "../util/yield.js";

/** A request waiting for its batch: the caller's promise settles when its row is done. */
export interface Pending<TInput, TResult> {
  input: TInput;
  /** Requests with the same key can share a batch. */
  key: string;
  signal: AbortSignal | undefined;
  resolve: (value: TResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects requests from every caller and runs them in batches, one batch at a time (ONNX Runtime already
 * uses every core for one batch). Requests submitted in the same tick share batches; an aborted request
 * leaves the queue at once; a disposed queue rejects everything still waiting.
 */
export class WorkQueue<TInput, TResult> {
  private readonly waiting: Pending<TInput, TResult>[] = [];
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly batchSize: (key: string) => number,
    private readonly runBatch: (batch: Pending<TInput, TResult>[], more: (max: number) => Pending<TInput, TResult>[]) => Promise<void>,
  ) {}

  /** Requests waiting for a batch. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  submit(input: TInput, key: string, signal?: AbortSignal): Promise<TResult> {
    if (this.closed) return Promise.reject(new DisposedError());
    if (signal?.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
    return new Promise<TResult>((resolve, reject) => {
      // The abort listener goes when the request settles, so a signal reused across calls keeps nothing alive.
      const onAbort = () => {
        const at = this.waiting.indexOf(pending);
        if (at >= 0) {
          this.waiting.splice(at, 1);
          settle(() => reject(new AbortedError(undefined, { cause: signal!.reason })));
        }
      };
      const settle = (finish: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        finish();
      };
      const pending: Pending<TInput, TResult> = {
        input,
        key,
        signal,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      };
      this.waiting.push(pending);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (!this.running) {
        this.running = true;
        this.idle = new Promise((r) => (this.markIdle = r));
        void yieldToEventLoop().then(() => this.pump());
      }
    });
  }

  /** Rejects waiting requests and resolves when the batch in flight (if any) has finished. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new DisposedError());
    await this.idle;
  }

  /** Removes up to `max` waiting requests with this key, oldest first. */
  private take(key: string, max: number): Pending<TInput, TResult>[] {
    const out: Pending<TInput, TResult>[] = [];
    for (let i = 0; i < this.waiting.length && out.length < max; ) {
      if (this.waiting[i]!.key === key) out.push(...this.waiting.splice(i, 1));
      else i++;
    }
    return out;
  }

  /** Removes up to `max` requests with this key from the front of the queue, stopping at one of another key. */
  private takeAhead(key: string, max: number): Pending<TInput, TResult>[] {
    let n = 0;
    while (n < this.waiting.length && n < max && this.waiting[n]!.key === key) n++;
    return this.waiting.splice(0, n);
  }

  private async pump(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const key = this.waiting[0]!.key;
        const batch = this.take(key, this.batchSize(key));
        // A running batch may take later requests of its key into free slots (continuous batching), but only those
        // queued before the oldest request of another key: else a steady stream of queries would keep one reasoning
        // batch alive forever and documents waiting behind it would never run.
        const more = (max: number) => {
          const extra = this.takeAhead(key, max);
          batch.push(...extra);
          return extra;
        };
        try {
          await this.runBatch(batch, more);
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.running = false;
      this.markIdle();
    }
  }
}
