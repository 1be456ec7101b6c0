// Writing COFF objects from a plain model, in two phases: reserve every region's file offset,
// then write. Layout hints from a read object (`toCoffObjectModel`) make the output byte-identical;
// a model without hints gets the usual layout: headers, then each section's data and
// relocations, then the symbol table and the string table.
import { AnonObjectHeaderBigobj, BIGOBJ_CLASS_ID, ImageFileHeader, ImageRelocation, ImageSectionHeader, ImageSymbol, ImageSymbolEx } from "./layouts.js";
import { IMAGE_SCN } from "./constants.js";
import { InvalidFieldError } from "./errors.js";
import { writeStruct } from "./struct.js";
import { copyBytes, encodeText } from "./byte-view.js";
import { encodeAuxRecord, type AuxRecord } from "./aux-records.js";
import { encodeLongSectionNameRef, STRING_TABLE_SIZE_FIELD } from "./string-table.js";
import { MAX_NUMBER_OF_SECTIONS16, RELOCATION_COUNT_OVERFLOW, type CoffObject, type CoffRelocation } from "./object.js";

export interface CoffSectionModel {
  readonly name: string;
  readonly characteristics: number;
  /** File contents; absent for uninitialized data (then the header's raw data pointer is 0). */
  readonly data?: Uint8Array | undefined;
  /** SizeOfRawData when there is no `data` (.bss objects put the size here). */
  readonly sizeOfRawData?: number | undefined;
  readonly virtualSize?: number | undefined;
  readonly virtualAddress?: number | undefined;
  readonly relocations?: readonly CoffRelocation[] | undefined;
  // Layout hints, as read; omit them and the writer chooses.
  /** String table offset to reuse for a long name (used if the seed string table has the name there). */
  readonly nameOffset?: number | undefined;
  /** The 8 header name bytes verbatim, for names no canonical encoding reproduces. */
  readonly rawName?: Uint8Array | undefined;
  readonly pointerToRawData?: number | undefined;
  readonly pointerToRelocations?: number | undefined;
  readonly pointerToLinenumbers?: number | undefined;
  readonly numberOfLinenumbers?: number | undefined;
}

export interface CoffSymbolModel {
  readonly name: string;
  readonly value: number;
  /** 1-based section number, or 0 (undefined), -1 (absolute), -2 (debug). */
  readonly sectionNumber: number;
  readonly type?: number | undefined;
  readonly storageClass: number;
  /** Aux records; a `file` record takes as many table records as its name needs. */
  readonly aux?: readonly (AuxRecord | AuxFileRecords)[] | undefined;
  readonly nameOffset?: number | undefined;
  readonly rawName?: Uint8Array | undefined;
}

/** A `.file` name with an explicit record count (writers may use more records than the name needs). */
export interface AuxFileRecords {
  readonly kind: "file";
  readonly fileName: string;
  readonly recordCount?: number | undefined;
}

export interface CoffObjectModel {
  /** Write the /bigobj header and 20-byte symbols (needed beyond 65279 sections). */
  readonly bigobj?: boolean | undefined;
  readonly machine: number;
  readonly timeDateStamp?: number | undefined;
  /** IMAGE_FILE_* flags; not representable in bigobj headers. */
  readonly characteristics?: number | undefined;
  readonly optionalHeader?: Uint8Array | undefined;
  /** bigobj header fields other than the ones above; defaults: version 2, the bigobj class id, zeros. */
  readonly bigobjHeader?: {
    readonly version?: number; readonly classId?: Uint8Array; readonly sizeOfData?: number;
    readonly flags?: number; readonly metaDataSize?: number; readonly metaDataOffset?: number;
  } | undefined;
  readonly sections: readonly CoffSectionModel[];
  readonly symbols: readonly CoffSymbolModel[];
  /**
   * A string table to start from, size field included (as read, to keep its order); names it
   * lacks are appended. An empty array means "none" when no name needs one.
   */
  readonly stringTable?: Uint8Array | undefined;
  readonly pointerToSymbolTable?: number | undefined;
  /** Bytes after the last structure (kept for byte-identical round trips). */
  readonly trailer?: Uint8Array | undefined;
}


/** Number of symbol table records a symbol takes, itself included. */
export function symbolRecordCount(symbol: CoffSymbolModel, bigobj = false): number {
  return 1 + auxRecordCount(symbol, bigobj ? ImageSymbolEx.size : ImageSymbol.size);
}

/** The raw symbol table index of each model symbol: what relocations and aux tag indices refer to. */
export function symbolTableIndices(symbols: readonly CoffSymbolModel[], bigobj = false): number[] {
  const out: number[] = [];
  let next = 0;
  for (const s of symbols) {
    out.push(next);
    next += symbolRecordCount(s, bigobj);
  }
  return out;
}

function auxRecordCount(symbol: CoffSymbolModel, recordSize: number): number {
  let n = 0;
  for (const a of symbol.aux ?? []) {
    if (a.kind === "file") {
      const needed = Math.max(1, Math.ceil(encodeText(a.fileName).length / recordSize));
      n += Math.max(needed, ("recordCount" in a ? a.recordCount : undefined) ?? 0);
    } else n++;
  }
  return n;
}

/** Builds the output string table: a seed kept verbatim, new names appended once each. */
class StringTableWriter {
  private readonly seed: Uint8Array;
  private readonly appended: Uint8Array[] = [];
  private readonly offsets = new Map<string, number>();
  private size: number;
  private readonly seedUsable: boolean;

  constructor(seed: Uint8Array | undefined) {
    this.seed = seed ?? new Uint8Array(0);
    this.seedUsable = this.seed.length >= STRING_TABLE_SIZE_FIELD;
    this.size = this.seedUsable ? this.seed.length : STRING_TABLE_SIZE_FIELD;
  }

  /** The offset of `name`: the hinted one if the seed has `name` there, else a new or shared entry. */
  add(name: string, hint: number | undefined): number {
    const encoded = encodeText(name);
    if (hint !== undefined && this.seedUsable && this.seedHas(encoded, hint)) return hint;
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const offset = this.size;
    this.appended.push(encoded, new Uint8Array(1));
    this.size += encoded.length + 1;
    this.offsets.set(name, offset);
    return offset;
  }

  private seedHas(encoded: Uint8Array, offset: number): boolean {
    if (offset < STRING_TABLE_SIZE_FIELD || offset + encoded.length >= this.seed.length) return false;
    for (let i = 0; i < encoded.length; i++) if (this.seed[offset + i] !== encoded[i]) return false;
    return this.seed[offset + encoded.length] === 0;
  }

  /** Bytes to write: nothing when the model asked for no table and no name needed one. */
  get byteLength(): number {
    if (this.seed.length === 0 && this.seed !== EMPTY_DEFAULT && this.appended.length === 0) return 0;
    return this.size;
  }

  writeTo(target: Uint8Array, offset: number): void {
    if (this.byteLength === 0) return;
    let at = offset;
    if (this.seedUsable) {
      target.set(this.seed, at);
      at += this.seed.length;
    } else at += STRING_TABLE_SIZE_FIELD;
    for (const part of this.appended) {
      target.set(part, at);
      at += part.length;
    }
    // Keep a seed's own size field when nothing was added (some tools write 0 there).
    if (!this.seedUsable || this.appended.length > 0) {
      new DataView(target.buffer, target.byteOffset + offset, 4).setUint32(0, this.size, true);
    }
  }
}

/** Marks "the model gave no string table": write the usual 4-byte empty one. */
const EMPTY_DEFAULT = new Uint8Array(0);

interface Region { readonly start: number; readonly size: number; readonly what: string }

export function writeCoffObject(model: CoffObjectModel): Uint8Array {
  const bigobj = model.bigobj === true;
  const symbolSize = bigobj ? ImageSymbolEx.size : ImageSymbol.size;
  const optionalHeader = bigobj ? new Uint8Array(0) : model.optionalHeader ?? new Uint8Array(0);
  const headerSize = bigobj ? AnonObjectHeaderBigobj.size : ImageFileHeader.size + optionalHeader.length;
  const sectionCount = model.sections.length;
  if (!bigobj && sectionCount > MAX_NUMBER_OF_SECTIONS16) {
    throw new InvalidFieldError(`${sectionCount} sections do not fit a regular object header`, { expected: `at most ${MAX_NUMBER_OF_SECTIONS16} sections, or bigobj: true` });
  }

  // Phase 1: names into the string table (sections first, then symbols, as compilers do).
  const strings = new StringTableWriter(model.stringTable ?? EMPTY_DEFAULT);
  const sectionNames = model.sections.map((s) => s.rawName ?? sectionNameBytes(s, strings));
  const symbolNames = model.symbols.map((s) => s.rawName ?? symbolNameBytes(s, strings));

  // Phase 1: file offsets for every region.
  const regions: Region[] = [{ start: 0, size: headerSize + sectionCount * ImageSectionHeader.size, what: "the headers" }];
  let cursor = headerSize + sectionCount * ImageSectionHeader.size;
  const place = (hint: number | undefined, size: number, what: string): number => {
    const start = hint ?? cursor;
    if (size > 0) regions.push({ start, size, what });
    cursor = Math.max(cursor, start + size);
    return start;
  };
  const dataPointers: number[] = [];
  const relocationPointers: number[] = [];
  for (const [i, s] of model.sections.entries()) {
    const data = s.data;
    dataPointers.push(data === undefined ? 0 : data.length === 0 && s.pointerToRawData === undefined ? 0 : place(s.pointerToRawData, data.length, `section ${i + 1}'s data`));
    const relocations = s.relocations ?? [];
    const records = relocations.length + (relocations.length >= RELOCATION_COUNT_OVERFLOW ? 1 : 0);
    relocationPointers.push(records === 0 ? s.pointerToRelocations ?? 0 : place(s.pointerToRelocations, records * ImageRelocation.size, `section ${i + 1}'s relocations`));
  }
  let symbolRecords = 0;
  for (const s of model.symbols) symbolRecords += symbolRecordCount(s, bigobj);
  const symbolTableOffset = symbolRecords === 0 && model.pointerToSymbolTable === undefined ? cursor : place(model.pointerToSymbolTable, symbolRecords * symbolSize, "the symbol table");
  const stringTableOffset = symbolTableOffset + symbolRecords * symbolSize;
  cursor = Math.max(cursor, stringTableOffset);
  place(stringTableOffset, strings.byteLength, "the string table");
  const trailer = model.trailer ?? new Uint8Array(0);
  const trailerOffset = place(undefined, trailer.length, "the trailer");
  checkNoOverlap(regions);

  // Phase 2: write.
  const out = new Uint8Array(cursor);
  if (bigobj) {
    const h = model.bigobjHeader ?? {};
    writeStruct(out, AnonObjectHeaderBigobj, 0, {
      Sig1: 0, Sig2: 0xffff, Version: h.version ?? 2, Machine: model.machine, TimeDateStamp: model.timeDateStamp ?? 0,
      ClassID: h.classId ?? BIGOBJ_CLASS_ID, SizeOfData: h.sizeOfData ?? 0, Flags: h.flags ?? 0,
      MetaDataSize: h.metaDataSize ?? 0, MetaDataOffset: h.metaDataOffset ?? 0, NumberOfSections: sectionCount,
      PointerToSymbolTable: symbolRecords === 0 && model.pointerToSymbolTable === undefined ? 0 : symbolTableOffset,
      NumberOfSymbols: symbolRecords,
    });
  } else {
    writeStruct(out, ImageFileHeader, 0, {
      Machine: model.machine, NumberOfSections: sectionCount, TimeDateStamp: model.timeDateStamp ?? 0,
      PointerToSymbolTable: symbolRecords === 0 && model.pointerToSymbolTable === undefined ? 0 : symbolTableOffset,
      NumberOfSymbols: symbolRecords, SizeOfOptionalHeader: optionalHeader.length,
      Characteristics: model.characteristics ?? 0,
    });
    out.set(optionalHeader, ImageFileHeader.size);
  }

  for (const [i, s] of model.sections.entries()) {
    const relocations = s.relocations ?? [];
    const overflow = relocations.length >= RELOCATION_COUNT_OVERFLOW;
    writeStruct(out, ImageSectionHeader, headerSize + i * ImageSectionHeader.size, {
      Name: sectionNames[i]!,
      VirtualSize: s.virtualSize ?? 0,
      VirtualAddress: s.virtualAddress ?? 0,
      SizeOfRawData: s.data?.length ?? s.sizeOfRawData ?? 0,
      PointerToRawData: dataPointers[i]!,
      PointerToRelocations: relocationPointers[i]!,
      PointerToLinenumbers: s.pointerToLinenumbers ?? 0,
      NumberOfRelocations: overflow ? RELOCATION_COUNT_OVERFLOW : relocations.length,
      NumberOfLinenumbers: s.numberOfLinenumbers ?? 0,
      Characteristics: (overflow ? s.characteristics | IMAGE_SCN.LNK_NRELOC_OVFL : s.characteristics) >>> 0,
    });
    if (s.data !== undefined) copyBytes(out, s.data, dataPointers[i]!);
    let at = relocationPointers[i]!;
    if (overflow) {
      // The sentinel's VirtualAddress holds the real count, itself included.
      writeStruct(out, ImageRelocation, at, { VirtualAddress: relocations.length + 1, SymbolTableIndex: 0, Type: 0 });
      at += ImageRelocation.size;
    }
    for (const r of relocations) {
      writeStruct(out, ImageRelocation, at, { VirtualAddress: r.offset, SymbolTableIndex: r.symbolIndex, Type: r.type });
      at += ImageRelocation.size;
    }
  }

  let at = symbolTableOffset;
  for (const [i, s] of model.symbols.entries()) {
    const sectionNumber16 = s.sectionNumber < 0 ? s.sectionNumber + 0x10000 : s.sectionNumber;
    if (!bigobj && (sectionNumber16 < 0 || sectionNumber16 > 0xffff)) {
      throw new InvalidFieldError(`symbol ${JSON.stringify(s.name)} has section number ${s.sectionNumber}, beyond a regular object`, { expected: "bigobj: true" });
    }
    const aux = encodeSymbolAux(s, bigobj);
    const auxCount = aux.length / symbolSize;
    if (auxCount > 0xff) throw new InvalidFieldError(`symbol ${JSON.stringify(s.name)} has ${auxCount} aux records`, { expected: "at most 255" });
    // Regular objects store the section number as an unsigned 16-bit field.
    writeStruct(out, (bigobj ? ImageSymbolEx : ImageSymbol) as typeof ImageSymbolEx, at, {
      Name: symbolNames[i]!, Value: s.value >>> 0,
      SectionNumber: bigobj ? s.sectionNumber : sectionNumber16 > 0x7fff ? sectionNumber16 - 0x10000 : sectionNumber16,
      Type: s.type ?? 0, StorageClass: s.storageClass & 0xff, NumberOfAuxSymbols: auxCount,
    });
    copyBytes(out, aux, at + symbolSize);
    at += symbolSize + aux.length;
  }
  strings.writeTo(out, stringTableOffset);
  out.set(trailer, trailerOffset);
  return out;
}

function sectionNameBytes(s: CoffSectionModel, strings: StringTableWriter): Uint8Array {
  const encoded = encodeText(s.name);
  if (encoded.length <= 8 && s.nameOffset === undefined) return encoded;
  return encodeLongSectionNameRef(strings.add(s.name, s.nameOffset));
}

function symbolNameBytes(s: CoffSymbolModel, strings: StringTableWriter): Uint8Array {
  const encoded = encodeText(s.name);
  if (encoded.length <= 8 && s.nameOffset === undefined) return encoded;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, strings.add(s.name, s.nameOffset), true);
  return out;
}

function checkNoOverlap(regions: Region[]): void {
  const sorted = [...regions].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.start + prev.size) {
      throw new InvalidFieldError(`${cur.what} at 0x${cur.start.toString(16)} overlaps ${prev.what} (0x${prev.start.toString(16)}..0x${(prev.start + prev.size).toString(16)})`, {
        expected: "layout hints that keep regions apart (or none)",
      });
    }
  }
}

/**
 * The model of a read object, with every layout hint that makes `writeCoffObject` reproduce
 * its bytes. Aux records whose decoded form would not re-encode identically are kept raw.
 */
export function toCoffObjectModel(obj: CoffObject): CoffObjectModel {
  const recordSize = obj.symbolRecordSize;
  const sections: CoffSectionModel[] = [];
  let end = obj.sectionTableOffset + obj.sectionCount * ImageSectionHeader.size;
  for (let i = 0; i < obj.sectionCount; i++) {
    const h = obj.section(i);
    const relocations = obj.relocations(i);
    const hasData = h.pointerToRawData !== 0;
    const canonical = h.nameOffset !== undefined ? encodeLongSectionNameRef(h.nameOffset) : undefined;
    if (hasData) end = Math.max(end, h.pointerToRawData + h.sizeOfRawData);
    if (h.numberOfRelocations > 0) end = Math.max(end, relocations.fileOffset + relocations.length * ImageRelocation.size);
    sections.push({
      name: h.name,
      characteristics: h.characteristics,
      data: hasData ? obj.sectionData(i) : undefined,
      sizeOfRawData: hasData ? undefined : h.sizeOfRawData,
      virtualSize: h.virtualSize,
      virtualAddress: h.virtualAddress,
      relocations: relocations.toArray(),
      nameOffset: h.nameOffset,
      rawName: (canonical === undefined ? isCanonicalInlineName(h.rawName, h.name) : sameBytes(canonical, h.rawName)) ? undefined : h.rawName,
      pointerToRawData: hasData ? h.pointerToRawData : undefined,
      pointerToRelocations: h.pointerToRelocations,
      pointerToLinenumbers: h.pointerToLinenumbers,
      numberOfLinenumbers: h.numberOfLinenumbers,
    });
  }
  const symbols: CoffSymbolModel[] = [];
  obj.forEachSymbolIndex((i) => {
    const s = obj.symbol(i);
    let aux: (AuxRecord | AuxFileRecords)[] = [];
    if (s.numberOfAuxSymbols > 0) {
      const auxBytes = obj.symbolAuxBytes(i);
      aux = s.aux.map((a) => (a.kind === "file" ? { ...a, recordCount: s.numberOfAuxSymbols } : a));
      // Decoded records that would not re-encode to the same bytes (non-zero unused fields) stay raw.
      if (!sameBytes(encodeSymbolAux({ name: s.name, value: 0, sectionNumber: 0, storageClass: 0, aux }, obj.isBigobj), auxBytes)) {
        aux = [];
        for (let k = 0; k < s.numberOfAuxSymbols; k++) aux.push({ kind: "raw", bytes: auxBytes.subarray(k * recordSize, (k + 1) * recordSize) });
      }
    }
    const symbolModel: CoffSymbolModel = {
      name: s.name, value: s.value, sectionNumber: s.sectionNumber, type: s.type, storageClass: s.storageClass,
      aux, nameOffset: s.nameOffset,
    };
    const at = obj.symbolOffset(i);
    const raw = obj.bytes.subarray(at, at + 8);
    // A string table reference reproduces itself through the hint; an inline name must be NUL-padded.
    symbols.push(s.nameOffset !== undefined || isCanonicalInlineName(raw, s.name) ? symbolModel : { ...symbolModel, rawName: raw });
  });
  const hasSymbolTable = obj.symbolRecordCount > 0 || obj.pointerToSymbolTable !== 0;
  if (hasSymbolTable) end = Math.max(end, obj.pointerToSymbolTable + obj.symbolRecordCount * recordSize + obj.stringTable.bytes.length);
  return {
    bigobj: obj.isBigobj,
    machine: obj.machine,
    timeDateStamp: obj.timeDateStamp,
    characteristics: obj.characteristics,
    optionalHeader: obj.optionalHeader.length > 0 ? obj.optionalHeader : undefined,
    bigobjHeader: obj.bigobj,
    sections,
    symbols,
    stringTable: obj.stringTable.bytes,
    pointerToSymbolTable: hasSymbolTable ? obj.pointerToSymbolTable : undefined,
    trailer: end < obj.bytes.length ? obj.bytes.subarray(end) : undefined,
  };
}

const NO_AUX = new Uint8Array(0);

/** The aux records of a symbol as written: each record 18 bytes, or 20 in bigobj. */
export function encodeSymbolAux(symbol: CoffSymbolModel, bigobj: boolean): Uint8Array {
  if (symbol.aux === undefined || symbol.aux.length === 0) return NO_AUX;
  const recordSize = bigobj ? ImageSymbolEx.size : ImageSymbol.size;
  const out = new Uint8Array(auxRecordCount(symbol, recordSize) * recordSize);
  let at = 0;
  for (const a of symbol.aux ?? []) {
    if (a.kind === "file") {
      // The name runs on over the records, bigobj padding included (as LLVM writes and reads it).
      const name = encodeText(a.fileName);
      copyBytes(out, name, at);
      at += Math.max(1, Math.ceil(name.length / recordSize), ("recordCount" in a ? a.recordCount : undefined) ?? 0) * recordSize;
    } else {
      if (a.kind === "raw" && a.bytes.length > recordSize) {
        throw new InvalidFieldError(`an aux record of symbol ${JSON.stringify(symbol.name)} has ${a.bytes.length} bytes`, { expected: `at most ${recordSize}` });
      }
      encodeAuxRecord(out, at, a, bigobj);
      at += recordSize;
    }
  }
  return out;
}

function isCanonicalInlineName(raw: Uint8Array, name: string): boolean {
  const encoded = encodeText(name);
  if (encoded.length > 8) return false;
  for (let i = 0; i < 8; i++) if (raw[i] !== (i < encoded.length ? encoded[i] : 0)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
