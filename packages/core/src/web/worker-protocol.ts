import type { RgeModel } from "../engine/model.js";
import * as errors from "../errors.js";
import type { RationaleToken } from "../engine/rationale-stream.js";
import type { WebLoadProgress } from "./bundle-files.js";

// The messages between `RgeWorkerModel` (the page) and `exposeRgeModel` (the worker). Hand-written rather than
// comlink: a generic RPC proxy would turn every error into a plain one (no `instanceof EmptyInputError`, no
// `code`), cannot carry `onToken` as a stream of messages or an AbortSignal as a cancel message, and would add a
// dependency for what is about a hundred lines here.

/**
 * What the two sides post to and listen on: a `Worker` (page side), the worker's global scope (worker side), or
 * either end of a `MessageChannel`. A port with `start()` (a `MessagePort`) is started. Messages of the app's own
 * on the same port are left alone.
 *
 * @example
 * // A model served over a MessageChannel, e.g. from a SharedWorker or an iframe that holds the model.
 * const { port1, port2 } = new MessageChannel();
 * exposeRgeModel({ port: port2 }); // where the model runs
 * const model = await RgeWorkerModel.load(port1, "/models/rge-tiny/"); // where it is used
 */
export interface MessagePortLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Listened to for `message`, and on the page for `error`, `messageerror` and `close` (a dead worker). */
  addEventListener(type: string, listener: (event: Event) => void): void;
  start?(): void;
}

/** The model's methods the worker answers; `streamQuery` is `embedQuery` with tokens, built on the page. */
export type WorkerMethod =
  | "embedQuery"
  | "embedQueries"
  | "embedQueriesSettled"
  | "embedTarget"
  | "embedTargets"
  | "embedTargetsSettled"
  | "preparePrompt"
  | "stats"
  | "decode";

/** The fields of a loaded model the page mirrors. */
export type WorkerModelInfo = Pick<RgeModel, "dimension" | "device" | "deviceReason" | "kvCacheOnDevice" | "dtype" | "maxNewTokens">;

/**
 * Page → worker. `id` numbers a call on its port; replies carry it. Options travel without their functions and
 * signal (they cannot be cloned): the worker gives the model its own callbacks, which post back, and an
 * AbortController that a `cancel` aborts.
 */
export type WorkerRequest =
  | { kind: "load"; id: number; source: unknown; options: Record<string, unknown>; progress: boolean }
  | { kind: "call"; id: number; model: number; method: WorkerMethod; input: unknown; options: Record<string, unknown>; tokens: boolean }
  | { kind: "cancel"; id: number }
  | { kind: "dispose"; id: number; model: number };

/** Worker → page. A `load` answers `result` with the model's {@link WorkerModelInfo}; its id then names the model. */
export type WorkerReply =
  | { kind: "result"; id: number; value: unknown }
  | { kind: "failed"; id: number; error: WireError }
  | { kind: "token"; id: number; token: RationaleToken; index: number }
  | { kind: "progress"; id: number; progress: WebLoadProgress }
  | { kind: "warning"; id: number; message: string };

/** Messages travel in packets marked as ours, so an app's own messages on the same worker are left alone. */
const PACKET = "@rge/worker-protocol/1";
interface Packet<T> {
  protocol: typeof PACKET;
  messages: T[];
}

/** The messages of a packet, or undefined for data that is not one. */
export function messagesOf<T extends WorkerRequest | WorkerReply>(data: unknown): T[] | undefined {
  const packet = data as Packet<T> | null;
  return typeof packet === "object" && packet !== null && packet.protocol === PACKET && Array.isArray(packet.messages) ? packet.messages : undefined;
}

/**
 * Posts messages in packets: what is sent before `schedule` fires goes in one `postMessage`, so calls made together
 * on the page reach the worker's model in one turn of its event loop and share batches as they would in process.
 * A packet that cannot be cloned is sent again message by message; each one that still fails goes to `unsendable`.
 */
export class Outbox<T extends WorkerRequest | WorkerReply> {
  private queue: { message: T; transfer: Transferable[] }[] = [];

  constructor(
    private readonly port: MessagePortLike,
    private readonly schedule: (flush: () => void) => void,
    private readonly unsendable: (message: T, error: unknown) => void,
  ) {}

  send(message: T, transfer: Transferable[] = []): void {
    this.queue.push({ message, transfer });
    if (this.queue.length === 1) this.schedule(() => this.flush());
  }

  private flush(): void {
    const queued = this.queue.splice(0);
    try {
      this.post(queued);
    } catch {
      for (const one of queued) {
        try {
          this.post([one]);
        } catch (error) {
          this.unsendable(one.message, error);
        }
      }
    }
  }

  private post(queued: { message: T; transfer: Transferable[] }[]): void {
    const packet: Packet<T> = { protocol: PACKET, messages: queued.map((q) => q.message) };
    // A buffer listed twice would fail the whole post.
    this.port.postMessage(packet, [...new Set(queued.flatMap((q) => q.transfer))]);
  }
}

/** An error as it crosses the boundary: what is needed to build the same class again on the other side. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: WireError | { value: unknown };
  /** Own enumerable fields (`missing`, `width`, `status`, ...), those that can be cloned. */
  fields: Record<string, unknown>;
}

/** `error` in a form that can be posted. */
export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), fields: {} };
  const wire: WireError = { name: error.name, message: error.message, fields: {} };
  if (typeof error.stack === "string") wire.stack = error.stack;
  for (const [key, value] of Object.entries(error)) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
    if (key === "code" && typeof value === "string") wire.code = value;
    else if (cloneable(value)) wire.fields[key] = value;
  }
  if (error.cause !== undefined && depth < 3) {
    wire.cause = error.cause instanceof Error ? toWireError(error.cause, depth + 1) : { value: cloneable(error.cause) ? error.cause : String(error.cause) };
  }
  return wire;
}

/**
 * The error `wire` describes, as an instance of the class it was thrown as: a class of `errors.ts` found by name,
 * else by code (minifiers rename classes, and the page and the worker are bundled apart), else `RgeError` with the
 * code, else the built-in error of that name or a plain `Error`. The class's constructor is not run (its arguments
 * are not known); message, code, fields and the worker's stack are set on it as they were.
 */
export function fromWireError(wire: WireError): Error {
  const known = errorClasses();
  const cls = known.byName.get(wire.name) ?? (wire.code !== undefined ? known.byCode.get(wire.code) : undefined);
  const base = cls ?? (wire.code !== undefined ? errors.RgeError : (BUILT_IN_ERRORS[wire.name] ?? Error));
  const cause = wire.cause === undefined ? undefined : "value" in wire.cause ? wire.cause.value : fromWireError(wire.cause);
  const error = Reflect.construct(Error, [wire.message, ...(wire.cause !== undefined ? [{ cause }] : [])], base) as Error;
  Object.assign(error, wire.fields);
  error.name = wire.name;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

const BUILT_IN_ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

type ErrorClass = new (...args: never[]) => Error;
let classes: { byName: Map<string, ErrorClass>; byCode: Map<string, ErrorClass> } | undefined;

/** Every error class `errors.ts` exports, by name and by the code it sets (read off an instance made with blank arguments). */
function errorClasses(): NonNullable<typeof classes> {
  if (classes) return classes;
  classes = { byName: new Map(), byCode: new Map() };
  for (const value of Object.values(errors)) {
    if (typeof value !== "function" || !(value === errors.RgeError || value.prototype instanceof errors.RgeError)) continue;
    const cls = value as unknown as ErrorClass;
    classes.byName.set(cls.name, cls);
    if (cls === errors.RgeError) continue;
    const code = (new (cls as unknown as new (...args: string[]) => errors.RgeError)("", "", "", "", "")).code;
    if (!classes.byCode.has(code)) classes.byCode.set(code, cls);
  }
  return classes;
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
