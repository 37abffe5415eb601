import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { BundleIncompleteError, BundleNotFoundError } from "../errors.js";
import { CONFIG_FILES, graphPaths, OPTIONAL_FILES } from "./bundle-files.js";
import type { RgeDtype } from "./dtype.js";
import { parseBundle, type Bundle } from "./parse-bundle.js";

export type { Bundle, Json } from "./parse-bundle.js";

/** Looks like a Hugging Face repo id (`org/name`) rather than a path. */
export function isHubId(ref: string): boolean {
  return !isAbsolute(ref) && !ref.startsWith(".") && /^[\w.-]+\/[\w.-]+$/.test(ref) && !existsSync(ref);
}

/** Reads and cross-checks a local bundle directory. Makes no network requests. */
export function readBundle(dirLike: string, dtype: RgeDtype): Bundle {
  const dir = resolve(dirLike);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const what = existsSync(dir) ? "it is a file, not a directory" : "the directory does not exist";
    throw new BundleNotFoundError(
      `No RGE bundle at ${dir}: ${what}. Pass the path of a bundle made by \`rge convert\`, ` +
        `or a Hugging Face repo id with \`allowNetwork: true\`.`,
    );
  }
  const graphs = graphPaths(dtype);
  const missing = [...CONFIG_FILES, ...Object.values(graphs)].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    const onlyGraphs = missing.every((m) => m.startsWith("onnx/"));
    const hint = onlyGraphs
      ? `The bundle has no ${dtype} graphs; convert with \`--dtype ${dtype}\` or load another dtype.`
      : "The bundle is partial; re-run `rge convert` or finish the download.";
    throw new BundleIncompleteError(`RGE bundle at ${dir} is missing ${missing.join(", ")}. ${hint}`, missing);
  }
  const texts = new Map<string, string>();
  for (const name of [...CONFIG_FILES, ...OPTIONAL_FILES]) {
    const path = join(dir, name);
    if (existsSync(path)) texts.set(name, readFileSync(path, "utf8"));
  }
  return parseBundle(dir, dtype, texts, (name) => join(dir, name));
}
