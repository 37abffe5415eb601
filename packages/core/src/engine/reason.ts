import { AbortedError } from "../errors.js";
import type { Forward } from "./forward.js";
import { pickToken } from "./greedy.js";
import { concatDecoderCaches, disposeDecoderCache, type DecoderCache } from "./forward.js";
import type { PreparedItem } from "./prepared-item.js";
import { normalizedSlice } from "./vector.js";

export interface DecodeSettings {
  embTokenId: number;
  vocabSize: number;
  hiddenSize: number;
  repetitionPenalty: number;
}

export interface ReasonSettings extends DecodeSettings {
  maxNewTokens: number;
}

export interface ReasonedEmbedding {
  embedding: Float32Array;
  /** Generated ids, the final `<emb>` included when the model emitted it. */
  generated: number[];
  stoppedBy: "emb" | "maxNewTokens";
}

export type RowOutcome = { ok: true; value: ReasonedEmbedding } | { ok: false; error: Error };

/** One query waiting to reason: its prepared prompt, its budget, and where its outcome goes. */
export interface ReasonRequest {
  item: PreparedItem;
  maxNewTokens: number;
  signal?: AbortSignal | undefined;
  /** Told each rationale token (not `<emb>`) as soon as it is chosen; if it throws, the row fails with that error. */
  onToken?: ((id: number) => void) | undefined;
  done: (outcome: RowOutcome) => void;
}

interface Row {
  request: ReasonRequest;
  seen: Uint8Array | undefined;
  generated: number[];
  /** What `onToken` threw: the row leaves the batch with it at the next step. */
  failure?: { error: Error };
}

/**
 * Reason-then-embed with continuous batching. Rows are prefilled (batched, left-padded), then decoded
 * greedily with the KV cache; each row stops on its own at `<emb>` or its `maxNewTokens`. A row's last
 * generated token is fed once more and the final-norm hidden state of that step is its embedding, like
 * the reference's extra forward after `generate()`. Finished and cancelled rows leave the batch at once,
 * and `refill` is asked for new requests to take their slots, so one long rationale does not hold the
 * others back. Every row gets the result it would get alone.
 */
export async function reasonContinuously(
  forward: Forward,
  settings: DecodeSettings,
  capacity: number,
  first: ReasonRequest[],
  refill: (free: number) => Promise<ReasonRequest[]> = async () => [],
): Promise<void> {
  const { vocabSize: V, hiddenSize: H, embTokenId, repetitionPenalty } = settings;
  let rows: Row[] = [];
  let cache: DecoderCache | undefined;
  let incoming = first;

  const choose = (row: Row, logits: Float32Array, b: number) => {
    const token = pickToken(logits, b * V, V, row.seen, repetitionPenalty);
    row.generated.push(token);
    if (row.seen) row.seen[token] = 1;
    if (token === embTokenId || !row.request.onToken || row.failure) return;
    try {
      row.request.onToken(token);
    } catch (error) {
      row.failure = { error: error instanceof Error ? error : new Error(String(error)) };
    }
  };

  try {
    await decodeLoop();
  } finally {
    disposeDecoderCache(cache);
  }

  async function decodeLoop(): Promise<void> {
    while (true) {
      // Newcomers shortest first, so that prefill can group prompts of similar lengths.
      const live = incoming
        .filter((r) => !r.signal?.aborted || (r.done({ ok: false, error: aborted(r.signal) }), false))
        .sort((a, b) => a.item.ids.length - b.item.ids.length);
      incoming = [];
      if (live.length > 0) {
        const admitted = live.map((request): Row => {
          const seen = repetitionPenalty !== 1 ? new Uint8Array(V) : undefined;
          if (seen) for (const id of request.item.ids) seen[id] = 1;
          return { request, seen, generated: [] };
        });
        const prefill = await forward.prefill(live.map((r) => r.item), 1);
        admitted.forEach((row, b) => choose(row, prefill.logits, b));
        rows = [...rows, ...admitted];
        cache = cache ? await concatDecoderCaches(cache, prefill.cache) : prefill.cache;
      }
      if (rows.length === 0) return;

      const step = await forward.step(
        rows.map((r) => r.generated[r.generated.length - 1]!),
        rows.map((r) => r.request.item.positions.next + r.generated.length - 1),
        cache!,
      );
      const keep: number[] = [];
      rows.forEach((row, b) => {
        const last = row.generated[row.generated.length - 1]!;
        const { signal, maxNewTokens, done } = row.request;
        if (signal?.aborted) {
          done({ ok: false, error: aborted(signal) });
        } else if (row.failure) {
          done({ ok: false, error: row.failure.error });
        } else if (last === embTokenId || row.generated.length >= maxNewTokens) {
          done({
            ok: true,
            value: {
              embedding: normalizedSlice(step.hidden, b * H, H),
              generated: row.generated,
              stoppedBy: last === embTokenId ? "emb" : "maxNewTokens",
            },
          });
        } else {
          choose(row, step.logits, b);
          keep.push(b);
        }
      });
      cache = step.cache;
      const order = await cache.retain(keep); // may reorder rows (the slot cache fills holes from the end)
      const previous = rows;
      rows = order.map((b) => previous[b]!);
      if (rows.length < capacity) incoming = await refill(capacity - rows.length);
    }
  }
}

/** Reasons over a fixed set of items as one batch (no refill); outcomes in input order. */
export async function reasonBatch(
  forward: Forward,
  items: readonly PreparedItem[],
  settings: ReasonSettings,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = new Array(items.length);
  const requests = items.map((item, i) => ({
    item,
    maxNewTokens: settings.maxNewTokens,
    signal: signals[i],
    done: (o: RowOutcome) => (outcomes[i] = o),
  }));
  await reasonContinuously(forward, settings, items.length, requests);
  return outcomes;
}

function aborted(signal: AbortSignal | undefined): AbortedError {
  return new AbortedError(undefined, { cause: signal?.reason });
}
