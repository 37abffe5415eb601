import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { Bundle } from "@rge/core";

const EDGE = 1 << 20;

/**
 * A content fingerprint of a loaded bundle, cheap even for multi-gigabyte graphs: the parsed configs, tokenizer
 * and manifest, and for each graph file (and its external data) the size and the first and last MiB.
 */
export function bundleIdentity(bundle: Bundle): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify([bundle.dtype, bundle.manifest, bundle.config, bundle.generation, bundle.preprocessorConfig, bundle.tokenizerJson, bundle.tokenizerConfig]),
  );
  for (const graph of Object.values(bundle.graphs)) {
    for (const path of [graph, `${graph}_data`]) {
      if (existsSync(path)) hashEdges(hash, path);
    }
  }
  return hash.digest("hex");
}

function hashEdges(hash: ReturnType<typeof createHash>, path: string): void {
  const size = statSync(path).size;
  hash.update(`${path.slice(path.lastIndexOf("/") + 1)}:${size}`);
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(Math.min(EDGE, size));
    for (const at of size > EDGE ? [0, size - EDGE] : [0]) {
      readSync(fd, buffer, 0, buffer.length, at);
      hash.update(buffer);
    }
  } finally {
    closeSync(fd);
  }
}
