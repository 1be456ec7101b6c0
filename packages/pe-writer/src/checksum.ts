// The PE image checksum (the optional header's CheckSum): a 16-bit ones'-complement-style sum of the
// file with the CheckSum field taken as zero, plus the file length — what imagehlp's CheckSumMappedFile computes.
import { ImageOptionalHeader32 } from "@linkkit/coff-format";
import type { DirtyRange } from "./dirty-ranges.js";
import { locateImageHeaders } from "./image-view.js";

/** File offset of the CheckSum field (the same in PE32 and PE32+ optional headers). */
export function checksumOffset(image: Uint8Array): number {
  return locateImageHeaders(image).layout.optionalHeaderOffset + ImageOptionalHeader32.offsetOf.CheckSum;
}

export function computePeChecksum(image: Uint8Array): number {
  const skip = checksumOffset(image);
  const length = image.length;
  let sum = 0;
  // Plain numbers stay exact up to 2^53, far above what 16-bit words of any PE file (< 4 GiB) add up to;
  // the carries are folded once at the end instead of after every word.
  const even = length & ~1;
  for (let i = 0; i < even; i += 2) sum += image[i]! | (image[i + 1]! << 8);
  if (length !== even) sum += image[length - 1]!;
  // Take the CheckSum field's own two words back out: it counts as zero.
  sum -= (image[skip]! | (image[skip + 1]! << 8)) + (image[skip + 2]! | (image[skip + 3]! << 8));
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return (sum + length) >>> 0;
}

/** Computes the checksum and stores it in the image; returns the 4 bytes it changed. */
export function writeChecksum(image: Uint8Array): DirtyRange {
  const offset = checksumOffset(image);
  const value = computePeChecksum(image);
  new DataView(image.buffer, image.byteOffset, image.byteLength).setUint32(offset, value, true);
  return { offset, length: 4 };
}
