// The whole image in one buffer: headers, section contents at their file offsets, zero fill, and the
// checksum; every section must lie inside the room the layout reserved for it, so that a size that is off
// by one fails here instead of producing a corrupt file.
import { IMAGE_DIRECTORY_ENTRY, IMAGE_SCN } from "@linkkit/coff-format";
import { writeChecksum } from "./checksum.js";
import { alignUp, hex, PeWriterError } from "./errors.js";
import { deriveHeaderFields, formatOf, headerLayout, writeImageHeaders } from "./headers.js";
import type { ImageHeaderModel, SectionHeaderModel } from "./headers.js";

export interface ImageSectionModel extends SectionHeaderModel {
  /** File bytes of the section, at most `min(sizeOfRawData, virtualSize)`; the rest is zero-filled. */
  readonly contents?: Uint8Array | undefined;
  /** File bytes reserved from `pointerToRawData` for growth (>= sizeOfRawData); nothing else may be placed there. */
  readonly fileReserve?: number | undefined;
  /**
   * Address space reserved from `virtualAddress` for growth; nothing else may be placed there. Windows
   * refuses gaps between sections, so unless `allowVirtualGaps` is set, reserve address space by making
   * VirtualSize cover it (the loader zero-fills past the file data) rather than with this field.
   */
  readonly virtualReserve?: number | undefined;
}

/** Bytes at a file offset outside every section (a COFF symbol and string table, for example). */
export interface ImageBlob {
  readonly what: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ImageModel extends ImageHeaderModel {
  readonly sections: readonly ImageSectionModel[];
  readonly blobs?: readonly ImageBlob[] | undefined;
  /** Length of the file; default: the end of the last section's raw data or blob. */
  readonly fileSize?: number | undefined;
  /** Compute and store the PE checksum (drivers and boot images need it; /release). */
  readonly computeChecksum?: boolean | undefined;
  /**
   * Let sections leave address-space gaps between them. Wine loads such images; Windows does not (each
   * section must start where the previous one ends, rounded up to the section alignment).
   */
  readonly allowVirtualGaps?: boolean | undefined;
}

/** What the loader maps for a section: VirtualSize, or SizeOfRawData when VirtualSize is 0 (old linkers). */
export function loadedSize(s: SectionHeaderModel): number {
  return Math.max(s.virtualSize === 0 ? s.sizeOfRawData : s.virtualSize, 1);
}

interface FileExtent {
  readonly what: string;
  readonly start: number;
  readonly end: number;
}

/** Checks the layout the model describes; throws a PeWriterError naming the first section that breaks it. */
export function validateImageLayout(model: ImageModel): { readonly sizeOfHeaders: number; readonly fileSize: number } {
  const format = formatOf(model);
  const { sectionAlignment, fileAlignment } = model;
  const minimumHeaders = alignUp(headerLayout(format, model.sections.length).end, fileAlignment);
  const sizeOfHeaders = model.sizeOfHeaders ?? minimumHeaders;
  const extents: FileExtent[] = [{ what: "headers", start: 0, end: sizeOfHeaders }];
  let dataEnd = sizeOfHeaders;
  const headersEnd = alignUp(sizeOfHeaders, sectionAlignment);
  let previous = { name: "headers", end: headersEnd, contiguousEnd: headersEnd };

  for (const [i, s] of model.sections.entries()) {
    const where = `section ${i} (${s.name})`;
    const contents = s.contents?.length ?? 0;
    if (s.virtualAddress % sectionAlignment !== 0) {
      throw new PeWriterError(`VirtualAddress is not aligned`, { where, rva: s.virtualAddress, expected: `a multiple of ${hex(sectionAlignment)}` });
    }
    // The loader requires sections in ascending address order, not overlapping each other or the headers.
    if (s.virtualAddress < previous.end) {
      throw new PeWriterError(`starts inside ${previous.name}, which ends at ${hex(previous.end)}`, { where, rva: s.virtualAddress });
    }
    if (model.allowVirtualGaps !== true && s.virtualAddress !== previous.contiguousEnd) {
      throw new PeWriterError(`leaves a gap after ${previous.name}: Windows loads only images whose sections are contiguous in memory`, {
        where, rva: s.virtualAddress, expected: `VirtualAddress ${hex(previous.contiguousEnd)}, or a VirtualSize that covers reserved space`,
      });
    }
    const virtualReserve = s.virtualReserve ?? 0;
    if (virtualReserve !== 0 && virtualReserve < s.virtualSize) {
      throw new PeWriterError(`VirtualSize ${hex(s.virtualSize)} exceeds the reserved ${hex(virtualReserve)}`, { where, rva: s.virtualAddress });
    }
    previous = {
      name: where,
      end: s.virtualAddress + alignUp(Math.max(s.virtualSize, virtualReserve, 1), sectionAlignment),
      contiguousEnd: s.virtualAddress + alignUp(loadedSize(s), sectionAlignment),
    };

    if (s.sizeOfRawData === 0) {
      if (contents > 0) throw new PeWriterError(`has ${contents} bytes of contents but no file data (SizeOfRawData 0)`, { where });
      if ((s.characteristics & IMAGE_SCN.CNT_UNINITIALIZED_DATA) === 0 && s.pointerToRawData !== 0) {
        throw new PeWriterError("has a file offset but no file data", { where, offset: s.pointerToRawData });
      }
      continue;
    }
    if (s.pointerToRawData % fileAlignment !== 0 || s.sizeOfRawData % fileAlignment !== 0) {
      throw new PeWriterError(`file range ${hex(s.pointerToRawData)}+${hex(s.sizeOfRawData)} is not aligned`, {
        where, offset: s.pointerToRawData, expected: `multiples of the file alignment ${hex(fileAlignment)}`,
      });
    }
    if (contents > s.sizeOfRawData) {
      throw new PeWriterError(`contents (${hex(contents)} bytes) overrun SizeOfRawData ${hex(s.sizeOfRawData)}`, { where, offset: s.pointerToRawData });
    }
    if (contents > s.virtualSize) {
      throw new PeWriterError(`contents (${hex(contents)} bytes) overrun VirtualSize ${hex(s.virtualSize)}; the loader would drop the rest`, { where, rva: s.virtualAddress });
    }
    const fileReserve = s.fileReserve ?? s.sizeOfRawData;
    if (fileReserve < s.sizeOfRawData) {
      throw new PeWriterError(`SizeOfRawData ${hex(s.sizeOfRawData)} exceeds the reserved ${hex(fileReserve)}`, { where, offset: s.pointerToRawData });
    }
    extents.push({ what: where, start: s.pointerToRawData, end: s.pointerToRawData + fileReserve });
    dataEnd = Math.max(dataEnd, s.pointerToRawData + s.sizeOfRawData);
  }
  for (const blob of model.blobs ?? []) {
    extents.push({ what: blob.what, start: blob.offset, end: blob.offset + blob.bytes.length });
    dataEnd = Math.max(dataEnd, blob.offset + blob.bytes.length);
  }
  extents.sort((a, b) => a.start - b.start);
  for (let i = 1; i < extents.length; i++) {
    const before = extents[i - 1]!;
    const after = extents[i]!;
    if (after.start < before.end) {
      throw new PeWriterError(`overlaps ${before.what} (file ${hex(before.start)}-${hex(before.end)})`, { where: after.what, offset: after.start });
    }
  }

  const derived = deriveHeaderFields(model.sections, sizeOfHeaders, sectionAlignment, fileAlignment);
  if (model.entryPointRva !== 0 && !model.sections.some((s) => model.entryPointRva >= s.virtualAddress && model.entryPointRva < s.virtualAddress + s.virtualSize)) {
    throw new PeWriterError("the entry point is in no section", { where: "optional header", rva: model.entryPointRva });
  }
  (model.dataDirectories ?? []).forEach((d, index) => {
    // The certificate table's "RVA" is a file offset; it is checked as a blob, not against the image.
    if (d === undefined || d.size === 0 || index === IMAGE_DIRECTORY_ENTRY.SECURITY) return;
    if (d.rva + d.size > derived.sizeOfImage) {
      throw new PeWriterError(`data directory ${index} (${hex(d.rva)}+${hex(d.size)}) runs past SizeOfImage ${hex(derived.sizeOfImage)}`, { where: "data directories", rva: d.rva });
    }
  });
  const fileSize = model.fileSize ?? dataEnd;
  if (fileSize < dataEnd) {
    throw new PeWriterError(`file size ${hex(fileSize)} cuts off data that ends at ${hex(dataEnd)}`, { where: "image" });
  }
  return { sizeOfHeaders, fileSize };
}

/** Serialises the whole image. Section bytes past `contents` and every gap between sections are zero. */
export function writeImage(model: ImageModel): Uint8Array {
  const { sizeOfHeaders, fileSize } = validateImageLayout(model);
  const image = new Uint8Array(fileSize);
  writeImageHeaders(image, { ...model, sizeOfHeaders });
  for (const s of model.sections) {
    if (s.contents !== undefined && s.contents.length > 0) image.set(s.contents, s.pointerToRawData);
  }
  for (const blob of model.blobs ?? []) image.set(blob.bytes, blob.offset);
  if (model.computeChecksum === true) writeChecksum(image);
  return image;
}
