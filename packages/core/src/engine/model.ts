import type { RgeDtype } from "../bundle/dtype.js";
import type { Bundle } from "../bundle/parse-bundle.js";
import { BundleMismatchError, DisposedError, RgeError } from "../errors.js";
import type { ImageLoader } from "../preprocess/image/image-loader.js";
import { imageProcessorConfigFromJson } from "../preprocess/image/image-processor-config.js";
import type { SmallImageRule } from "../preprocess/image/small-image-rule.js";
import type { PromptTokens } from "../preprocess/prompt.js";
import { BundleTokenizer, type RgeTokenizer } from "../preprocess/tokenizer.js";
import type { DeviceKvOps } from "./device-kv-cache.js";
import { EMBED_OPTION_RULES } from "./engine-options.js";
import { Forward } from "./forward.js";
import { InputPreparer, type RgeInput } from "./prepare.js";
import { queryStream, type QueryStream } from "./query-stream.js";
import type { RationaleToken } from "./rationale-stream.js";
import { ResultCache } from "./result-cache.js";
import { copyResult, Scheduler, type Job, type JobResult, type QueryResult, type TargetResult } from "./scheduler.js";
import type { Sessions } from "./session-set.js";
import { checkOptions } from "../options/option-rules.js";
import { WorkQueue } from "./work-queue.js";

/**
 * What the engine itself is told, the same in every runtime: budgets, batching, image bounds and caches. The
 * loaders add where the model comes from and what it runs on.
 */
export interface EngineOptions {
  /** Rationale budget per query, counting the final `<emb>`. Default: the bundle's (128 for RGE). */
  maxNewTokens?: number;
  /** Most inputs run together in one batch. Default 8. */
  batchSize?: number;
  /** Bounds on image size in pixels after resizing; default: the bundle's preprocessor_config.json. */
  minPixels?: number;
  maxPixels?: number;
  /**
   * Images with a side under 28 px: "reject" (default, as transformers does), "stretch-to-factor" (the short
   * side stretched to 28 px: RGE's MMEB evaluation) or "mmeb" (VLM2Vec's 56x56). See `SmallImageRule`.
   */
  smallImageRule?: SmallImageRule;
  /**
   * Decoded images with more pixels are refused with `ImageTooLargeError`, judged from the header (decompression-bomb
   * guard). Default 100 million. A decoded image is held as RGB, 3 bytes per pixel, until it is resized, and at most
   * two are decoded at once across the model: decoding needs up to 3 × maxImagePixels × 2 bytes, 600 MB at the
   * default.
   */
  maxImagePixels?: number;
  /**
   * Image sources with more encoded bytes are refused with `ImageTooLargeError`: files (only regular files are
   * read), `data:` URLs, http(s) bodies and bytes passed in, checked before and while reading. Default 64 MiB
   * (more than a photo needs); raise it for huge lossless scans from a source you trust.
   */
  maxImageBytes?: number;
  /**
   * Results kept for repeated inputs (least recently used first out), keyed by exactly what the model sees:
   * prompt tokens, image pixels, role and decoding settings. Default 1024; 0 turns the cache off.
   */
  cacheSize?: number;
  /**
   * Reuse the KV cache of the prompt prefixes inputs share (the system turn and the start of the user turn,
   * alone or with a default instruction) instead of recomputing them for every input. Default true; results
   * equal full prefill up to float rounding, like batching.
   */
  prefixCache?: boolean;
  /** Longest prompt plus rationale, in tokens. Default: the model's `max_position_embeddings`. */
  maxInputTokens?: number;
}

/** Per-call options of the embed methods. */
export interface EmbedOptions {
  /** Cancels the call; items not finished reject with `AbortedError`. */
  signal?: AbortSignal;
}

export interface QueryEmbedOptions extends EmbedOptions {
  /** Generate a rationale before embedding (default true). Off embeds the query like a document, in one pass. */
  reasoning?: boolean;
  /** Overrides the model's `maxNewTokens` for this call. */
  maxNewTokens?: number;
  /**
   * Told the rationale while it is generated, a token at a time (a character split across tokens comes whole with
   * the token that ends it), before the call resolves; `index` is the input's position in the call (0 for
   * `embedQuery`). The pieces of an input join to its `rationale`, `<emb>` is never among them, and a result served
   * from the cache streams its rationale at once. Nothing streams with `reasoning: false`. If it throws, that input
   * fails with the error; the others go on. Batching is unaffected: every row still gets the result it would get alone.
   *
   * @example
   * await model.embedQuery({ text: "a red car" }, { onToken: (t) => process.stdout.write(t.text) });
   */
  onToken?: (token: RationaleToken, index: number) => void;
}

/** A query embedding and the rationale the model wrote before it. */
export interface QueryEmbedding extends QueryResult {
  /** Unit-length embedding (dot product = cosine similarity). */
  embedding: Float32Array;
  /** The generated rationale, without the final `<emb>`. Empty when reasoning is off. */
  rationale: string;
  /** `emb`: the model ended its rationale; `maxNewTokens`: the budget ran out first; `noReasoning`: reasoning was off. */
  stoppedBy: "emb" | "maxNewTokens" | "noReasoning";
  tokens: { prompt: number; generated: number };
  /** Token ids the model generated, the final `<emb>` included when it emitted one. */
  generatedIds: number[];
}

/** A document (target) embedding. */
export interface TargetEmbedding extends TargetResult {
  embedding: Float32Array;
  tokens: { prompt: number };
}

/** What the model sees for an input: the full prompt, its token ids and image grids (see {@link RgeModel.preparePrompt}). */
export interface PreparedPrompt {
  text: string;
  ids: number[];
  imageGrids: [number, number, number][];
}

/** What the engine is doing and has done since the model loaded: for monitoring (`@rge/server` exports it to Prometheus). */
export interface RgeModelStats {
  /** Calls waiting for a batch (not yet running). */
  waiting: number;
  /** Most rows a batch holds (`batchSize`). */
  batchSize: number;
  /**
   * Forward passes run (prefills and decode steps) and the rows they carried. `rows / passes / batchSize` is the
   * mean batch occupancy over a span: 1 means every pass ran full.
   */
  passes: number;
  rows: number;
}

/** Outcome of one item of a settled batch call. */
export type Settled<T> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: RgeError | Error };


/** A loaded RGE model. Create with `loadRgeModel` (from `@rge/core` in Node, `@rge/core/web` in browsers); call {@link RgeModel.dispose} when done. */
export class RgeModel {
  /** Length of every embedding this model returns. */
  readonly dimension: number;
  /** The execution provider in use ("cpu", "cuda" or "webgpu"). */
  readonly device: string;
  /** Why that provider: the device asked for, and for "auto" what each provider passed over lacked. */
  readonly deviceReason: string;
  /** The KV cache stays on the GPU between decode steps (WebGPU with `kvCacheOnDevice`, the default there). */
  readonly kvCacheOnDevice: boolean;
  readonly dtype: RgeDtype;
  readonly maxNewTokens: number;
  private readonly tokenizer: RgeTokenizer;
  private readonly preparer: InputPreparer;
  private readonly queue: WorkQueue<Job, JobResult>;
  private readonly scheduler: Scheduler;
  private readonly forward: Forward;
  private readonly batchSize: number;
  private disposed = false;

  /** @internal use `loadRgeModel` */
  constructor(
    readonly bundle: Bundle,
    private readonly sessions: Sessions,
    options: EngineOptions & { batchSize: number; allowNetwork: boolean },
    images: ImageLoader,
    deviceKv?: DeviceKvOps,
  ) {
    this.dimension = bundle.manifest.embeddingDim;
    this.device = sessions.provider;
    this.deviceReason = sessions.reason ?? `device "${sessions.provider}"`;
    this.kvCacheOnDevice = deviceKv !== undefined;
    this.dtype = bundle.dtype;
    this.maxNewTokens = options.maxNewTokens ?? bundle.manifest.maxNewTokens;
    this.batchSize = options.batchSize;
    this.tokenizer = new BundleTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
    checkChatTemplate(this.tokenizer, bundle);
    const tokens = promptTokens(this.tokenizer, bundle);
    const imageConfig = imageProcessorConfigFromJson(bundle.preprocessorConfig, {
      ...(options.minPixels !== undefined ? { minPixels: options.minPixels } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      ...(options.smallImageRule !== undefined ? { smallImageRule: options.smallImageRule } : {}),
    });
    this.preparer = new InputPreparer(this.tokenizer, tokens, bundle.config, imageConfig, {
      allowNetwork: options.allowNetwork,
      ...(options.maxImagePixels !== undefined ? { maxImagePixels: options.maxImagePixels } : {}),
      ...(options.maxImageBytes !== undefined ? { maxImageBytes: options.maxImageBytes } : {}),
      maxTokens: options.maxInputTokens ?? bundle.config.text.maxPositionEmbeddings,
    }, images);
    const padId = this.tokenizer.padTokenId ?? 0;
    this.forward = new Forward(sessions, bundle.config, padId, {
      ...(options.prefixCache === false ? {} : { prefixes: this.preparer.sharedPrefixes() }),
      ...(deviceKv ? { deviceKv } : {}),
    });
    this.scheduler = new Scheduler(
      this.forward,
      this.preparer,
      this.tokenizer,
      {
        embTokenId: bundle.manifest.embTokenId,
        vocabSize: bundle.config.text.vocabSize,
        hiddenSize: this.dimension,
        repetitionPenalty: bundle.generation.repetitionPenalty,
      },
      options.batchSize,
      new ResultCache<JobResult>(options.cacheSize ?? 1024, copyResult),
    );
    this.queue = new WorkQueue<Job, JobResult>(
      () => options.batchSize,
      (batch, more) => this.scheduler.run(batch, more),
    );
  }

  /** Reasons about one query, then embeds it. Concurrent calls are batched together. */
  embedQuery(input: RgeInput, options: QueryEmbedOptions = {}): Promise<QueryEmbedding> {
    return this.submitQuery(input, options, 0);
  }

  /**
   * Like {@link embedQuery}, with the rationale as an async iterable of its pieces while it is generated.
   *
   * @example
   * const stream = model.streamQuery({ text: "What is in the picture?", image: "./cat.jpg" });
   * for await (const token of stream) process.stdout.write(token.text);
   * const { embedding } = await stream.result;
   */
  streamQuery(input: RgeInput, options: Omit<QueryEmbedOptions, "onToken"> = {}): QueryStream {
    return queryStream((onToken) => this.submitQuery(input, { ...options, onToken }, 0));
  }

  private submitQuery(input: RgeInput, options: QueryEmbedOptions, index: number): Promise<QueryEmbedding> {
    if (this.disposed) return Promise.reject(new DisposedError());
    try {
      checkOptions(options, "embedQuery's options", EMBED_OPTION_RULES);
    } catch (error) {
      return Promise.reject(error);
    }
    const reasoning = options.reasoning ?? true;
    const maxNewTokens = options.maxNewTokens ?? this.maxNewTokens;
    const { onToken } = options;
    const job: Job = { input, role: "query", reasoning, maxNewTokens, ...(onToken && reasoning ? { onToken: (t: RationaleToken) => onToken(t, index) } : {}) };
    const key = reasoning ? "reason" : "encode"; // rows carry their own budget, so all reasoning shares batches
    return this.queue.submit(job, key, options.signal) as Promise<QueryEmbedding>;
  }

  /** Embeds queries, batched. Rejects with the first failing item's error; see {@link embedQueriesSettled} for per-item results. */
  embedQueries(inputs: readonly RgeInput[], options: QueryEmbedOptions = {}): Promise<QueryEmbedding[]> {
    return Promise.all(inputs.map((input, i) => this.submitQuery(input, options, i)));
  }

  /** Like {@link embedQueries}, but one bad item only fails its own slot. */
  embedQueriesSettled(inputs: readonly RgeInput[], options: QueryEmbedOptions = {}): Promise<Settled<QueryEmbedding>[]> {
    return settle(inputs.map((input, i) => this.submitQuery(input, options, i)));
  }

  /** Embeds one document (no reasoning: prompt + `<emb>`, one forward pass). */
  embedTarget(input: RgeInput, options: EmbedOptions = {}): Promise<TargetEmbedding> {
    if (this.disposed) return Promise.reject(new DisposedError());
    try {
      checkOptions(options, "embedTarget's options", { signal: EMBED_OPTION_RULES.signal! });
    } catch (error) {
      return Promise.reject(error);
    }
    const job: Job = { input, role: "target", reasoning: false, maxNewTokens: 0 };
    return this.queue.submit(job, "encode", options.signal) as Promise<TargetEmbedding>;
  }

  /** Embeds documents, batched and bucketed by length. Rejects with the first failing item's error. */
  embedTargets(inputs: readonly RgeInput[], options: EmbedOptions = {}): Promise<TargetEmbedding[]> {
    return Promise.all(inputs.map((input) => this.embedTarget(input, options)));
  }

  /** Like {@link embedTargets}, but one bad item only fails its own slot. */
  embedTargetsSettled(inputs: readonly RgeInput[], options: EmbedOptions = {}): Promise<Settled<TargetEmbedding>[]> {
    return settle(inputs.map((input) => this.embedTarget(input, options)));
  }

  /**
   * The prompt the model sees for an input (chat template, instruction, image placeholders expanded),
   * without running the model. `role` picks the default instruction; targets and queries without
   * reasoning end in `<emb>`.
   */
  async preparePrompt(input: RgeInput, options: { role?: "query" | "target"; reasoning?: boolean } = {}): Promise<PreparedPrompt> {
    const role = options.role ?? "query";
    const withEmb = role === "target" || options.reasoning === false;
    const item = await this.preparer.prepare(input, role, withEmb, 0);
    return { text: this.decode(item.ids), ids: item.ids, imageGrids: item.images.map((i) => i.grid) };
  }

  /** Counters of the engine's work, read at once (cheap enough to poll). */
  stats(): RgeModelStats {
    return { waiting: this.queue.waitingCount, batchSize: this.batchSize, passes: this.forward.work.passes, rows: this.forward.work.rows };
  }

  /** Token ids → text, special tokens kept (useful to inspect prompts). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }

  /** Waits for the batch in flight, rejects queued calls with `DisposedError`, and frees the ONNX sessions. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.close();
    await this.forward.release();
    await Promise.all([this.sessions.visionEncoder.release(), this.sessions.embedTokens.release(), this.sessions.decoder.release()]);
  }
}

/** The chat template must exist and render; the template engine would throw a plain Error or SyntaxError later. */
function checkChatTemplate(tokenizer: RgeTokenizer, bundle: Bundle): void {
  const file = `${bundle.dir}/tokenizer_config.json`;
  const template = bundle.tokenizerConfig.chat_template;
  if (template === undefined || template === null || template === "" || (Array.isArray(template) && template.length === 0)) {
    throw new BundleMismatchError(`${file} has no chat_template; RGE prompts are built with Qwen2.5-VL's chat template. Re-run \`rge convert\`.`);
  }
  try {
    tokenizer.applyChatTemplate([{ role: "user", content: "probe" }], { addGenerationPrompt: true });
  } catch (cause) {
    throw new BundleMismatchError(`The chat template in ${file} does not render: ${(cause as Error).message.split("\n")[0]}`, { cause });
  }
}

function promptTokens(tokenizer: RgeTokenizer, bundle: Bundle): PromptTokens {
  const token = (id: number, what: string) => {
    const t = tokenizer.decode([id]);
    if (!t) throw new BundleMismatchError(`config.json's ${what} (${id}) is not a token of tokenizer.json.`);
    return t;
  };
  return {
    visionStart: token(bundle.config.visionStartTokenId, "vision_start_token_id"),
    imagePad: token(bundle.config.imageTokenId, "image_token_id"),
    visionEnd: token(bundle.config.visionEndTokenId, "vision_end_token_id"),
    emb: bundle.manifest.embToken,
  };
}

async function settle<T>(promises: Promise<T>[]): Promise<Settled<T>[]> {
  const results = await Promise.allSettled(promises);
  return results.map((r) => (r.status === "fulfilled" ? { status: "fulfilled", value: r.value } : { status: "rejected", reason: r.reason as Error }));
}
