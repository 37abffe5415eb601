import { vi } from "vitest";

// Tests never reach the network: any fetch (a model, tokenizer or image download) fails the test, but one to a
// server the test started on loopback (remote mode).
const loopbackFetch = globalThis.fetch;
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?\//;
vi.stubGlobal("fetch", (input: string | URL | Request, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (LOOPBACK.test(url)) return loopbackFetch(input, init);
  throw new Error(`Tests must not use the network (fetch ${url}).`);
});
