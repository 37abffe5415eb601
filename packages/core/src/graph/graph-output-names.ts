import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { outputNames } from "./graph-outputs.js";
import type { ByteSource } from "./proto-fields.js";

/**
 * The names of an ONNX graph's outputs, read from the file without loading it. Written by hand rather than with
 * the protobuf library because that would read the whole file (gigabytes for a decoder with inline weights): this
 * walks `ModelProto.graph` and `GraphProto.output` and seeks past every other field, nodes and initializers
 * included. ONNX Runtime needs the names before it opens a session, to place outputs on the device.
 */
export function graphOutputNames(path: string): string[] {
  const fd = openSync(path, "r");
  try {
    const file: ByteSource = (position, length) => {
      const out = new Uint8Array(length);
      return out.subarray(0, readSync(fd, out, 0, length, position));
    };
    return outputNames(file, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}
