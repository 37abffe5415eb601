import { lstatSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TensorProto_DataLocation, type GraphProto, type TensorProto } from "onnx-buf";
import { InvalidOptionError } from "../errors.js";

/** The external-data files (relative `location`s) that a graph's tensors point into, without reading them. */
export function externalDataFiles(graph: GraphProto): string[] {
  const tensors: TensorProto[] = [...graph.initializer];
  for (const node of graph.node) for (const a of node.attribute) tensors.push(...(a.t ? [a.t] : []), ...a.tensors);
  const files = new Set<string>();
  for (const t of tensors) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const location = t.externalData.find((e) => e.key === "location")?.value;
    if (location) files.add(location);
  }
  return [...files];
}

/**
 * External data is referenced by a path relative to the graph file, so a graph written to another folder
 * only works where each data file is present there as a real file: ONNX Runtime (1.30) resolves symlinks and
 * rejects data whose real path leaves the graph's folder. Accepted: a hard link to the data file, or a regular
 * file of the same size (a copy). Throws {@link InvalidOptionError} with the commands to run otherwise.
 */
export function assertDataReachable(inputPath: string, outputPath: string, files: string[]): void {
  const from = dirname(resolve(inputPath));
  const to = dirname(resolve(outputPath));
  if (from === to || files.length === 0) return;
  const present = (f: string) => {
    try {
      const [source, there] = [statSync(join(from, f)), lstatSync(join(to, f))];
      if (!there.isFile()) return false;
      return (source.dev === there.dev && source.ino === there.ino) || source.size === there.size;
    } catch {
      return false;
    }
  };
  const missing = files.filter((f) => !present(f));
  if (missing.length === 0) return;
  throw new InvalidOptionError(
    `The decoder graph keeps its weights in ${missing.map((f) => `"${f}"`).join(", ")} next to ${inputPath}, and ONNX ` +
      `resolves that path relative to the graph file, so the edited graph cannot be written to ${to} alone. ` +
      `Write it into ${from} (in place is fine), or first hard-link the data there: ` +
      missing.map((f) => `ln -L "${join(from, f)}" "${join(to, f)}"`).join("; ") +
      ` (or copy it across file systems; a symlink will not do, ONNX Runtime rejects data whose real path is outside the graph's folder).`,
  );
}
