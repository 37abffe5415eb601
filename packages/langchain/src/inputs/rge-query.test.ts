import { Document } from "@langchain/core/documents";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { documentToInput } from "./document-input.js";
import { queryToInput } from "./rge-query.js";

describe("queryToInput", () => {
  it("turns a string into a text query and fills in the default instruction", () => {
    expect(queryToInput("hi")).toEqual({ text: "hi" });
    expect(queryToInput("hi", "Find:")).toEqual({ text: "hi", instruction: "Find:" });
    expect(queryToInput({ text: "hi", instruction: null }, "Find:")).toEqual({ text: "hi", instruction: null });
  });

  it("reads a message's text blocks and image block", () => {
    const message = new HumanMessage({ content: [{ type: "text", text: "one" }, { type: "text", text: "two" }, { type: "image_url", image_url: "data:image/png;base64,AAAA" }] });
    expect(queryToInput(message)).toEqual({ text: "one\ntwo", image: "data:image/png;base64,AAAA" });
    expect(queryToInput(new AIMessage("plain"))).toEqual({ text: "plain" });
  });

  it("normalises image blocks of every dialect to a path, URL or bytes", () => {
    const bytes = new Uint8Array([1, 2]);
    expect(queryToInput({ image: { type: "image", url: "./cat.png" } })).toEqual({ image: "./cat.png" });
    expect(queryToInput({ image: { type: "image", data: "AAAA", mimeType: "image/jpeg" } })).toEqual({ image: "data:image/jpeg;base64,AAAA" });
    expect(queryToInput({ image: { type: "image", data: bytes, mimeType: "image/png" } })).toEqual({ image: bytes });
    expect(queryToInput({ image: bytes })).toEqual({ image: bytes });
  });
});

describe("documentToInput", () => {
  it("takes the text from pageContent and the image from metadata.image", () => {
    expect(documentToInput(new Document({ pageContent: "a cat", metadata: { image: "./cat.png", other: 1 } }))).toEqual({ text: "a cat", image: "./cat.png" });
    expect(documentToInput(new Document({ pageContent: "", metadata: { image: "./cat.png" } }))).toEqual({ image: "./cat.png" });
    expect(documentToInput("text", null)).toEqual({ text: "text", instruction: null });
  });
});
