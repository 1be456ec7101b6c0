// PE image headers: where each header sits, the fields link.exe derives from the section table, and
// their serialisation (DOS stub, PE signature, file header, optional header, data directories, sections).
import {
  IMAGE_DIRECTORY_ENTRY, IMAGE_FILE, IMAGE_FILE_MACHINE, IMAGE_NT_OPTIONAL_HDR32_MAGIC, IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  IMAGE_NUMBEROF_DIRECTORY_ENTRIES, IMAGE_SCN, IMAGE_SIZEOF_SHORT_NAME, IMAGE_SUBSYSTEM, ImageDataDirectory,
  ImageFileHeader, ImageOptionalHeader32, ImageOptionalHeader64, ImageSectionHeader, PE_SIGNATURE,
  PE_SIGNATURE_SIZE, writeStruct,
} from "@linkkit/coff-format";
import { DOS_STUB_SIZE, writeDosStub } from "./dos-stub.js";
import { alignUp, hex, isPowerOfTwo, PeWriterError } from "./errors.js";

/** PE32 (32-bit address space) or PE32+ (64-bit). */
export type PeFormat = "pe32" | "pe32+";

export interface Version {
  readonly major: number;
  readonly minor: number;
}

export interface DataDirectoryEntry {
  readonly rva: number;
  readonly size: number;
}

export type DataDirectoryName = keyof typeof IMAGE_DIRECTORY_ENTRY.values;

/** One row of the section table, as the linker laid it out. */
export interface SectionHeaderModel {
  /** Truncated to 8 bytes in the image unless `nameStringTableOffset` is given. */
  readonly name: string;
  /** MinGW-style long name: the header holds "/<offset>" into the COFF string table after the symbol table. */
  readonly nameStringTableOffset?: number | undefined;
  readonly virtualAddress: number;
  readonly virtualSize: number;
  /** 0 for sections with no file data (.bss). */
  readonly pointerToRawData: number;
  /** A multiple of the file alignment; 0 for sections with no file data. */
  readonly sizeOfRawData: number;
  readonly characteristics: number;
}

export interface ImageHeaderModel {
  readonly machine: number;
  /** Defaults to PE32+ for 64-bit machines and PE32 for the others. */
  readonly format?: PeFormat | undefined;
  /** IMAGE_FILE_* flags; see `imageCharacteristics` for the usual combinations. */
  readonly characteristics: number;
  /** 0 unless given, so that links are reproducible. */
  readonly timeDateStamp?: number | undefined;
  readonly imageBase: bigint | number;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly entryPointRva: number;
  readonly subsystem: number;
  /** Default 6.0, as lld. */
  readonly subsystemVersion?: Version | undefined;
  /** Default 6.0, as lld. */
  readonly osVersion?: Version | undefined;
  /** Default 0.0. */
  readonly imageVersion?: Version | undefined;
  /** Default 14.0, what lld writes. */
  readonly linkerVersion?: Version | undefined;
  readonly dllCharacteristics?: number | undefined;
  /** Defaults as link.exe: 1 MiB reserve, 4 KiB commit for both stack and heap. */
  readonly stackReserve?: bigint | number | undefined;
  readonly stackCommit?: bigint | number | undefined;
  readonly heapReserve?: bigint | number | undefined;
  readonly heapCommit?: bigint | number | undefined;
  /** Indexed by IMAGE_DIRECTORY_ENTRY_*; missing entries are written as zero. See `dataDirectories`. */
  readonly dataDirectories?: readonly (DataDirectoryEntry | undefined)[] | undefined;
  readonly sections: readonly SectionHeaderModel[];
  /** SizeOfHeaders; defaults to `computeHeaderSize`. Give more to keep room for section headers added later. */
  readonly sizeOfHeaders?: number | undefined;
  readonly checksum?: number | undefined;
  /** COFF symbol table (MinGW images with long section names or debug symbols). */
  readonly pointerToSymbolTable?: number | undefined;
  readonly numberOfSymbols?: number | undefined;
}

/** Byte offsets of each header in an image with `sectionCount` sections. */
export interface HeaderLayout {
  readonly format: PeFormat;
  readonly peSignatureOffset: number;
  readonly fileHeaderOffset: number;
  readonly optionalHeaderOffset: number;
  readonly optionalHeaderSize: number;
  readonly dataDirectoryOffset: number;
  readonly sectionTableOffset: number;
  /** End of the section table, before alignment to the file alignment. */
  readonly end: number;
}

export function is64BitMachine(machine: number): boolean {
  return machine === IMAGE_FILE_MACHINE.AMD64 || machine === IMAGE_FILE_MACHINE.ARM64
    || machine === IMAGE_FILE_MACHINE.ARM64EC || machine === IMAGE_FILE_MACHINE.ARM64X
    || machine === IMAGE_FILE_MACHINE.IA64 || machine === IMAGE_FILE_MACHINE.RISCV64
    || machine === IMAGE_FILE_MACHINE.LOONGARCH64;
}

export function formatOf(model: { readonly machine: number; readonly format?: PeFormat | undefined }): PeFormat {
  return model.format ?? (is64BitMachine(model.machine) ? "pe32+" : "pe32");
}

export function headerLayout(format: PeFormat, sectionCount: number): HeaderLayout {
  const peSignatureOffset = DOS_STUB_SIZE;
  const fileHeaderOffset = peSignatureOffset + PE_SIGNATURE_SIZE;
  const optionalHeaderOffset = fileHeaderOffset + ImageFileHeader.size;
  const fixedSize = format === "pe32+" ? ImageOptionalHeader64.size : ImageOptionalHeader32.size;
  const dataDirectoryOffset = optionalHeaderOffset + fixedSize;
  const optionalHeaderSize = fixedSize + IMAGE_NUMBEROF_DIRECTORY_ENTRIES * ImageDataDirectory.size;
  const sectionTableOffset = optionalHeaderOffset + optionalHeaderSize;
  return {
    format, peSignatureOffset, fileHeaderOffset, optionalHeaderOffset, optionalHeaderSize, dataDirectoryOffset,
    sectionTableOffset, end: sectionTableOffset + sectionCount * ImageSectionHeader.size,
  };
}

/** SizeOfHeaders: everything up to the end of the section table, rounded up to the file alignment. */
export function computeHeaderSize(options: { readonly format: PeFormat; readonly sectionCount: number; readonly fileAlignment: number }): number {
  return alignUp(headerLayout(options.format, options.sectionCount).end, options.fileAlignment);
}

/** The 16 data directories from a name-keyed record: `dataDirectories({ IMPORT: {...}, IAT: {...} })`. */
export function dataDirectories(entries: Partial<Record<DataDirectoryName, DataDirectoryEntry>>): DataDirectoryEntry[] {
  const out: DataDirectoryEntry[] = [];
  for (let i = 0; i < IMAGE_NUMBEROF_DIRECTORY_ENTRIES; i++) out.push({ rva: 0, size: 0 });
  for (const [name, entry] of Object.entries(entries)) {
    if (entry !== undefined) out[IMAGE_DIRECTORY_ENTRY.values[name as DataDirectoryName]] = entry;
  }
  return out;
}

/** IMAGE_FILE_* flags as lld-link sets them for an image. */
export function imageCharacteristics(options: {
  readonly machine: number;
  readonly dll?: boolean;
  /** /fixed: no base relocations, the image only loads at its preferred base. */
  readonly fixed?: boolean;
  /** Default: true for 64-bit machines (lld's /largeaddressaware default), false otherwise. */
  readonly largeAddressAware?: boolean;
}): number {
  const is64 = is64BitMachine(options.machine);
  let flags = IMAGE_FILE.EXECUTABLE_IMAGE;
  if (options.largeAddressAware ?? is64) flags |= IMAGE_FILE.LARGE_ADDRESS_AWARE;
  if (!is64) flags |= IMAGE_FILE["32BIT_MACHINE"];
  if (options.dll === true) flags |= IMAGE_FILE.DLL;
  if (options.fixed === true) flags |= IMAGE_FILE.RELOCS_STRIPPED;
  return flags;
}

/** The optional-header fields link.exe derives from the section table. */
export interface DerivedHeaderFields {
  /** Sum of SizeOfRawData of code sections. */
  readonly sizeOfCode: number;
  /** Sum of SizeOfRawData of initialized-data sections. */
  readonly sizeOfInitializedData: number;
  /** Sum of VirtualSize (rounded to the file alignment) of uninitialized-data sections. */
  readonly sizeOfUninitializedData: number;
  /** RVA of the first code section, 0 if none. */
  readonly baseOfCode: number;
  /** RVA of the first data section after the code (PE32 only), 0 if none. */
  readonly baseOfData: number;
  /** End of the last section in memory, rounded up to the section alignment. */
  readonly sizeOfImage: number;
}

export function deriveHeaderFields(
  sections: readonly SectionHeaderModel[],
  sizeOfHeaders: number,
  sectionAlignment: number,
  fileAlignment: number,
): DerivedHeaderFields {
  let sizeOfCode = 0;
  let sizeOfInitializedData = 0;
  let sizeOfUninitializedData = 0;
  let baseOfCode = 0;
  let baseOfData = 0;
  let end = alignUp(sizeOfHeaders, sectionAlignment);
  for (const s of sections) {
    const c = s.characteristics;
    if ((c & IMAGE_SCN.CNT_CODE) !== 0) {
      sizeOfCode += s.sizeOfRawData;
      if (baseOfCode === 0) baseOfCode = s.virtualAddress;
    } else if ((c & (IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.CNT_UNINITIALIZED_DATA)) !== 0 && baseOfData === 0) {
      baseOfData = s.virtualAddress;
    }
    if ((c & IMAGE_SCN.CNT_INITIALIZED_DATA) !== 0) sizeOfInitializedData += s.sizeOfRawData;
    if ((c & IMAGE_SCN.CNT_UNINITIALIZED_DATA) !== 0) sizeOfUninitializedData += alignUp(s.virtualSize, fileAlignment);
    end = Math.max(end, alignUp(s.virtualAddress + s.virtualSize, sectionAlignment));
  }
  return { sizeOfCode, sizeOfInitializedData, sizeOfUninitializedData, baseOfCode, baseOfData, sizeOfImage: end };
}

const encoder = new TextEncoder();

/** The 8 name bytes of a section header: UTF-8, NUL-padded; long names truncated or "/<offset>". */
export function encodeSectionName(section: Pick<SectionHeaderModel, "name" | "nameStringTableOffset">): Uint8Array {
  if (section.nameStringTableOffset !== undefined) {
    const text = `/${section.nameStringTableOffset}`;
    // "/" + 7 decimal digits is all 8 bytes hold; link.exe's base-64 "//" form is not needed for images.
    if (!Number.isInteger(section.nameStringTableOffset) || section.nameStringTableOffset < 0 || text.length > IMAGE_SIZEOF_SHORT_NAME) {
      throw new PeWriterError(`string table offset ${section.nameStringTableOffset} does not fit a section name`, {
        where: `section ${section.name}`, expected: "an integer from 0 to 9999999",
      });
    }
    return encoder.encode(text);
  }
  const bytes = encoder.encode(section.name);
  return bytes.length <= IMAGE_SIZEOF_SHORT_NAME ? bytes : bytes.subarray(0, IMAGE_SIZEOF_SHORT_NAME);
}

export function writeSectionHeader(buffer: Uint8Array, offset: number, section: SectionHeaderModel): void {
  writeStruct(buffer, ImageSectionHeader, offset, {
    Name: encodeSectionName(section),
    VirtualSize: section.virtualSize,
    VirtualAddress: section.virtualAddress,
    SizeOfRawData: section.sizeOfRawData,
    PointerToRawData: section.pointerToRawData,
    Characteristics: section.characteristics >>> 0,
  });
}

function checkAlignments(model: ImageHeaderModel): void {
  const { sectionAlignment, fileAlignment } = model;
  // Spec §3.4.2: FileAlignment is a power of two from 512 to 64 KiB and SectionAlignment >= FileAlignment
  // (or both equal and below the page size). 512 is relaxed to 1 here only for the equal, sub-page case.
  if (!isPowerOfTwo(fileAlignment) || fileAlignment > 0x10000) {
    throw new PeWriterError(`file alignment ${fileAlignment} is not valid`, { where: "optional header", expected: "a power of two up to 65536" });
  }
  if (!isPowerOfTwo(sectionAlignment) || sectionAlignment < fileAlignment) {
    throw new PeWriterError(`section alignment ${sectionAlignment} is not valid`, {
      where: "optional header", expected: `a power of two >= the file alignment (${fileAlignment})`,
    });
  }
}

function u64(value: bigint | number, field: string, format: PeFormat): bigint | number {
  const big = BigInt(value);
  const max = format === "pe32+" ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  if (big < 0n || big > max) {
    throw new PeWriterError(`${field} ${hex(big)} does not fit a ${format === "pe32+" ? "PE32+" : "PE32"} image`, {
      where: "optional header", expected: `at most ${hex(max)}`,
    });
  }
  return format === "pe32+" ? big : Number(big);
}

/**
 * Writes every header (DOS stub to the end of the section table) into `buffer[0, SizeOfHeaders)`, zeroing the
 * padding up to SizeOfHeaders. The checksum is written as given (0 by default); see `writeChecksum`.
 */
export function writeImageHeaders(buffer: Uint8Array, model: ImageHeaderModel): HeaderLayout {
  const format = formatOf(model);
  checkAlignments(model);
  const sectionCount = model.sections.length;
  if (sectionCount > 0xffff) {
    throw new PeWriterError(`${sectionCount} sections do not fit the file header`, { where: "file header", expected: "at most 65535" });
  }
  const layout = headerLayout(format, sectionCount);
  const minimumHeaders = alignUp(layout.end, model.fileAlignment);
  const sizeOfHeaders = model.sizeOfHeaders ?? minimumHeaders;
  if (sizeOfHeaders < minimumHeaders || sizeOfHeaders % model.fileAlignment !== 0) {
    throw new PeWriterError(`SizeOfHeaders ${hex(sizeOfHeaders)} is too small or unaligned`, {
      where: "optional header", expected: `a multiple of ${hex(model.fileAlignment)} of at least ${hex(minimumHeaders)}`,
    });
  }
  if (buffer.length < sizeOfHeaders) {
    throw new PeWriterError(`buffer of ${buffer.length} bytes cannot hold ${hex(sizeOfHeaders)} bytes of headers`, { where: "headers" });
  }
  const dirs = model.dataDirectories ?? [];
  if (dirs.length > IMAGE_NUMBEROF_DIRECTORY_ENTRIES) {
    throw new PeWriterError(`${dirs.length} data directories given`, { where: "optional header", expected: "at most 16" });
  }

  buffer.fill(0, 0, sizeOfHeaders);
  writeDosStub(buffer);
  new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength).setUint32(layout.peSignatureOffset, PE_SIGNATURE, true);

  writeStruct(buffer, ImageFileHeader, layout.fileHeaderOffset, {
    Machine: model.machine,
    NumberOfSections: sectionCount,
    TimeDateStamp: model.timeDateStamp ?? 0,
    PointerToSymbolTable: model.pointerToSymbolTable ?? 0,
    NumberOfSymbols: model.numberOfSymbols ?? 0,
    SizeOfOptionalHeader: layout.optionalHeaderSize,
    Characteristics: model.characteristics,
  });

  const derived = deriveHeaderFields(model.sections, sizeOfHeaders, model.sectionAlignment, model.fileAlignment);
  const common = {
    MajorLinkerVersion: model.linkerVersion?.major ?? 14,
    MinorLinkerVersion: model.linkerVersion?.minor ?? 0,
    SizeOfCode: derived.sizeOfCode,
    SizeOfInitializedData: derived.sizeOfInitializedData,
    SizeOfUninitializedData: derived.sizeOfUninitializedData,
    AddressOfEntryPoint: model.entryPointRva,
    BaseOfCode: derived.baseOfCode,
    SectionAlignment: model.sectionAlignment,
    FileAlignment: model.fileAlignment,
    MajorOperatingSystemVersion: model.osVersion?.major ?? 6,
    MinorOperatingSystemVersion: model.osVersion?.minor ?? 0,
    MajorImageVersion: model.imageVersion?.major ?? 0,
    MinorImageVersion: model.imageVersion?.minor ?? 0,
    MajorSubsystemVersion: model.subsystemVersion?.major ?? 6,
    MinorSubsystemVersion: model.subsystemVersion?.minor ?? 0,
    SizeOfImage: derived.sizeOfImage,
    SizeOfHeaders: sizeOfHeaders,
    CheckSum: model.checksum ?? 0,
    Subsystem: model.subsystem,
    DllCharacteristics: model.dllCharacteristics ?? 0,
    NumberOfRvaAndSizes: IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
  };
  const sizes = {
    ImageBase: u64(model.imageBase, "ImageBase", format),
    SizeOfStackReserve: u64(model.stackReserve ?? 0x100000, "SizeOfStackReserve", format),
    SizeOfStackCommit: u64(model.stackCommit ?? 0x1000, "SizeOfStackCommit", format),
    SizeOfHeapReserve: u64(model.heapReserve ?? 0x100000, "SizeOfHeapReserve", format),
    SizeOfHeapCommit: u64(model.heapCommit ?? 0x1000, "SizeOfHeapCommit", format),
  };
  try {
    if (format === "pe32+") {
      writeStruct(buffer, ImageOptionalHeader64, layout.optionalHeaderOffset, {
        Magic: IMAGE_NT_OPTIONAL_HDR64_MAGIC, ...common, ...(sizes as Record<keyof typeof sizes, bigint>),
      });
    } else {
      writeStruct(buffer, ImageOptionalHeader32, layout.optionalHeaderOffset, {
        Magic: IMAGE_NT_OPTIONAL_HDR32_MAGIC, ...common, BaseOfData: derived.baseOfData,
        ...(sizes as Record<keyof typeof sizes, number>),
      });
    }
    for (let i = 0; i < dirs.length; i++) {
      const d = dirs[i];
      if (d !== undefined) writeStruct(buffer, ImageDataDirectory, layout.dataDirectoryOffset + i * 8, { VirtualAddress: d.rva, Size: d.size });
    }
  } catch (cause) {
    if (cause instanceof PeWriterError) throw cause;
    throw new PeWriterError(`a header field is out of range: ${(cause as Error).message}`, { where: "optional header", cause });
  }
  model.sections.forEach((s, i) => {
    try {
      writeSectionHeader(buffer, layout.sectionTableOffset + i * ImageSectionHeader.size, s);
    } catch (cause) {
      if (cause instanceof PeWriterError) throw cause;
      throw new PeWriterError(`a field is out of range: ${(cause as Error).message}`, { where: `section header ${i} (${s.name})`, cause });
    }
  });
  return layout;
}

/** Default subsystem for images that do not say: console. */
export const DEFAULT_SUBSYSTEM = IMAGE_SUBSYSTEM.WINDOWS_CUI;
