import { AsyncLocalStorage } from "node:async_hooks";
import { CallbackManager, type CallbackManagerForLLMRun, type Callbacks } from "@langchain/core/callbacks/manager";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { RATIONALE_EVENT, RATIONALE_TOKEN_EVENT, type RationaleEvent, type RationaleTokenEvent } from "./rationale-event.js";

// LangChain keeps a chain's config in async local storage only once Node's AsyncLocalStorage is installed
// (its `callbacks/dispatch` entry point does this on import). Installing it here lets embedding calls made
// inside a chain find the chain's callbacks; it is a no-op when already installed.
AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());

/** The run name under which each rationale appears in traces (an LLM run: LangChain has no embedding run type). */
export const RATIONALE_RUN_NAME = "rge_rationale";

/**
 * One traced rationale: an LLM run that starts before generation, streams each piece of the rationale as it is
 * generated (`handleLLMNewToken`, so `streamEvents` shows `on_llm_stream`, plus the {@link RATIONALE_TOKEN_EVENT}
 * custom event), and ends with the rationale as its output and the {@link RATIONALE_EVENT} custom event.
 *
 * Embedding calls get no callbacks from LangChain (a vector store drops them), so handlers come from, in
 * order: `parent` (a retriever passes its run's child manager), else the runnable config in async local
 * storage (set when the call happens inside a chain), plus the embedder's own `callbacks`.
 */
export class RationaleRun {
  /** Token callbacks still being delivered, in order; `end` and `fail` wait for them. */
  private delivering: Promise<void> = Promise.resolve();

  private constructor(private readonly run: CallbackManagerForLLMRun | undefined) {}

  /** Whether any handler listens (without one, the model is not asked to stream). */
  get listening(): boolean {
    return this.run !== undefined;
  }

  /** A piece of the rationale, just generated. The model calls this synchronously; delivery is queued in order. */
  token(piece: RationaleTokenEvent): void {
    const run = this.run;
    if (!run) return;
    const event: RationaleTokenEvent = { text: piece.text, ids: piece.ids };
    this.delivering = this.delivering.then(async () => {
      await run.handleLLMNewToken(piece.text, { prompt: 0, completion: 0 });
      await run.handleCustomEvent(RATIONALE_TOKEN_EVENT, event);
    });
  }

  static async start(prompt: string, parent: Callbacks | undefined, own: Callbacks | undefined, invocation: Record<string, unknown>): Promise<RationaleRun> {
    const inherited = parent ?? (AsyncLocalStorageProviderSingleton.getRunnableConfig() as { callbacks?: Callbacks } | undefined)?.callbacks;
    const manager = CallbackManager.configure(inherited, own, undefined, ["rge"]);
    if (!manager) return new RationaleRun(undefined);
    // The same handler given both to the chain and to the embedder must hear each rationale once.
    manager.setHandlers([...new Set(manager.handlers)], true);
    const serialized = { lc: 1, type: "not_implemented" as const, id: ["rge", "embeddings", "RgeEmbeddings"] };
    const [run] = await manager.handleLLMStart(serialized, [prompt], undefined, undefined, { invocation_params: invocation }, undefined, undefined, RATIONALE_RUN_NAME);
    return new RationaleRun(run);
  }

  async end(event: RationaleEvent): Promise<void> {
    if (!this.run) return;
    await this.delivering;
    await this.run.handleCustomEvent(RATIONALE_EVENT, event);
    await this.run.handleLLMEnd({
      generations: [[{ text: event.rationale, generationInfo: { stoppedBy: event.stoppedBy, cached: event.cached } }]],
      llmOutput: { tokenUsage: { promptTokens: event.tokens.prompt, completionTokens: event.tokens.generated } },
    });
  }

  async fail(error: unknown): Promise<void> {
    await this.delivering.catch(() => {});
    await this.run?.handleLLMError(error);
  }
}
