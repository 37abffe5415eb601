import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { FieldReader, type ByteSource } from "./proto-fields.js";

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
    const reader = new FieldReader(file, 0, fstatSync(fd).size);
    const names: string[] = [];
    for (let field = reader.next(); field; field = reader.next()) {
      if (field.number !== 7 || field.wire !== 2) {
        reader.skip(field);
        continue;
      }
      const graph = new FieldReader(file, reader.position, reader.position + field.length);
      for (let g = graph.next(); g; g = graph.next()) {
        if (g.number === 12 && g.wire === 2) {
          const info = new FieldReader(file, graph.position, graph.position + g.length);
          for (let v = info.next(); v; v = info.next()) {
            if (v.number === 1 && v.wire === 2) names.push(new TextDecoder().decode(info.bytes(v.length)));
            info.skip(v);
          }
        }
        graph.skip(g);
      }
      reader.skip(field);
    }
    return names;
  } finally {
    closeSync(fd);
  }
}
