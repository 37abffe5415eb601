import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, RemoteError } from "../errors.js";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { errorFromResponse } from "./server-error.js";

/** Longest `Retry-After` honoured; a server asking for more is reported busy instead of waited for. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * JSON over HTTP to one RGE server, with the global `fetch`: the API key as a bearer token, answers of a full
 * queue (429) retried after their `Retry-After`, and every failure as a typed error.
 */
export class ServerClient {
  constructor(
    /** The server's base URL, without `/v1`. */
    readonly url: string,
    private readonly apiKey: string | undefined,
    private readonly busyRetries: number,
  ) {}

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, undefined, signal);
  }

  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>("POST", path, JSON.stringify(body), signal);
  }

  /**
   * POSTs a request answered with server-sent events and hands each event's `data` to `onEvent`, parsed as JSON
   * (`[DONE]` ends the stream). An error answer before the stream starts throws like `post`.
   */
  async postStream(path: string, body: unknown, signal: AbortSignal | undefined, onEvent: (data: unknown) => void): Promise<void> {
    await this.guard(signal, async () => {
      const response = await this.send("POST", path, JSON.stringify(body), signal, "text/event-stream");
      if (!response.ok || !response.body || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
        const text = await response.text();
        throw errorFromResponse(this.url, response.status, parseJson(text) ?? text.slice(0, 200));
      }
      const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await events.read();
          if (done) throw new RemoteError(`The RGE server at ${this.url} ended its event stream before [DONE].`, this.url, response.status, null);
          if (value.data === "[DONE]") return;
          onEvent(parseJson(value.data));
        }
      } finally {
        // Also when onEvent threw: the connection must not stay open behind an abandoned stream.
        await events.cancel().catch(() => {});
      }
    });
  }

  private async request<T>(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<T> {
    return this.guard(signal, async () => {
      const response = await this.send(method, path, body, signal, "application/json");
      const text = await response.text();
      const payload = parseJson(text);
      if (response.ok && payload !== undefined) return payload as T;
      throw errorFromResponse(this.url, response.status, payload ?? text.slice(0, 200));
    });
  }

  /** Sends a request, again after `Retry-After` while the server's queue is full; returns the answer it settled on. */
  private async send(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
      const retryAfter = Number(response.headers.get("retry-after") ?? 1) * 1000;
      if (response.status !== 429 || attempt >= this.busyRetries || retryAfter > MAX_RETRY_AFTER_MS) return response;
      await response.body?.cancel();
      await sleep(retryAfter, undefined, signal ? { signal } : {});
    }
  }

  /** Runs `work`, turning a cancellation into `AbortedError` and a failed connection into `RemoteError`. */
  private async guard<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
      if (error instanceof Error && error.name === "TypeError") {
        // What fetch throws when no answer came: refused, reset, DNS, TLS (the reason is in `cause`).
        const reason = (error.cause as Error | undefined)?.message ?? error.message;
        throw new RemoteError(`Cannot reach the RGE server at ${this.url} (${reason}). Check the URL, and that \`rge-serve\` runs there.`, this.url, undefined, null, { cause: error });
      }
      throw error;
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
