import type { RationaleToken } from "../engine/rationale-stream.js";
import { AbortedError, InvalidOptionError, WorkerFailedError } from "../errors.js";
import { yieldToEventLoop } from "../util/yield.js";
import type { WebLoadProgress } from "./bundle-files.js";
import {
  fromWireError,
  messagesOf,
  Outbox,
  type MessagePortLike,
  type WorkerReply,
  type WorkerRequest,
} from "./worker-protocol.js";

// The page's end of the worker protocol: call ids, routing each reply to its call, and failing every call when the
// worker dies. `RgeWorkerModel` is the API over it.

/** What the page does with a call's messages before its outcome. */
export interface CallHandlers {
  onToken?: (token: RationaleToken, index: number) => void;
  onProgress?: (progress: WebLoadProgress) => void;
  onWarning?: (message: string) => void;
}

/** How a request is made: callbacks for its messages, and the signal that cancels it. */
export interface RequestOptions extends CallHandlers {
  signal?: AbortSignal | undefined;
  /**
   * A settled call answers an abort as in process, by resolving with `AbortedError` for the items not finished: the
   * abort only cancels it in the worker, whose answer says which those are. Other calls reject at once.
   */
  settled?: boolean;
}

interface PendingCall extends CallHandlers {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A request in flight: `abort` rejects it at once with `error` and tells the worker to stop it. */
export interface Call {
  id: number;
  result: Promise<unknown>;
  abort: (error: unknown) => void;
}

/**
 * The page's end of one worker: numbers calls, routes the worker's replies to them, and fails them all when the
 * worker dies. One per port, shared by the models loaded in that worker, so their ids never collide.
 */
export class WorkerConnection {
  private static readonly byPort = new WeakMap<object, WorkerConnection>();
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private failure: string | undefined;
  private readonly outbox: Outbox<WorkerRequest>;

  static of(port: MessagePortLike): WorkerConnection {
    let connection = WorkerConnection.byPort.get(port);
    if (!connection) WorkerConnection.byPort.set(port, (connection = new WorkerConnection(port)));
    return connection;
  }

  private constructor(port: MessagePortLike) {
    // Calls made in one turn of the page's event loop go in one packet, as they would reach one batch in process.
    this.outbox = new Outbox<WorkerRequest>(port, (flush) => void yieldToEventLoop().then(flush), (request, error) => {
      const what = `${request.kind === "load" ? "The load" : "The call"} could not be sent to the worker: ${(error as Error).message}`;
      this.settle(request.id)?.reject(
        new InvalidOptionError(`${what}. Inputs and options must be structured-cloneable: strings, numbers, Uint8Array, ArrayBuffer, Blob, File.`),
      );
    });
    port.addEventListener("message", (event) => {
      for (const reply of messagesOf<WorkerReply>((event as MessageEvent).data) ?? []) this.receive(reply);
    });
    port.addEventListener("error", (event) => {
      const { message, filename, lineno } = event as Partial<ErrorEvent>;
      this.fail(message ? `it threw ${JSON.stringify(message)}${filename ? ` at ${filename}:${lineno}` : ""}` : "its script failed to load or it crashed");
    });
    port.addEventListener("messageerror", () => this.fail("a message from it could not be deserialized"));
    port.addEventListener("close", () => this.fail("its port closed"));
    port.start?.();
  }

  request(build: (id: number) => WorkerRequest, options: RequestOptions = {}): Call {
    const { signal, settled = false, ...handlers } = options;
    const id = this.nextId++;
    const abort = (error: unknown) => {
      if (!this.pending.has(id)) return;
      this.cancel(id);
      this.settle(id)!.reject(error);
    };
    if (this.failure !== undefined) return { id, abort, result: Promise.reject(this.failedError()) };
    if (signal?.aborted && !settled) return { id, abort, result: Promise.reject(new AbortedError(undefined, { cause: signal.reason })) };
    // Like RgeModel: the promise rejects at once, and the worker drops the call at its next step.
    const onAbort = settled ? () => this.cancel(id) : () => abort(new AbortedError(undefined, { cause: signal!.reason }));
    const result = new Promise<unknown>((resolve, reject) => {
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        ...handlers,
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      });
    });
    this.outbox.send(build(id));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    return { id, abort, result };
  }

  private cancel(id: number): void {
    if (this.pending.has(id)) this.outbox.send({ kind: "cancel", id });
  }

  private receive(reply: WorkerReply): void {
    const call = this.pending.get(reply.id);
    if (!call) return; // cancelled on the page, or failed already
    if (reply.kind === "result") return this.settle(reply.id)!.resolve(reply.value);
    if (reply.kind === "failed") return this.settle(reply.id)!.reject(fromWireError(reply.error));
    try {
      if (reply.kind === "token") call.onToken?.(reply.token, reply.index);
      else if (reply.kind === "progress") call.onProgress?.(reply.progress);
      else call.onWarning?.(reply.message);
    } catch (error) {
      // A callback that throws fails its call, as it does in process.
      this.cancel(reply.id);
      this.settle(reply.id)!.reject(error);
    }
  }

  private settle(id: number): PendingCall | undefined {
    const call = this.pending.get(id);
    this.pending.delete(id);
    return call;
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(this.failedError());
  }

  private failedError(): WorkerFailedError {
    return new WorkerFailedError(`The RGE worker failed: ${this.failure}. Its models are gone; terminate it, start a new Worker and load the model again.`);
  }
}
