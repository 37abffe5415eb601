import type { ExpectedItem, LoadBody } from "./serve-load-bodies.js";

/**
 * An embedding counts as the in-process one when every component is within this of it. Batching changes float
 * rounding (rows share matrix products with other rows, prompts share cached prefixes), so bit equality is
 * counted and reported, not required.
 */
export const ROUNDING = 1e-6;

/** How the embeddings of 200 answers compared with the in-process ones, over the whole run. */
export class Agreement {
  embeddings = 0;
  bitIdentical = 0;
  maxDelta = 0;
  rationales = 0;
}

/** A request that got no answer within this long counts as lost. */
const CLIENT_TIMEOUT_MS = 60_000;

/**
 * What one phase of load did: latencies per kind, every request's fate, and the mean demand in flight (requests
 * and items), weighted by time.
 */
export class PhaseRecord {
  readonly latencies = new Map<string, number[]>();
  /** Items embedded (answers checked equal), per kind. */
  readonly embedded = new Map<string, number>();
  sent = 0;
  answered = 0;
  lost = 0;
  busy = 0;
  mismatched = 0;
  readonly problems: string[] = [];
  readonly startedAt = performance.now();
  endedAt = NaN;
  private inFlight = 0;
  private inFlightItems = 0;
  private requestArea = 0;
  private itemArea = 0;
  private changedAt = this.startedAt;

  seconds(): number {
    return ((Number.isNaN(this.endedAt) ? performance.now() : this.endedAt) - this.startedAt) / 1000;
  }

  meanInFlight(): { requests: number; items: number } {
    this.settle();
    const ms = this.changedAt - this.startedAt;
    return { requests: this.requestArea / ms, items: this.itemArea / ms };
  }

  unanswered(): number {
    return this.inFlight;
  }

  begin(items: number): void {
    this.settle();
    this.sent++;
    this.inFlight++;
    this.inFlightItems += items;
  }

  end(items: number): void {
    this.settle();
    this.inFlight--;
    this.inFlightItems -= items;
  }

  problem(line: string): void {
    if (this.problems.length < 10) this.problems.push(line);
  }

  private settle(): void {
    const now = performance.now();
    this.requestArea += this.inFlight * (now - this.changedAt);
    this.itemArea += this.inFlightItems * (now - this.changedAt);
    this.changedAt = now;
  }
}

/**
 * Sends one body, waits for its answer and checks it against the expected one: status, error code, and for a 200
 * every item's index, embedding (float or base64) and rationale. A 429 must carry Retry-After; it is counted,
 * not checked further. Each body's answer differs from every other's, so an answer delivered twice or to the
 * wrong request shows as a mismatch.
 */
export async function send(url: string, body: LoadBody, record: PhaseRecord, agreement: Agreement): Promise<number | undefined> {
  record.begin(body.items);
  const started = performance.now();
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const response = await fetch(`${url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body.json,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    status = response.status;
    retryAfter = response.headers.get("retry-after");
    text = await response.text();
  } catch (error) {
    record.lost++;
    record.problem(`${body.kind}: no answer (${(error as Error).message})`);
    return undefined;
  } finally {
    record.end(body.items);
  }
  record.answered++;
  const ms = performance.now() - started;
  if (!record.latencies.has(body.kind)) record.latencies.set(body.kind, []);
  record.latencies.get(body.kind)!.push(ms);
  if (status === 429 && retryAfter !== null) {
    record.busy++;
    return status;
  }
  const wrong = mismatch(body, status, text, agreement);
  if (wrong) {
    record.mismatched++;
    record.problem(`${body.kind}: ${wrong}`);
  } else if (status === 200) {
    record.embedded.set(body.kind, (record.embedded.get(body.kind) ?? 0) + body.items);
  }
  return status;
}

function mismatch(body: LoadBody, status: number, text: string, agreement: Agreement): string | undefined {
  const expected = body.expected;
  if (status !== expected.status) return `status ${status}, expected ${expected.status}: ${text.slice(0, 200)}`;
  let json: { error?: { code: string | null }; data?: { index: number; embedding: number[] | string; rationale?: string; stopped_by?: string }[] };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return `status ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (!("items" in expected)) return json.error?.code === expected.code ? undefined : `error code ${json.error?.code}, expected ${expected.code}`;
  if (json.data?.length !== expected.items.length) return `${json.data?.length} items, expected ${expected.items.length}`;
  for (const [k, item] of json.data.entries()) {
    const want = expected.items[k]!;
    if (item.index !== k) return `item ${k} has index ${item.index}`;
    const got = typeof item.embedding === "string" ? fromBase64(item.embedding) : Float32Array.from(item.embedding);
    const delta = maxDelta(got, want.embedding);
    agreement.embeddings++;
    if (delta === 0) agreement.bitIdentical++;
    agreement.maxDelta = Math.max(agreement.maxDelta, delta);
    if (!(delta <= ROUNDING)) return `item ${k}: embedding differs by ${delta} (length ${got.length}, expected ${want.embedding.length})`;
    const rationaleWrong = rationaleMismatch(item, want);
    if (rationaleWrong) return `item ${k}: ${rationaleWrong}`;
    if (want.rationale !== undefined) agreement.rationales++;
  }
  return undefined;
}

function rationaleMismatch(item: { rationale?: string; stopped_by?: string }, want: ExpectedItem): string | undefined {
  if (want.rationale === undefined) return "rationale" in item ? "a document item came with a rationale" : undefined;
  if (item.rationale !== want.rationale) return `rationale ${JSON.stringify(item.rationale)}, expected ${JSON.stringify(want.rationale)}`;
  if (item.stopped_by !== want.stoppedBy) return `stopped_by ${item.stopped_by}, expected ${want.stoppedBy}`;
  return undefined;
}

function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  // Copied out: the Buffer may sit at an offset of its pool that is not a multiple of 4.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Largest component difference; Infinity when the lengths differ. */
function maxDelta(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** One group of clients in a phase: `connections` loops, each sending the body `next()` gives. */
export interface ClientGroup {
  connections: number;
  next: () => LoadBody;
}

/**
 * Walks `bodies` in order, round and round, across every client that shares it: concurrent requests differ, and
 * a body comes back only after all the others have been sent.
 */
export function cycle(bodies: LoadBody[]): () => LoadBody {
  let next = 0;
  return () => bodies[next++ % bodies.length]!;
}

/**
 * Runs every group's clients for `seconds`: each client sends one request, waits for its answer, sends the next.
 * Clients stop sending at the deadline but wait for the answer in flight, so every request sent is accounted for.
 */
export async function drive(url: string, groups: ClientGroup[], seconds: number, agreement: Agreement): Promise<PhaseRecord> {
  const record = new PhaseRecord();
  const deadline = record.startedAt + seconds * 1000;
  const loops = groups.flatMap((group) =>
    Array.from({ length: group.connections }, async () => {
      while (performance.now() < deadline) await send(url, group.next(), record, agreement);
    }),
  );
  await Promise.all(loops);
  record.endedAt = performance.now();
  return record;
}

/** p-th percentile (0..1) of the latencies, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN;
}
