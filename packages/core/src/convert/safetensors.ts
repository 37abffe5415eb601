import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CheckpointInvalidError } from "../errors.js";
import { float16BitsToFloat32 } from "../graph/float16.js";
import { float32Tensor, type TensorData } from "../graph/tensor-data.js";

/** A tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  begin: number;
  end: number;
}

const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Reads tensors from one `.safetensors` file on demand (the file is never loaded whole), converting
 * bf16, fp16 and fp32 to float32.
 */
export class SafetensorsFile {
  readonly entries: Map<string, SafetensorsEntry>;
  private readonly fd: number;
  private readonly dataStart: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    try {
      const size = fstatSync(this.fd).size;
      const head = Buffer.alloc(8);
      if (size < 8 || readSync(this.fd, head, 0, 8, 0) !== 8) throw this.invalid("it is shorter than its 8-byte header length");
      const headerLength = Number(head.readBigUInt64LE(0));
      if (headerLength <= 0 || 8 + headerLength > size) throw this.invalid(`its header claims ${headerLength} bytes but the file has ${size}`);
      const json = Buffer.alloc(headerLength);
      readSync(this.fd, json, 0, headerLength, 8);
      let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      try {
        header = JSON.parse(json.toString("utf8"));
      } catch {
        throw this.invalid("its header is not JSON");
      }
      this.dataStart = 8 + headerLength;
      this.entries = new Map();
      for (const [name, info] of Object.entries(header)) {
        if (name === "__metadata__") continue;
        const [begin, end] = info.data_offsets;
        if (this.dataStart + end > size) {
          throw this.invalid(`tensor ${name} ends at byte ${this.dataStart + end} but the file has ${size} (truncated download?)`);
        }
        this.entries.set(name, { dtype: info.dtype, shape: info.shape, begin, end });
      }
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** Reads a tensor as float32. */
  read(name: string): TensorData {
    const entry = this.entries.get(name);
    if (!entry) throw new CheckpointInvalidError(`${this.path} has no tensor "${name}".`);
    const width = ELEMENT_BYTES[entry.dtype];
    if (!width) throw new CheckpointInvalidError(`${this.path}: tensor "${name}" has dtype ${entry.dtype}; only F32, F16 and BF16 are supported.`);
    const raw = Buffer.alloc(entry.end - entry.begin);
    let done = 0;
    while (done < raw.length) {
      const n = readSync(this.fd, raw, done, raw.length - done, this.dataStart + entry.begin + done);
      if (n === 0) throw new CheckpointInvalidError(`${this.path}: unexpected end of file reading "${name}".`);
      done += n;
    }
    return float32Tensor(entry.shape, toFloat32(raw, entry.dtype));
  }

  close(): void {
    closeSync(this.fd);
  }

  private invalid(why: string): CheckpointInvalidError {
    return new CheckpointInvalidError(`${this.path} is not a valid safetensors file: ${why}.`);
  }
}

function toFloat32(raw: Buffer, dtype: string): Float32Array {
  if (dtype === "F32") {
    const out = new Float32Array(raw.length / 4);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const count = raw.length / 2;
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  if (dtype === "BF16") {
    for (let i = 0; i < count; i++) bits[i] = raw.readUInt16LE(2 * i) << 16;
    return out;
  }
  const halves = new Uint16Array(count);
  for (let i = 0; i < count; i++) halves[i] = raw.readUInt16LE(2 * i);
  return float16BitsToFloat32(halves);
}
