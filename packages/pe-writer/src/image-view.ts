// Finds the headers of an existing image so that patch functions can change single fields in place.
import {
  ByteView, CoffFormatError, IMAGE_DOS_SIGNATURE, IMAGE_NT_OPTIONAL_HDR32_MAGIC, IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  ImageDosHeader, ImageFileHeader, ImageOptionalHeader32, ImageSectionHeader, PE_SIGNATURE, readStruct,
} from "@linkkit/coff-format";
import { hex, NotAnImageError } from "./errors.js";
import type { HeaderLayout, PeFormat, SectionHeaderModel } from "./headers.js";

export interface ImageHeaderLocation {
  readonly layout: HeaderLayout;
  readonly sectionCount: number;
  readonly sizeOfHeaders: number;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  /** The section table as stored (names decoded up to the first NUL). */
  readonly sections: readonly StoredSectionHeader[];
}

export interface StoredSectionHeader extends SectionHeaderModel {
  /** The 8 raw name bytes. */
  readonly rawName: Uint8Array;
}

export function locateImageHeaders(image: Uint8Array): ImageHeaderLocation {
  try {
    return locate(new ByteView(image, "image"));
  } catch (cause) {
    if (cause instanceof CoffFormatError) {
      throw new NotAnImageError(`not a PE image: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

function locate(view: ByteView): ImageHeaderLocation {
  if (view.u16(0) !== IMAGE_DOS_SIGNATURE) throw new NotAnImageError("no MZ signature", { offset: 0 });
  const peSignatureOffset = view.u32(ImageDosHeader.offsetOf.e_lfanew);
  if (view.u32(peSignatureOffset) !== PE_SIGNATURE) {
    throw new NotAnImageError("no PE signature at e_lfanew", { offset: peSignatureOffset });
  }
  const fileHeaderOffset = peSignatureOffset + 4;
  const fileHeader = readStruct(view, ImageFileHeader, fileHeaderOffset);
  const optionalHeaderOffset = fileHeaderOffset + ImageFileHeader.size;
  const magic = view.u16(optionalHeaderOffset);
  let format: PeFormat;
  if (magic === IMAGE_NT_OPTIONAL_HDR64_MAGIC) format = "pe32+";
  else if (magic === IMAGE_NT_OPTIONAL_HDR32_MAGIC) format = "pe32";
  else throw new NotAnImageError(`unknown optional header magic ${hex(magic)}`, { offset: optionalHeaderOffset, expected: "0x10b or 0x20b" });
  const o = ImageOptionalHeader32.offsetOf; // the fields read here sit at the same offsets in both formats
  const sectionAlignment = view.u32(optionalHeaderOffset + o.SectionAlignment);
  const fileAlignment = view.u32(optionalHeaderOffset + o.FileAlignment);
  const sizeOfHeaders = view.u32(optionalHeaderOffset + o.SizeOfHeaders);
  const fixedSize = format === "pe32+" ? 112 : 96;
  const sectionTableOffset = optionalHeaderOffset + fileHeader.SizeOfOptionalHeader;
  const sectionCount = fileHeader.NumberOfSections;
  const layout: HeaderLayout = {
    format, peSignatureOffset, fileHeaderOffset, optionalHeaderOffset,
    optionalHeaderSize: fileHeader.SizeOfOptionalHeader,
    dataDirectoryOffset: optionalHeaderOffset + fixedSize,
    sectionTableOffset,
    end: sectionTableOffset + sectionCount * ImageSectionHeader.size,
  };
  const sections: StoredSectionHeader[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const h = readStruct(view, ImageSectionHeader, sectionTableOffset + i * ImageSectionHeader.size);
    const nul = h.Name.indexOf(0);
    const rawName = h.Name.slice();
    sections.push({
      name: String.fromCharCode(...(nul < 0 ? rawName : rawName.subarray(0, nul))),
      rawName,
      virtualAddress: h.VirtualAddress,
      virtualSize: h.VirtualSize,
      pointerToRawData: h.PointerToRawData,
      sizeOfRawData: h.SizeOfRawData,
      characteristics: h.Characteristics,
    });
  }
  return { layout, sectionCount, sizeOfHeaders, sectionAlignment, fileAlignment, sections };
}

/** The file offset of `rva`, or undefined when no section (nor the headers) holds file bytes there. */
export function fileOffsetOfRva(location: ImageHeaderLocation, rva: number, length = 1): number | undefined {
  if (rva + length <= location.sizeOfHeaders) return rva;
  for (const s of location.sections) {
    // The loader copies only min(SizeOfRawData, VirtualSize) bytes from the file; the rest of the section is zero.
    const mapped = s.virtualSize === 0 ? s.sizeOfRawData : Math.min(s.sizeOfRawData, s.virtualSize);
    if (rva >= s.virtualAddress && rva + length <= s.virtualAddress + mapped) {
      return s.pointerToRawData + (rva - s.virtualAddress);
    }
  }
  return undefined;
}
