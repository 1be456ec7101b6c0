// The image checksum that drivers, boot-time DLLs and `/release` images carry (the algorithm of
// imagehlp's CheckSumMappedFile): a 16-bit end-around-carry sum of the file's little-endian words,
// with the CheckSum field counted as zero, plus the file's length.
import { ByteView } from "../byte-view.js";
import { InvalidFieldError } from "../errors.js";
import { IMAGE_DOS_SIGNATURE, ImageDosHeader, ImageFileHeader, PE_SIGNATURE, PE_SIGNATURE_SIZE } from "../layouts.js";
import { OPTIONAL_HEADER_CHECKSUM_OFFSET } from "./pe-image.js";
import type { PeImage } from "./pe-image.js";

/** File offset of the optional header's CheckSum field (the same in PE32 and PE32+). */
export function checksumFieldOffset(image: PeImage): number {
  return image.optionalHeaderOffset + OPTIONAL_HEADER_CHECKSUM_OFFSET;
}

/** Finds the CheckSum field from the DOS and PE headers alone, for callers that hold only bytes. */
function locateChecksumField(bytes: Uint8Array, fileName: string | undefined): number {
  const view = new ByteView(bytes, fileName);
  if (view.u16(0) !== IMAGE_DOS_SIGNATURE) {
    throw new InvalidFieldError("not a PE image: no 'MZ' signature", { file: fileName, offset: 0 });
  }
  const lfanew = view.u32(ImageDosHeader.offsetOf.e_lfanew);
  if (view.u32(lfanew) !== PE_SIGNATURE) {
    throw new InvalidFieldError(`not a PE image: no "PE\\0\\0" signature at e_lfanew`, { file: fileName, offset: lfanew });
  }
  const field = lfanew + PE_SIGNATURE_SIZE + ImageFileHeader.size + OPTIONAL_HEADER_CHECKSUM_OFFSET;
  view.check(field, 4, "the optional header's CheckSum");
  return field;
}

/** The checksum the image's bytes should carry (the value in its CheckSum field does not count). */
export function computePeChecksum(bytes: Uint8Array, options: { fileName?: string | undefined } = {}): number {
  const field = locateChecksumField(bytes, options.fileName);
  // Sum 16-bit words in a double (exact below 2^53: files up to 2^37 bytes), folding carries at the end.
  // e_lfanew is 4-aligned in every image the loader accepts, so the field covers two whole words;
  // the slow path keeps odd placements correct anyway.
  let sum = field % 2 === 0 ? sumSkippingAlignedField(bytes, field) : sumWithZeroedField(bytes, field);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return (sum + bytes.length) >>> 0;
}

function sumSkippingAlignedField(bytes: Uint8Array, field: number): number {
  let sum = 0;
  const wholeWords = bytes.length & ~1;
  for (let i = 0; i < wholeWords; i += 2) {
    if (i === field || i === field + 2) continue;
    sum += bytes[i]! | (bytes[i + 1]! << 8);
  }
  if (bytes.length & 1) sum += bytes[bytes.length - 1]!;
  return sum;
}

function sumWithZeroedField(bytes: Uint8Array, field: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    const lo = i >= field && i < field + 4 ? 0 : bytes[i]!;
    const hi = i + 1 >= bytes.length || (i + 1 >= field && i + 1 < field + 4) ? 0 : bytes[i + 1]!;
    sum += lo | (hi << 8);
  }
  return sum;
}

/** Computes the checksum and stores it in the CheckSum field, in place. Returns the value written. */
export function writePeChecksum(bytes: Uint8Array, options: { fileName?: string | undefined } = {}): number {
  const checksum = computePeChecksum(bytes, options);
  const field = locateChecksumField(bytes, options.fileName);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(field, checksum, true);
  return checksum;
}
