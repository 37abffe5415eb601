import { AsyncLocalStorage } from "node:async_hooks";
import { CallbackManager, type CallbackManagerForLLMRun, type Callbacks } from "@langchain/core/callbacks/manager";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { RATIONALE_EVENT, type RationaleEvent } from "./rationale-event.js";

// LangChain keeps a chain's config in async local storage only once Node's AsyncLocalStorage is installed
// (its `callbacks/dispatch` entry point does this on import). Installing it here lets embedding calls made
// inside a chain find the chain's callbacks; it is a no-op when already installed.
AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());

/** The run name under which each rationale appears in traces (an LLM run: LangChain has no embedding run type). */
export const RATIONALE_RUN_NAME = "rge_rationale";

/**
 * One traced rationale: an LLM run that starts before generation and ends with the rationale as its output,
 * plus the {@link RATIONALE_EVENT} custom event on that run.
 *
 * Embedding calls get no callbacks from LangChain (a vector store drops them), so handlers come from, in
 * order: `parent` (a retriever passes its run's child manager), else the runnable config in async local
 * storage (set when the call happens inside a chain), plus the embedder's own `callbacks`.
 */
export class RationaleRun {
  private constructor(private readonly run: CallbackManagerForLLMRun | undefined) {}

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
    await this.run.handleCustomEvent(RATIONALE_EVENT, event);
    await this.run.handleLLMEnd({
      generations: [[{ text: event.rationale, generationInfo: { stoppedBy: event.stoppedBy, cached: event.cached } }]],
      llmOutput: { tokenUsage: { promptTokens: event.tokens.prompt, completionTokens: event.tokens.generated } },
    });
  }

  async fail(error: unknown): Promise<void> {
    await this.run?.handleLLMError(error);
  }
}
