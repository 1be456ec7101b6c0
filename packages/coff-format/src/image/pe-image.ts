// Reads a PE image's headers and section table, and maps RVAs to bytes the way the Windows
// loader does: sections by their virtual ranges, everything below SizeOfHeaders one to one.
import { ByteView, decodeText } from "../byte-view.js";
import { InvalidFieldError, TruncatedInputError } from "../errors.js";
import {
  IMAGE_DOS_SIGNATURE,
  IMAGE_NT_OPTIONAL_HDR32_MAGIC,
  IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
  ImageDataDirectory,
  ImageDosHeader,
  ImageFileHeader,
  ImageOptionalHeader32,
  ImageOptionalHeader64,
  ImageSectionHeader,
  ImageSymbol,
  PE_SIGNATURE,
  PE_SIGNATURE_SIZE,
} from "../layouts.js";
import { readStruct } from "../struct.js";
import type { StructValue } from "../struct.js";

export type DosHeader = StructValue<typeof ImageDosHeader["fields"]>;
export type FileHeader = StructValue<typeof ImageFileHeader["fields"]>;
export type OptionalHeader32 = StructValue<typeof ImageOptionalHeader32["fields"]>;
export type OptionalHeader64 = StructValue<typeof ImageOptionalHeader64["fields"]>;
export type DataDirectory = StructValue<typeof ImageDataDirectory["fields"]>;
export type SectionHeader = StructValue<typeof ImageSectionHeader["fields"]>;

/** The optional header, tagged by its format so that `ImageBase` narrows to number (PE32) or bigint (PE32+). */
export type OptionalHeader = ({ readonly format: "PE32" } & OptionalHeader32) | ({ readonly format: "PE32+" } & OptionalHeader64);

/** A section header with its decoded name (long `/N` names resolved through the COFF string table). */
export type PeSection = SectionHeader & {
  /** The section's name: the 8 inline bytes up to the first NUL, or the string-table entry `/N` points to. */
  readonly name: string;
  /** Position in the section table, from 0. */
  readonly index: number;
};

export interface ReadPeImageOptions {
  /** Shown in error messages. */
  readonly fileName?: string | undefined;
}

/** Names longer than this are refused when decoding strings at RVAs (MSVC caps decorated names at 4096). */
export const MAX_RVA_STRING_LENGTH = 0x10000;

/** Size of the fixed part of each optional header, before the data directories. */
export function optionalHeaderFixedSize(format: OptionalHeader["format"]): number {
  return format === "PE32" ? ImageOptionalHeader32.size : ImageOptionalHeader64.size;
}

/** Offset of `CheckSum` from the start of either optional header (the two layouts agree up to it). */
export const OPTIONAL_HEADER_CHECKSUM_OFFSET = ImageOptionalHeader64.offsetOf.CheckSum;

/** A parsed PE image: headers as read, plus RVA helpers that never read outside the input. */
export class PeImage {
  readonly view: ByteView;
  readonly dosHeader: DosHeader;
  /** The bytes between the DOS header and the PE signature (stub program, Rich header, padding). */
  readonly dosStub: Uint8Array;
  readonly fileHeader: FileHeader;
  readonly optionalHeader: OptionalHeader;
  /**
   * The data directories present: `min(NumberOfRvaAndSizes, 16)`, fewer if SizeOfOptionalHeader
   * has no room for them (the loader reads no further either).
   */
  readonly dataDirectories: readonly DataDirectory[];
  readonly sections: readonly PeSection[];
  /** The COFF string table MinGW images keep after their symbol table, if any. */
  readonly stringTable: Uint8Array | undefined;

  /** @internal Use `readPeImage`. */
  constructor(parts: {
    view: ByteView; dosHeader: DosHeader; dosStub: Uint8Array; fileHeader: FileHeader; optionalHeader: OptionalHeader;
    dataDirectories: DataDirectory[]; sections: PeSection[]; stringTable: Uint8Array | undefined;
  }) {
    this.view = parts.view;
    this.dosHeader = parts.dosHeader;
    this.dosStub = parts.dosStub;
    this.fileHeader = parts.fileHeader;
    this.optionalHeader = parts.optionalHeader;
    this.dataDirectories = parts.dataDirectories;
    this.sections = parts.sections;
    this.stringTable = parts.stringTable;
    this.sectionsByAddress = sortedIfDisjoint(parts.sections);
  }

  /** Mapped sections by address when no two overlap (as the loader requires); undefined otherwise. */
  private readonly sectionsByAddress: readonly PeSection[] | undefined;

  get bytes(): Uint8Array { return this.view.bytes; }
  get fileName(): string | undefined { return this.view.fileName; }
  /** File offset of the PE signature (`e_lfanew`). */
  get peHeaderOffset(): number { return this.dosHeader.e_lfanew; }
  get is64(): boolean { return this.optionalHeader.format === "PE32+"; }
  /** Size of a pointer (and of an import thunk) in this image: 4 or 8. */
  get pointerSize(): 4 | 8 { return this.is64 ? 8 : 4; }
  get imageBase(): bigint { return BigInt(this.optionalHeader.ImageBase); }
  /** The image base as a number; throws for PE32+ bases above 2^53 (which no linker picks). */
  get imageBaseNumber(): number {
    const base = this.optionalHeader.ImageBase;
    if (typeof base === "number") return base;
    if (base > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidFieldError(`image base 0x${base.toString(16)} does not fit a JavaScript number`, {
        file: this.fileName, offset: this.optionalHeaderOffset + ImageOptionalHeader64.offsetOf.ImageBase,
      });
    }
    return Number(base);
  }
  get optionalHeaderOffset(): number { return this.peHeaderOffset + PE_SIGNATURE_SIZE + ImageFileHeader.size; }
  get sectionTableOffset(): number { return this.optionalHeaderOffset + this.fileHeader.SizeOfOptionalHeader; }

  /**
   * The data directory at `index` (see IMAGE_DIRECTORY_ENTRY), or undefined when absent or empty.
   * The SECURITY directory's VirtualAddress is a file offset (certificates are not mapped).
   */
  dataDirectory(index: number): DataDirectory | undefined {
    const dir = this.dataDirectories[index];
    return dir === undefined || (dir.VirtualAddress === 0 && dir.Size === 0) ? undefined : dir;
  }

  /** The section whose virtual range holds `rva` (the first in table order if garbage makes them overlap). */
  sectionOfRva(rva: number): PeSection | undefined {
    const sorted = this.sectionsByAddress;
    if (sorted === undefined) {
      for (const section of this.sections) if (holds(section, rva)) return section;
      return undefined;
    }
    // Binary search: decoders look up an RVA per table entry, and images may have thousands of sections.
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const section = sorted[mid]!;
      if (rva < section.VirtualAddress) hi = mid - 1;
      else if (rva >= section.VirtualAddress + mappedSize(section)) lo = mid + 1;
      else return section;
    }
    return undefined;
  }

  /**
   * The file offset that `rva` is loaded from. RVAs inside the headers (below the first section and
   * SizeOfHeaders) map one to one. Throws for RVAs in no section or in a section's zero-filled tail.
   */
  rvaToFileOffset(rva: number, what = "an RVA"): number {
    return this.locate(rva, 0, what).offset;
  }

  /** How many file-backed bytes follow `rva` within its section (or the headers). */
  bytesAvailableAtRva(rva: number, what = "an RVA"): number {
    return this.locate(rva, 0, what).available;
  }

  /** A zero-copy window of `size` bytes at `rva`; the range must lie in one section's file-backed bytes. */
  readAtRva(rva: number, size: number, what = "data"): Uint8Array {
    const { offset, available } = this.locate(rva, size, what);
    if (!(size >= 0 && size <= available)) {
      throw new InvalidFieldError(`${what} at RVA 0x${hex(rva)} (${size} bytes) runs past the data of ${this.regionName(rva)}`, {
        file: this.fileName, offset, expected: `at most ${available} bytes there`,
      });
    }
    return this.view.slice(offset, size, what);
  }

  /** A NUL-terminated string at `rva`, which must end inside the same section. */
  cStringAtRva(rva: number, what = "a string", maxLength = MAX_RVA_STRING_LENGTH): string {
    const { offset, available } = this.locate(rva, 1, what);
    const window = this.bytes.subarray(offset, offset + Math.min(available, maxLength + 1));
    const end = window.indexOf(0);
    if (end < 0) {
      throw new InvalidFieldError(`${what} at RVA 0x${hex(rva)} is not NUL-terminated within ${this.regionName(rva)}`, {
        file: this.fileName, offset, expected: `a NUL within ${Math.min(available, maxLength + 1)} bytes`,
      });
    }
    return decodeText(window, 0, end);
  }

  /** Converts a virtual address of this image (TLS callbacks, old delay-load descriptors) to an RVA. */
  vaToRva(va: bigint | number, what = "a virtual address"): number {
    const rva = BigInt(va) - this.imageBase;
    if (rva < 0n || rva > 0xffffffffn) {
      throw new InvalidFieldError(`${what} 0x${BigInt(va).toString(16)} lies outside the image (base 0x${this.imageBase.toString(16)})`, {
        file: this.fileName,
      });
    }
    return Number(rva);
  }

  private locate(rva: number, size: number, what: string): { offset: number; available: number } {
    if (!Number.isInteger(rva) || rva < 0 || rva > 0xffffffff) {
      throw new InvalidFieldError(`${what} has an invalid RVA ${String(rva)}`, { file: this.fileName });
    }
    const section = this.sectionOfRva(rva);
    if (section !== undefined) {
      const delta = rva - section.VirtualAddress;
      const backed = Math.min(section.SizeOfRawData, mappedSize(section));
      if (delta >= backed) {
        throw new InvalidFieldError(
          `${what} at RVA 0x${hex(rva)} lies in the zero-filled part of section ${section.name} (${size} bytes wanted)`,
          { file: this.fileName, expected: `an RVA below 0x${hex(section.VirtualAddress + backed)}` },
        );
      }
      const offset = section.PointerToRawData + delta;
      if (offset + Math.min(size, 1) > this.bytes.length) {
        throw new TruncatedInputError(`section ${section.name} runs past the end of the input (${this.bytes.length} bytes)`, {
          file: this.fileName, offset, expected: `${size} bytes for ${what} at RVA 0x${hex(rva)}`,
        });
      }
      return { offset, available: Math.min(backed - delta, this.bytes.length - offset) };
    }
    const headerEnd = this.headerMappedSize();
    if (rva < headerEnd) return { offset: rva, available: headerEnd - rva };
    throw new InvalidFieldError(`${what} at RVA 0x${hex(rva)} lies in no section`, {
      file: this.fileName, expected: "an RVA inside the headers or a section",
    });
  }

  /** The header bytes the loader maps at RVA 0: SizeOfHeaders, cut at the first section and the file's end. */
  private headerMappedSize(): number {
    let end = Math.min(this.optionalHeader.SizeOfHeaders, this.bytes.length);
    for (const s of this.sections) if (mappedSize(s) > 0) end = Math.min(end, s.VirtualAddress);
    return end;
  }

  private regionName(rva: number): string {
    const s = this.sectionOfRva(rva);
    return s === undefined ? "the headers" : `section ${s.name}`;
  }
}

function holds(section: SectionHeader, rva: number): boolean {
  return rva >= section.VirtualAddress && rva < section.VirtualAddress + mappedSize(section);
}

function sortedIfDisjoint(sections: readonly PeSection[]): PeSection[] | undefined {
  const sorted = sections.filter((s) => mappedSize(s) > 0).sort((a, b) => a.VirtualAddress - b.VirtualAddress);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    if (previous.VirtualAddress + mappedSize(previous) > sorted[i]!.VirtualAddress) return undefined;
  }
  return sorted;
}

/** The loader maps VirtualSize bytes, or SizeOfRawData when VirtualSize is 0 (old linkers). */
function mappedSize(section: SectionHeader): number {
  return section.VirtualSize !== 0 ? section.VirtualSize : section.SizeOfRawData;
}

export function readPeImage(bytes: Uint8Array, options: ReadPeImageOptions = {}): PeImage {
  const fileName = options.fileName;
  const view = new ByteView(bytes, fileName);
  const dosHeader = readStruct(view, ImageDosHeader, 0);
  if (dosHeader.e_magic !== IMAGE_DOS_SIGNATURE) {
    throw new InvalidFieldError(`not a PE image: the DOS signature is 0x${hex(dosHeader.e_magic)}`, {
      file: fileName, offset: 0, expected: "'MZ' (0x5a4d)",
    });
  }
  const lfanew = dosHeader.e_lfanew;
  if (lfanew < ImageDosHeader.size || lfanew > bytes.length) {
    throw new InvalidFieldError(`e_lfanew 0x${hex(lfanew)} points outside the file`, {
      file: fileName, offset: ImageDosHeader.offsetOf.e_lfanew, expected: `an offset from 0x40 to 0x${hex(bytes.length)}`,
    });
  }
  const dosStub = bytes.subarray(ImageDosHeader.size, lfanew);
  if (view.u32(lfanew) !== PE_SIGNATURE) {
    throw new InvalidFieldError(`not a PE image: no "PE\\0\\0" signature at e_lfanew`, { file: fileName, offset: lfanew, expected: "50 45 00 00" });
  }
  const fileHeaderOffset = lfanew + PE_SIGNATURE_SIZE;
  const fileHeader = readStruct(view, ImageFileHeader, fileHeaderOffset);
  const optionalOffset = fileHeaderOffset + ImageFileHeader.size;
  const magic = view.u16(optionalOffset);
  let optionalHeader: OptionalHeader;
  if (magic === IMAGE_NT_OPTIONAL_HDR32_MAGIC) {
    optionalHeader = { format: "PE32", ...readStruct(view, ImageOptionalHeader32, optionalOffset) };
  } else if (magic === IMAGE_NT_OPTIONAL_HDR64_MAGIC) {
    optionalHeader = { format: "PE32+", ...readStruct(view, ImageOptionalHeader64, optionalOffset) };
  } else {
    throw new InvalidFieldError(`unknown optional header magic 0x${hex(magic)}`, {
      file: fileName, offset: optionalOffset, expected: "0x10b (PE32) or 0x20b (PE32+)",
    });
  }
  const fixedSize = optionalHeaderFixedSize(optionalHeader.format);
  if (fileHeader.SizeOfOptionalHeader < fixedSize) {
    throw new InvalidFieldError(`SizeOfOptionalHeader ${fileHeader.SizeOfOptionalHeader} is smaller than the ${optionalHeader.format} optional header`, {
      file: fileName, offset: fileHeaderOffset + ImageFileHeader.offsetOf.SizeOfOptionalHeader, expected: `at least ${fixedSize}`,
    });
  }
  // The loader reads at most 16 directories and none past SizeOfOptionalHeader.
  const directoryCount = Math.min(
    optionalHeader.NumberOfRvaAndSizes,
    IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
    Math.floor((fileHeader.SizeOfOptionalHeader - fixedSize) / ImageDataDirectory.size),
  );
  const dataDirectories: DataDirectory[] = [];
  for (let i = 0; i < directoryCount; i++) {
    dataDirectories.push(readStruct(view, ImageDataDirectory, optionalOffset + fixedSize + i * ImageDataDirectory.size));
  }
  const sectionTableOffset = optionalOffset + fileHeader.SizeOfOptionalHeader;
  // One bounds check for the whole table before anything is allocated for it.
  view.check(sectionTableOffset, fileHeader.NumberOfSections * ImageSectionHeader.size, "the section table");
  const stringTable = findStringTable(view, fileHeader);
  const sections: PeSection[] = [];
  for (let i = 0; i < fileHeader.NumberOfSections; i++) {
    const header = readStruct(view, ImageSectionHeader, sectionTableOffset + i * ImageSectionHeader.size);
    sections.push({ ...header, name: sectionName(header.Name, stringTable), index: i });
  }
  return new PeImage({ view, dosHeader, dosStub, fileHeader, optionalHeader, dataDirectories, sections, stringTable });
}

/**
 * The string table after a COFF symbol table (MinGW images keep one for long debug-section names).
 * The loader ignores it, so a damaged one is treated as absent rather than as an error.
 */
function findStringTable(view: ByteView, fileHeader: FileHeader): Uint8Array | undefined {
  if (fileHeader.PointerToSymbolTable === 0) return undefined;
  const start = fileHeader.PointerToSymbolTable + fileHeader.NumberOfSymbols * ImageSymbol.size;
  if (start + 4 > view.length) return undefined;
  const size = view.u32(start);
  if (size < 4 || start + size > view.length) return undefined;
  return view.bytes.subarray(start, start + size);
}

function sectionName(raw: Uint8Array, stringTable: Uint8Array | undefined): string {
  const nul = raw.indexOf(0);
  const inline = decodeText(raw, 0, nul < 0 ? raw.length : nul);
  if (stringTable === undefined || !/^\/[0-9]{1,7}$/.test(inline)) return inline;
  const offset = Number(inline.slice(1));
  if (offset < 4 || offset >= stringTable.length) return inline;
  const end = stringTable.indexOf(0, offset);
  return end < 0 ? inline : decodeText(stringTable, offset, end);
}

export function hex(n: number | bigint): string {
  return n.toString(16);
}
