// The append-only string table: an offset, once handed out, stays valid for the life of the table.

import { layoutOf, type FlavourLayout, type StringTableFlavour } from "./flavour.js";
import { StringTableError } from "./errors.js";
import { readStringTable, stringAt } from "./reader.js";
import { checkStorable, encodeAt, maxEncodedLength } from "./utf8.js";

export interface StringTableFromOptions {
  /**
   * Serve a string from the end of a longer one ("bar" from inside "foobar"), as ELF
   * SHF_MERGE|SHF_STRINGS sections and LLVM's StringTableBuilder do. Default false: strings are
   * laid out in the order given.
   */
  readonly tailMerge?: boolean;
}

/**
 * A deduplicating string table. `add` only ever appends, so offsets returned earlier never change
 * and an incremental linker can keep them in its output. Tail merging happens once, when the table
 * is built from a known set with {@link StringTable.from}; strings added afterwards are appended.
 */
export class StringTable {
  readonly flavour: StringTableFlavour;
  readonly #layout: FlavourLayout;
  readonly #offsets = new Map<string, number>();
  /** Table bytes up to #end; for COFF the first 4 (the size) are filled in when serializing. */
  #bytes: Uint8Array;
  #end: number;

  constructor(flavour: StringTableFlavour) {
    this.flavour = flavour;
    this.#layout = layoutOf(flavour);
    this.#bytes = new Uint8Array(256);
    this.#bytes.set(this.#layout.headerBytes, this.#layout.sizePrefix ? 4 : 0);
    this.#end = this.#layout.headerSize;
    for (const [s, offset] of this.#layout.preset) this.#offsets.set(s, offset);
  }

  /**
   * Builds a table holding `strings` (duplicates allowed). With `tailMerge`, strings that end
   * another string share its bytes; the layout then depends only on the set, not on its order.
   */
  static from(strings: Iterable<string>, flavour: StringTableFlavour, options: StringTableFromOptions = {}): StringTable {
    const table = new StringTable(flavour);
    if (!options.tailMerge) {
      for (const s of strings) table.add(s);
      return table;
    }
    const unique: string[] = [];
    const seen = new Set<string>();
    for (const s of strings) {
      if (seen.has(s) || table.#offsets.has(s)) continue;
      checkStorable(s);
      seen.add(s);
      unique.push(s);
    }
    // Sorted by their reversed text, a string comes right after (descending) the strings it ends.
    unique.sort(compareReversed);
    let host = "";
    let hostOffset = -1;
    let hostByteLength = 0;
    for (let i = unique.length - 1; i >= 0; i--) {
      const s = unique[i]!;
      if (hostOffset >= 0 && host.endsWith(s)) {
        table.#offsets.set(s, hostOffset + hostByteLength - utf8Length(s));
        continue;
      }
      hostOffset = table.#end;
      hostByteLength = table.#append(s);
      host = s;
      table.#offsets.set(s, hostOffset);
    }
    return table;
  }

  /**
   * Reopens a serialized table to append to it: every string that starts after a NUL keeps its
   * offset (suffixes shared by tail merging are found again only if added: they are appended then).
   */
  static load(bytes: Uint8Array, flavour: StringTableFlavour): StringTable {
    const reader = readStringTable(bytes, flavour);
    const table = new StringTable(flavour);
    const layout = table.#layout;
    const size = reader.size;
    const headerAt = layout.sizePrefix ? 4 : 0;
    layout.headerBytes.forEach((expected, i) => {
      if (reader.bytes[headerAt + i] !== expected) {
        throw new StringTableError("bad-header", `${flavour} string table must start with bytes [${layout.headerBytes.join(", ")}] but byte ${headerAt + i} is ${String(reader.bytes[headerAt + i])}`, headerAt + i);
      }
    });
    table.#reserve(size + 1);
    table.#bytes.set(reader.bytes.subarray(layout.sizePrefix ? 4 : 0), layout.sizePrefix ? 4 : 0);
    table.#end = size;
    let start = layout.headerSize;
    for (let i = start; i < size; i++) {
      if (reader.bytes[i] !== 0) continue;
      const s = stringAt(reader.bytes, size, 0, start);
      if (!table.#offsets.has(s)) table.#offsets.set(s, start);
      start = i + 1;
    }
    // An unterminated tail would swallow the next appended string; close it (it was unreadable anyway).
    if (start < size) table.#bytes[table.#end++] = 0;
    return table;
  }

  /** Offset of `s`, adding it at the end if it is new. Throws StringTableError for NUL or lone surrogates. */
  add(s: string): number {
    const known = this.#offsets.get(s);
    if (known !== undefined) return known;
    const offset = this.#end;
    this.#append(s);
    this.#offsets.set(s, offset);
    return offset;
  }

  /** Offset of `s` if it is in the table. */
  offsetOf(s: string): number | undefined {
    return this.#offsets.get(s);
  }

  has(s: string): boolean {
    return this.#offsets.has(s);
  }

  /** The string at `offset` (any offset inside a string works, as in the file). */
  getString(offset: number): string {
    return stringAt(this.#bytes, this.#end, this.#layout.sizePrefix ? 4 : 0, offset);
  }

  /** Number of distinct strings with an offset, including the flavour's preset ones. */
  get count(): number {
    return this.#offsets.size;
  }

  /** Serialized size in bytes, including the COFF size prefix and Mach-O padding. */
  get size(): number {
    const pad = this.#layout.padTo;
    return Math.ceil(this.#end / pad) * pad;
  }

  /** Every string and its offset, in the order they got offsets. */
  entries(): IterableIterator<[string, number]> {
    return this.#offsets.entries();
  }

  /** The table as it goes into the file. */
  serialize(): Uint8Array {
    const out = new Uint8Array(this.size);
    this.writeTo(out, 0);
    return out;
  }

  /** Writes the table at `at` in `target` (which must have room for `size` bytes); returns the size. */
  writeTo(target: Uint8Array, at: number): number {
    const size = this.size;
    target.set(this.#bytes.subarray(0, this.#end), at);
    target.fill(0, at + this.#end, at + size);
    if (this.#layout.sizePrefix) {
      target[at] = size & 0xff;
      target[at + 1] = (size >>> 8) & 0xff;
      target[at + 2] = (size >>> 16) & 0xff;
      target[at + 3] = (size >>> 24) & 0xff;
    }
    return size;
  }

  /** Appends s and its NUL; returns the encoded length without the NUL. */
  #append(s: string): number {
    this.#reserve(this.#end + maxEncodedLength(s) + 1);
    const written = encodeAt(s, this.#bytes, this.#end);
    this.#bytes[this.#end + written] = 0;
    this.#end += written + 1;
    return written;
  }

  #reserve(capacity: number): void {
    if (capacity <= this.#bytes.length) return;
    let next = this.#bytes.length * 2;
    while (next < capacity) next *= 2;
    const grown = new Uint8Array(next);
    grown.set(this.#bytes.subarray(0, this.#end));
    this.#bytes = grown;
  }
}

function compareReversed(a: string, b: string): number {
  let i = a.length - 1;
  let j = b.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return i - j;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a checked string pairs every high surrogate with a low one
      i++;
    } else n += 3;
  }
  return n;
}
