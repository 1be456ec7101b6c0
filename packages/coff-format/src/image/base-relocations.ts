// Decodes the base-relocation directory (spec §6.6): blocks of 4 KiB pages, each entry a type and
// a page offset, and a flat sorted list of the addresses the loader patches.
import { InvalidFieldError } from "../errors.js";
import { IMAGE_DIRECTORY_ENTRY, IMAGE_REL_BASED } from "../constants.js";
import { ImageBaseRelocation } from "../layouts.js";
import { ByteView } from "../byte-view.js";
import { hex } from "./pe-image.js";
import type { PeImage } from "./pe-image.js";

export interface BaseRelocationEntry {
  /** IMAGE_REL_BASED_* (the upper 4 bits of the entry). */
  readonly type: number;
  /** The lower 12 bits: offset in the block's page. */
  readonly offset: number;
  /** The patched address: page RVA + offset. */
  readonly rva: number;
  /** HIGHADJ only: the low 16 bits of the adjusted value, stored in the entry that follows. */
  readonly parameter?: number;
}

export interface BaseRelocationBlock {
  readonly pageRva: number;
  readonly sizeOfBlock: number;
  /** Every entry as stored, ABSOLUTE padding included. */
  readonly entries: readonly BaseRelocationEntry[];
}

export interface BaseRelocations {
  readonly blocks: readonly BaseRelocationBlock[];
  /** Every patch site except ABSOLUTE padding, sorted by RVA (then type). */
  readonly sorted: readonly { readonly rva: number; readonly type: number }[];
}

export function readBaseRelocations(image: PeImage): BaseRelocations {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.BASERELOC);
  if (dir === undefined || dir.VirtualAddress === 0 || dir.Size === 0) return { blocks: [], sorted: [] };
  const data = new ByteView(image.readAtRva(dir.VirtualAddress, dir.Size, "the base-relocation directory"), image.fileName);
  const fileOffset = image.rvaToFileOffset(dir.VirtualAddress);
  const blocks: BaseRelocationBlock[] = [];
  const sorted: { rva: number; type: number }[] = [];
  let at = 0;
  // A directory Size that leaves fewer than 8 bytes at the end is padding the loader ignores.
  while (at + ImageBaseRelocation.size <= data.length) {
    const pageRva = data.u32(at);
    const sizeOfBlock = data.u32(at + 4);
    if (sizeOfBlock < ImageBaseRelocation.size || sizeOfBlock > data.length - at) {
      throw new InvalidFieldError(`base-relocation block for page 0x${hex(pageRva)} has SizeOfBlock ${sizeOfBlock}`, {
        file: image.fileName, offset: fileOffset + at + 4,
        expected: `8 to ${data.length - at} bytes (the rest of the directory)`,
      });
    }
    const entries: BaseRelocationEntry[] = [];
    const end = at + sizeOfBlock - (sizeOfBlock % 2);
    for (let e = at + ImageBaseRelocation.size; e < end; e += 2) {
      const word = data.u16(e);
      const type = word >>> 12;
      const offset = word & 0xfff;
      const rva = pageRva + offset;
      if (type === IMAGE_REL_BASED.HIGHADJ) {
        // HIGHADJ occupies two slots: the second holds the low half of the value to adjust.
        if (e + 2 >= end) {
          throw new InvalidFieldError("a HIGHADJ base relocation is the last entry of its block, with no parameter slot", {
            file: image.fileName, offset: fileOffset + e,
          });
        }
        entries.push({ type, offset, rva, parameter: data.u16(e + 2) });
        e += 2;
      } else {
        entries.push({ type, offset, rva });
      }
      if (type !== IMAGE_REL_BASED.ABSOLUTE) sorted.push({ rva, type });
    }
    blocks.push({ pageRva, sizeOfBlock, entries });
    at += sizeOfBlock;
  }
  sorted.sort((a, b) => a.rva - b.rva || a.type - b.type);
  return { blocks, sorted };
}
