import { basename, dirname } from "node:path";
import type { MmebEmbedder, MmebEmbedInput } from "../embed/embedder.js";

/** Concepts the fake embedder knows; each is one axis of its embedding space. */
const CONCEPTS = ["tench", "goldfinch", "tiger shark", "hammerhead", "Yes", "No", "dog", "cats", "fruit", "red cup", "left man"];

/**
 * What each fixture image "shows", by `<subset>/<file>`. With reasoning the model sees ImageNet-1K/2.png right;
 * without, it mistakes it for a goldfinch.
 */
const IMAGE_CONCEPTS = (reasoning: boolean): Record<string, string> => ({
  "ImageNet-1K/0.png": "tench",
  "ImageNet-1K/1.png": "goldfinch",
  "ImageNet-1K/2.png": reasoning ? "tiger shark" : "goldfinch",
  "HatefulMemes/0.png": "Yes",
  "HatefulMemes/1.png": "Yes",
  "MSCOCO_t2i/0.png": "dog",
  "MSCOCO_t2i/1.png": "cats",
  "MSCOCO_t2i/2.png": "fruit",
});

/** A hand-checkable embedder: the axis of what the image shows, else of the first concept in the text, plus a small floor. */
export interface ConceptEmbedder extends MmebEmbedder {
  /** Items embedded so far, by kind. */
  calls: { target: number; query: number; "query-reasoning": number };
}

/** An embedder whose hits the tests work out by hand; `failAfter` throws once that many items were embedded in total. */
export function conceptEmbedder(options: { failAfter?: number; onItem?: () => void } = {}): ConceptEmbedder {
  const calls = { target: 0, query: 0, "query-reasoning": 0 };
  let total = 0;
  const embed = (input: MmebEmbedInput, reasoning: boolean) => {
    if (options.failAfter !== undefined && total >= options.failAfter) throw new Error("injected failure");
    total++;
    options.onItem?.();
    const image = input.image ? `${basename(dirname(input.image))}/${basename(input.image)}` : undefined;
    const concept = (image && IMAGE_CONCEPTS(reasoning)[image]) ?? CONCEPTS.find((c) => input.userText.includes(c));
    const v = new Float32Array(CONCEPTS.length).fill(0.01);
    if (concept) v[CONCEPTS.indexOf(concept)] = 1;
    return v;
  };
  return {
    calls,
    cacheIdentity: (kind) => `concept-embedder|${kind}`,
    async embedQueries(inputs, { reasoning }) {
      return inputs.map((input) => {
        calls[reasoning ? "query-reasoning" : "query"]++;
        const embedding = embed(input, reasoning);
        return { status: "fulfilled", value: { embedding, rationale: reasoning ? `thinking about ${basename(input.image ?? "text")}` : "", stoppedBy: reasoning ? "emb" : "noReasoning" } };
      });
    },
    async embedTargets(inputs) {
      return inputs.map((input) => {
        calls.target++;
        return { status: "fulfilled", value: { embedding: embed(input, false) } };
      });
    },
  };
}
