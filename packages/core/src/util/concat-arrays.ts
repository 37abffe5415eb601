/**
 * The parts one after another in one array of their kind (`create` makes it, given the length); a single part is
 * returned as it is. `Buffer.concat` for any typed array, and without Node.
 */
export function concatArrays<T extends Uint8Array | Float32Array>(parts: readonly T[], create: (length: number) => T): T {
  if (parts.length === 1) return parts[0]!;
  const out = create(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
