import { BaseCallbackHandler, type BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";
import { checkOptions, invalidOption, optionRules as rules } from "@rge/core";
import { RATIONALE_EVENT, RATIONALE_TOKEN_EVENT, type RationaleEvent, type RationaleTokenEvent } from "./rationale-event.js";

/** A rationale as the handler keeps it: the event payload plus the run it came from. */
export interface RationaleRecord extends RationaleEvent {
  /** Id of the `rge_rationale` run that produced it; a retriever's or chain's run is its parent. */
  runId: string;
  tags: string[];
}

/** Settings of {@link RationaleCallbackHandler}. */
export interface RationaleCallbackHandlerOptions extends BaseCallbackHandlerInput {
  /** Print each rationale: `true` for `console.log`, or a function that receives each formatted line. Default off. */
  print?: boolean | ((line: string) => void);
  /** Called with each rationale (awaited before the embed call returns). */
  onRationale?: (record: RationaleRecord) => unknown;
  /** Called with each piece of a rationale while it is generated; `runId` tells concurrent rationales apart. */
  onToken?: (piece: RationaleTokenEvent & { runId: string }) => unknown;
  /** Most records kept; the oldest are dropped first. Default 1000. */
  maxRecords?: number;
}

/**
 * Collects every rationale RGE writes, whether it came through `RgeRetriever`, a chain, or a direct
 * `RgeEmbeddings` call; prints them or hands them to your function, and flags rationales that hit the
 * token cap without `<emb>`.
 *
 * Attach it to a chain or retriever call (`{ callbacks: [handler] }`) or to the embedder
 * (`new RgeEmbeddings({ callbacks: [handler] })`); attached to both, it still hears each rationale once.
 *
 * @example
 * const handler = new RationaleCallbackHandler({ print: true });
 * await chain.invoke("Which fruit is red?", { callbacks: [handler] });
 * console.log(handler.records.map((r) => r.rationale), handler.capped.length);
 */
export class RationaleCallbackHandler extends BaseCallbackHandler {
  name = "rge_rationale_handler";
  readonly records: RationaleRecord[] = [];
  private readonly print: ((line: string) => void) | undefined;
  private readonly onRationale: RationaleCallbackHandlerOptions["onRationale"];
  private readonly onToken: RationaleCallbackHandlerOptions["onToken"];
  private readonly maxRecords: number;

  /** Throws `InvalidOptionError` (`RGE_INVALID_OPTION`) naming a wrong option, e.g. `maxRecords: -1`. */
  constructor(options: RationaleCallbackHandlerOptions = {}) {
    checkOptions(options, "RationaleCallbackHandler's options", HANDLER_RULES);
    // Awaited by default, so `records` is complete when the call that produced them returns.
    super({ _awaitHandler: true, ...options });
    this.print = options.print === true ? (line) => console.log(line) : options.print || undefined;
    this.onRationale = options.onRationale;
    this.onToken = options.onToken;
    this.maxRecords = options.maxRecords ?? 1000;
  }

  /** Rationales that ran out of tokens before `<emb>`: their embeddings come from a cut-off thought. */
  get capped(): RationaleRecord[] {
    return this.records.filter((r) => r.hitTokenCap);
  }

  /** Forgets every record. */
  clear(): void {
    this.records.length = 0;
  }

  override async handleCustomEvent(eventName: string, data: unknown, runId: string, tags?: string[]): Promise<void> {
    if (eventName === RATIONALE_TOKEN_EVENT) return void (await this.onToken?.({ ...(data as RationaleTokenEvent), runId }));
    if (eventName !== RATIONALE_EVENT) return;
    const record: RationaleRecord = { ...(data as RationaleEvent), runId, tags: tags ?? [] };
    this.records.push(record);
    if (this.records.length > this.maxRecords) this.records.splice(0, this.records.length - this.maxRecords);
    this.print?.(formatRationale(record));
    await this.onRationale?.(record);
  }
}

const HANDLER_RULES = {
  print: (v: unknown, name: string) => {
    if (typeof v !== "boolean" && typeof v !== "function") throw invalidOption(name, "true, false or a function", v);
  },
  onRationale: rules.func,
  onToken: rules.func,
  maxRecords: rules.integerOrInfinity(0),
};

/** One line per rationale: the query, the rationale, and how it stopped (flagged when it hit the cap). */
export function formatRationale(event: RationaleEvent): string {
  const { text, image } = event.query;
  const query = [text !== undefined ? JSON.stringify(text) : undefined, image !== undefined ? `[image: ${image}]` : undefined]
    .filter(Boolean)
    .join(" ");
  const how = event.hitTokenCap ? `⚠ hit maxNewTokens (${event.tokens.generated}) without <emb>` : `${event.tokens.generated} tokens`;
  const cached = event.cached ? ", cached" : "";
  return `[rge] ${query} → ${JSON.stringify(event.rationale)} (${how}, ${Math.round(event.ms)} ms${cached})`;
}
