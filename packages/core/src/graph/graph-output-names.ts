import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * The names of an ONNX graph's outputs, read from the file without loading it. Written by hand rather than with
 * the protobuf library because that would read the whole file (gigabytes for a decoder with inline weights): this
 * walks `ModelProto.graph` and `GraphProto.output` and seeks past every other field, nodes and initializers
 * included. ONNX Runtime needs the names before it opens a session, to place outputs on the device.
 */
export function graphOutputNames(path: string): string[] {
  const fd = openSync(path, "r");
  try {
    const reader = new FieldReader(fd, 0, fstatSync(fd).size);
    const names: string[] = [];
    for (let field = reader.next(); field; field = reader.next()) {
      if (field.number !== 7 || field.wire !== 2) {
        reader.skip(field);
        continue;
      }
      const graph = new FieldReader(fd, reader.position, reader.position + field.length);
      for (let g = graph.next(); g; g = graph.next()) {
        if (g.number === 12 && g.wire === 2) {
          const info = new FieldReader(fd, graph.position, graph.position + g.length);
          for (let v = info.next(); v; v = info.next()) {
            if (v.number === 1 && v.wire === 2) names.push(info.bytes(v.length).toString("utf8"));
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

interface Field {
  number: number;
  wire: number;
  /** Payload length for length-delimited fields; the value's size for the others. */
  length: number;
  /** Where the payload starts. */
  start: number;
}

/** Reads protobuf fields between two file offsets, a few bytes at a time. */
class FieldReader {
  position: number;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  next(): Field | undefined {
    if (this.position >= this.end) return undefined;
    const key = this.varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    let length: number;
    if (wire === 0) {
      const before = this.position;
      this.varint();
      length = this.position - before;
      this.position = before;
    } else if (wire === 1) length = 8;
    else if (wire === 2) length = this.varint();
    else if (wire === 5) length = 4;
    else throw new Error(`unsupported protobuf wire type ${wire} at byte ${this.position}`);
    return { number, wire, length, start: this.position };
  }

  skip(field: Field): void {
    this.position = field.start + field.length;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    readSync(this.fd, out, 0, length, this.position);
    return out;
  }

  private varint(): number {
    const buf = Buffer.alloc(10);
    const n = readSync(this.fd, buf, 0, 10, this.position);
    let value = 0;
    for (let i = 0; i < n; i++) {
      value += (buf[i]! & 0x7f) * 2 ** (7 * i);
      if (buf[i]! < 0x80) {
        this.position += i + 1;
        return value;
      }
    }
    throw new Error(`malformed protobuf varint at byte ${this.position}`);
  }
}
