import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { PreparedItem } from "./prepared-item.js";

/**
 * A least-recently-used cache of results keyed by exactly what the model would see: the role, the
 * decoding settings, the prompt's token ids and the image pixels. A repeated query skips generation; a
 * repeated document skips its forward pass. Values are copied in and out so callers cannot alter them.
 */
export class ResultCache<T> {
  private readonly entries = new Map<string, T>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly copy: (value: T) => T,
  ) {}

  static key(item: PreparedItem, mode: string): string {
    // @noble/hashes rather than node:crypto: the same code runs in browsers, where Web Crypto's digest is async.
    const hash = sha256.create().update(new TextEncoder().encode(mode)).update(bytesOf(Int32Array.from(item.ids)));
    for (const image of item.images) {
      hash.update(bytesOf(Int32Array.from(image.grid)));
      hash.update(bytesOf(image.pixelValues));
    }
    return bytesToHex(hash.digest());
  }

  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key); // re-insert: most recently used last
    this.entries.set(key, value);
    return this.copy(value);
  }

  set(key: string, value: T): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, this.copy(value));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
