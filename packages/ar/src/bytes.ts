// Small byte helpers shared by the reader and the writer.

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes bytes[start, end), ASCII without TextDecoder since nearly every name is ASCII. */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = "";
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

export function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function readU32LE(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function readU16LE(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

/** A 64-bit value as a number, or -1 when it is beyond 2^53 (no archive we can hold is that big). */
export function readU64(b: Uint8Array, at: number, littleEndian: boolean): number {
  const hi = littleEndian ? readU32LE(b, at + 4) : readU32BE(b, at);
  const lo = littleEndian ? readU32LE(b, at) : readU32BE(b, at + 4);
  if (hi >= 0x200000) return -1;
  return hi * 0x1_0000_0000 + lo;
}

export function writeU32BE(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

export function writeU32LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}

export function writeU16LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = v >>> 8;
}

export function writeU64(b: Uint8Array, at: number, v: number, littleEndian: boolean): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v >>> 0;
  if (littleEndian) {
    writeU32LE(b, at, lo);
    writeU32LE(b, at + 4, hi);
  } else {
    writeU32BE(b, at, hi);
    writeU32BE(b, at + 4, lo);
  }
}

/** Byte-wise comparison, the order Microsoft's second linker member sorts names in. */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): number {
  const n = Math.min(aEnd - aStart, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - b.length;
}
