import { vi } from "vitest";

// Tests never reach the network: any fetch (a model, tokenizer or image download) fails the test.
vi.stubGlobal("fetch", (input: unknown) => {
  throw new Error(`Tests must not use the network (fetch ${String(input)}).`);
});
