import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** Content key of one item: the exact user turn and the bytes of its image (so a replaced image is re-embedded). */
export function itemKey(userText: string, imageDigest: string): string {
  return createHash("sha256").update(JSON.stringify([userText, imageDigest])).digest("hex");
}

/** sha256 of files, read once per path. */
export class ImageDigests {
  private readonly seen = new Map<string, string>();

  of(path: string | undefined): string {
    if (path === undefined) return "";
    let digest = this.seen.get(path);
    if (digest === undefined) {
      digest = createHash("sha256").update(readFileSync(path)).digest("hex");
      this.seen.set(path, digest);
    }
    return digest;
  }
}
