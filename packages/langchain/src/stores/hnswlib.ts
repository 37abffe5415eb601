import { withImageAsText } from "./image-as-text.js";
import type { StoreConvention } from "./store-convention.js";

/** What `@langchain/community`'s `HNSWLib` store exposes that the convention uses. */
interface HnswlibStore {
  args?: { space?: string };
}

/**
 * `@langchain/community`'s HNSWLib store keeps the very document objects it is given (and saves them as
 * JSON), and scores with hnswlib's distances: `1 - cos` in the `cosine` space (its default), `1 - dot` in
 * `ip`, squared L2 in `l2`. So it gets copies with images as text, and its distances become the cosine
 * similarity of unit vectors.
 */
export const hnswlibConvention: StoreConvention = {
  prepare: async (_store, documents) => documents.map(withImageAsText),
  readHit(store, document, score) {
    const distance = score as number;
    const space = (store as unknown as HnswlibStore).args?.space;
    return { document, score: space === "l2" ? 1 - distance / 2 : 1 - distance };
  },
};
