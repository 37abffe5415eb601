import { loadRgeModel, type QueryEmbedding, type RgeInput } from "@rge/core";
import { MultiModalEmbedding } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RgeLlamaEmbedding, type RgeLlamaEmbeddingParams } from "./rge-llama-embedding.js";
import { fileUrl, TEXTS, tinySetup, type TinySetup } from "./test-corpus.js";

let setup: TinySetup;
beforeAll(async () => {
  setup = await tinySetup();
});
afterAll(() => setup.remove());

const expectClose = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
};

describe("RgeLlamaEmbedding", () => {
  it("is a LlamaIndex MultiModalEmbedding that reports the model's dimension", () => {
    const embedding = new RgeLlamaEmbedding({ model: setup.model });
    expect(embedding).toBeInstanceOf(MultiModalEmbedding);
    expect(embedding.embedInfo?.dimensions).toBe(setup.model.dimension);
    expect(embedding.embedBatchSize).toBe(32);
  });

  it("embeds text and images as RGE documents, images given as path, file URL, data URL or Blob", async () => {
    const embedding = new RgeLlamaEmbedding({ model: setup.model });
    const text = await embedding.getTextEmbedding(TEXTS[0]!);
    expectClose(text, (await setup.model.embedTarget({ text: TEXTS[0]! })).embedding);
    const { path, bytes } = setup.images[0]!;
    const expected = (await setup.model.embedTarget({ image: bytes })).embedding;
    const dataUrl = `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
    for (const image of [path, new URL(fileUrl(path)), dataUrl, new Blob([bytes])]) {
      expectClose(await embedding.getImageEmbedding(image), expected);
    }
  });

  it("batches text and image documents in one model call each, equal to one at a time", async () => {
    const embedding = new RgeLlamaEmbedding({ model: setup.model });
    const singleTexts: number[][] = [];
    for (const text of TEXTS) singleTexts.push(await embedding.getTextEmbedding(text));
    const singleImages: number[][] = [];
    for (const { path } of setup.images) singleImages.push(await embedding.getImageEmbedding(path));
    const spy = vi.spyOn(setup.model, "embedTargets");
    try {
      const texts = await embedding.getTextEmbeddings(TEXTS);
      const images = await embedding.getImageEmbeddings(setup.images.map((i) => i.path));
      expect(spy).toHaveBeenCalledTimes(2);
      texts.forEach((e, i) => expectClose(e, singleTexts[i]!));
      images.forEach((e, i) => expectClose(e, singleImages[i]!));
      // LlamaIndex's chunked entry point goes through the same batched call.
      expect(await embedding.getTextEmbeddingsBatch(TEXTS)).toHaveLength(3);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it("reasons before embedding a query part and reports the rationale; audio parts give null", async () => {
    const seen: [QueryEmbedding, RgeInput][] = [];
    const embedding = new RgeLlamaEmbedding({ model: setup.model, onRationale: (q, input) => seen.push([q, input]) });
    const expected = await setup.model.embedQuery({ text: "red fruit" });
    expectClose((await embedding.getQueryEmbedding({ type: "text", text: "red fruit" }))!, expected.embedding);
    expect(seen).toHaveLength(1);
    expect(seen[0]![0].rationale).toBe(expected.rationale);
    expect(seen[0]![0].generatedIds.length).toBeGreaterThan(0);
    expect(seen[0]![1]).toEqual({ text: "red fruit" });

    const { path } = setup.images[1]!;
    const image = await embedding.getQueryEmbedding({ type: "image_url", image_url: { url: fileUrl(path) } });
    expectClose(image!, (await setup.model.embedQuery({ image: path })).embedding);
    expect(await embedding.getQueryEmbedding({ type: "audio", data: "", mimeType: "audio/wav" })).toBeNull();
  });

  it("embeds a text+image query jointly, and embedQueries equals embedQuery one at a time", async () => {
    const embedding = new RgeLlamaEmbedding({ model: setup.model });
    const queries = [
      [
        { type: "text" as const, text: "What is shown?" },
        { type: "image_url" as const, image_url: { url: fileUrl(setup.images[0]!.path) } },
      ],
      "a colourful gradient",
      [{ type: "image_url" as const, image_url: { url: fileUrl(setup.images[2]!.path) } }],
    ];
    const singles: QueryEmbedding[] = [];
    for (const q of queries) singles.push(await embedding.embedQuery(q));
    const joint = await setup.model.embedQuery({ text: "What is shown?", image: setup.images[0]!.path });
    expectClose(singles[0]!.embedding, joint.embedding);
    expect(singles[0]!.rationale).toBe(joint.rationale);
    const batch = await embedding.embedQueries(queries);
    batch.forEach((q, i) => {
      expectClose(q.embedding, singles[i]!.embedding);
      expect(q.rationale).toBe(singles[i]!.rationale);
    });
  });

  it("passes configured instructions and reasoning settings to the model", async () => {
    const embedding = new RgeLlamaEmbedding({
      model: setup.model,
      documentInstruction: null,
      imageInstruction: "Describe the image.",
      queryInstruction: "Find:",
      reasoning: false,
    });
    expectClose(await embedding.getTextEmbedding("apples"), (await setup.model.embedTarget({ text: "apples", instruction: null })).embedding);
    const { path } = setup.images[0]!;
    expectClose(
      await embedding.getImageEmbedding(path),
      (await setup.model.embedTarget({ image: path, instruction: "Describe the image." })).embedding,
    );
    const q = await embedding.embedQuery("apples");
    expect(q.stoppedBy).toBe("noReasoning");
    expectClose(q.embedding, (await setup.model.embedQuery({ text: "apples", instruction: "Find:" }, { reasoning: false })).embedding);
  });

  it("disposes a model it loaded, and leaves a model it was given open", async () => {
    const given = new RgeLlamaEmbedding({ model: setup.model });
    await given.dispose();
    expect(await given.getTextEmbedding("still open")).toHaveLength(setup.model.dimension);

    const loaded = await RgeLlamaEmbedding.load(setup.model.bundle.dir, { maxNewTokens: 4 });
    expect(loaded.model).not.toBe(setup.model);
    await loaded.dispose();
    await expect(loaded.getTextEmbedding("closed")).rejects.toMatchObject({ code: "RGE_DISPOSED" });
    // The same model can also be wrapped after loading it yourself.
    const own = await loadRgeModel(setup.model.bundle.dir);
    await new RgeLlamaEmbedding({ model: own }).dispose();
    await expect(own.embedTarget({ text: "x" })).resolves.toBeDefined();
    await own.dispose();
  });

  it("never reaches the network: http images are refused and fetch is stubbed to throw", async () => {
    const embedding = new RgeLlamaEmbedding({ model: setup.model });
    await expect(embedding.getImageEmbedding("https://example.com/cat.png")).rejects.toMatchObject({ code: "RGE_NETWORK_DISABLED" });
    expect(() => fetch("https://example.com")).toThrow(/must not use the network/);
  });

  it("refuses wrong params with RGE_INVALID_OPTION naming the param, the rule and the value", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ maxNewTokens: NaN }, "maxNewTokens must be an integer ≥ 1, got NaN."],
      [{ embedBatchSize: 0 }, "embedBatchSize must be an integer ≥ 1, got 0."],
      [{ embedBatchSize: 1.5 }, "embedBatchSize must be an integer ≥ 1, got 1.5."],
      [{ reasoning: "yes" }, 'reasoning must be true or false, got "yes".'],
      [{ queryInstruction: 1 }, "queryInstruction must be a string, got 1."],
      [{ imageInstruction: {} }, "imageInstruction must be a string, got object."],
      [{ onRationale: "log" }, 'onRationale must be a function, got "log".'],
      [{ model: "./rge-bundle" }, 'model must be a loaded RgeModel or an RgeRemoteModel (loadRgeModel or connectRgeModel, or use RgeLlamaEmbedding.load), got "./rge-bundle".'],
      [{ model: undefined }, "model must be a loaded RgeModel or an RgeRemoteModel (loadRgeModel or connectRgeModel, or use RgeLlamaEmbedding.load), got undefined."],
    ];
    for (const [params, message] of cases) {
      expect(() => new RgeLlamaEmbedding({ model: setup.model, ...params } as RgeLlamaEmbeddingParams)).toThrow(
        expect.objectContaining({ code: "RGE_INVALID_OPTION", message }),
      );
    }
    expect(() => new RgeLlamaEmbedding({ model: setup.model, queryInstruction: null, documentInstruction: "" })).not.toThrow();
  });

  it("load refuses wrong params before loading the bundle", async () => {
    // A missing bundle would give RGE_BUNDLE_NOT_FOUND if the load ran first.
    await expect(RgeLlamaEmbedding.load("/nonexistent/bundle", { reasoning: "no" as unknown as boolean })).rejects.toMatchObject({
      code: "RGE_INVALID_OPTION",
      message: 'reasoning must be true or false, got "no".',
    });
  });
});
