// The archive symbol index: which member defines a name, answered from the symbol table alone.

import { compareBytes, decodeText, encodeUtf8, readU16LE, readU32BE, readU32LE, readU64 } from "./bytes.js";
import { ArchiveFormatError } from "./errors.js";

/** One entry of an archive's symbol table. */
export interface ArchiveSymbol {
  readonly name: string;
  /** Offset of the header of the member that defines it; open it with `archive.memberAt`. */
  readonly memberOffset: number;
}

/**
 * Names live in the archive bytes (nameStart[i] up to a NUL before `namesEnd`) and are decoded only
 * when asked for. Lookups use binary search when the table is sorted (Microsoft's second linker
 * member), else a Map built on first use.
 */
export class SymbolIndex {
  readonly count: number;
  readonly #bytes: Uint8Array;
  readonly #fileName: string;
  readonly #nameStart: Float64Array;
  readonly #namesEnd: number;
  readonly #memberOffset: Float64Array;
  readonly #sorted: boolean;
  #byName: Map<string, number> | undefined;

  constructor(fileName: string, bytes: Uint8Array, nameStart: Float64Array, namesEnd: number, memberOffset: Float64Array, sorted: boolean) {
    this.#fileName = fileName;
    this.#bytes = bytes;
    this.#nameStart = nameStart;
    this.#namesEnd = namesEnd;
    this.#memberOffset = memberOffset;
    this.#sorted = sorted;
    this.count = nameStart.length;
  }

  static empty(fileName: string, bytes: Uint8Array): SymbolIndex {
    return new SymbolIndex(fileName, bytes, new Float64Array(0), 0, new Float64Array(0), true);
  }

  nameAt(i: number): string {
    const start = this.#nameStart[i]!;
    return decodeText(this.#bytes, start, this.#nameEnd(start));
  }

  memberOffsetAt(i: number): number {
    return this.#memberOffset[i]!;
  }

  /** Where name `i` lies in the archive's bytes, NUL excluded: `[nameStartAt(i), nameEndAt(i))`. */
  nameStartAt(i: number): number {
    return this.#nameStart[i]!;
  }

  nameEndAt(i: number): number {
    return this.#nameEnd(this.#nameStart[i]!);
  }

  find(name: string): number | undefined {
    if (this.#sorted) return this.#binarySearch(encodeUtf8(name));
    if (this.#byName === undefined) {
      const byName = new Map<string, number>();
      // The first definition wins, as linkers take the first member the index names.
      for (let i = 0; i < this.count; i++) {
        const n = this.nameAt(i);
        if (!byName.has(n)) byName.set(n, this.#memberOffset[i]!);
      }
      this.#byName = byName;
    }
    return this.#byName.get(name);
  }

  *[Symbol.iterator](): IterableIterator<ArchiveSymbol> {
    for (let i = 0; i < this.count; i++) yield { name: this.nameAt(i), memberOffset: this.#memberOffset[i]! };
  }

  #nameEnd(start: number): number {
    const b = this.#bytes;
    for (let i = start; i < this.#namesEnd; i++) if (b[i] === 0) return i;
    throw new ArchiveFormatError(this.#fileName, start, "a NUL-terminated symbol name inside the symbol table", "a name running past its end");
  }

  #binarySearch(key: Uint8Array): number | undefined {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.#nameStart[mid]!;
      if (compareBytes(this.#bytes, start, this.#nameEnd(start), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.count) return undefined;
    const start = this.#nameStart[lo]!;
    return compareBytes(this.#bytes, start, this.#nameEnd(start), key) === 0 ? this.#memberOffset[lo] : undefined;
  }
}

/** Where the NUL-terminated names of a table start: scans [from, end) for `count` names. */
function scanNames(fileName: string, bytes: Uint8Array, from: number, end: number, count: number, what: string): Float64Array {
  const starts = new Float64Array(count);
  let at = from;
  for (let i = 0; i < count; i++) {
    if (at >= end) {
      throw new ArchiveFormatError(fileName, at, `${count} symbol names in the ${what}`, `only ${i}`);
    }
    starts[i] = at;
    while (at < end && bytes[at] !== 0) at++;
    if (at >= end) throw new ArchiveFormatError(fileName, starts[i]!, `a NUL-terminated symbol name in the ${what}`, "a name running past its end");
    at++;
  }
  return starts;
}

/** GNU/SysV `/` (and Microsoft's first linker member): BE count, BE header offsets, names. */
export function parseGnuSymbolTable(fileName: string, bytes: Uint8Array, start: number, size: number, wide: boolean): SymbolIndex {
  const word = wide ? 8 : 4;
  const what = wide ? "/SYM64/ symbol table" : "/ symbol table";
  const end = start + size;
  if (size < word) throw new ArchiveFormatError(fileName, start, `a ${word}-byte symbol count in the ${what}`, `${size} bytes`);
  const count = wide ? readU64(bytes, start, false) : readU32BE(bytes, start);
  // Checked before allocating: each symbol needs an offset and at least a NUL.
  if (count < 0 || word + count * (word + 1) > size) {
    throw new ArchiveFormatError(fileName, start, `a symbol count that fits the ${size}-byte ${what}`, String(count));
  }
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = start + word + i * word;
    offsets[i] = wide ? readU64(bytes, at, false) : readU32BE(bytes, at);
  }
  const names = scanNames(fileName, bytes, start + word + count * word, end, count, what);
  return new SymbolIndex(fileName, bytes, names, end, offsets, false);
}

/** Microsoft's second linker member: LE member count and offsets, LE symbol count, u16 member indices, sorted names. */
export function parseCoffSymbolTable(fileName: string, bytes: Uint8Array, start: number, size: number): SymbolIndex {
  const what = "second linker member";
  const end = start + size;
  if (size < 4) throw new ArchiveFormatError(fileName, start, `a member count in the ${what}`, `${size} bytes`);
  const memberCount = readU32LE(bytes, start);
  if (8 + memberCount * 4 > size) throw new ArchiveFormatError(fileName, start, `a member count that fits the ${size}-byte ${what}`, String(memberCount));
  const symbolCountAt = start + 4 + memberCount * 4;
  const symbolCount = readU32LE(bytes, symbolCountAt);
  if (8 + memberCount * 4 + symbolCount * 3 > size) {
    throw new ArchiveFormatError(fileName, symbolCountAt, `a symbol count that fits the ${size}-byte ${what}`, String(symbolCount));
  }
  const indicesAt = symbolCountAt + 4;
  const offsets = new Float64Array(symbolCount);
  for (let i = 0; i < symbolCount; i++) {
    const index = readU16LE(bytes, indicesAt + i * 2);
    if (index < 1 || index > memberCount) {
      throw new ArchiveFormatError(fileName, indicesAt + i * 2, `a 1-based member index up to ${memberCount} in the ${what}`, String(index));
    }
    offsets[i] = readU32LE(bytes, start + 4 + (index - 1) * 4);
  }
  const names = scanNames(fileName, bytes, indicesAt + symbolCount * 2, end, symbolCount, what);
  return new SymbolIndex(fileName, bytes, names, end, offsets, true);
}

/**
 * BSD `__.SYMDEF` (ranlib): ranlib-array byte size, {string offset, header offset} pairs, string
 * table size, strings. Stored in the writer's byte order; little-endian today, so that is tried first.
 */
export function parseBsdSymbolTable(fileName: string, bytes: Uint8Array, start: number, size: number, wide: boolean): SymbolIndex {
  const word = wide ? 8 : 4;
  const what = wide ? "__.SYMDEF_64 symbol table" : "__.SYMDEF symbol table";
  const read = (at: number, le: boolean) => (wide ? readU64(bytes, at, le) : le ? readU32LE(bytes, at) : readU32BE(bytes, at));
  const fits = (le: boolean): boolean => {
    if (size < 2 * word) return false;
    const arrayBytes = read(start, le);
    if (arrayBytes < 0 || arrayBytes % (2 * word) !== 0 || 2 * word + arrayBytes > size) return false;
    const stringsSize = read(start + word + arrayBytes, le);
    return stringsSize >= 0 && 2 * word + arrayBytes + stringsSize <= size;
  };
  const le = fits(true) || !fits(false);
  if (!fits(le)) throw new ArchiveFormatError(fileName, start, `ranlib array and string table sizes that fit the ${size}-byte ${what}`);
  const arrayBytes = read(start, le);
  const count = arrayBytes / (2 * word);
  const stringsAt = start + 2 * word + arrayBytes;
  const stringsSize = read(stringsAt - word, le);
  const nameStart = new Float64Array(count);
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = start + word + i * 2 * word;
    const strx = read(at, le);
    if (strx < 0 || strx >= stringsSize) {
      throw new ArchiveFormatError(fileName, at, `a name offset below the string table size ${stringsSize} in the ${what}`, String(strx));
    }
    nameStart[i] = stringsAt + strx;
    offsets[i] = read(at + word, le);
  }
  return new SymbolIndex(fileName, bytes, nameStart, stringsAt + stringsSize, offsets, false);
}
