import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidOptionError } from "../errors.js";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";

const VISION = "<|vision_start|><|image_pad|><|vision_end|>";
const tmp = tempDir();
let model: RgeModel;
let image: Uint8Array;

beforeAll(async () => {
  writeTinyBundle(tmp.dir, { seed: 3 });
  model = await loadRgeModel(tmp.dir, { maxNewTokens: 8 });
  image = await gradientPng(56, 56);
});

afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

/** The decoded prompt with the expanded image pads folded back to one. */
const folded = (prompt: string) => prompt.replace(/(<\|image_pad\|>)+/g, "<|image_pad|>");

describe("RgeInput.rawUserText", () => {
  it("sends the user turn verbatim, the image placeholder where the caller put it", async () => {
    const raw = `Look: ${VISION} and answer.\n\n`;
    const p = await model.preparePrompt({ rawUserText: raw, image }, { role: "target" });
    // (The tiny tokenizer drops the newline after a role name when decoding; the ids keep it.)
    expect(folded(p.text)).toContain(`user${raw}<|im_end|>`);
    expect(p.text.endsWith("<emb>")).toBe(true);
    expect(p.imageGrids).toHaveLength(1);
  });

  it("gives the same prompt as instruction: null when the layout is the composed one", async () => {
    const composed = await model.preparePrompt({ text: "What is it?", image, instruction: null });
    const raw = await model.preparePrompt({ rawUserText: `${VISION}\nWhat is it?\n`, image });
    expect(raw.ids).toEqual(composed.ids);
  });

  it("embeds like the equivalent composed input", async () => {
    const [a] = await model.embedTargets([{ text: "cat", instruction: null }]);
    const [b] = await model.embedTargets([{ rawUserText: "cat\n" }]);
    expect(Array.from(b!.embedding)).toEqual(Array.from(a!.embedding));
  });

  it.each([
    ["a placeholder without an image", { rawUserText: `${VISION}\nx\n` }],
    ["an image without a placeholder", { rawUserText: "x\n", image: new Uint8Array() }],
    ["two placeholders", { rawUserText: `${VISION}${VISION}x`, image: new Uint8Array() }],
    ["a stray <emb>", { rawUserText: "x <emb>" }],
    ["text beside it", { rawUserText: "x", text: "y" }],
  ])("rejects %s", async (_name, input) => {
    await expect(model.preparePrompt(input)).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe("LoadRgeModelOptions.smallImageRule", () => {
  it("stretches a side under 28 px with 'stretch-to-factor' instead of rejecting the image", async () => {
    const thin = await gradientPng(20, 60);
    await expect(model.preparePrompt({ image: thin })).rejects.toThrow(/28/);
    const stretching = await loadRgeModel(tmp.dir, { smallImageRule: "stretch-to-factor" });
    const p = await stretching.preparePrompt({ image: thin });
    expect(p.imageGrids).toHaveLength(1);
    await stretching.dispose();
  });
});
