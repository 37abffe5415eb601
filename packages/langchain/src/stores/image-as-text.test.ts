import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { withImageAsText } from "./image-as-text.js";

const bytes = new Uint8Array([137, 80, 78, 71]);
const dataUrl = `data:application/octet-stream;base64,${Buffer.from(bytes).toString("base64")}`;
const withImage = (image: unknown) => new Document({ pageContent: "x", metadata: { image, page: 2 }, id: "d" });

describe("withImageAsText", () => {
  it("turns bytes, an ArrayBuffer, { data } and a content block with data into one data: URL", () => {
    const forms = [bytes, bytes.slice().buffer, { data: bytes }, { type: "image", data: bytes, mimeType: "image/png" }];
    for (const image of forms) expect(withImageAsText(withImage(image)).metadata).toEqual({ image: dataUrl, page: 2 });
  });

  it("keeps paths and URLs, blocks with a url as that url, and documents without an image as they are", () => {
    expect(withImageAsText(withImage("./sky.png")).metadata.image).toBe("./sky.png");
    expect(withImageAsText(withImage({ type: "image", url: "file:///sky.png" })).metadata.image).toBe("file:///sky.png");
    expect(withImageAsText(new Document({ pageContent: "x", id: "d" }))).toEqual(new Document({ pageContent: "x", id: "d" }));
  });

  it("returns a copy and leaves the document it was given unchanged", () => {
    const original = withImage(bytes);
    const copy = withImageAsText(original);
    copy.metadata.page = 3;
    expect(original.metadata).toEqual({ image: bytes, page: 2 });
    expect(copy.id).toBe("d");
  });
});
