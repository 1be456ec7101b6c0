// In-place edits of an existing image for incremental updates: each changes the bytes of `image` and
// answers the file range it dirtied, so the linker writes back only those ranges.
import {
  IMAGE_NUMBEROF_DIRECTORY_ENTRIES, ImageDataDirectory, ImageFileHeader, ImageOptionalHeader32, ImageOptionalHeader64,
  ImageSectionHeader, writeStruct,
} from "@linkkit/coff-format";
import type { DirtyRange } from "./dirty-ranges.js";
import { alignUp, hex, PeWriterError } from "./errors.js";
import { deriveHeaderFields, writeSectionHeader } from "./headers.js";
import type { SectionHeaderModel } from "./headers.js";
import { loadedSize } from "./image.js";
import type { ImageSectionModel } from "./image.js";
import { fileOffsetOfRva, locateImageHeaders } from "./image-view.js";

/** Writes `bytes` at `rva`; the whole range must lie in one section's file data (or in the headers). */
export function patchBytesAtRva(image: Uint8Array, rva: number, bytes: Uint8Array): DirtyRange {
  const location = locateImageHeaders(image);
  const offset = fileOffsetOfRva(location, rva, Math.max(bytes.length, 1));
  if (offset === undefined || offset + bytes.length > image.length) {
    throw new PeWriterError(`no section holds ${bytes.length} bytes of file data there`, { where: "patch", rva });
  }
  image.set(bytes, offset);
  return { offset, length: bytes.length };
}

/** Replaces section header `index` (0-based). Call `refreshDerivedHeaderFields` when sizes changed. */
export function patchSectionHeader(image: Uint8Array, index: number, header: SectionHeaderModel): DirtyRange {
  const location = locateImageHeaders(image);
  if (!Number.isInteger(index) || index < 0 || index >= location.sectionCount) {
    throw new PeWriterError(`no section header ${index}`, { where: "patch", expected: `0 to ${location.sectionCount - 1}` });
  }
  const offset = location.layout.sectionTableOffset + index * ImageSectionHeader.size;
  writeSectionHeaderChecked(image, offset, header, `section header ${index} (${header.name})`);
  return { offset, length: ImageSectionHeader.size };
}

export function patchDataDirectory(image: Uint8Array, index: number, rva: number, size: number): DirtyRange {
  const location = locateImageHeaders(image);
  if (!Number.isInteger(index) || index < 0 || index >= IMAGE_NUMBEROF_DIRECTORY_ENTRIES) {
    throw new PeWriterError(`no data directory ${index}`, { where: "patch", expected: "0 to 15" });
  }
  const offset = location.layout.dataDirectoryOffset + index * ImageDataDirectory.size;
  if (offset + ImageDataDirectory.size > location.layout.sectionTableOffset) {
    throw new PeWriterError(`the image has fewer than ${index + 1} data directories`, { where: "patch" });
  }
  for (const [field, value] of [["RVA", rva], ["size", size]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new PeWriterError(`data directory ${index} ${field} ${value} is not a 32-bit value`, { where: "patch" });
    }
  }
  writeStruct(image, ImageDataDirectory, offset, { VirtualAddress: rva, Size: size });
  return { offset, length: ImageDataDirectory.size };
}

/** A field of either optional header (BaseOfData exists only in PE32). */
export type OptionalHeaderField = keyof typeof ImageOptionalHeader32.fields | keyof typeof ImageOptionalHeader64.fields;

export function patchOptionalHeaderField(image: Uint8Array, field: OptionalHeaderField, value: number | bigint): DirtyRange {
  const location = locateImageHeaders(image);
  const layout = location.layout.format === "pe32+" ? ImageOptionalHeader64 : ImageOptionalHeader32;
  const fields = layout.fields as Record<string, string | { bytes: number }>;
  const type = fields[field];
  if (type === undefined) {
    throw new PeWriterError(`${location.layout.format.toUpperCase()} optional headers have no ${field}`, { where: "patch" });
  }
  const offset = location.layout.optionalHeaderOffset + (layout.offsetOf as Record<string, number>)[field]!;
  const data = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const big = BigInt(value);
  const width = type === "u8" ? 1 : type === "u16" ? 2 : type === "u32" ? 4 : 8;
  if (big < 0n || big >= 1n << BigInt(width * 8)) {
    throw new PeWriterError(`${field} = ${hex(big)} does not fit ${width} bytes`, { where: "patch" });
  }
  if (width === 1) data.setUint8(offset, Number(big));
  else if (width === 2) data.setUint16(offset, Number(big), true);
  else if (width === 4) data.setUint32(offset, Number(big), true);
  else data.setBigUint64(offset, big, true);
  return { offset, length: width };
}

/**
 * Recomputes SizeOfImage, SizeOfCode, SizeOfInitializedData, SizeOfUninitializedData, BaseOfCode (and
 * BaseOfData) from the stored section table, after sections grew or were added.
 */
export function refreshDerivedHeaderFields(image: Uint8Array): DirtyRange[] {
  const location = locateImageHeaders(image);
  const d = deriveHeaderFields(location.sections, location.sizeOfHeaders, location.sectionAlignment, location.fileAlignment);
  const ranges = [
    patchOptionalHeaderField(image, "SizeOfCode", d.sizeOfCode),
    patchOptionalHeaderField(image, "SizeOfInitializedData", d.sizeOfInitializedData),
    patchOptionalHeaderField(image, "SizeOfUninitializedData", d.sizeOfUninitializedData),
    patchOptionalHeaderField(image, "BaseOfCode", d.baseOfCode),
    patchOptionalHeaderField(image, "SizeOfImage", d.sizeOfImage),
  ];
  if (location.layout.format === "pe32") ranges.push(patchOptionalHeaderField(image, "BaseOfData", d.baseOfData));
  return ranges;
}

export interface AppendedSection {
  /** The image with the section added: `image` itself when it was long enough, else a longer copy. */
  readonly image: Uint8Array;
  readonly index: number;
  readonly dirty: readonly DirtyRange[];
}

/**
 * Adds a section after the last one: its header goes into the room left in SizeOfHeaders, its contents at
 * its file offset (zero-filled to SizeOfRawData), and the header fields derived from sections are refreshed.
 */
export function appendSection(
  image: Uint8Array,
  section: ImageSectionModel,
  options: { readonly allowVirtualGaps?: boolean } = {},
): AppendedSection {
  const location = locateImageHeaders(image);
  const where = `appended section ${section.name}`;
  const headerOffset = location.layout.end;
  const firstRaw = Math.min(location.sizeOfHeaders, ...location.sections.filter((s) => s.sizeOfRawData > 0).map((s) => s.pointerToRawData));
  if (headerOffset + ImageSectionHeader.size > firstRaw) {
    throw new PeWriterError(`no room for another section header (the headers end at ${hex(firstRaw)})`, {
      where, offset: headerOffset, expected: "SizeOfHeaders reserved with room for more section headers",
    });
  }
  const last = location.sections[location.sections.length - 1];
  const virtualEnd = last === undefined
    ? alignUp(location.sizeOfHeaders, location.sectionAlignment)
    : alignUp(last.virtualAddress + loadedSize(last), location.sectionAlignment);
  const placed = options.allowVirtualGaps === true
    ? section.virtualAddress >= virtualEnd && section.virtualAddress % location.sectionAlignment === 0
    : section.virtualAddress === virtualEnd; // Windows needs sections contiguous in memory
  if (!placed) {
    throw new PeWriterError(`must start at ${options.allowVirtualGaps === true ? "or after " : ""}${hex(virtualEnd)}`, {
      where, rva: section.virtualAddress, expected: `aligned to ${hex(location.sectionAlignment)}`,
    });
  }
  const contents = section.contents ?? new Uint8Array(0);
  if (contents.length > section.sizeOfRawData || contents.length > section.virtualSize) {
    throw new PeWriterError(`contents (${hex(contents.length)} bytes) overrun SizeOfRawData or VirtualSize`, { where });
  }
  if (section.sizeOfRawData > 0) {
    if (section.pointerToRawData % location.fileAlignment !== 0 || section.sizeOfRawData % location.fileAlignment !== 0) {
      throw new PeWriterError("file range is not aligned", { where, offset: section.pointerToRawData, expected: `multiples of ${hex(location.fileAlignment)}` });
    }
    for (const s of location.sections) {
      if (s.sizeOfRawData > 0 && section.pointerToRawData < s.pointerToRawData + s.sizeOfRawData
        && s.pointerToRawData < section.pointerToRawData + section.sizeOfRawData) {
        throw new PeWriterError(`file data overlaps section ${s.name}`, { where, offset: section.pointerToRawData });
      }
    }
  }

  const end = section.pointerToRawData + section.sizeOfRawData;
  let out = image;
  if (end > image.length) {
    out = new Uint8Array(end);
    out.set(image);
  }
  const dirty: DirtyRange[] = [];
  writeSectionHeaderChecked(out, headerOffset, section, where);
  dirty.push({ offset: headerOffset, length: ImageSectionHeader.size });
  const countOffset = location.layout.fileHeaderOffset + ImageFileHeader.offsetOf.NumberOfSections;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint16(countOffset, location.sectionCount + 1, true);
  dirty.push({ offset: countOffset, length: 2 });
  if (section.sizeOfRawData > 0) {
    out.fill(0, section.pointerToRawData, end);
    out.set(contents, section.pointerToRawData);
    dirty.push({ offset: section.pointerToRawData, length: section.sizeOfRawData });
  }
  dirty.push(...refreshDerivedHeaderFields(out));
  return { image: out, index: location.sectionCount, dirty };
}

/** Field values out of range (a negative size, an RVA past 4 GiB) become PeWriterErrors naming the section. */
function writeSectionHeaderChecked(image: Uint8Array, offset: number, header: SectionHeaderModel, where: string): void {
  try {
    writeSectionHeader(image, offset, header);
  } catch (cause) {
    if (cause instanceof PeWriterError) throw cause;
    throw new PeWriterError(`a field is out of range: ${(cause as Error).message}`, { where, offset, cause });
  }
}
