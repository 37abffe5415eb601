import type { RowPositions } from "../preprocess/rope-index.js";

/** One input made ready for the graphs: token ids of its whole prompt, its images, and M-RoPE positions. */
export interface PreparedItem {
  ids: number[];
  images: PreparedImage[];
  positions: RowPositions;
}

export interface PreparedImage {
  /** `[patches, C*T*P*P]` flattened, in the processor's patch order. */
  pixelValues: Float32Array;
  grid: [number, number, number];
}
