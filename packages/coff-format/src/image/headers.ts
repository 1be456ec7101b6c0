// Writes the headers of a PE image from a plain model (DOS header and stub; PE signature, file
// header, optional header, data directories, section table), and reads the same model back.
import { InvalidFieldError } from "../errors.js";
import {
  IMAGE_DOS_SIGNATURE,
  IMAGE_NT_OPTIONAL_HDR32_MAGIC,
  IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
  IMAGE_SIZEOF_SHORT_NAME,
  ImageDataDirectory,
  ImageDosHeader,
  ImageFileHeader,
  ImageOptionalHeader32,
  ImageOptionalHeader64,
  ImageSectionHeader,
  PE_SIGNATURE,
  PE_SIGNATURE_SIZE,
} from "../layouts.js";
import { writeStruct } from "../struct.js";
import { optionalHeaderFixedSize } from "./pe-image.js";
import type { DataDirectory, FileHeader, OptionalHeader, OptionalHeader32, OptionalHeader64, PeImage, SectionHeader } from "./pe-image.js";

/**
 * The standard DOS stub, loaded at CS:0000 right after the 64-byte header. Recipe (16-bit x86):
 *
 *   0000  0E           push cs
 *   0001  1F           pop  ds          ; DS = CS, so DS:DX reaches the message below
 *   0002  BA 0E 00     mov  dx, 000Eh   ; offset of the message
 *   0005  B4 09        mov  ah, 09h     ; DOS: print the '$'-terminated string at DS:DX
 *   0007  CD 21        int  21h
 *   0009  B8 01 4C     mov  ax, 4C01h   ; DOS: exit with status 1
 *   000C  CD 21        int  21h
 *   000E  "This program cannot be run in DOS mode.\r\r\n$"
 *
 * then zero padding to 64 bytes, so that the PE header can follow at 0x80 on an 8-byte boundary.
 */
const DOS_STUB_CODE = [0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21];
const DOS_STUB_MESSAGE = "This program cannot be run in DOS mode.\r\r\n$";
export const DOS_STUB: Uint8Array = (() => {
  const stub = new Uint8Array(64);
  stub.set(DOS_STUB_CODE, 0);
  for (let i = 0; i < DOS_STUB_MESSAGE.length; i++) stub[DOS_STUB_CODE.length + i] = DOS_STUB_MESSAGE.charCodeAt(i);
  return stub;
})();

/** Where the DOS header and standard stub end: the smallest `e_lfanew` they allow. */
export const DOS_HEADER_AND_STUB_SIZE = ImageDosHeader.size + DOS_STUB.length;

/**
 * Writes an MZ header and the standard stub at offset 0 of `target`; `lfanew` is where the caller
 * puts the PE signature (at least 0x80, a multiple of 8). Bytes between the stub and `lfanew` are zeroed.
 */
export function writeDosHeaderAndStub(target: Uint8Array, options: { readonly lfanew: number }): number {
  const { lfanew } = options;
  if (!Number.isInteger(lfanew) || lfanew < DOS_HEADER_AND_STUB_SIZE || lfanew % 8 !== 0 || lfanew > 0xffffffff) {
    throw new InvalidFieldError(`e_lfanew must be a multiple of 8 from 0x${DOS_HEADER_AND_STUB_SIZE.toString(16)}, got ${lfanew}`);
  }
  if (target.length < lfanew) {
    throw new InvalidFieldError(`no room for the DOS header and stub: ${lfanew} bytes wanted, the buffer has ${target.length}`);
  }
  // The DOS program is the header plus the stub: one 512-byte page, 128 bytes used in it.
  writeStruct(target, ImageDosHeader, 0, {
    e_magic: IMAGE_DOS_SIGNATURE,
    e_cblp: DOS_HEADER_AND_STUB_SIZE % 512,
    e_cp: Math.ceil(DOS_HEADER_AND_STUB_SIZE / 512),
    e_cparhdr: ImageDosHeader.size / 16,
    e_maxalloc: 0xffff,
    e_sp: 0xb8,
    e_lfarlc: ImageDosHeader.size,
    e_lfanew: lfanew,
  });
  target.set(DOS_STUB, ImageDosHeader.size);
  target.fill(0, DOS_HEADER_AND_STUB_SIZE, lfanew);
  return lfanew;
}

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Fields the writer derives from the rest of the model; given ones must agree with it. */
export type FileHeaderModel = Optional<FileHeader, "NumberOfSections" | "SizeOfOptionalHeader">;
export type OptionalHeaderModel =
  | ({ readonly format: "PE32" } & Optional<OptionalHeader32, "Magic" | "NumberOfRvaAndSizes">)
  | ({ readonly format: "PE32+" } & Optional<OptionalHeader64, "Magic" | "NumberOfRvaAndSizes">);
/** A section header; `Name` (raw bytes) wins over `name`, which must then fit 8 bytes. */
export type SectionHeaderModel = Optional<SectionHeader, "Name"> & { readonly name?: string };

export interface PeHeadersModel {
  /** File offset of the PE signature (`e_lfanew`). */
  readonly peHeaderOffset: number;
  readonly fileHeader: FileHeaderModel;
  readonly optionalHeader: OptionalHeaderModel;
  /** At most 16; their count becomes NumberOfRvaAndSizes. */
  readonly dataDirectories: readonly DataDirectory[];
  readonly sections: readonly SectionHeaderModel[];
}

/** SizeOfOptionalHeader for a model: as given, or the optional header plus its directories. */
function sizeOfOptionalHeader(model: PeHeadersModel): number {
  const minimum = optionalHeaderFixedSize(model.optionalHeader.format) + model.dataDirectories.length * ImageDataDirectory.size;
  const given = model.fileHeader.SizeOfOptionalHeader;
  if (given === undefined) return minimum;
  if (given < minimum) {
    throw new InvalidFieldError(`SizeOfOptionalHeader ${given} cannot hold the optional header and ${model.dataDirectories.length} data directories`, {
      expected: `at least ${minimum}`,
    });
  }
  return given;
}

/** Bytes `writePeHeaders` writes: signature, file header, optional header, section table. */
export function peHeadersSize(model: PeHeadersModel): number {
  return PE_SIGNATURE_SIZE + ImageFileHeader.size + sizeOfOptionalHeader(model) + model.sections.length * ImageSectionHeader.size;
}

/** Serialises the model at `model.peHeaderOffset` in `target`. Returns the offset after the section table. */
export function writePeHeaders(target: Uint8Array, model: PeHeadersModel): number {
  const { fileHeader, optionalHeader, dataDirectories, sections } = model;
  const start = model.peHeaderOffset;
  const end = start + peHeadersSize(model);
  if (!Number.isInteger(start) || start < 0 || end > target.length) {
    throw new InvalidFieldError(`no room for the PE headers: bytes 0x${start.toString(16)} to 0x${end.toString(16)} wanted, the buffer has ${target.length}`);
  }
  if (dataDirectories.length > IMAGE_NUMBEROF_DIRECTORY_ENTRIES) {
    throw new InvalidFieldError(`an image has at most 16 data directories, the model has ${dataDirectories.length}`);
  }
  if (fileHeader.NumberOfSections !== undefined && fileHeader.NumberOfSections !== sections.length) {
    throw new InvalidFieldError(`NumberOfSections ${fileHeader.NumberOfSections} disagrees with the ${sections.length} sections of the model`);
  }
  const magic = optionalHeader.format === "PE32" ? IMAGE_NT_OPTIONAL_HDR32_MAGIC : IMAGE_NT_OPTIONAL_HDR64_MAGIC;
  if (optionalHeader.Magic !== undefined && optionalHeader.Magic !== magic) {
    throw new InvalidFieldError(`optional header Magic 0x${optionalHeader.Magic.toString(16)} disagrees with format ${optionalHeader.format}`, {
      expected: `0x${magic.toString(16)}`,
    });
  }
  // A count above 16 is kept as given (the loader reads 16); one below the directories given is a contradiction.
  const numberOfRvaAndSizes = optionalHeader.NumberOfRvaAndSizes ?? dataDirectories.length;
  if (numberOfRvaAndSizes < dataDirectories.length) {
    throw new InvalidFieldError(`NumberOfRvaAndSizes ${numberOfRvaAndSizes} is less than the ${dataDirectories.length} directories of the model`);
  }
  const optionalSize = sizeOfOptionalHeader(model);
  new DataView(target.buffer, target.byteOffset, target.byteLength).setUint32(start, PE_SIGNATURE, true);
  const fileHeaderOffset = start + PE_SIGNATURE_SIZE;
  writeStruct(target, ImageFileHeader, fileHeaderOffset, {
    ...fileHeader, NumberOfSections: sections.length, SizeOfOptionalHeader: optionalSize,
  });
  const optionalOffset = fileHeaderOffset + ImageFileHeader.size;
  target.fill(0, optionalOffset, optionalOffset + optionalSize);
  const fixed = { ...optionalHeader, Magic: magic, NumberOfRvaAndSizes: numberOfRvaAndSizes };
  if (fixed.format === "PE32") writeStruct(target, ImageOptionalHeader32, optionalOffset, fixed);
  else writeStruct(target, ImageOptionalHeader64, optionalOffset, fixed);
  const directoriesOffset = optionalOffset + optionalHeaderFixedSize(optionalHeader.format);
  dataDirectories.forEach((dir, i) => writeStruct(target, ImageDataDirectory, directoriesOffset + i * ImageDataDirectory.size, dir));
  const tableOffset = optionalOffset + optionalSize;
  sections.forEach((section, i) => {
    writeStruct(target, ImageSectionHeader, tableOffset + i * ImageSectionHeader.size, { ...section, Name: sectionNameBytes(section, i) });
  });
  return end;
}

const utf8 = new TextEncoder();

function sectionNameBytes(section: SectionHeaderModel, index: number): Uint8Array {
  if (section.Name !== undefined) return section.Name;
  const bytes = utf8.encode(section.name ?? "");
  if (bytes.length > IMAGE_SIZEOF_SHORT_NAME) {
    throw new InvalidFieldError(`section ${index} name "${section.name ?? ""}" is longer than 8 bytes; images truncate names or give a "/N" string-table reference in Name`);
  }
  return bytes;
}

/** The model `writePeHeaders` would need to reproduce this image's PE headers. */
export function peHeadersOf(image: PeImage): PeHeadersModel {
  return {
    peHeaderOffset: image.peHeaderOffset,
    fileHeader: { ...image.fileHeader },
    optionalHeader: { ...image.optionalHeader } as OptionalHeader,
    dataDirectories: image.dataDirectories.map((d) => ({ ...d })),
    sections: image.sections.map(({ name, index: _index, ...header }) => ({ ...header, name })),
  };
}
