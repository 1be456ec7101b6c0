// The base-relocation table (spec §6.6): one block per 4 KiB page, entries sorted, each block padded to
// 4 bytes with an ABSOLUTE entry. Built from typed arrays so that an incremental update can rebuild
// 100k entries in milliseconds.
import { IMAGE_FILE_MACHINE, IMAGE_REL_BASED } from "@linkkit/coff-format";
import { hex, PeWriterError } from "./errors.js";

export interface BaseRelocationEntry {
  /** Address of the field the loader adjusts. */
  readonly rva: number;
  /** IMAGE_REL_BASED_* (DIR64 on 64-bit machines, HIGHLOW on 32-bit ones). */
  readonly type: number;
}

/** The base-relocation type for pointer-sized fields on `machine`. */
export function baseRelocationType(machine: number): number {
  switch (machine) {
    case IMAGE_FILE_MACHINE.AMD64:
    case IMAGE_FILE_MACHINE.ARM64:
    case IMAGE_FILE_MACHINE.ARM64EC:
    case IMAGE_FILE_MACHINE.ARM64X:
      return IMAGE_REL_BASED.DIR64;
    case IMAGE_FILE_MACHINE.I386:
    case IMAGE_FILE_MACHINE.ARMNT:
      return IMAGE_REL_BASED.HIGHLOW;
    default:
      throw new PeWriterError(`no base relocation type known for machine ${hex(machine)}`, { where: "base relocations" });
  }
}

export function buildBaseRelocations(entries: readonly BaseRelocationEntry[]): Uint8Array {
  const rvas = new Uint32Array(entries.length);
  const types = new Uint8Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    checkRva(e.rva);
    rvas[i] = e.rva;
    types[i] = checkType(e.type, e.rva);
  }
  return encode(rvas, types);
}

/** The same table from parallel arrays (or one type for all), without allocating an object per entry. */
export function buildBaseRelocationsFromArrays(rvas: Uint32Array, types: Uint8Array | number): Uint8Array {
  if (typeof types === "number") {
    checkType(types, 0);
  } else if (types.length !== rvas.length) {
    throw new PeWriterError(`${rvas.length} RVAs but ${types.length} types`, { where: "base relocations" });
  }
  return encode(rvas, types);
}

function checkRva(rva: number): void {
  if (!Number.isInteger(rva) || rva < 0 || rva > 0xffff_ffff) {
    throw new PeWriterError(`RVA ${rva} is not a 32-bit address`, { where: "base relocations" });
  }
}

/** ABSOLUTE is padding only; HIGHADJ needs a second parameter entry that this table does not model. */
function isSupportedType(type: number): boolean {
  return Number.isInteger(type) && type > 0 && type <= 15 && type !== IMAGE_REL_BASED.HIGHADJ;
}

function checkType(type: number, rva: number): number {
  if (!isSupportedType(type)) throw unsupportedType(type, rva);
  return type;
}

function unsupportedType(type: number, rva: number): PeWriterError {
  return new PeWriterError(`base relocation type ${type} is not supported`, {
    where: "base relocations", rva, expected: "DIR64 (10), HIGHLOW (3) or another single-slot IMAGE_REL_BASED_* type",
  });
}

/**
 * Two passes over the entries: `tableSize` checks them and sizes the table, `writeTable` writes it. Each
 * loop runs once per link, much of it before V8 has optimised it: fewer passes are most of the speed.
 */
function encode(rvas: Uint32Array, types: Uint8Array | number): Uint8Array {
  let size = tableSize(rvas, types);
  if (size >= 0) return writeTable(rvas, types, size); // an incremental linker keeps its entries sorted
  let sortedRvas: Uint32Array;
  let sortedTypes: Uint8Array | number;
  if (typeof types === "number") {
    // One type for all (the usual case): a native numeric sort of the addresses alone.
    sortedRvas = Uint32Array.from(rvas).sort();
    sortedTypes = types;
  } else {
    // rva * 16 + type is exact in a double (< 2^36) and sorts by address first.
    const count = rvas.length;
    const keys = new Float64Array(count);
    for (let i = 0; i < count; i++) keys[i] = rvas[i]! * 16 + types[i]!;
    keys.sort();
    sortedRvas = new Uint32Array(count);
    const byKey = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const key = keys[i]!;
      byKey[i] = key % 16;
      sortedRvas[i] = (key - byKey[i]!) / 16;
    }
    sortedTypes = byKey;
  }
  size = tableSize(sortedRvas, sortedTypes);
  return writeTable(sortedRvas, sortedTypes, size);
}

/**
 * The size of the table of these entries when they are in (address, type) order, else -1. Checks each
 * entry's type, and that a field listed twice is listed with one type (twice is one relocation; with two
 * types it is a bug upstream).
 */
function tableSize(rvas: Uint32Array, types: Uint8Array | number): number {
  const one = typeof types === "number" ? types : -1;
  const each = typeof types === "number" ? undefined : types;
  let size = 0, page = -1, inPage = 0, previous = -1, previousType = 0;
  for (let i = 0; i < rvas.length; i++) {
    const rva = rvas[i]!;
    const type = each === undefined ? one : each[i]!;
    if (each !== undefined && !isSupportedType(type)) throw unsupportedType(type, rva);
    if (rva <= previous) {
      if (rva < previous || type < previousType) return -1;
      if (type !== previousType) throw new PeWriterError("two base relocations of different types at one address", { where: "base relocations", rva });
      continue;
    }
    previous = rva;
    previousType = type;
    const p = rva >>> 12;
    if (p !== page) {
      if (page >= 0) size += blockSize(inPage);
      page = p;
      inPage = 0;
    }
    inPage++;
  }
  if (page >= 0) size += blockSize(inPage);
  return size;
}

/** Writes the table of sorted entries (`size` from `tableSize`): a block per page, duplicates once. */
function writeTable(rvas: Uint32Array, types: Uint8Array | number, size: number): Uint8Array {
  const one = typeof types === "number" ? types : -1;
  const each = typeof types === "number" ? undefined : types;
  const out = new Uint8Array(size);
  const data = new DataView(out.buffer);
  let blockStart = 0, at = 0, page = -1, previous = -1;
  for (let i = 0; i < rvas.length; i++) {
    const rva = rvas[i]!;
    if (rva === previous) continue;
    previous = rva;
    const p = rva >>> 12;
    if (p !== page) {
      if (page >= 0) at = closeBlock(data, blockStart, at);
      page = p;
      blockStart = at;
      data.setUint32(at, (p << 12) >>> 0, true);
      at += 8;
    }
    data.setUint16(at, ((each === undefined ? one : each[i]!) << 12) | (rva & 0xfff), true);
    at += 2;
  }
  if (page >= 0) closeBlock(data, blockStart, at);
  return out;
}

function blockSize(entries: number): number {
  return 8 + ((entries * 2 + 3) & ~3);
}

/** Pads the block to 4 bytes (the padding entry is ABSOLUTE, all zero) and writes its SizeOfBlock. */
function closeBlock(data: DataView, blockStart: number, at: number): number {
  const end = (at + 3) & ~3;
  data.setUint32(blockStart + 4, end - blockStart, true);
  return end;
}

/** Decodes a base-relocation table back into entries (padding dropped), for tests and dumps. */
export function readBaseRelocations(table: Uint8Array): BaseRelocationEntry[] {
  const data = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: BaseRelocationEntry[] = [];
  let at = 0;
  while (at + 8 <= table.length) {
    const page = data.getUint32(at, true);
    const size = data.getUint32(at + 4, true);
    if (size < 8 || at + size > table.length) {
      throw new PeWriterError(`block size ${size} is invalid`, { where: "base relocations", offset: at });
    }
    for (let e = at + 8; e + 2 <= at + size; e += 2) {
      const v = data.getUint16(e, true);
      if (v >>> 12 !== IMAGE_REL_BASED.ABSOLUTE) out.push({ rva: page + (v & 0xfff), type: v >>> 12 });
    }
    at += size;
  }
  return out;
}
