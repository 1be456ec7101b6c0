// Reading COFF objects (regular and /bigobj) as lazy, zero-copy views: headers are validated
// once when the object is opened; names, symbols, aux records and relocations decode on request.
import { ByteView } from "./byte-view.js";
import { BIGOBJ_CLASS_ID, AnonObjectHeaderBigobj, ImageAuxSymbolSectionDefinition, ImageFileHeader, ImageRelocation, ImageSectionHeader, ImageSymbol, ImageSymbolEx } from "./layouts.js";
import { IMAGE_SCN, IMAGE_SYM_CLASS, sectionAlignment } from "./constants.js";
import { InvalidFieldError, TruncatedInputError } from "./errors.js";
import { readStruct } from "./struct.js";
import { CoffStringTable, parseLongSectionNameRef, readCoffStringTable } from "./string-table.js";
import { auxFormatOf, decodeAuxRecord, decodeFileName, type AuxRecord } from "./aux-records.js";
import { decodeText } from "./byte-view.js";

export interface ReadCoffOptions {
  /** Display name used in error messages (a path, or `lib.a(member.o)`). */
  readonly fileName?: string;
}

/** Regular objects number sections in 16 bits; values above this are the special negative numbers. */
export const MAX_NUMBER_OF_SECTIONS16 = 0xfeff;
/** NumberOfRelocations value meaning "the real count is in the first relocation" (with LNK_NRELOC_OVFL). */
export const RELOCATION_COUNT_OVERFLOW = 0xffff;

export interface CoffSectionHeader {
  /** 0-based position in the section table; the section *number* symbols use is `index + 1`. */
  readonly index: number;
  readonly name: string;
  /** The 8 name bytes as stored in the header. */
  readonly rawName: Uint8Array;
  /** String table offset of the name, when the header refers to one (`/1234`, `//BASE64`). */
  readonly nameOffset: number | undefined;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly sizeOfRawData: number;
  readonly pointerToRawData: number;
  readonly pointerToRelocations: number;
  readonly pointerToLinenumbers: number;
  /** The header field; with LNK_NRELOC_OVFL it is 0xFFFF and `relocationCount` has the real count. */
  readonly numberOfRelocations: number;
  readonly numberOfLinenumbers: number;
  readonly characteristics: number;
  /** Alignment from the flags in bytes; 0 when the flags give none. */
  readonly alignment: number;
  /** Real number of relocations (overflow sentinel excluded). */
  readonly relocationCount: number;
}

export interface CoffRelocation {
  readonly offset: number;
  /** Index into the raw symbol table (aux records count). */
  readonly symbolIndex: number;
  readonly type: number;
}

/** A light view over one section's relocation records. */
export class RelocationTable implements Iterable<CoffRelocation> {
  readonly length: number;
  /** Input offset of the first real record (after the overflow sentinel, if any). */
  readonly fileOffset: number;
  private readonly view: ByteView;

  constructor(view: ByteView, fileOffset: number, length: number) {
    this.view = view;
    this.fileOffset = fileOffset;
    this.length = length;
  }
  offset(i: number): number {
    return this.view.u32(this.at(i));
  }
  symbolIndex(i: number): number {
    return this.view.u32(this.at(i) + 4);
  }
  type(i: number): number {
    return this.view.u16(this.at(i) + 8);
  }
  get(i: number): CoffRelocation {
    const at = this.at(i);
    return { offset: this.view.u32(at), symbolIndex: this.view.u32(at + 4), type: this.view.u16(at + 8) };
  }
  toArray(): CoffRelocation[] {
    const out: CoffRelocation[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return out;
  }
  *[Symbol.iterator](): Iterator<CoffRelocation> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
  private at(i: number): number {
    if (!(i >= 0 && i < this.length)) {
      throw new InvalidFieldError(`relocation index ${i} is out of range`, {
        file: this.view.fileName, expected: `an index below ${this.length}`,
      });
    }
    return this.fileOffset + i * ImageRelocation.size;
  }
}

export interface CoffSymbol {
  /** Index in the raw symbol table (aux records count), as relocations refer to it. */
  readonly index: number;
  readonly name: string;
  /** String table offset of the name, when it is stored there. */
  readonly nameOffset: number | undefined;
  readonly value: number;
  /** 1-based section number, or 0 (undefined), -1 (absolute), -2 (debug). */
  readonly sectionNumber: number;
  readonly type: number;
  readonly storageClass: number;
  readonly numberOfAuxSymbols: number;
  /** Decoded aux records; a `.file` symbol's name is one record spanning all of them. */
  readonly aux: readonly AuxRecord[];
}

export interface BigobjHeaderFields {
  readonly version: number;
  readonly classId: Uint8Array;
  readonly sizeOfData: number;
  readonly flags: number;
  readonly metaDataSize: number;
  readonly metaDataOffset: number;
}

/** An opened COFF object. Section indices are 0-based; symbol indices are raw table indices. */
export class CoffObject {
  readonly fileName: string | undefined;
  readonly bytes: Uint8Array;
  readonly isBigobj: boolean;
  readonly machine: number;
  readonly timeDateStamp: number;
  /** IMAGE_FILE_* flags (bigobj headers have none: 0). */
  readonly characteristics: number;
  /** Objects normally have none; kept so an odd one reads and writes back unchanged. */
  readonly optionalHeader: Uint8Array;
  readonly bigobj: BigobjHeaderFields | undefined;
  readonly sectionCount: number;
  readonly sectionTableOffset: number;
  readonly pointerToSymbolTable: number;
  /** Number of symbol table records, aux records included. */
  readonly symbolRecordCount: number;
  /** 18, or 20 in bigobj. */
  readonly symbolRecordSize: number;
  readonly stringTable: CoffStringTable;

  private readonly view: ByteView;
  /** Per section: input offset of the first real relocation and the real count. */
  private readonly relocationStart: Uint32Array;
  private readonly relocationCount: Uint32Array;
  private readonly sectionNames: (string | undefined)[];

  constructor(bytes: Uint8Array, options: ReadCoffOptions = {}) {
    const view = new ByteView(bytes, options.fileName);
    this.view = view;
    this.bytes = bytes;
    this.fileName = options.fileName;
    const fail = (problem: string, offset: number, expected: string): never => {
      throw new InvalidFieldError(problem, { file: options.fileName, offset, expected });
    };

    if (bytes.length >= 4 && view.u16(0) === 0 && view.u16(2) === 0xffff) {
      const h = readStruct(view, AnonObjectHeaderBigobj, 0);
      if (h.Version === 0) fail("this is a short import object, not a COFF object", 4, "a COFF object (use readImportObject)");
      if (h.Version < 2 || !sameBytes(h.ClassID, BIGOBJ_CLASS_ID)) {
        fail("anonymous object header is not a bigobj header", 4, "version >= 2 and the bigobj class id");
      }
      this.isBigobj = true;
      this.machine = h.Machine;
      this.timeDateStamp = h.TimeDateStamp;
      this.characteristics = 0;
      this.optionalHeader = bytes.subarray(0, 0);
      this.bigobj = {
        version: h.Version, classId: h.ClassID, sizeOfData: h.SizeOfData, flags: h.Flags,
        metaDataSize: h.MetaDataSize, metaDataOffset: h.MetaDataOffset,
      };
      this.sectionCount = h.NumberOfSections;
      this.pointerToSymbolTable = h.PointerToSymbolTable;
      this.symbolRecordCount = h.NumberOfSymbols;
      this.symbolRecordSize = ImageSymbolEx.size;
      this.sectionTableOffset = AnonObjectHeaderBigobj.size;
    } else {
      const h = readStruct(view, ImageFileHeader, 0);
      this.isBigobj = false;
      this.machine = h.Machine;
      this.timeDateStamp = h.TimeDateStamp;
      this.characteristics = h.Characteristics;
      this.optionalHeader = view.slice(ImageFileHeader.size, h.SizeOfOptionalHeader, "the optional header");
      this.bigobj = undefined;
      this.sectionCount = h.NumberOfSections;
      this.pointerToSymbolTable = h.PointerToSymbolTable;
      this.symbolRecordCount = h.NumberOfSymbols;
      this.symbolRecordSize = ImageSymbol.size;
      this.sectionTableOffset = ImageFileHeader.size + h.SizeOfOptionalHeader;
    }

    // Counts times record sizes are checked against the input before anything is allocated.
    view.check(this.sectionTableOffset, this.sectionCount * ImageSectionHeader.size, `the section table (${this.sectionCount} headers)`);
    const symbolTableSize = this.symbolRecordCount * this.symbolRecordSize;
    if (this.symbolRecordCount > 0 || this.pointerToSymbolTable !== 0) {
      view.check(this.pointerToSymbolTable, symbolTableSize, `the symbol table (${this.symbolRecordCount} records)`);
    }
    this.stringTable = this.pointerToSymbolTable === 0 && this.symbolRecordCount === 0
      ? new CoffStringTable(bytes.subarray(0, 0), 0, options.fileName)
      : readCoffStringTable(bytes, this.pointerToSymbolTable + symbolTableSize, options.fileName);

    this.sectionNames = new Array<string | undefined>(this.sectionCount);
    // One allocation for both columns: a large link opens hundreds of objects.
    const relocationMemory = new Uint32Array(2 * this.sectionCount);
    this.relocationStart = relocationMemory.subarray(0, this.sectionCount);
    this.relocationCount = relocationMemory.subarray(this.sectionCount);
    const s = ImageSectionHeader.offsetOf;
    for (let i = 0; i < this.sectionCount; i++) {
      const at = this.sectionTableOffset + i * ImageSectionHeader.size;
      const characteristics = view.u32(at + s.Characteristics);
      const rawPointer = view.u32(at + s.PointerToRawData);
      const rawSize = view.u32(at + s.SizeOfRawData);
      // A zero pointer means no file data (.bss), whatever the size says, as link.exe reads it.
      // Descriptions are built only for a check that fails: a template per section was a number-to-string
      // and a concatenation for each of the 300k sections of a large link.
      if (rawPointer !== 0 && !view.fits(rawPointer, rawSize)) view.check(rawPointer, rawSize, `the raw data of section ${i + 1}`);
      let count = view.u16(at + s.NumberOfRelocations);
      let start = view.u32(at + s.PointerToRelocations);
      if (count > 0) {
        if ((characteristics & IMAGE_SCN.LNK_NRELOC_OVFL) !== 0 && count === RELOCATION_COUNT_OVERFLOW) {
          view.check(start, ImageRelocation.size, `the relocation count record of section ${i + 1}`);
          const total = view.u32(start);
          // The sentinel record counts itself.
          count = total === 0 ? 0 : total - 1;
          start += ImageRelocation.size;
        }
        if (!view.fits(start, count * ImageRelocation.size)) view.check(start, count * ImageRelocation.size, `the relocations of section ${i + 1} (${count} records)`);
      }
      this.relocationStart[i] = start;
      this.relocationCount[i] = count;
    }
    void fail;
  }

  // --- Sections ---

  /** Input offset of section `index`'s header. */
  sectionHeaderOffset(index: number): number {
    if (!(index >= 0 && index < this.sectionCount)) {
      throw new InvalidFieldError(`section index ${index} is out of range`, {
        file: this.fileName, expected: `an index below ${this.sectionCount}`,
      });
    }
    return this.sectionTableOffset + index * ImageSectionHeader.size;
  }

  sectionName(index: number): string {
    // Linkers ask for each name several times (to classify, to lay out, to write), so decode it once.
    const known = this.sectionNames[index];
    if (known !== undefined) return known;
    const at = this.sectionHeaderOffset(index);
    const name = this.bytes[at] === 0x2f /* '/' */ ? this.longSectionName(index, at) : recentInlineName(this.bytes, at);
    this.sectionNames[index] = name;
    return name;
  }

  /**
   * A name that starts with '/': a string table reference (`/123`), or an inline name that merely starts
   * so. Apart from `sectionName` because its closure captures `index`: V8 then gave every `sectionName`
   * call a context object of its own (27 MB of garbage in a 335,000-section link).
   */
  private longSectionName(index: number, at: number): string {
    const raw = this.bytes.subarray(at, at + 8);
    const ref = parseLongSectionNameRef(raw, this.fileName, at);
    return ref !== undefined ? this.stringTable.get(ref, () => `the name of section ${index + 1}`) : inlineName(raw);
  }

  sectionCharacteristics(index: number): number {
    return this.view.u32(this.sectionHeaderOffset(index) + ImageSectionHeader.offsetOf.Characteristics);
  }

  /**
   * Input offset of section `index`'s raw data, 0 when it has none (.bss); the data is `sectionSizeOfRawData`
   * bytes, checked to lie inside the input when the object was opened. `sectionData` without the view.
   */
  sectionDataOffset(index: number): number {
    return this.view.u32(this.sectionHeaderOffset(index) + ImageSectionHeader.offsetOf.PointerToRawData);
  }

  /** The section's file contents as a zero-copy window (empty when it has none, like .bss). */
  sectionData(index: number): Uint8Array {
    const at = this.sectionHeaderOffset(index);
    const pointer = this.view.u32(at + ImageSectionHeader.offsetOf.PointerToRawData);
    if (pointer === 0) return this.bytes.subarray(0, 0);
    return this.view.slice(pointer, this.view.u32(at + ImageSectionHeader.offsetOf.SizeOfRawData), "section data");
  }

  /**
   * Every section's relocation records at once: the offset of the first record and their count (the real
   * count under LNK_NRELOC_OVFL), as `relocationOffsetOf` and `relocationCountOf` answer them. Zero-copy
   * and read-only by contract: for loops over all sections of many objects.
   */
  get relocationColumns(): { readonly start: Uint32Array; readonly count: Uint32Array } {
    return { start: this.relocationStart, count: this.relocationCount };
  }

  /**
   * Input offset of section `index`'s first relocation record (10 bytes each: offset u32, symbol index u32,
   * type u16), checked to lie inside the input when the object was opened. With `relocationCountOf`, lets a
   * linker's hot loop read the records without a `RelocationTable` per section.
   */
  relocationOffsetOf(index: number): number {
    this.sectionHeaderOffset(index);
    return this.relocationStart[index]!;
  }

  /** Real number of relocations of section `index` (the overflow sentinel excluded). */
  relocationCountOf(index: number): number {
    this.sectionHeaderOffset(index);
    return this.relocationCount[index]!;
  }

  relocations(index: number): RelocationTable {
    this.sectionHeaderOffset(index);
    return new RelocationTable(this.view, this.relocationStart[index]!, this.relocationCount[index]!);
  }

  section(index: number): CoffSectionHeader {
    const at = this.sectionHeaderOffset(index);
    // The constructor checked the whole section table, so fields are read without further checks.
    const b = this.bytes;
    const u32 = (o: number) => (b[at + o]! | (b[at + o + 1]! << 8) | (b[at + o + 2]! << 16) | (b[at + o + 3]! << 24)) >>> 0;
    const u16 = (o: number) => b[at + o]! | (b[at + o + 1]! << 8);
    const f = ImageSectionHeader.offsetOf;
    const rawName = b.subarray(at, at + 8);
    const characteristics = u32(f.Characteristics);
    return {
      index,
      name: this.sectionName(index),
      rawName,
      nameOffset: b[at] === 0x2f ? parseLongSectionNameRef(rawName, this.fileName, at) : undefined,
      virtualSize: u32(f.VirtualSize),
      virtualAddress: u32(f.VirtualAddress),
      sizeOfRawData: u32(f.SizeOfRawData),
      pointerToRawData: u32(f.PointerToRawData),
      pointerToRelocations: u32(f.PointerToRelocations),
      pointerToLinenumbers: u32(f.PointerToLinenumbers),
      numberOfRelocations: u16(f.NumberOfRelocations),
      numberOfLinenumbers: u16(f.NumberOfLinenumbers),
      characteristics,
      alignment: sectionAlignment(characteristics),
      relocationCount: this.relocationCount[index]!,
    };
  }

  /** SizeOfRawData of section `index`, without decoding the rest of its header. */
  sectionSizeOfRawData(index: number): number {
    return this.view.u32(this.sectionHeaderOffset(index) + ImageSectionHeader.offsetOf.SizeOfRawData);
  }

  sections(): CoffSectionHeader[] {
    const out: CoffSectionHeader[] = [];
    for (let i = 0; i < this.sectionCount; i++) out.push(this.section(i));
    return out;
  }

  // --- Symbols (index = raw table index) ---

  symbolOffset(index: number): number {
    if (!(index >= 0 && index < this.symbolRecordCount)) {
      throw new InvalidFieldError(`symbol index ${index} is out of range`, {
        file: this.fileName, offset: this.pointerToSymbolTable, expected: `an index below ${this.symbolRecordCount}`,
      });
    }
    return this.pointerToSymbolTable + index * this.symbolRecordSize;
  }

  symbolName(index: number): string {
    const at = this.symbolOffset(index);
    const b = this.bytes;
    if (b[at] === 0 && b[at + 1] === 0 && b[at + 2] === 0 && b[at + 3] === 0) {
      return this.stringTable.get(this.view.u32(at + 4), () => `the name of symbol ${index}`);
    }
    return inlineNameAt(b, at);
  }

  /** String table offset of the symbol's name, or undefined for an inline name. */
  symbolNameOffset(index: number): number | undefined {
    const at = this.symbolOffset(index);
    return this.view.u32(at) === 0 ? this.view.u32(at + 4) : undefined;
  }

  symbolValue(index: number): number {
    return this.view.u32(this.symbolOffset(index) + ImageSymbol.offsetOf.Value);
  }

  symbolSectionNumber(index: number): number {
    const at = this.symbolOffset(index) + ImageSymbol.offsetOf.SectionNumber;
    if (this.isBigobj) return this.view.i32(at);
    // Numbers up to 0xFEFF are sections; 0xFF00 and up are the reserved negative values.
    const n = this.view.u16(at);
    return n <= MAX_NUMBER_OF_SECTIONS16 ? n : n - 0x10000;
  }

  symbolType(index: number): number {
    return this.view.u16(this.symbolOffset(index) + (this.isBigobj ? ImageSymbolEx : ImageSymbol).offsetOf.Type);
  }

  symbolStorageClass(index: number): number {
    return this.view.u8(this.symbolOffset(index) + (this.isBigobj ? ImageSymbolEx : ImageSymbol).offsetOf.StorageClass);
  }

  symbolAuxCount(index: number): number {
    return this.view.u8(this.symbolOffset(index) + (this.isBigobj ? ImageSymbolEx : ImageSymbol).offsetOf.NumberOfAuxSymbols);
  }

  /** The aux records of symbol `index`, checked to lie inside the symbol table. */
  symbolAuxBytes(index: number): Uint8Array {
    const count = this.symbolAuxCount(index);
    if (index + count >= this.symbolRecordCount) {
      throw new TruncatedInputError(`symbol ${index} has ${count} aux records, past the end of the symbol table`, {
        file: this.fileName, offset: this.symbolOffset(index), expected: `at most ${this.symbolRecordCount - index - 1} aux records`,
      });
    }
    const start = this.symbolOffset(index) + this.symbolRecordSize;
    return this.bytes.subarray(start, start + count * this.symbolRecordSize);
  }

  /** Decodes the aux records of symbol `index` by the format its class and type select. */
  symbolAux(index: number): AuxRecord[] {
    const count = this.symbolAuxCount(index);
    if (count === 0) return [];
    const storageClass = this.symbolStorageClass(index);
    if (storageClass === IMAGE_SYM_CLASS.FILE) {
      // The name runs on over all records, bigobj padding included (as LLVM writes and reads it).
      return [{ kind: "file", fileName: decodeFileName(this.symbolAuxBytes(index)) }];
    }
    if (index + count >= this.symbolRecordCount) this.symbolAuxBytes(index); // throws: records past the table
    const format = auxFormatOf(storageClass, this.symbolType(index), this.symbolSectionNumber(index), this.symbolValue(index));
    const first = this.symbolOffset(index) + this.symbolRecordSize;
    const out: AuxRecord[] = [];
    for (let k = 0; k < count; k++) {
      // Only the first record has the selected format; any further ones are kept as bytes.
      const at = first + k * this.symbolRecordSize;
      out.push(k === 0 ? decodeAuxRecord(this.view, at, format, this.isBigobj) : { kind: "raw", bytes: this.bytes.subarray(at, at + this.symbolRecordSize) });
    }
    return out;
  }

  /**
   * Fields of the section-definition aux record that follows symbol `index` (a section symbol), read in
   * place: a linker asks for them for every COMDAT section, so no record object is built. Throws when the
   * symbol has no aux record inside the table.
   */
  sectionDefinitionSelection(index: number): number {
    return this.bytes[this.sectionDefinitionOffset(index) + ImageAuxSymbolSectionDefinition.offsetOf.Selection]!;
  }

  /** The associated section's number (ASSOCIATIVE COMDATs); bigobj adds `HighNumber`. See `sectionDefinitionSelection`. */
  sectionDefinitionNumber(index: number): number {
    const at = this.sectionDefinitionOffset(index);
    const f = ImageAuxSymbolSectionDefinition.offsetOf;
    const number = this.view.u16(at + f.Number);
    return this.isBigobj ? number + this.view.u16(at + f.HighNumber) * 0x10000 : number;
  }

  /** The section's checksum (EXACT_MATCH COMDATs). See `sectionDefinitionSelection`. */
  sectionDefinitionCheckSum(index: number): number {
    return this.view.u32(this.sectionDefinitionOffset(index) + ImageAuxSymbolSectionDefinition.offsetOf.CheckSum);
  }

  private sectionDefinitionOffset(index: number): number {
    const count = this.symbolAuxCount(index);
    if (count === 0 || index + count >= this.symbolRecordCount) {
      throw new TruncatedInputError(`symbol ${index} has no aux record for its section definition`, {
        file: this.fileName, offset: this.symbolOffset(index), expected: "a section symbol followed by its aux record",
      });
    }
    return this.symbolOffset(index) + this.symbolRecordSize;
  }

  symbol(index: number): CoffSymbol {
    return {
      index,
      name: this.symbolName(index),
      nameOffset: this.symbolNameOffset(index),
      value: this.symbolValue(index),
      sectionNumber: this.symbolSectionNumber(index),
      type: this.symbolType(index),
      storageClass: this.symbolStorageClass(index),
      numberOfAuxSymbols: this.symbolAuxCount(index),
      aux: this.symbolAux(index),
    };
  }

  /** Every symbol (aux records folded into their symbol), in table order. */
  symbols(): CoffSymbol[] {
    const out: CoffSymbol[] = [];
    for (let i = 0; i < this.symbolRecordCount; i += 1 + this.symbolAuxCount(i)) out.push(this.symbol(i));
    return out;
  }

  /** Calls `fn` with the raw index of each symbol (aux records skipped), without decoding anything. */
  forEachSymbolIndex(fn: (index: number) => void): void {
    for (let i = 0; i < this.symbolRecordCount; i += 1 + this.symbolAuxCount(i)) fn(i);
  }
}

export function readCoffObject(bytes: Uint8Array, options: ReadCoffOptions = {}): CoffObject {
  return new CoffObject(bytes, options);
}

/** An 8-byte inline name: up to the first NUL, or all 8 bytes. */
function inlineName(raw: Uint8Array): string {
  const nul = raw.indexOf(0);
  return decodeText(raw, 0, nul < 0 ? raw.length : nul);
}

// Inline section names repeat across every object (.text, .pdata, .xdata, ...): a small table keyed by
// the 8 name bytes hands back the string decoded before instead of decoding it once per section.
const recentLo = new Int32Array(256);
const recentHi = new Int32Array(256);
const recentNames: (string | undefined)[] = new Array(256).fill(undefined);

/**
 * Slot of an inline name in the table: the top byte of a multiplicative hash of both words, which every
 * name byte reaches; the usual section names (.text .data .rdata .pdata .xdata .bss .drectve .debug$S
 * .text$mn .idata$N .CRT$XCU ...) each get a slot of their own. (The low bits of an xor, used before, put
 * `.pdata`, `.xdata` and `.rdata` in one slot, so that a -ffunction-sections object, whose sections go
 * .text .xdata .pdata per function, decoded the name of nearly every .xdata and .pdata section again.)
 */
export function recentNameSlot(lo: number, hi: number): number {
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x85ebca6b) >>> 24;
}

function recentInlineName(b: Uint8Array, at: number): string {
  const lo = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
  const hi = b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24);
  const slot = recentNameSlot(lo, hi);
  const known = recentNames[slot];
  if (known !== undefined && recentLo[slot] === lo && recentHi[slot] === hi) return known;
  const name = inlineNameAt(b, at);
  recentLo[slot] = lo;
  recentHi[slot] = hi;
  recentNames[slot] = name;
  return name;
}

/** `inlineName` of the 8 bytes at `at`, without making a window on them first. */
function inlineNameAt(b: Uint8Array, at: number): string {
  let end = at;
  while (end < at + 8 && b[end] !== 0) end++;
  return decodeText(b, at, end);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
