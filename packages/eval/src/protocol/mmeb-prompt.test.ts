import { describe, expect, it } from "vitest";
import { mmebUserText, QWEN_VISION_PLACEHOLDER as V, rewriteMmebText } from "./mmeb-prompt.js";
import { applyTextRule, ensureTrailingNewline } from "./text-rule.js";

// Expected strings are what the reference builds (src/dataset.py: apply_simple_text_ops, ensure_trailing_newline,
// then EvalDataset.__getitem__'s placeholder substitution), worked out by hand for sample MMEB rows.
describe("the RGE prompt protocol on MMEB rows", () => {
  it("replaces the query instruction (original -> replacement) and adds the trailing newline", () => {
    const text = rewriteMmebText("ImageNet-1K", "query", "<|image_1|>\nRepresent the given image for classification");
    expect(text).toBe("<|image_1|>\nIdentify the category of the main object in the given image for classification\n");
    expect(mmebUserText(text, "ImageNet-1K/0.jpg")).toBe(`${V}\nIdentify the category of the main object in the given image for classification\n`);
  });

  it("keeps the text after the instruction and an existing trailing newline", () => {
    const text = rewriteMmebText("OK-VQA", "query", "<|image_1|>\nRepresent the given image with the following question: What sport is this?\n");
    expect(text).toBe("<|image_1|>\nAnswer the question based on the given image: What sport is this?\n");
  });

  it("keeps MMEB's typo in the grounding instruction it matches", () => {
    expect(rewriteMmebText("MSCOCO", "query", '<|image_1|>\nCrop the image to to isolate the object labeled as "dog"')).toBe(
      '<|image_1|>\nDescribe and focus on the object in the image labeled as "dog"\n',
    );
  });

  it("prefixes text candidates (prefixAdd)", () => {
    expect(rewriteMmebText("ImageNet-1K", "candidate", "tench")).toBe("Summarize the following object category in one word: tench\n");
    expect(rewriteMmebText("GQA", "candidate", "surfing")).toBe("Summarize the following answer in one word: surfing\n");
  });

  it("maps whole values (valueMap) and only exact matches", () => {
    expect(rewriteMmebText("HatefulMemes", "candidate", "Yes")).toBe("Summarize the following statement in one word: Yes, it contains hateful speech.\n");
    expect(rewriteMmebText("HatefulMemes", "candidate", "No")).toBe("Summarize the following statement in one word: No, it does not contain hateful speech.\n");
    expect(rewriteMmebText("HatefulMemes", "candidate", "yes")).toBe("yes\n");
  });

  it("rewrites image candidates by replacement, keeping what follows", () => {
    expect(rewriteMmebText("MSCOCO_t2i", "candidate", "<|image_1|>\nRepresent the given image.")).toBe("<|image_1|>\nSummarize the given image in one word.\n");
    expect(rewriteMmebText("WebQA", "candidate", "<|image_1|>\nRepresent the given Wikipedia image with related text information: Eiffel Tower")).toBe(
      "<|image_1|>\nSummarize the given Wikipedia image with the following related text information in one word: Eiffel Tower\n",
    );
  });

  it("gives RefCOCO-Matching candidates the query-style rewrite", () => {
    const t = "<|image_1|>\nSelect the portion of the image that follows the language expressions: red cup";
    expect(rewriteMmebText("RefCOCO-Matching", "candidate", t)).toBe(
      "<|image_1|>\nDescribe and focus on the object in the image that follows the following language expressions: red cup\n",
    );
  });

  it("leaves a text unchanged when the rule's original is absent, and a subset without rules alone", () => {
    expect(rewriteMmebText("CIRR", "query", "something else")).toBe("something else\n");
    expect(rewriteMmebText("NotMmeb", "candidate", "x")).toBe("x\n");
  });

  it("drops the placeholder when the row has no image, keeping the newline after it", () => {
    expect(mmebUserText("<|image_1|>\nfoo\n", "")).toBe("\nfoo\n");
    expect(mmebUserText("Find me an everyday image\n", "")).toBe("Find me an everyday image\n");
  });

  it("puts the image placeholder wherever MMEB put it", () => {
    expect(mmebUserText("Look <|image_1|> here\n", "a.png")).toBe(`Look ${V} here\n`);
  });
});

describe("applyTextRule", () => {
  it("replaces every occurrence and keeps $ patterns in the replacement literal", () => {
    expect(applyTextRule("a-b-a", { original: "a", replacement: "$&$1" })).toBe("$&$1-b-$&$1");
  });

  it("defaults the replacement to the empty string and runs value map, replace, prefix, suffix in order", () => {
    expect(applyTextRule("Yes", { valueMap: { Yes: "Y!" }, original: "!", prefixAdd: "<", suffixAdd: ">" })).toBe("<Y>");
  });

  it("adds a newline only when there is none", () => {
    expect(ensureTrailingNewline("a")).toBe("a\n");
    expect(ensureTrailingNewline("a\n")).toBe("a\n");
    expect(ensureTrailingNewline("")).toBe("\n");
  });
});
