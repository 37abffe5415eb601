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
    public capacity: number,
    private readonly heads: number,
    private readonly dim: number,
    private readonly type: "float32" | "float16",
    private buffers: { key: Buffer16or32; value: Buffer16or32 }[],
  ) {
    this.mask = new BigInt64Array(batch * capacity);
    this.used = new Int32Array(batch);
    this.layers = this.wrap();
  }

  static allocate(layers: number, batch: number, heads: number, dim: number, type: "float32" | "float16", capacity: number): SlotKvCache {
    const make = () => (type === "float16" ? new Uint16Array(batch * heads * capacity * dim) : new Float32Array(batch * heads * capacity * dim));
    return new SlotKvCache(batch, capacity, heads, dim, type, Array.from({ length: layers }, () => ({ key: make(), value: make() })));
  }

  get length(): number {
    return this.capacity;
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
    const needed = Math.max(...this.used) + steps;
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

  /** Keeps only `rows`, in that order (one copy; rows leave rarely). */
  retain(rows: readonly number[]): void {
    if (rows.length === this.batch && rows.every((r, i) => r === i)) return;
    const next = SlotKvCache.allocate(this.buffers.length, rows.length, this.heads, this.dim, this.type, this.capacity);
    rows.forEach((r, i) => next.copyRowFrom(this, r, i));
    this.adopt(next);
  }

  /** Stacks two caches along the batch axis (rows admitted mid-generation join a running batch). */
  concat(other: SlotKvCache): SlotKvCache {
    if (this.batch === 0) return other;
    if (other.batch === 0) return this;
    const capacity = Math.max(this.capacity, other.capacity);
    const next = SlotKvCache.allocate(this.buffers.length, this.batch + other.batch, this.heads, this.dim, this.type, capacity);
    for (let r = 0; r < this.batch; r++) next.copyRowFrom(this, r, r);
    for (let r = 0; r < other.batch; r++) next.copyRowFrom(other, r, this.batch + r);
    return next;
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
    this.mask.set(src.mask.subarray(from * src.capacity, (from + 1) * src.capacity), to * this.capacity);
    this.used[to] = src.used[from]!;
  }

  private grow(capacity: number): void {
    const next = SlotKvCache.allocate(this.buffers.length, this.batch, this.heads, this.dim, this.type, capacity);
    for (let r = 0; r < this.batch; r++) next.copyRowFrom(this, r, r);
    this.adopt(next);
  }

  private adopt(other: SlotKvCache): void {
    this.batch = other.batch;
    this.capacity = other.capacity;
    this.buffers = other.buffers;
    this.mask = other.mask;
    this.used = other.used;
    this.layers = this.wrap();
  }

  private wrap(): Layer[] {
    const dims = [this.batch, this.heads, this.capacity, this.dim];
    return this.buffers.map(({ key, value }) => ({
      key: new ort.Tensor(this.type as "float32", key as Float32Array, dims),
      value: new ort.Tensor(this.type as "float32", value as Float32Array, dims),
    }));
  }
}
