import * as ort from "onnxruntime-node";

type Layer = { key: ort.Tensor; value: ort.Tensor };
type Buffer16or32 = Float32Array | Uint16Array;

/** Slots added beyond what is needed whenever the cache is (re)allocated. */
export const SLOT_HEADROOM = 32;

/**
 * The KV cache of an append-only decoder (`new_key_values.*` outputs): one preallocated buffer per layer,
 * `[B, kvHeads, capacity, headDim]`, fed whole to every step with a mask over the filled slots. Each step's new
 * keys and values are written in place at each row's next free slot, so no step copies the cache. Slot order
 * does not matter to attention (positions are already rotated into the keys), which lets rows of different
 * lengths share one buffer without realignment.
 */
export class SlotKvCache {
  layers: Layer[];
  /** `[B, capacity]`: 1 where a slot holds a real token. */
  mask: BigInt64Array;
  /** Next free slot per row. */
  used: Int32Array;

  private constructor(
    public batch: number,
    /** Rows the buffers have room for; rows past `batch` are free. */
    private rowCapacity: number,
    public capacity: number,
    private readonly heads: number,
    private readonly dim: number,
    private readonly type: "float32" | "float16",
    private buffers: { key: Buffer16or32; value: Buffer16or32 }[],
  ) {
    this.mask = new BigInt64Array(rowCapacity * capacity);
    this.used = new Int32Array(rowCapacity);
    this.layers = this.wrap();
  }

  static allocate(layers: number, batch: number, heads: number, dim: number, type: "float32" | "float16", capacity: number, rowCapacity = batch): SlotKvCache {
    const size = rowCapacity * heads * capacity * dim;
    const make = () => (type === "float16" ? new Uint16Array(size) : new Float32Array(size));
    return new SlotKvCache(batch, rowCapacity, capacity, heads, dim, type, Array.from({ length: layers }, () => ({ key: make(), value: make() })));
  }

  get length(): number {
    return this.capacity;
  }

  /** The filled-slot mask of the live rows, `[batch, capacity]`. */
  get liveMask(): BigInt64Array {
    return this.mask.subarray(0, this.batch * this.capacity);
  }

  /** Mask for a call that feeds `newTokens` more tokens: the slots' mask plus that many real columns. */
  maskWith(newTokens: number): BigInt64Array {
    const out = new BigInt64Array(this.batch * (this.capacity + newTokens)).fill(1n);
    for (let b = 0; b < this.batch; b++) out.set(this.mask.subarray(b * this.capacity, (b + 1) * this.capacity), b * (this.capacity + newTokens));
    return out;
  }

  /**
   * Writes a call's new keys and values (`[B, kvHeads, S, headDim]` per layer) at each row's next slots;
   * `newMask` (`[B, S]`) says which of them are real tokens (left padding is stored but masked).
   */
  append(fresh: Layer[], newMask: BigInt64Array): void {
    const steps = fresh[0]!.key.dims[2]!;
    const needed = Math.max(...this.used.subarray(0, this.batch)) + steps;
    if (needed > this.capacity) this.grow(Math.max(needed + SLOT_HEADROOM, this.capacity * 2));
    const { heads, dim, capacity } = this;
    fresh.forEach((layer, i) => {
      const target = this.buffers[i]!;
      for (const [src, dst] of [[layer.key.data as Buffer16or32, target.key], [layer.value.data as Buffer16or32, target.value]] as const) {
        for (let b = 0; b < this.batch; b++) {
          for (let h = 0; h < heads; h++) {
            const from = (b * heads + h) * steps * dim;
            dst.set(src.subarray(from, from + steps * dim) as Float32Array, ((b * heads + h) * capacity + this.used[b]!) * dim);
          }
        }
      }
    });
    for (let b = 0; b < this.batch; b++) {
      this.mask.set(newMask.subarray(b * steps, (b + 1) * steps), b * capacity + this.used[b]!);
      this.used[b] = this.used[b]! + steps;
    }
  }

  /**
   * Keeps the rows in `keep` (indices of live rows) and returns, for each new row, the old row it holds. Rows
   * already in place stay; rows from the end move into the holes, so only moved rows are copied.
   */
  retain(keep: readonly number[]): number[] {
    const n = keep.length;
    const kept = new Set(keep);
    const movers = keep.filter((r) => r >= n);
    const order = Array.from({ length: n }, (_, i) => i);
    let next = 0;
    for (let hole = 0; hole < n; hole++) {
      if (kept.has(hole)) continue;
      const from = movers[next++]!;
      this.copyRowFrom(this, from, hole);
      order[hole] = from;
    }
    this.batch = n;
    this.layers = this.wrap();
    return order;
  }

  /** Adds another cache's rows after this one's (rows admitted mid-generation), in place when there is room. */
  concat(other: SlotKvCache): SlotKvCache {
    if (other.batch === 0) return this;
    const rows = this.batch + other.batch;
    let target: SlotKvCache = this;
    if (rows > this.rowCapacity || other.capacity > this.capacity) {
      target = SlotKvCache.allocate(this.buffers.length, this.batch, this.heads, this.dim, this.type, Math.max(this.capacity, other.capacity), Math.max(rows, this.rowCapacity * 2));
      for (let r = 0; r < this.batch; r++) target.copyRowFrom(this, r, r);
    }
    for (let r = 0; r < other.batch; r++) target.copyRowFrom(other, r, target.batch + r);
    target.batch = rows;
    target.layers = target.wrap();
    return target;
  }

  /** The first `length` slots of row 0 as `[1, kvHeads, length, headDim]` tensors (a prefix cache entry). */
  leading(length: number): Layer[] {
    return this.buffers.map((layer) => {
      const cut = (src: Buffer16or32) => {
        const out = new (src.constructor as Float32ArrayConstructor)(this.heads * length * this.dim);
        for (let h = 0; h < this.heads; h++) out.set(src.subarray(h * this.capacity * this.dim, (h * this.capacity + length) * this.dim) as Float32Array, h * length * this.dim);
        return new ort.Tensor(this.type as "float32", out as Float32Array, [1, this.heads, length, this.dim]);
      };
      return { key: cut(layer.key), value: cut(layer.value) };
    });
  }

  /** Copies row `from` of `src` (which may be this cache) into row `to`, clearing slots `src` does not have. */
  private copyRowFrom(src: SlotKvCache, from: number, to: number): void {
    const rowSlots = src.heads * src.capacity * src.dim;
    this.buffers.forEach((layer, i) => {
      for (const part of ["key", "value"] as const) {
        const s = src.buffers[i]![part];
        for (let h = 0; h < this.heads; h++) {
          const at = from * rowSlots + h * src.capacity * src.dim;
          layer[part].set(s.subarray(at, at + src.capacity * src.dim) as Float32Array, (to * this.heads + h) * this.capacity * this.dim);
        }
      }
    });
    const row = this.mask.subarray(to * this.capacity, (to + 1) * this.capacity);
    row.fill(0n);
    row.set(src.mask.subarray(from * src.capacity, (from + 1) * src.capacity));
    this.used[to] = src.used[from]!;
  }

  private grow(capacity: number): void {
    const next = SlotKvCache.allocate(this.buffers.length, this.batch, this.heads, this.dim, this.type, capacity, this.rowCapacity);
    for (let r = 0; r < this.batch; r++) next.copyRowFrom(this, r, r);
    this.adopt(next);
  }

  private adopt(other: SlotKvCache): void {
    this.batch = other.batch;
    this.rowCapacity = other.rowCapacity;
    this.capacity = other.capacity;
    this.buffers = other.buffers;
    this.mask = other.mask;
    this.used = other.used;
    this.layers = this.wrap();
  }

  /** Tensors over the live rows (views of the buffers: nothing is copied). */
  private wrap(): Layer[] {
    const dims = [this.batch, this.heads, this.capacity, this.dim];
    const live = this.batch * this.heads * this.capacity * this.dim;
    return this.buffers.map(({ key, value }) => ({
      key: new ort.Tensor(this.type as "float32", key.subarray(0, live) as Float32Array, dims),
      value: new ort.Tensor(this.type as "float32", value.subarray(0, live) as Float32Array, dims),
    }));
  }
}
