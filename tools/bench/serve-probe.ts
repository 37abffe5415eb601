/**
 * Preloaded into the `rge-serve` process by the load test (`node --import`), so the server needs no metrics
 * endpoint: counts the rows of every decoder run (batch occupancy), and on SIGUSR2 collects garbage and prints one
 * line, `serve-probe {json}`, with the counts so far and the memory left after collection.
 */
import { observeSessionRuns } from "@rge/core/testing";

/** What the probe prints; counts are totals since the server started. */
export interface ProbeReport {
  rssMb: number;
  heapUsedMb: number;
  /** Memory V8 has taken from the system for its heap, used or not. */
  heapTotalMb: number;
  externalMb: number;
  /** Decoder runs of one token per row (reasoning steps), and the rows they carried. */
  decodeSteps: number;
  decodeRows: number;
  /** Decoder runs over whole prompts (documents, and queries joining a reasoning batch). */
  prefills: number;
  prefillRows: number;
  maxRows: number;
}

const counts = { decodeSteps: 0, decodeRows: 0, prefills: 0, prefillRows: 0, maxRows: 0 };
observeSessionRuns((feeds) => {
  const embeds = feeds.inputs_embeds;
  // Only the decoder takes inputs_embeds with past key values; the token-embedding graph returns them.
  if (!embeds || !("attention_mask" in feeds)) return;
  const [rows, seqLen] = embeds.dims as [number, number];
  if (seqLen === 1) {
    counts.decodeSteps++;
    counts.decodeRows += rows;
  } else {
    counts.prefills++;
    counts.prefillRows += rows;
  }
  counts.maxRows = Math.max(counts.maxRows, rows);
});

process.on("SIGUSR2", () => void report());

async function report(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice, with a pause between: the first collection queues the finalizers that release native buffers.
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
  const m = process.memoryUsage();
  const mb = (bytes: number) => bytes / 2 ** 20;
  const line: ProbeReport = { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), ...counts };
  console.log(`serve-probe ${JSON.stringify(line)}`);
}
