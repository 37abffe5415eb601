// A protobuf field walker that reads only what it is asked for, from a file (Node) or bytes in memory
// (browsers). Hand-written rather than with the protobuf library because that would decode the whole message:
// gigabytes for a decoder with inline weights, when only a few names are wanted.

/** Up to `length` bytes at `position` (fewer at the end). */
export type ByteSource = (position: number, length: number) => Uint8Array;

/** A byte source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return (position, length) => bytes.subarray(position, Math.min(position + length, bytes.length));
}

export interface Field {
  number: number;
  wire: number;
  /** Payload length for length-delimited fields; the value's size for the others. */
  length: number;
  /** Where the payload starts. */
  start: number;
}

/** Reads protobuf fields between two offsets of a byte source, a few bytes at a time. */
export class FieldReader {
  position: number;

  constructor(
    private readonly source: ByteSource,
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

  bytes(length: number): Uint8Array {
    return this.source(this.position, length);
  }

  private varint(): number {
    const buf = this.source(this.position, 10);
    let value = 0;
    for (let i = 0; i < buf.length; i++) {
      value += (buf[i]! & 0x7f) * 2 ** (7 * i);
      if (buf[i]! < 0x80) {
        this.position += i + 1;
        return value;
      }
    }
    throw new Error(`malformed protobuf varint at byte ${this.position}`);
  }
}
