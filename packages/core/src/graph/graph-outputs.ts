import { bytesSource, FieldReader, type ByteSource } from "./proto-fields.js";

/** The names of an ONNX graph's outputs, from its bytes in memory (browsers; Node reads the file: `graphOutputNames`). */
export function graphOutputNamesOf(model: Uint8Array): string[] {
  return outputNames(bytesSource(model), model.length);
}

/** Walks `ModelProto.graph` (7) → `GraphProto.output` (12) → `ValueInfoProto.name` (1), skipping everything else. */
export function outputNames(file: ByteSource, size: number): string[] {
  const reader = new FieldReader(file, 0, size);
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
}
