import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError } from "../errors.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { RationaleDetokenizer, rationaleTokens, type RationaleToken } from "./rationale-stream.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";

const tmp = tempDir();
let model: RgeModel;
let embTokenId: number;

beforeAll(async () => {
  ({ embTokenId } = writeTinyBundle(tmp.dir, { seed: 11, embStrength: 1.2 })); // rationales of 14 to 40 tokens
  // batchSize 2 under 6 queries: rows leave and newcomers join mid-decode while tokens stream.
  model = await loadRgeModel(tmp.dir, { batchSize: 2, maxNewTokens: 40, cacheSize: 0 });
});

afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

/** The tiny tokenizer is byte-level with no merges: token id = byte value. */
const byteIds = (text: string) => [...new TextEncoder().encode(text)];

describe("RationaleDetokenizer", () => {
  it("holds back bytes of a character split across tokens and hands it out whole with the token that ends it", () => {
    const text = "héllo 世界 🙂!";
    const pieces = rationaleTokens(byteIds(text), (ids) => model.decode(ids));
    expect(pieces.map((p) => p.text).join("")).toBe(text);
    expect(pieces.flatMap((p) => p.ids)).toEqual(byteIds(text));
    expect(pieces.find((p) => p.text === "世")?.ids).toHaveLength(3);
    expect(pieces.find((p) => p.text === "🙂")?.ids).toHaveLength(4);
    expect(pieces.some((p) => p.text.includes("\uFFFD"))).toBe(false);
  });

  it("flushes a character left unfinished at the end as the text the whole rationale decodes to", () => {
    const ids = byteIds("ok 世").slice(0, -1); // the last character's third byte never comes
    const detokenizer = new RationaleDetokenizer((x) => model.decode(x));
    const pushed = ids.map((id) => detokenizer.push(id));
    expect(pushed.slice(-2)).toEqual([undefined, undefined]);
    const rest = detokenizer.flush();
    expect(rest?.ids).toEqual(ids.slice(-2));
    expect([...pushed, rest].map((p) => p?.text ?? "").join("")).toBe(model.decode(ids));
    expect(detokenizer.flush()).toBeUndefined();
  });

  it("decodes each piece beside the one before, so a decoder that treats word starts specially gives the whole's text", () => {
    // Like SentencePiece's Metaspace decoder: "▁" is a space, except at the very start of the text.
    const vocab = ["▁The", "▁cat", "s", "▁sat"];
    const decode = (ids: number[]) => ids.map((i) => vocab[i]).join("").replaceAll("▁", " ").replace(/^ /, "");
    const pieces = rationaleTokens([0, 1, 2, 3], decode);
    expect(pieces.map((p) => p.text)).toEqual(["The", " cat", "s", " sat"]);
  });
});

describe("RgeModel token streaming", () => {
  const queries = ["a red car", "where is the nearest bakery that sells sourdough", "dog", "sky at night over the sea", "tea", "what is shown"].map((text) => ({ text }));

  it("streams each query's rationale while batched: the pieces join to its rationale and ids, all before it resolves", async () => {
    const plain = await model.embedQueries(queries);
    const seen = queries.map(() => [] as RationaleToken[]);
    const streamed = await Promise.all(
      queries.map((q, i) =>
        model
          .embedQuery(q, {
            onToken: (token, index) => {
              expect(index).toBe(0);
              seen[i]!.push(token);
            },
          })
          // No piece may arrive after its own query resolved.
          .then((r) => ({ r, piecesAtResolve: seen[i]!.length })),
      ),
    );
    streamed.forEach(({ r, piecesAtResolve }, i) => {
      expect(seen[i]!.length).toBe(piecesAtResolve);
      expect(seen[i]!.map((t) => t.text).join("")).toBe(r.rationale);
      const rationaleIds = r.stoppedBy === "emb" ? r.generatedIds.slice(0, -1) : r.generatedIds;
      expect(seen[i]!.flatMap((t) => t.ids)).toEqual(rationaleIds);
      expect(seen[i]!.flatMap((t) => t.ids)).not.toContain(embTokenId);
      // Streaming changes nothing the batch computes.
      expect(r.rationale).toBe(plain[i]!.rationale);
      expect(Array.from(r.embedding)).toEqual(Array.from(plain[i]!.embedding));
    });
    expect(seen.some((pieces) => pieces.length > 1)).toBe(true);
    expect(seen.flat().some((piece) => piece.ids.length > 1)).toBe(true); // a character held back, then completed
  });

  it("tells embedQueries' callback which input each piece belongs to", async () => {
    const seen = new Map<number, string>();
    const results = await model.embedQueries(queries.slice(0, 4), { onToken: (t, index) => seen.set(index, (seen.get(index) ?? "") + t.text) });
    results.forEach((r, i) => expect(seen.get(i) ?? "").toBe(r.rationale));
  });

  it("streams nothing with reasoning off", async () => {
    let calls = 0;
    const [r] = await model.embedQueries([queries[0]!], { reasoning: false, onToken: () => calls++ });
    expect(r!.stoppedBy).toBe("noReasoning");
    expect(calls).toBe(0);
  });

  it("fails only the query whose callback throws, with that error; the others in its batch finish", async () => {
    const boom = new Error("listener broke");
    const outcomes = await model.embedQueriesSettled(queries.slice(0, 3), {
      onToken: (_t, index) => {
        if (index === 1) throw boom;
      },
    });
    expect(outcomes[1]).toEqual({ status: "rejected", reason: boom });
    expect(outcomes[0]!.status).toBe("fulfilled");
    expect(outcomes[2]!.status).toBe("fulfilled");
  });

  it("streams a result served from the cache at once, in the same pieces", async () => {
    const cached = await loadRgeModel(tmp.dir, { batchSize: 2, maxNewTokens: 40 });
    try {
      const collect = async () => {
        const pieces: RationaleToken[] = [];
        const r = await cached.embedQuery(queries[1]!, { onToken: (t) => pieces.push(t) });
        return { r, pieces };
      };
      const first = await collect();
      const second = await collect();
      expect(second.pieces).toEqual(first.pieces);
      expect(second.pieces.map((p) => p.text).join("")).toBe(second.r.rationale);
    } finally {
      await cached.dispose();
    }
  });

  it("streamQuery iterates the pieces and resolves `result` with the same query embedding", async () => {
    const stream = model.streamQuery(queries[3]!);
    let text = "";
    for await (const token of stream) text += token.text;
    const result = await stream.result;
    expect(text).toBe(result.rationale);
    const alone = await model.embedQuery(queries[3]!);
    expect(Array.from(result.embedding)).toEqual(Array.from(alone.embedding));
  });

  it("streamQuery's iteration throws when the query is cancelled midway, and `result` rejects alike", async () => {
    const controller = new AbortController();
    const stream = model.streamQuery(queries[1]!, { signal: controller.signal, maxNewTokens: 40 });
    let pieces = 0;
    const iterate = async () => {
      for await (const _ of stream) if (++pieces === 2) controller.abort();
    };
    await expect(iterate()).rejects.toBeInstanceOf(AbortedError);
    await expect(stream.result).rejects.toBeInstanceOf(AbortedError);
    expect(pieces).toBe(2);
  });
});
