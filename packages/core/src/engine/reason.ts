import { AbortedError } from "../errors.js";
import type { Forward } from "./forward.js";
import { pickToken } from "./greedy.js";
import type { PreparedItem } from "./prepared-item.js";
import { normalizedSlice } from "./vector.js";

export interface ReasonSettings {
  maxNewTokens: number;
  embTokenId: number;
  vocabSize: number;
  hiddenSize: number;
  repetitionPenalty: number;
}

export interface ReasonedEmbedding {
  embedding: Float32Array;
  /** Generated ids, the final `<emb>` included when the model emitted it. */
  generated: number[];
  stoppedBy: "emb" | "maxNewTokens";
}

export type RowOutcome = { ok: true; value: ReasonedEmbedding } | { ok: false; error: Error };

/**
 * Reason-then-embed for a batch: left-padded prefill, then greedy decoding with the KV cache where every
 * row stops on its own. A row's last generated token (`<emb>`, or whatever came at `maxNewTokens`) is fed
 * once more and the final-norm hidden state of that step is its embedding, exactly like the reference's
 * extra forward after `generate()`. Finished and cancelled rows leave the batch at once.
 */
export async function reasonBatch(
  forward: Forward,
  items: readonly PreparedItem[],
  settings: ReasonSettings,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<RowOutcome[]> {
  const { vocabSize: V, hiddenSize: H, maxNewTokens, embTokenId, repetitionPenalty } = settings;
  const outcomes: RowOutcome[] = new Array(items.length);
  const penalise = repetitionPenalty !== 1;
  const rows = items.map((item, index) => {
    const seen = penalise ? new Uint8Array(V) : undefined;
    if (seen) for (const id of item.ids) seen[id] = 1;
    return { index, item, seen, generated: [] as number[] };
  });

  let step = await forward.prefill(items, 1);
  rows.forEach((row, b) => choose(row, step.logits, b));
  let active = rows;
  while (active.length > 0) {
    step = await forward.step(
      active.map((r) => r.generated[r.generated.length - 1]!),
      active.map((r) => r.item.positions.next + r.generated.length - 1),
      step.cache,
    );
    const keep: number[] = [];
    active.forEach((row, b) => {
      const last = row.generated[row.generated.length - 1]!;
      if (signals[row.index]?.aborted) {
        outcomes[row.index] = { ok: false, error: new AbortedError(undefined, { cause: signals[row.index]!.reason }) };
      } else if (last === embTokenId || row.generated.length >= maxNewTokens) {
        outcomes[row.index] = {
          ok: true,
          value: {
            embedding: normalizedSlice(step.hidden, b * H, H),
            generated: row.generated,
            stoppedBy: last === embTokenId ? "emb" : "maxNewTokens",
          },
        };
      } else {
        choose(row, step.logits, b);
        keep.push(b);
      }
    });
    active = keep.map((b) => active[b]!);
    if (active.length > 0) step.cache.retain(keep);
  }
  return outcomes;

  function choose(row: (typeof rows)[number], logits: Float32Array, b: number): void {
    const token = pickToken(logits, b * V, V, row.seen, repetitionPenalty);
    row.generated.push(token);
    if (row.seen) row.seen[token] = 1;
  }
}
