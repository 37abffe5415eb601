import { GraphBuilder } from "./graph-builder.js";
import type { ElementType } from "./tensor-data.js";

/** The operations a device-resident KV cache needs besides the decoder: each applies to every layer's key and value at once. */
export type KvCacheOp = "append" | "gather" | "stack" | "expand";

/**
 * Builds a small graph that edits KV cache tensors (`[B, kvHeads, T, headDim]`, one per layer and key/value: `count`
 * of them) where they live, so a cache kept on the GPU never comes back to the host:
 * - `append`: `out.j = Concat(past.j, new.j)` over time (the append-only decoder's new entries);
 * - `gather`: `out.j = x.j[rows][:, :, start:]` (rows that stay, leading padding dropped);
 * - `stack`: `out.j = Concat(Pad(a.j, padA), Pad(b.j, padB))` over the batch (newcomers join, left-padded in time);
 * - `expand`: `out.j = Expand(x.j, shape)` (a one-row prefix repeated for a batch).
 * No dimension it handles is ever zero: the engine's caches always hold at least one column.
 */
export function buildKvCacheOpGraph(op: KvCacheOp, count: number, type: ElementType, heads: number, dim: number): Uint8Array {
  const g = new GraphBuilder(`kv_${op}`);
  const tensor = (name: string, batch: string, time: string) => g.input(name, type, [batch, heads, time, dim]);
  const rows = op === "gather" ? g.input("rows", "int64", ["rows"]) : "";
  const start = op === "gather" ? g.input("start", "int64", [1]) : "";
  const padA = op === "stack" ? g.input("padA", "int64", [8]) : "";
  const padB = op === "stack" ? g.input("padB", "int64", [8]) : "";
  const shape = op === "expand" ? g.input("shape", "int64", [4]) : "";
  for (let j = 0; j < count; j++) {
    let out: string;
    switch (op) {
      case "append":
        out = g.op("Concat", [tensor(`past.${j}`, "batch", "past"), tensor(`new.${j}`, "batch", "new")], { attrs: { axis: 2 } });
        break;
      case "gather": {
        const picked = g.op("Gather", [tensor(`x.${j}`, "batch", "time"), rows], { attrs: { axis: 0 } });
        out = g.op("Slice", [picked, start, g.int64([Number.MAX_SAFE_INTEGER]), g.int64([2])]);
        break;
      }
      case "stack":
        out = g.op("Concat", [g.op("Pad", [tensor(`a.${j}`, "batchA", "timeA"), padA]), g.op("Pad", [tensor(`b.${j}`, "batchB", "timeB"), padB])], {
          attrs: { axis: 0 },
        });
        break;
      case "expand":
        out = g.op("Expand", [tensor(`x.${j}`, "one", "time"), shape]);
        break;
    }
    g.output(out, `out.${j}`, type, ["batch_out", heads, "time_out", dim]);
  }
  return g.toBytes({ producer: "@rge/core kv-cache-ops" });
}
