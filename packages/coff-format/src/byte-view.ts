// Bounds-checked little-endian access to an input's bytes: the only place that turns an
// out-of-range read into a CoffFormatError instead of a RangeError or a silent undefined.
import { TruncatedInputError } from "./errors.js";

export class ByteView {
  readonly bytes: Uint8Array;
  readonly fileName: string | undefined;
  private readonly data: DataView;

  constructor(bytes: Uint8Array, fileName?: string) {
    this.bytes = bytes;
    this.fileName = fileName;
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Whether [offset, offset+size) lies inside the input (`check` without building its message). */
  fits(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.bytes.length;
  }

  /** Throws unless [offset, offset+size) lies inside the input. */
  check(offset: number, size: number, what: string): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.bytes.length)) {
      throw new TruncatedInputError(`${what} runs past the end of the input (${this.bytes.length} bytes)`, {
        file: this.fileName,
        offset,
        expected: `${size} bytes at 0x${offset.toString(16)}`,
      });
    }
  }

  u8(offset: number): number {
    if (offset >= this.bytes.length || offset < 0) this.check(offset, 1, "a byte");
    return this.bytes[offset]!;
  }
  u16(offset: number): number {
    this.check(offset, 2, "a 16-bit field");
    return this.data.getUint16(offset, true);
  }
  i16(offset: number): number {
    this.check(offset, 2, "a 16-bit field");
    return this.data.getInt16(offset, true);
  }
  u32(offset: number): number {
    this.check(offset, 4, "a 32-bit field");
    return this.data.getUint32(offset, true);
  }
  i32(offset: number): number {
    this.check(offset, 4, "a 32-bit field");
    return this.data.getInt32(offset, true);
  }
  u64(offset: number): bigint {
    this.check(offset, 8, "a 64-bit field");
    return this.data.getBigUint64(offset, true);
  }
  /** A zero-copy window; `what` names the structure for the error message. */
  slice(offset: number, size: number, what = "data"): Uint8Array {
    this.check(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }
  /** A NUL-terminated ASCII/UTF-8 string starting at `offset`, bounded by `limit` (exclusive). */
  cString(offset: number, limit = this.bytes.length, what = "a string"): string {
    const end = Math.min(limit, this.bytes.length);
    if (offset < 0 || offset >= end) this.check(offset, 1, what);
    let stop = offset;
    while (stop < end && this.bytes[stop] !== 0) stop++;
    if (stop >= end && limit >= this.bytes.length) {
      throw new TruncatedInputError(`${what} is not NUL-terminated`, { file: this.fileName, offset });
    }
    return decodeText(this.bytes, offset, stop);
  }
}

const utf8 = new TextDecoder("utf-8");
// For bytes below 0x80 latin1 (windows-1252 in the Encoding standard) and UTF-8 decode alike, and the
// single-byte decoder is the cheaper of the two; it is used only after the bytes were checked to be ASCII.
const latin1 = new TextDecoder("latin1");

/** Decodes [start, end) as UTF-8 (names are nearly always ASCII: checked first, then the cheap decoder). */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start === 1 && bytes[start]! < 0x80) return String.fromCharCode(bytes[start]!);
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return utf8.decode(bytes.subarray(start, end));
  return latin1.decode(bytes.subarray(start, end));
}

const utf8Encoder = new TextEncoder();

/** Encodes `text` as UTF-8; ASCII (nearly every symbol name) without TextEncoder's call overhead. */
export function encodeText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return utf8Encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/** `target.set(source, at)`, with a plain loop for the small copies where `set`'s call overhead dominates. */
export function copyBytes(target: Uint8Array, source: Uint8Array, at: number): void {
  if (source.length > 64) {
    target.set(source, at);
    return;
  }
  for (let i = 0; i < source.length; i++) target[at + i] = source[i]!;
}
