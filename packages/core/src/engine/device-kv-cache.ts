import * as ort from "#ort";
import type { KvCacheOp } from "../graph/kv-cache-ops-graph.js";
import { maskWithColumns, retainedMask, stackedMask } from "./kv-cache.js";

type Layer = { key: ort.Tensor; value: ort.Tensor };

/**
 * Runs the cache edits of {@link buildKvCacheOpGraph} on the decoder's device (WebGPU), with their outputs left
 * there: rows leaving, rows joining, new entries appended and prefixes repeated without the cache crossing to the
 * host. (ONNX Runtime's Node binding cannot read a GPU tensor back safely: `getData()` aborts the process, so
 * cache tensors are never read on the host at all.)
 */
export class DeviceKvOps {
  private constructor(private readonly sessions: Record<KvCacheOp, ort.InferenceSession>) {}

  static async create(provider: "webgpu", layers: number, type: "float32" | "float16", heads: number, dim: number): Promise<DeviceKvOps> {
    // Loaded here, not at the top: the graph writer (protobuf) is needed only on this path, and browsers
    // running the engine on WASM should not download it.
    const { buildKvCacheOpGraph } = await import("../graph/kv-cache-ops-graph.js");
    const open = (op: KvCacheOp) =>
      ort.InferenceSession.create(buildKvCacheOpGraph(op, 2 * layers, type, heads, dim), {
        executionProviders: [provider],
        preferredOutputLocation: "gpu-buffer",
        logSeverityLevel: 3,
      });
    const [append, gather, stack, expand] = await Promise.all((["append", "gather", "stack", "expand"] as const).map(open));
    return new DeviceKvOps({ append: append!, gather: gather!, stack: stack!, expand: expand! });
  }

  append(past: Layer[], fresh: Layer[]): Promise<Layer[]> {
    return this.run("append", { ...named("past", past), ...named("new", fresh) });
  }

  gather(layers: Layer[], rows: readonly number[], start: number): Promise<Layer[]> {
    return this.run("gather", {
      ...named("x", layers),
      rows: new ort.Tensor("int64", BigInt64Array.from(rows, BigInt), [rows.length]),
      start: new ort.Tensor("int64", BigInt64Array.of(BigInt(start)), [1]),
    });
  }

  /** `a` over `b` along the batch, each left-padded in time by its pad. */
  stack(a: Layer[], padA: number, b: Layer[], padB: number): Promise<Layer[]> {
    const pads = (t: number) => new ort.Tensor("int64", BigInt64Array.of(0n, 0n, BigInt(t), 0n, 0n, 0n, 0n, 0n), [8]);
    return this.run("stack", { ...named("a", a), ...named("b", b), padA: pads(padA), padB: pads(padB) });
  }

  expand(layers: Layer[], batch: number): Promise<Layer[]> {
    const [, heads, time, dim] = layers[0]!.key.dims as [number, number, number, number];
    return this.run("expand", { ...named("x", layers), shape: new ort.Tensor("int64", BigInt64Array.of(BigInt(batch), BigInt(heads), BigInt(time), BigInt(dim)), [4]) });
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }

  private async run(op: KvCacheOp, feeds: Record<string, ort.Tensor>): Promise<Layer[]> {
    const out = await this.sessions[op].run(feeds);
    const count = Object.keys(out).length / 2;
    return Array.from({ length: count }, (_, i) => ({ key: out[`out.${2 * i}`]!, value: out[`out.${2 * i + 1}`]! }));
  }
}

function named(prefix: string, layers: Layer[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  layers.forEach((layer, i) => {
    feeds[`${prefix}.${2 * i}`] = layer.key;
    feeds[`${prefix}.${2 * i + 1}`] = layer.value;
  });
  return feeds;
}

/** Releases the GPU buffers of cache tensors (host tensors have nothing to release). */
export function disposeLayers(layers: readonly Layer[]): void {
  for (const { key, value } of layers) {
    if (key.location === "gpu-buffer") key.dispose();
    if (value.location === "gpu-buffer") value.dispose();
  }
}

/**
 * A KV cache whose tensors stay on the GPU, in the transformers.js layout (`[B, kvHeads, T, headDim]`, rows
 * right-aligned in time with masked left padding), with its mask on the host. Row changes run as small graphs on
 * the device ({@link DeviceKvOps}); tensors it replaces are released at once.
 */
export class DeviceKvCache {
  constructor(
    public layers: Layer[],
    /** `[B, T]`, 1 for real tokens, 0 for padding. */
    public mask: BigInt64Array,
    public batch: number,
    readonly ops: DeviceKvOps,
  ) {}

  get length(): number {
    return this.mask.length / Math.max(this.batch, 1);
  }

  get holdsTokens(): boolean {
    return this.mask.includes(1n);
  }

  maskWith(newTokens: number): BigInt64Array {
    return maskWithColumns(this.mask, this.batch, this.length, newTokens);
  }

  /** Replaces the tensors (releasing the old ones) and the mask. */
  replace(layers: Layer[], mask: BigInt64Array, batch = this.batch): void {
    const old = this.layers;
    this.layers = layers;
    this.mask = mask;
    this.batch = batch;
    disposeLayers(old);
  }

  /** Keeps `rows` in that order and drops leading columns that are padding in all of them; returns `rows`. */
  async retain(rows: readonly number[]): Promise<number[]> {
    if (rows.length === 0) {
      this.replace([], new BigInt64Array(0), 0);
      return [];
    }
    const { drop, mask } = retainedMask(this.mask, this.length, rows);
    if (rows.length === this.batch && rows.every((r, i) => r === i) && drop === 0) return [...rows];
    this.replace(await this.ops.gather(this.layers, rows, drop), mask, rows.length);
    return [...rows];
  }

  /** Adds `other`'s rows after this cache's, left-padding the shorter one; releases both inputs' tensors. */
  async concat(other: DeviceKvCache): Promise<DeviceKvCache> {
    if (this.batch === 0) {
      this.dispose();
      return other;
    }
    const length = Math.max(this.length, other.length);
    const mask = stackedMask(this, other);
    const layers = await this.ops.stack(this.layers, length - this.length, other.layers, length - other.length);
    other.dispose();
    this.replace(layers, mask, this.batch + other.batch);
    return this;
  }

  dispose(): void {
    disposeLayers(this.layers);
    this.layers = [];
  }
}
