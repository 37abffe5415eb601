import { describe, expect, it } from "vitest";

describe("the test suite's network guard", () => {
  it("refuses connections beyond loopback, whatever makes them", async () => {
    await expect(fetch("http://192.0.2.1:8080/")).rejects.toThrow();
    const cause = await fetch("http://192.0.2.1:8080/").catch((e: { cause?: Error }) => e.cause);
    expect(String(cause)).toMatch(/must not reach beyond this machine/);
    const { request } = await import("node:http");
    expect(() => request("http://192.0.2.1:8080/").end()).toThrow(/must not reach beyond this machine/);
  });
});
