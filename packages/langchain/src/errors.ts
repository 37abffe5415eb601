import { RgeError } from "@rge/core";

/**
 * A vector does not have the dimension the vector store holds: the store was filled by another model, or a
 * vector came from elsewhere. `expected` is the store's dimension, `found` the vector's.
 */
export class DimensionMismatchError extends RgeError {
  readonly expected: number;
  readonly found: number;
  constructor(message: string, expected: number, found: number) {
    super("RGE_DIMENSION_MISMATCH", message);
    this.expected = expected;
    this.found = found;
  }
}

/** A saved vector store file cannot be read: missing, not JSON, or not in the `rge-vector-store` format. */
export class VectorStoreFileError extends RgeError {
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super("RGE_VECTOR_STORE_INVALID", message, options);
    this.path = path;
  }
}
