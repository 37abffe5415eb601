import type { RationaleToken } from "./rationale-stream.js";
import type { QueryEmbedding } from "./rge-model.js";

/**
 * A query whose rationale streams while it is generated: iterate it for the pieces of the rationale (they end
 * when the model writes `<emb>`), and await `result` for the embedding. Iteration throws the error the query
 * fails with. Leaving the loop early does not cancel the query; pass a `signal` for that.
 */
export interface QueryStream extends AsyncIterable<RationaleToken> {
  /** The query's embedding and whole rationale, once it has ended. */
  readonly result: Promise<QueryEmbedding>;
}

/** Runs `embed` with an `onToken` that feeds the stream; the pieces wait in the stream until they are read. */
export function queryStream(embed: (onToken: (token: RationaleToken) => void) => Promise<QueryEmbedding>): QueryStream {
  // A web ReadableStream rather than a hand-made queue: it buffers, ends and fails the way iterators expect, and is
  // the same object in Node and in browsers.
  let controller!: ReadableStreamDefaultController<RationaleToken>;
  const tokens = new ReadableStream<RationaleToken>({ start: (c) => void (controller = c) });
  const result = embed((token) => controller.enqueue(token));
  result.then(
    () => controller.close(),
    (error: unknown) => controller.error(error),
  );
  // Whoever only iterates gets the error there; `result` must not also count as an unhandled rejection.
  result.catch(() => {});
  return {
    result,
    async *[Symbol.asyncIterator]() {
      const reader = tokens.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}
