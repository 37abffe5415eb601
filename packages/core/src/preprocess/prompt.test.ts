import { describe, expect, it } from "vitest";
import { DEFAULT_INSTRUCTIONS, expandImagePads, userText } from "./prompt.js";

const tokens = { visionStart: "<vs>", imagePad: "<pad>", visionEnd: "<ve>", emb: "<emb>" };

describe("userText", () => {
  it("puts the image first, then instruction and text, with a trailing newline", () => {
    expect(userText({ text: "What is it?", hasImage: true, instruction: "Answer:" }, "query", tokens)).toBe(
      "<vs><pad><ve>\nAnswer: What is it?\n",
    );
  });

  it("picks the documented default instruction per role and modality", () => {
    expect(userText({ text: "cats", hasImage: false }, "query", tokens)).toBe(`${DEFAULT_INSTRUCTIONS.query.text} cats\n`);
    expect(userText({ hasImage: true }, "target", tokens)).toBe(`<vs><pad><ve>\n${DEFAULT_INSTRUCTIONS.target.image}\n`);
    expect(userText({ text: "t", hasImage: true }, "target", tokens)).toBe(`<vs><pad><ve>\n${DEFAULT_INSTRUCTIONS.target.imageText} t\n`);
  });

  it("sends the text alone with instruction null", () => {
    expect(userText({ text: "raw", hasImage: false, instruction: null }, "target", tokens)).toBe("raw\n");
  });
});

describe("expandImagePads", () => {
  it("repeats each placeholder by its image's token count", () => {
    expect(expandImagePads("a<pad>b<pad>c", "<pad>", [2, 3])).toBe("a<pad><pad>b<pad><pad><pad>c");
  });

  it("rejects a count mismatch", () => {
    expect(() => expandImagePads("a<pad>b", "<pad>", [])).toThrow(/1 image placeholders for 0/);
  });
});
