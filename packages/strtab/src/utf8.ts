// UTF-8 in and out of table bytes, with an ASCII fast path because nearly every symbol name is ASCII.

import { StringTableError } from "./errors.js";

const encoder = new TextEncoder();
// Not fatal: a name with broken UTF-8 still reads back (with U+FFFD) instead of stopping a link.
const decoder = new TextDecoder("utf-8");

/** Longest ASCII string decoded with String.fromCharCode; longer ones go to TextDecoder. */
const SHORT_ASCII = 64;
const charCodes: number[] = [];

/**
 * Rejects what cannot round-trip through a NUL-terminated UTF-8 table: NUL itself, and lone
 * surrogates (TextEncoder would turn them into U+FFFD, so the string would read back different).
 */
export function checkStorable(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) {
      throw new StringTableError("invalid-string", `string ${JSON.stringify(s)} contains NUL at index ${i}; NUL terminates table entries`);
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw new StringTableError("invalid-string", `string ${JSON.stringify(s)} has a lone surrogate at index ${i}; it cannot be encoded as UTF-8`);
    }
  }
}

/** Most bytes `s` can take in UTF-8 (3 per UTF-16 unit). */
export function maxEncodedLength(s: string): number {
  return s.length * 3;
}

/**
 * Checks `s` (see checkStorable) and writes it at `at` in `target`, which has room for
 * maxEncodedLength(s) bytes. Returns the number of bytes written. Checking while copying keeps
 * `add` to one pass over ASCII names.
 */
export function encodeAt(s: string, target: Uint8Array, at: number): number {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) break;
    target[at + i] = c;
  }
  if (i === n) return n;
  checkStorable(s);
  const rest = encoder.encodeInto(s.slice(i), target.subarray(at + i));
  return i + rest.written;
}

/** UTF-8 bytes of a (checked) string. */
export function encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * Decodes bytes[start, end). `ascii` says the caller already saw only bytes below 0x80.
 */
export function decodeRange(bytes: Uint8Array, start: number, end: number, ascii: boolean): string {
  const length = end - start;
  if (length === 0) return "";
  if (ascii && length <= SHORT_ASCII) {
    // One reused array and one fromCharCode call: faster than concatenation or a subarray per name.
    const codes = charCodes;
    codes.length = length;
    for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  return decoder.decode(bytes.subarray(start, end));
}
