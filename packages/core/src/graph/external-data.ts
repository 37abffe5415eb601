import { closeSync, openSync, writeSync } from "node:fs";
import { basename } from "node:path";

/**
 * Appends weights to an ONNX external-data file as they are produced, aligned the way ONNX Runtime can
 * memory-map them. The graph file references each tensor by file name, offset and length.
 */
export class ExternalDataWriter {
  private readonly fd: number;
  private offset = 0;
  readonly location: string;

  constructor(
    readonly path: string,
    private readonly alignment = 4096,
  ) {
    this.fd = openSync(path, "w");
    this.location = basename(path);
  }

  append(bytes: Uint8Array): { location: string; offset: number; length: number } {
    const pad = (this.alignment - (this.offset % this.alignment)) % this.alignment;
    if (pad > 0) {
      writeSync(this.fd, new Uint8Array(pad));
      this.offset += pad;
    }
    const at = this.offset;
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(this.fd, bytes, written, bytes.byteLength - written);
    this.offset += bytes.byteLength;
    return { location: this.location, offset: at, length: bytes.byteLength };
  }

  get bytesWritten(): number {
    return this.offset;
  }

  close(): void {
    closeSync(this.fd);
  }
}
