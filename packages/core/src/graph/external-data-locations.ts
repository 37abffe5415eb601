import { bytesSource, FieldReader } from "./proto-fields.js";

/**
 * The external-data files (`location`s) an ONNX model's initializers point into, read from the model's bytes
 * without decoding it: `ModelProto.graph` (7) → `GraphProto.initializer` (5) → `TensorProto.external_data` (13),
 * entries `{ key: 1, value: 2 }` with key "location". Browsers use it to fetch exactly the files a graph needs.
 */
export function externalDataLocations(model: Uint8Array): string[] {
  const locations = new Set<string>();
  const text = new TextDecoder();
  const source = bytesSource(model);
  const top = new FieldReader(source, 0, model.length);
  for (let field = top.next(); field; field = top.next()) {
    if (field.number === 7 && field.wire === 2) {
      const graph = new FieldReader(source, field.start, field.start + field.length);
      for (let g = graph.next(); g; g = graph.next()) {
        if (g.number === 5 && g.wire === 2) {
          const tensor = new FieldReader(source, g.start, g.start + g.length);
          for (let t = tensor.next(); t; t = tensor.next()) {
            if (t.number === 13 && t.wire === 2) {
              const entry = new FieldReader(source, t.start, t.start + t.length);
              let key = "";
              let value = "";
              for (let e = entry.next(); e; e = entry.next()) {
                if (e.wire === 2 && (e.number === 1 || e.number === 2)) {
                  const s = text.decode(entry.bytes(e.length));
                  if (e.number === 1) key = s;
                  else value = s;
                }
                entry.skip(e);
              }
              if (key === "location" && value) locations.add(value);
            }
            tensor.skip(t);
          }
        }
        graph.skip(g);
      }
    }
    top.skip(field);
  }
  return [...locations];
}
