// Reading a string table in place: bounds-checked, zero-copy, decoded on demand.

import { StringTableError } from "./errors.js";
import { layoutOf, type StringTableFlavour } from "./flavour.js";
import { decodeRange } from "./utf8.js";

/** A string table over bytes someone else owns; strings are decoded when asked for. */
export interface StringTableReader {
  readonly flavour: StringTableFlavour;
  /** Exactly the table's bytes (a view, not a copy), including a COFF size prefix. */
  readonly bytes: Uint8Array;
  /** Size of the table in bytes. */
  readonly size: number;
  /** The NUL-terminated string that starts at `offset`; throws {@link StringTableError} if there is none. */
  getString(offset: number): string;
}

/**
 * Decodes the string at `offset` of the table held in bytes[0, end), where offsets below
 * `firstValid` belong to a header. Shared by the reader and the append-only table.
 */
export function stringAt(bytes: Uint8Array, end: number, firstValid: number, offset: number): string {
  if (!(offset >= firstValid && offset < end) || !Number.isInteger(offset)) {
    if (Number.isInteger(offset) && offset >= 0 && offset < firstValid) {
      throw new StringTableError("offset-in-header", `string table offset ${offset} points into the ${firstValid}-byte header; strings start at ${firstValid}`, offset);
    }
    throw new StringTableError("offset-out-of-range", `string table offset ${String(offset)} is outside the table [${firstValid}, ${end})`, offset);
  }
  let ascii = true;
  for (let i = offset; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0) return decodeRange(bytes, offset, i, ascii);
    if (b >= 0x80) ascii = false;
  }
  throw new StringTableError("missing-terminator", `string at table offset ${offset} runs to the end of the table (${end} bytes) without a NUL terminator`, offset);
}

class Reader implements StringTableReader {
  readonly flavour: StringTableFlavour;
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly #firstValid: number;

  constructor(flavour: StringTableFlavour, bytes: Uint8Array, firstValid: number) {
    this.flavour = flavour;
    this.bytes = bytes;
    this.size = bytes.length;
    this.#firstValid = firstValid;
  }

  getString(offset: number): string {
    return stringAt(this.bytes, this.size, this.#firstValid, offset);
  }
}

/**
 * Opens a string table. For COFF, `bytes` may run past the table (say, to the end of the file):
 * the size prefix says where it ends. For ELF and Mach-O, `bytes` is exactly the table (the section
 * or the LC_SYMTAB range).
 */
export function readStringTable(bytes: Uint8Array, flavour: StringTableFlavour): StringTableReader {
  const layout = layoutOf(flavour);
  if (!layout.sizePrefix) return new Reader(flavour, bytes, 0);
  if (bytes.length < 4) {
    throw new StringTableError("truncated-size-prefix", `COFF string table needs a 4-byte size prefix but only ${bytes.length} bytes are there`, 0);
  }
  let size = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  // Sizes below 4 mean "empty": cvtres writes 0 for an empty table, and LLVM's COFF reader accepts it.
  if (size < 4) size = 4;
  if (size > bytes.length) {
    throw new StringTableError("size-prefix-too-large", `COFF string table size prefix says ${size} bytes but only ${bytes.length} are there`, 0);
  }
  return new Reader(flavour, bytes.subarray(0, size), 4);
}
