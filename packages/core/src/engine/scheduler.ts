import type { RgeTokenizer } from "../preprocess/tokenizer.js";
import { AbortedError, NonFiniteOutputError } from "../errors.js";
import { encodeTargetBatch } from "./encode-targets.js";
import type { Forward } from "./forward.js";
import type { InputPreparer, RgeInput } from "./prepare.js";
import type { PreparedItem } from "./prepared-item.js";
import { RationaleDetokenizer, rationaleTokens, type RationaleToken } from "./rationale-stream.js";
import { reasonContinuously, type DecodeSettings, type ReasonRequest } from "./reason.js";
import { ResultCache } from "./result-cache.js";
import type { Pending } from "./work-queue.js";

/** A request as the scheduler sees it. */
export interface Job {
  input: RgeInput;
  role: "query" | "target";
  reasoning: boolean;
  maxNewTokens: number;
  /** Told the rationale as it is generated (queries with reasoning only). */
  onToken?: ((token: RationaleToken) => void) | undefined;
}

export interface QueryResult {
  embedding: Float32Array;
  rationale: string;
  stoppedBy: "emb" | "maxNewTokens" | "noReasoning";
  tokens: { prompt: number; generated: number };
  generatedIds: number[];
}

export interface TargetResult {
  embedding: Float32Array;
  tokens: { prompt: number };
}

export type JobResult = QueryResult | TargetResult;
type Prepared = { pending: Pending<Job, JobResult>; item: PreparedItem; key: string };

/** How many batches of one-pass inputs are tokenized together and sorted by length before running. */
const BUCKET_WINDOW = 8;

/**
 * Runs batches from the work queue: one-pass inputs (targets, queries without reasoning) bucketed by
 * length, queries with reasoning through continuous batching; results come from the cache when the same
 * input was seen before.
 */
export class Scheduler {
  constructor(
    private readonly forward: Forward,
    private readonly preparer: InputPreparer,
    private readonly tokenizer: RgeTokenizer,
    private readonly decode: DecodeSettings,
    private readonly batchSize: number,
    readonly cache: ResultCache<JobResult>,
  ) {}

  async run(batch: Pending<Job, JobResult>[], more: (max: number) => Pending<Job, JobResult>[]): Promise<void> {
    if (batch[0]!.input.reasoning) return this.runReasoning(batch, more);
    more(this.batchSize * BUCKET_WINDOW - batch.length);
    const live = (await this.prepareFresh(batch)).sort((a, b) => a.item.ids.length - b.item.ids.length);
    for (let start = 0; start < live.length; start += this.batchSize) {
      const chunk = live.slice(start, start + this.batchSize);
      const embeddings = await encodeTargetBatch(this.forward, chunk.map((p) => p.item), this.decode.hiddenSize);
      embeddings.forEach((embedding, i) => {
        const { pending, item, key } = chunk[i]!;
        if (pending.signal?.aborted) return pending.reject(aborted(pending.signal));
        if (!allFinite(embedding)) return pending.reject(nonFinite());
        const result: JobResult =
          pending.input.role === "target"
            ? { embedding, tokens: { prompt: item.ids.length } }
            : { embedding, rationale: "", stoppedBy: "noReasoning", tokens: { prompt: item.ids.length, generated: 0 }, generatedIds: [] };
        this.cache.set(key, result);
        pending.resolve(result);
      });
    }
  }

  /** Continuous batching: finished rows leave, and queued queries take their slots between decode steps. */
  private async runReasoning(batch: Pending<Job, JobResult>[], more: (max: number) => Pending<Job, JobResult>[]): Promise<void> {
    const toRequests = async (pendings: Pending<Job, JobResult>[]) => (await this.prepareFresh(pendings)).map((p) => this.reasonRequest(p));
    await reasonContinuously(this.forward, this.decode, this.batchSize, await toRequests(batch), async (free) => toRequests(more(free)));
  }

  /** A prepared query as a row of continuous batching: its tokens stream to the caller, its outcome settles it. */
  private reasonRequest({ pending, item, key }: Prepared): ReasonRequest {
    const { onToken, maxNewTokens } = pending.input;
    const detokenizer = onToken ? new RationaleDetokenizer(this.decodeText) : undefined;
    return {
      item,
      maxNewTokens,
      signal: pending.signal,
      onToken:
        onToken &&
        ((id) => {
          const token = detokenizer!.push(id);
          if (token) onToken(token);
        }),
      done: (outcome) => {
        if (!outcome.ok) return pending.reject(outcome.error);
        const { generated, stoppedBy, embedding } = outcome.value;
        if (!allFinite(embedding)) return pending.reject(nonFinite());
        const rest = detokenizer?.flush();
        try {
          if (rest) onToken!(rest);
        } catch (error) {
          return pending.reject(error);
        }
        const text = stoppedBy === "emb" ? generated.slice(0, -1) : generated;
        const result: QueryResult = {
          embedding,
          rationale: text.length > 0 ? this.decodeText(text) : "",
          stoppedBy,
          tokens: { prompt: item.ids.length, generated: generated.length },
          generatedIds: generated,
        };
        this.cache.set(key, result);
        pending.resolve(result);
      },
    };
  }

  /** Tokenizes and preprocesses each request (a bad one is rejected on its own) and answers cache hits. */
  private async prepareFresh(batch: Pending<Job, JobResult>[]): Promise<Prepared[]> {
    const prepared: Prepared[] = [];
    await Promise.all(
      batch.map(async (pending) => {
        const { input, role, reasoning, maxNewTokens } = pending.input;
        try {
          const item = await this.preparer.prepare(input, role, !reasoning, reasoning ? maxNewTokens : 0, pending.signal);
          if (pending.signal?.aborted) return pending.reject(aborted(pending.signal));
          const key = ResultCache.key(item, reasoning ? `${role}:reason:${maxNewTokens}` : `${role}:once`);
          const cached = this.cache.get(key);
          if (cached) this.answerFromCache(pending, cached);
          else prepared.push({ pending, item, key });
        } catch (error) {
          pending.reject(error);
        }
      }),
    );
    return prepared;
  }

  /** A cached query still streams its rationale, all at once, so a caller's `onToken` sees the same pieces. */
  private answerFromCache(pending: Pending<Job, JobResult>, cached: JobResult): void {
    const { onToken } = pending.input;
    if (onToken && "generatedIds" in cached) {
      const ids = cached.stoppedBy === "emb" ? cached.generatedIds.slice(0, -1) : cached.generatedIds;
      try {
        for (const token of rationaleTokens(ids, this.decodeText)) onToken(token);
      } catch (error) {
        return pending.reject(error);
      }
    }
    pending.resolve(cached);
  }

  private readonly decodeText = (ids: number[]): string => this.tokenizer.decode(ids);
}

function allFinite(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
  return true;
}

function nonFinite(): NonFiniteOutputError {
  return new NonFiniteOutputError(
    "decoder_model_merged gave NaN or infinite values for this input's embedding; the bundle's weights may hold NaNs (re-convert it) or the dtype overflows.",
    "decoder_model_merged",
  );
}

function aborted(signal: AbortSignal | undefined): AbortedError {
  return new AbortedError(undefined, { cause: signal?.reason });
}

/** Deep-enough copy for the cache: embeddings and id lists are fresh arrays. */
export function copyResult(r: JobResult): JobResult {
  return "generatedIds" in r ? { ...r, embedding: r.embedding.slice(), generatedIds: [...r.generatedIds], tokens: { ...r.tokens } } : { ...r, embedding: r.embedding.slice(), tokens: { ...r.tokens } };
}
