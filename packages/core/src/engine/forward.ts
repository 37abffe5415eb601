import * as ort from "#ort";
import { DECODER_IO } from "../graph/qwen2-5-vl/io-names.js";
import { EMBED_TOKENS_IO } from "../graph/qwen2-5-vl/io-names.js";
import { VISION_IO } from "../graph/qwen2-5-vl/io-names.js";
import { visionPatchLayout } from "../preprocess/vision-windows.js";
import type { Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import { DeviceKvCache, disposeLayers, type DeviceKvOps } from "./device-kv-cache.js";
import { concatCaches, KvCache } from "./kv-cache.js";
import { SLOT_HEADROOM, SlotKvCache } from "./slot-kv-cache.js";
import { PrefixCache, repeatRows, type PrefixLayers } from "./prefix-cache.js";
import { ropePositions } from "../preprocess/rope-index.js";
import type { PreparedItem } from "./prepared-item.js";
import { cacheElementType, type Sessions } from "./session-set.js";
import { concatArrays } from "../util/concat-arrays.js";

/** What a prefill returns, for the rows in the order they were given. */
export interface PrefillResult {
  /** `[B, H]` final-norm hidden state of each row's last prompt position. */
  lastHidden: Float32Array;
  /** `[B, k, V]` logits for the last k positions (with k = 0, all positions of each group, groups in order). */
  logits: Float32Array;
  cache: DecoderCache;
}

/**
 * What one prefill call costs on top of its tokens, in tokens: reading every weight once. On a CPU that is
 * about as long as computing a dozen tokens; a GPU computes hundreds of tokens in the time one call's fixed
 * costs take.
 */
const CALL_COST_TOKENS = { cpu: 16, gpu: 512 } as const;

/**
 * Splits rows (in the given order) into consecutive groups for prefill. A group is padded to its longest
 * prompt, so one long prompt (an image) in a batch of short ones would make every row pay its length;
 * each extra group costs one more decoder call. Returns the group sizes that minimise
 * `sum(callCost + rows * longest)`. Rows sorted by length give the best plans.
 */
export function planPrefillGroups(lengths: readonly number[], callCost: number): number[] {
  const n = lengths.length;
  const best = new Array<number>(n + 1).fill(Infinity);
  const cut = new Array<number>(n + 1).fill(0);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    let longest = 0;
    for (let start = end - 1; start >= 0; start--) {
      longest = Math.max(longest, lengths[start]!);
      const cost = best[start]! + callCost + (end - start) * longest;
      if (cost < best[end]!) {
        best[end] = cost;
        cut[end] = start;
      }
    }
  }
  const sizes: number[] = [];
  for (let end = n; end > 0; end = cut[end]!) sizes.unshift(end - cut[end]!);
  return sizes;
}

/** What one decoder call returns, for the rows of the batch in order. */
export interface DecoderStep {
  /** `[B, S, H]` final-norm hidden states. */
  hidden: Float32Array;
  /** `[B, k, V]` logits for the last k positions. */
  logits: Float32Array;
  seqLen: number;
  cache: DecoderCache;
}

/**
 * A transformers.js-style cache (`present.*` each call), an append-only decoder's slot cache, or (on WebGPU) a
 * cache whose tensors never leave the device.
 */
export type DecoderCache = KvCache | SlotKvCache | DeviceKvCache;

/** Stacks two caches of the same kind along the batch axis. */
export async function concatDecoderCaches(a: DecoderCache, b: DecoderCache): Promise<DecoderCache> {
  if (a instanceof SlotKvCache && b instanceof SlotKvCache) return a.concat(b);
  if (a instanceof KvCache && b instanceof KvCache) return concatCaches(a, b);
  if (a instanceof DeviceKvCache && b instanceof DeviceKvCache) return a.concat(b);
  throw new Error("cannot join caches of different kinds");
}

/** Releases what a cache holds on the device (nothing for host caches). */
export function disposeDecoderCache(cache: DecoderCache | undefined): void {
  if (cache instanceof DeviceKvCache) cache.dispose();
}

export class Forward {
  /** The decoder outputs only new keys and values (`new_key_values.*`); its cache lives in a slot buffer here. */
  private readonly appendOnly: boolean;
  /** Element type of the decoder's KV cache (float16 in fp16 bundles). */
  private readonly cacheType: "float32" | "float16";

  /** KV of shared prompt prefixes; undefined when off. */
  private readonly prefixes: PrefixCache | undefined;
  /** Cache edits on the device, when the decoder's KV outputs stay there (WebGPU). */
  private readonly deviceKv: DeviceKvOps | undefined;
  /** Prefills and decode steps run, and the rows they carried (for the model's `stats()`). */
  readonly work = { passes: 0, rows: 0 };

  constructor(
    private readonly sessions: Sessions,
    private readonly config: Qwen25VlConfig,
    private readonly padTokenId: number,
    options: { prefixes?: readonly (readonly number[])[]; deviceKv?: DeviceKvOps } = {},
  ) {
    this.prefixes = options.prefixes?.length ? new PrefixCache(options.prefixes) : undefined;
    this.deviceKv = options.deviceKv;
    this.cacheType = cacheElementType(sessions.decoder);
    this.appendOnly = sessions.decoder.outputNames.includes(DECODER_IO.newKey(0));
  }

  private count(rows: number): void {
    this.work.passes++;
    this.work.rows += rows;
  }

  /** Releases what lives on the device: the cache-edit sessions and the prefix caches. */
  async release(): Promise<void> {
    if (this.prefixes) for (const layers of this.prefixes.computedLayers()) disposeLayers(layers);
    await this.deviceKv?.release();
  }

  /** Runs the vision encoder on one image: `[patches, patchDim]` → `[tokens, H]`. */
  async encodeImage(pixelValues: Float32Array, grid: [number, number, number]): Promise<Float32Array> {
    const { vision } = this.config;
    const patches = grid[0] * grid[1] * grid[2];
    const feeds: Record<string, ort.Tensor> = {
      [VISION_IO.pixelValues]: new ort.Tensor("float32", pixelValues, [patches, pixelValues.length / patches]),
    };
    if (this.sessions.visionEncoder.inputNames.includes(VISION_IO.windowIds)) {
      const layout = visionPatchLayout(grid, vision.spatialMergeSize, vision.patchSize, vision.windowSize);
      feeds[VISION_IO.patchPositions] = new ort.Tensor("int64", layout.positions, [patches, 2]);
      feeds[VISION_IO.windowIds] = new ort.Tensor("int64", layout.windows, [patches]);
    }
    const out = await this.sessions.visionEncoder.run(feeds);
    return out[VISION_IO.imageFeatures]!.data as Float32Array;
  }

  async embedTokens(ids: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array> {
    const out = await this.sessions.embedTokens.run({
      [EMBED_TOKENS_IO.inputIds]: new ort.Tensor("int64", ids, [batch, seqLen]),
    });
    return out[EMBED_TOKENS_IO.inputsEmbeds]!.data as Float32Array;
  }

  /**
   * Prefill: runs the prompts (after the shared prefix, when one is cached) in consecutive groups planned by
   * {@link planPrefillGroups}, each left-padded to its longest prompt, merges image features at the image-pad
   * positions, and returns one cache for all rows in their given order. Pass rows sorted by prompt length so that
   * similar lengths share a group. Logits are computed for the last `logitsToKeep` positions only.
   */
  async prefill(items: readonly PreparedItem[], logitsToKeep: number): Promise<PrefillResult> {
    const { hiddenSize: H } = this.config.text;
    this.count(items.length);
    const sizes = planPrefillGroups(
      items.map((it) => it.ids.length),
      this.sessions.provider === "cpu" ? CALL_COST_TOKENS.cpu : CALL_COST_TOKENS.gpu,
    );
    const lastHidden = new Float32Array(items.length * H);
    const logitParts: Float32Array[] = [];
    let cache: DecoderCache | undefined;
    let start = 0;
    for (const size of sizes) {
      const group = items.slice(start, start + size);
      const prefix = this.prefixes ? await this.prefixes.resolve(group, (ids) => this.prefixKv(ids)) : undefined;
      const out = await this.prefillAfter(group, logitsToKeep, prefix);
      for (let b = 0; b < size; b++) {
        lastHidden.set(out.hidden.subarray(((b + 1) * out.seqLen - 1) * H, (b + 1) * out.seqLen * H), (start + b) * H);
      }
      logitParts.push(out.logits);
      cache = cache ? await concatDecoderCaches(cache, out.cache) : out.cache;
      start += size;
    }
    const logits = concatArrays(logitParts, (n) => new Float32Array(n));
    return { lastHidden, logits, cache: cache! };
  }

  /** KV of a text-only prefix, one row. */
  private async prefixKv(ids: number[]): Promise<PrefixLayers> {
    const item = { ids, images: [], positions: ropePositions(ids, [], this.config.imageTokenId, this.config.vision.spatialMergeSize) };
    const { cache } = await this.prefillAfter([item], 1, undefined);
    if (cache instanceof SlotKvCache) return cache.leading(ids.length);
    await cache.retain([0]); // drops the empty cache's masked column
    return cache.layers;
  }

  private async prefillAfter(
    items: readonly PreparedItem[],
    logitsToKeep: number,
    prefix: { length: number; layers: PrefixLayers } | undefined,
  ): Promise<DecoderStep> {
    const { text, imageTokenId } = this.config;
    const batch = items.length;
    const skip = prefix?.length ?? 0; // leading tokens already in the cache
    const seqLen = Math.max(...items.map((it) => it.ids.length)) - skip;
    const cache = await this.pastFor(prefix, batch);
    const past = cache.length;
    const ids = new BigInt64Array(batch * seqLen).fill(BigInt(this.padTokenId));
    const mask = cache.maskWith(seqLen); // the past's columns, then seqLen real ones; left padding is zeroed below
    const positions = new BigInt64Array(3 * batch * seqLen).fill(1n);
    items.forEach((item, b) => {
      const pad = seqLen - (item.ids.length - skip);
      mask.fill(0n, b * (past + seqLen) + past, b * (past + seqLen) + past + pad);
      for (let s = skip; s < item.ids.length; s++) {
        const at = b * seqLen + pad + s - skip;
        ids[at] = BigInt(item.ids[s]!);
        positions[at] = BigInt(item.positions.t[s]!);
        positions[batch * seqLen + at] = BigInt(item.positions.h[s]!);
        positions[2 * batch * seqLen + at] = BigInt(item.positions.w[s]!);
      }
    });
    const embeds = await this.embedTokens(ids, batch, seqLen);
    for (let b = 0; b < batch; b++) {
      const item = items[b]!;
      if (item.images.length === 0) continue;
      const pad = seqLen - (item.ids.length - skip);
      let cursor = skip;
      for (const image of item.images) {
        const features = await this.encodeImage(image.pixelValues, image.grid);
        for (let row = 0; row < features.length / text.hiddenSize; row++) {
          while (item.ids[cursor] !== imageTokenId) cursor++;
          const at = (b * seqLen + pad + cursor - skip) * text.hiddenSize;
          embeds.set(features.subarray(row * text.hiddenSize, (row + 1) * text.hiddenSize), at);
          cursor++;
        }
      }
    }
    return this.decode(embeds, seqLen, mask, positions, cache, logitsToKeep);
  }

  /** The cache a prefill starts from: the shared prefix repeated for every row, or one masked column. */
  private async pastFor(prefix: { length: number; layers: PrefixLayers } | undefined, batch: number): Promise<DecoderCache> {
    const { text } = this.config;
    if (!prefix) {
      const empty = KvCache.empty(text.numLayers, batch, text.numKvHeads, text.headDim, this.cacheType);
      return this.deviceKv ? new DeviceKvCache(empty.layers, empty.mask, batch, this.deviceKv) : empty;
    }
    const mask = new BigInt64Array(batch * prefix.length).fill(1n);
    if (this.deviceKv) return new DeviceKvCache(await this.deviceKv.expand(prefix.layers, batch), mask, batch, this.deviceKv);
    return new KvCache(prefix.layers.map(({ key, value }) => ({ key: repeatRows(key, batch), value: repeatRows(value, batch) })), mask, batch);
  }

  /** One decode step: feeds one token per row at the given positions, appending to the cache. */
  async step(tokens: readonly number[], nextPositions: readonly number[], cache: DecoderCache): Promise<DecoderStep> {
    const batch = tokens.length;
    this.count(batch);
    const embeds = await this.embedTokens(BigInt64Array.from(tokens, BigInt), batch, 1);
    const positions = new BigInt64Array(3 * batch);
    for (let axis = 0; axis < 3; axis++) {
      for (let b = 0; b < batch; b++) positions[axis * batch + b] = BigInt(nextPositions[b]!);
    }
    return this.decode(embeds, 1, cache.maskWith(1), positions, cache, 1);
  }

  private async decode(
    embeds: Float32Array,
    seqLen: number,
    mask: BigInt64Array,
    positions: BigInt64Array,
    cache: DecoderCache,
    logitsToKeep: number,
  ): Promise<DecoderStep> {
    const { text } = this.config;
    const batch = cache.batch;
    const feeds: Record<string, ort.Tensor> = {
      [DECODER_IO.inputsEmbeds]: new ort.Tensor("float32", embeds, [batch, seqLen, text.hiddenSize]),
      [DECODER_IO.attentionMask]: new ort.Tensor("int64", mask, [batch, mask.length / batch]),
      [DECODER_IO.positionIds]: new ort.Tensor("int64", positions, [3, batch, seqLen]),
      [DECODER_IO.numLogitsToKeep]: new ort.Tensor("int64", BigInt64Array.from([BigInt(logitsToKeep)]), []),
    };
    cache.layers.forEach((layer, i) => {
      feeds[DECODER_IO.pastKey(i)] = layer.key;
      feeds[DECODER_IO.pastValue(i)] = layer.value;
    });
    const out = await this.sessions.decoder.run(feeds);
    return {
      hidden: out[DECODER_IO.lastHiddenState]!.data as Float32Array,
      logits: out[DECODER_IO.logits]!.data as Float32Array,
      seqLen,
      cache: await this.nextCache(cache, out, mask, seqLen),
    };
  }

  /**
   * The cache after a call: the graph's `present.*` for a transformers.js-style decoder; for an append-only
   * decoder, the slot cache with this call's new keys and values written in (created at prefill).
   */
  private async nextCache(cache: DecoderCache, out: Record<string, ort.Tensor>, mask: BigInt64Array, seqLen: number): Promise<DecoderCache> {
    const { text } = this.config;
    const batch = cache.batch;
    if (cache instanceof DeviceKvCache) {
      // The outputs stayed on the device: the new cache is past + new there, and the old tensors are released.
      if (!this.appendOnly) {
        cache.replace(cache.layers.map((_, i) => ({ key: out[DECODER_IO.presentKey(i)]!, value: out[DECODER_IO.presentValue(i)]! })), mask);
        return cache;
      }
      const fresh = cache.layers.map((_, i) => ({ key: out[DECODER_IO.newKey(i)]!, value: out[DECODER_IO.newValue(i)]! }));
      const joined = await cache.ops.append(cache.layers, fresh);
      disposeLayers(fresh);
      cache.replace(joined, mask);
      return cache;
    }
    if (!this.appendOnly) {
      return new KvCache(
        cache.layers.map((_, i) => ({ key: out[DECODER_IO.presentKey(i)]!, value: out[DECODER_IO.presentValue(i)]! })),
        mask,
        batch,
      );
    }
    const fresh = cache.layers.map((_, i) => ({ key: out[DECODER_IO.newKey(i)]!, value: out[DECODER_IO.newValue(i)]! }));
    const total = mask.length / batch;
    const newMask = new BigInt64Array(batch * seqLen);
    for (let b = 0; b < batch; b++) newMask.set(mask.subarray(b * total + total - seqLen, (b + 1) * total), b * seqLen);
    if (cache instanceof SlotKvCache) {
      cache.append(fresh, newMask);
      return cache;
    }
    // Prefill: move the fed past (a shared prefix, or the empty cache's masked column) and the prompt into a new slot cache.
    const slots = SlotKvCache.allocate(text.numLayers, batch, text.numKvHeads, text.headDim, this.cacheType, total + SLOT_HEADROOM);
    if (cache.holdsTokens) slots.append(cache.layers, cache.mask);
    slots.append(fresh, newMask);
    return slots;
  }
}
