import type { QueryEmbedding, RationaleToken } from "@rge/core";
import { Settings, type MessageContent } from "llamaindex";

/** A piece of a query's rationale while the model writes it (`Settings.callbackManager` event "rge-rationale-token"). */
export interface RgeRationaleTokenEvent {
  /** One id per query, shared by its pieces and its "rge-rationale" event. */
  id: string;
  /** The text the piece adds; a query's pieces join to its rationale (a character split across tokens comes whole). */
  text: string;
  /** The token ids behind `text`. */
  ids: number[];
}

/** A query's finished rationale, with its embedding (`Settings.callbackManager` event "rge-rationale"). */
export interface RgeRationaleEvent {
  /** The id its "rge-rationale-token" events carried. */
  id: string;
  /** The query as it was given. */
  query: MessageContent;
  result: QueryEmbedding;
}

// Typed events on LlamaIndex's callback manager: `Settings.callbackManager.on("rge-rationale", (e) => e.detail...)`.
declare module "@llamaindex/core/global" {
  interface LlamaIndexEventMaps {
    "rge-rationale-token": RgeRationaleTokenEvent;
    "rge-rationale": RgeRationaleEvent;
  }
}

/**
 * The events of one query on the callback manager in effect when it was asked (`Settings.withCallbackManager`
 * scopes one), delivered as LlamaIndex delivers its own: each on a microtask, in order.
 */
export class RationaleEvents {
  readonly id: string = crypto.randomUUID();
  private readonly manager = Settings.callbackManager;

  constructor(private readonly query: MessageContent) {}

  token(piece: RationaleToken): void {
    this.manager.dispatchEvent("rge-rationale-token", { id: this.id, text: piece.text, ids: piece.ids });
  }

  end(result: QueryEmbedding): void {
    this.manager.dispatchEvent("rge-rationale", { id: this.id, query: this.query, result });
  }
}
