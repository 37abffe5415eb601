import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModelProtoSchema, ValueInfoProtoSchema } from "onnx-buf";

/**
 * Rewrites every `.onnx` graph in `onnxDir` so that each node's outputs are also graph outputs (ONNX Runtime
 * infers their types). A session on such a graph returns every intermediate tensor of a run, which lets a test
 * check what each operation saw: for example that no operation ever gets a zero-length dimension, which the
 * WebGPU provider crashes on. External data references stay valid because the files are rewritten in place.
 */
export function exposeIntermediates(onnxDir: string): void {
  for (const file of readdirSync(onnxDir).filter((f) => f.endsWith(".onnx"))) {
    const path = join(onnxDir, file);
    const model = fromBinary(ModelProtoSchema, readFileSync(path));
    const graph = model.graph!;
    const seen = new Set(graph.output.map((o) => o.name));
    for (const node of graph.node) {
      for (const name of node.output) {
        if (name === "" || seen.has(name)) continue;
        seen.add(name);
        graph.output.push(create(ValueInfoProtoSchema, { name }));
      }
    }
    writeFileSync(path, toBinary(ModelProtoSchema, model));
  }
}
