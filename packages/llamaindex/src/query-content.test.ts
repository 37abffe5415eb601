import { RgeError } from "@rge/core";
import { describe, expect, it } from "vitest";
import { toImageSource, toQueryInput } from "./query-content.js";

describe("toQueryInput", () => {
  it("turns a string into a text query", () => {
    expect(toQueryInput("red fruit")).toEqual({ text: "red fruit" });
  });

  it("joins text parts and keeps the image, so both are embedded together", () => {
    const input = toQueryInput([
      { type: "text", text: "What fruit" },
      { type: "image_url", image_url: { url: "file:///a.png" } },
      { type: "text", text: "is this?" },
    ]);
    expect(input).toEqual({ text: "What fruit\nis this?", image: "file:///a.png" });
  });

  it("decodes base64 image parts to bytes", () => {
    const input = toQueryInput([{ type: "image", data: Buffer.from([1, 2, 3]).toString("base64"), mimeType: "image/png" }]);
    expect(input.text).toBeUndefined();
    expect(Array.from(input.image as Uint8Array)).toEqual([1, 2, 3]);
  });

  it("refuses two images and non-visual parts with RGE_INVALID_OPTION", () => {
    const image = { type: "image_url", image_url: { url: "a.png" } } as const;
    for (const bad of [[image, image], [{ type: "audio", data: "", mimeType: "audio/wav" }] as const]) {
      expect(() => toQueryInput([...bad])).toThrow(RgeError);
      try {
        toQueryInput([...bad]);
      } catch (error) {
        expect((error as RgeError).code).toBe("RGE_INVALID_OPTION");
      }
    }
  });
});

describe("toImageSource", () => {
  it("accepts every LlamaIndex image form: string, URL and Blob", async () => {
    expect(await toImageSource("photos/cat.png")).toBe("photos/cat.png");
    expect(await toImageSource(new URL("file:///photos/cat.png"))).toBe("file:///photos/cat.png");
    const bytes = await toImageSource(new Blob([new Uint8Array([7, 8])]));
    expect(Array.from(bytes as Uint8Array)).toEqual([7, 8]);
  });

  it("rejects anything else with RGE_IMAGE_UNSUPPORTED_SOURCE", async () => {
    await expect(toImageSource(42 as never)).rejects.toMatchObject({ code: "RGE_IMAGE_UNSUPPORTED_SOURCE" });
  });
});
