// The COFF string table as read from an object: a u32 total size (counting itself) then
// NUL-terminated names. Names are decoded on request, never up front.
import { decodeText } from "./byte-view.js";
import { InvalidFieldError, TruncatedInputError } from "./errors.js";

/** Size of the length field that opens a COFF string table; offsets count from the table's start. */
export const STRING_TABLE_SIZE_FIELD = 4;

export class CoffStringTable {
  /** The whole table, size field included, as a zero-copy window (empty when the input has none). */
  readonly bytes: Uint8Array;
  /** Offset of the table in the input, for error messages. */
  readonly fileOffset: number;
  readonly fileName: string | undefined;

  constructor(bytes: Uint8Array, fileOffset: number, fileName?: string) {
    this.bytes = bytes;
    this.fileOffset = fileOffset;
    this.fileName = fileName;
  }

  /** True when the input carried a string table (possibly just its size field). */
  get present(): boolean {
    return this.bytes.length >= STRING_TABLE_SIZE_FIELD;
  }

  /**
   * The NUL-terminated name at `offset` (counted from the size field, as COFF does). `what` names it in an
   * error; a function is called only then (no message built per name on the hot path).
   */
  get(offset: number, what: string | (() => string) = "a string table name"): string {
    const table = this.bytes;
    if (offset < STRING_TABLE_SIZE_FIELD || offset >= table.length) {
      throw new InvalidFieldError(`${typeof what === "string" ? what : what()} points at string table offset ${offset}, outside the table`, {
        file: this.fileName,
        offset: this.fileOffset,
        expected: `an offset from 4 to ${Math.max(table.length - 1, 4)}`,
      });
    }
    const stop = table.indexOf(0, offset);
    if (stop < 0) {
      throw new TruncatedInputError(`${typeof what === "string" ? what : what()} at string table offset ${offset} is not NUL-terminated`, {
        file: this.fileName,
        offset: this.fileOffset + offset,
        expected: "a NUL before the end of the string table",
      });
    }
    return decodeText(table, offset, stop);
  }
}

/**
 * Reads the table at `offset`. Lenient as link.exe: no table at all when the input ends right
 * there, and a size field below 4 (some tools write 0) means an empty table.
 */
export function readCoffStringTable(input: Uint8Array, offset: number, fileName?: string): CoffStringTable {
  if (offset === input.length) return new CoffStringTable(input.subarray(offset, offset), offset, fileName);
  if (offset + STRING_TABLE_SIZE_FIELD > input.length) {
    throw new TruncatedInputError("the string table size field runs past the end of the input", {
      file: fileName,
      offset,
      expected: `4 bytes at 0x${offset.toString(16)}, the input has ${input.length}`,
    });
  }
  const size = (input[offset]! | (input[offset + 1]! << 8) | (input[offset + 2]! << 16) | (input[offset + 3]! << 24)) >>> 0;
  const length = size < STRING_TABLE_SIZE_FIELD ? STRING_TABLE_SIZE_FIELD : size;
  if (offset + length > input.length) {
    throw new TruncatedInputError(`the string table says it is ${size} bytes, more than the input holds`, {
      file: fileName,
      offset,
      expected: `at most ${input.length - offset} bytes`,
    });
  }
  return new CoffStringTable(input.subarray(offset, offset + length), offset, fileName);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Where a section header's 8-byte name points into the string table: `/1234` (decimal, what
 * every tool writes below 10,000,000) or `//AAAAAA` (base 64, big-endian, for larger offsets).
 * Returns undefined for an inline name.
 */
export function parseLongSectionNameRef(name: Uint8Array, fileName?: string, offset?: number): number | undefined {
  if (name[0] !== 0x2f /* '/' */) return undefined;
  let end = name.indexOf(0);
  if (end < 0) end = name.length;
  const bad = (why: string): never => {
    throw new InvalidFieldError(`section name ${JSON.stringify(decodeText(name, 0, end))} ${why}`, {
      file: fileName,
      offset,
      expected: "'/' and a decimal string table offset, or '//' and six base-64 digits",
    });
  };
  if (name[1] === 0x2f) {
    if (end !== 8) bad("is not a base-64 string table reference");
    let value = 0;
    for (let i = 2; i < 8; i++) {
      const digit = BASE64.indexOf(String.fromCharCode(name[i]!));
      if (digit < 0) bad("has a character outside base 64");
      value = value * 64 + digit;
    }
    return value;
  }
  // A lone "/" is an ordinary (if odd) inline name; GNU tools use "/4" and up only for references.
  if (end === 1) return undefined;
  let value = 0;
  for (let i = 1; i < end; i++) {
    const c = name[i]!;
    if (c < 0x30 || c > 0x39) bad("is not a decimal string table reference");
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** The 8-byte header name that refers to string table offset `offset`. */
export function encodeLongSectionNameRef(offset: number): Uint8Array {
  const out = new Uint8Array(8);
  if (offset <= 9_999_999) {
    const text = `/${offset}`;
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  if (offset >= 64 ** 6) {
    throw new InvalidFieldError(`string table offset ${offset} cannot be encoded in a section name`, {
      expected: "an offset below 64^6",
    });
  }
  out[0] = out[1] = 0x2f;
  let rest = offset;
  for (let i = 7; i >= 2; i--) {
    out[i] = BASE64.charCodeAt(rest % 64);
    rest = Math.floor(rest / 64);
  }
  return out;
}
