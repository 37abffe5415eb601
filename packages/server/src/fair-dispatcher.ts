import { AbortedError, type Settled } from "@rge/core";

interface Job {
  count: number;
  nextIndex: number;
  remaining: number;
  results: Settled<unknown>[];
  run: (index: number) => Promise<unknown>;
  signal: AbortSignal | undefined;
  resolve: (results: Settled<unknown>[]) => void;
}

/**
 * Feeds the items of concurrent requests to the model in turn, one item per request per round, keeping at most
 * `window` items with the engine. The engine's queue is first come, first served, so a request of 100 queries
 * submitted whole would hold a request of 1 behind all of them; here the one waits for a free slot at most. Items
 * handed over together still share the engine's batches, and the window keeps enough of them with it to fill them.
 */
export class FairDispatcher {
  private readonly active: Job[] = [];
  private turn = 0;
  inFlight = 0;

  constructor(readonly window: number) {}

  /** Runs `run(i)` for each of `count` items, interleaved with other requests'; resolves every outcome, in order. */
  run<T>(count: number, run: (index: number) => Promise<T>, signal?: AbortSignal): Promise<Settled<T>[]> {
    return new Promise((resolve) => {
      const job: Job = { count, nextIndex: 0, remaining: count, results: new Array(count), run, signal, resolve: resolve as Job["resolve"] };
      if (count === 0) return resolve([]);
      this.active.push(job);
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.window && this.active.length > 0) {
      if (this.turn >= this.active.length) this.turn = 0;
      const job = this.active[this.turn]!;
      const index = job.nextIndex++;
      if (job.nextIndex === job.count) this.active.splice(this.turn, 1);
      else this.turn++;
      if (job.signal?.aborted) {
        // Cancelled: the items not yet handed over fail at once instead of taking a slot.
        this.settle(job, index, { status: "rejected", reason: new AbortedError(undefined, { cause: job.signal.reason }) });
        continue;
      }
      this.inFlight++;
      job.run(index).then(
        (value) => this.finish(job, index, { status: "fulfilled", value }),
        (reason: Error) => this.finish(job, index, { status: "rejected", reason }),
      );
    }
  }

  private finish(job: Job, index: number, outcome: Settled<unknown>): void {
    this.inFlight--;
    this.settle(job, index, outcome);
    this.pump();
  }

  private settle(job: Job, index: number, outcome: Settled<unknown>): void {
    job.results[index] = outcome;
    if (--job.remaining === 0) job.resolve(job.results);
  }
}
