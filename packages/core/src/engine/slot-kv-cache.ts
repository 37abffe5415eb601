import * as ort from "#ort";

type Layer = { key: ort.Tensor; value: ort.Tensor };
type Buffer16or32 = Float32Array | Uint16Array;

/** Slots added beyond what is needed whenever the slot count changes. */
export const SLOT_HEADROOM = 32;

/**
 * The KV cache of an append-only decoder (`new_key_values.*` outputs): per layer, a key and a value tensor
 * `[B, kvHeads, capacity, headDim]` fed whole to every step with a mask over the filled slots. Each step's new
 * keys and values are written in place at each row's next free slot, so no step copies the cache. Slot order
 * does not matter to attention (positions are already rotated into the keys), which lets rows of different
 * lengths share one buffer without realignment.
 *
 * Every step reads all `capacity` slots of every row, so the capacity follows the longest live row: it grows
 * when a row needs room and shrinks when the longest row leaves. Both happen in place, inside buffers that grow by
 * half again when they must (and are trimmed when the cache fills under a quarter of them), so rows joining and
 * leaving cost copies of their own slots, not new allocations of the whole cache.
 */
export class SlotKvCache {
  layers: Layer[];
  /** `[rows, capacity]`: 1 where a slot holds a real token. */
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
    const size = batch * heads * capacity * dim;
    return new SlotKvCache(batch, capacity, heads, dim, type, Array.from({ length: layers }, () => ({ key: makeBuffer(type, size), value: makeBuffer(type, size) })));
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
    if (needed > this.capacity) this.relayout(needed + SLOT_HEADROOM);
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
   * already in place stay; rows from the end move into the holes, so only moved rows are copied. When the
   * longest remaining row leaves much of the capacity unused, the capacity shrinks.
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
    const longest = Math.max(0, ...this.used.subarray(0, n));
    if (this.capacity >= longest + 2 * SLOT_HEADROOM) this.relayout(longest + SLOT_HEADROOM);
    else this.layers = this.wrap();
    return order;
  }

  /** Adds another cache's rows after this one's (rows admitted mid-generation); returns this cache. */
  concat(other: SlotKvCache): SlotKvCache {
    if (other.batch === 0) return this;
    if (other.capacity > this.capacity) this.relayout(other.capacity);
    const rows = this.batch + other.batch;
    this.reserve(rows * this.heads * this.capacity * this.dim);
    if (rows * this.capacity > this.mask.length) this.mask = grownCopy(this.mask, rows * this.capacity);
    if (rows > this.used.length) this.used = grownCopy(this.used, rows);
    for (let r = 0; r < other.batch; r++) this.copyRowFrom(other, r, this.batch + r);
    this.batch = rows;
    this.layers = this.wrap();
    return this;
  }

  /** The first `length` slots of row 0 as `[1, kvHeads, length, headDim]` tensors (a prefix cache entry). */
  leading(length: number): Layer[] {
    return this.buffers.map((layer) => {
      const cut = (src: Buffer16or32) => {
        const out = makeBuffer(this.type, this.heads * length * this.dim);
        for (let h = 0; h < this.heads; h++) out.set(src.subarray(h * this.capacity * this.dim, (h * this.capacity + length) * this.dim) as Float32Array, h * length * this.dim);
        return new ort.Tensor(this.type as "float32", out as Float32Array, [1, this.heads, length, this.dim]);
      };
      return { key: cut(layer.key), value: cut(layer.value) };
    });
  }

  /**
   * Copies the filled slots and the mask of row `from` of `src` (which may be this cache) into row `to`. Slots
   * past them keep whatever they held: the mask hides them.
   */
  private copyRowFrom(src: SlotKvCache, from: number, to: number): void {
    const filled = src.used[from]!;
    this.buffers.forEach((layer, i) => {
      for (const part of ["key", "value"] as const) {
        const s = src.buffers[i]![part];
        for (let h = 0; h < this.heads; h++) {
          const at = ((from * src.heads + h) * src.capacity) * src.dim;
          layer[part].set(s.subarray(at, at + filled * src.dim) as Float32Array, (to * this.heads + h) * this.capacity * this.dim);
        }
      }
    });
    const row = this.mask.subarray(to * this.capacity, (to + 1) * this.capacity);
    row.fill(0n);
    row.set(src.mask.subarray(from * src.capacity, from * src.capacity + filled));
    this.used[to] = filled;
  }

  /**
   * Changes the slots per row to `capacity` (at least the longest row's filled slots), moving each row's filled
   * slots within the buffers: front to back when shrinking, back to front when growing, so no row overwrites
   * another before it has moved.
   */
  private relayout(capacity: number): void {
    const old = this.capacity;
    if (capacity === old) return;
    const { heads, dim, batch } = this;
    if (capacity > old) this.reserve(batch * heads * capacity * dim);
    const moves: [number, number, number][] = [];
    for (let r = 0; r < batch; r++) {
      for (let h = 0; h < heads; h++) moves.push([(r * heads + h) * old * dim, (r * heads + h) * capacity * dim, this.used[r]! * dim]);
    }
    if (capacity > old) moves.reverse();
    for (const layer of this.buffers) {
      for (const buffer of [layer.key, layer.value]) {
        for (const [from, to, count] of moves) if (from !== to) buffer.copyWithin(to, from, from + count);
      }
    }
    const mask = new BigInt64Array(Math.max(this.used.length, batch) * capacity);
    for (let r = 0; r < batch; r++) mask.set(this.mask.subarray(r * old, r * old + this.used[r]!), r * capacity);
    this.mask = mask;
    this.capacity = capacity;
    // Give memory back once the live cache fills under a quarter of the buffers (after a burst of long rows).
    const live = batch * heads * capacity * dim;
    if (live < this.buffers[0]!.key.length / 4) {
      this.buffers = this.buffers.map(({ key, value }) => ({ key: key.slice(0, 2 * live), value: value.slice(0, 2 * live) }));
    }
    this.layers = this.wrap();
  }

  /** Makes the buffers hold at least `elements` values each, keeping what they hold. */
  private reserve(elements: number): void {
    const size = this.buffers[0]!.key.length;
    if (elements <= size) return;
    const grown = Math.max(elements, Math.ceil(size * 1.5));
    this.buffers = this.buffers.map(({ key, value }) => ({ key: grownCopy(key, grown), value: grownCopy(value, grown) }));
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

function makeBuffer(type: "float32" | "float16", size: number): Buffer16or32 {
  return type === "float16" ? new Uint16Array(size) : new Float32Array(size);
}

/** A larger array of the same type starting with `source`'s values. */
function grownCopy<T extends Buffer16or32 | BigInt64Array | Int32Array>(source: T, size: number): T {
  const out = new (source.constructor as new (n: number) => T)(size);
  out.set(source as never);
  return out;
}
