// What each object format puts before, and after, the strings of its table.

import { StringTableError } from "./errors.js";

/**
 * - `coff`: 4-byte little-endian total size first; offsets count from the table start, so the first
 *   string is at 4 (PE/COFF spec, "COFF String Table").
 * - `elf`: a leading NUL, so offset 0 is the empty string (System V ABI, "String Table").
 * - `macho`: ld64's linked-image layout, `" \0"` first (offset 0 is never a real name, offset 1 is the
 *   empty string), whole table padded with NULs to 8 bytes for 64-bit images.
 * - `macho32`: the same, padded to 4 bytes.
 */
export type StringTableFlavour = "coff" | "elf" | "macho" | "macho32";

export interface FlavourLayout {
  /** Bytes before the first added string (the COFF size prefix or the reserved leading strings). */
  readonly headerSize: number;
  /** The serialized size is rounded up to this (1 = no padding). */
  readonly padTo: number;
  /** Strings that exist from the start, with their offsets. */
  readonly preset: readonly (readonly [string, number])[];
  /** Leading bytes after a COFF size prefix (empty for COFF). */
  readonly headerBytes: readonly number[];
  /** Whether the first 4 bytes hold the little-endian table size. */
  readonly sizePrefix: boolean;
}

const layouts: Record<StringTableFlavour, FlavourLayout> = {
  coff: { headerSize: 4, padTo: 1, preset: [], headerBytes: [], sizePrefix: true },
  elf: { headerSize: 1, padTo: 1, preset: [["", 0]], headerBytes: [0], sizePrefix: false },
  // ld64 (LinkEditClassic.hpp, StringPoolAtom) burns offset 0 with a space so that n_strx == 0 can
  // mean "no name", and makes offset 1 the empty string; its size() rounds up to the pointer size.
  // LLVM's StringTableBuilder (MachO64Linked) does the same.
  macho: { headerSize: 2, padTo: 8, preset: [[" ", 0], ["", 1]], headerBytes: [0x20, 0], sizePrefix: false },
  macho32: { headerSize: 2, padTo: 4, preset: [[" ", 0], ["", 1]], headerBytes: [0x20, 0], sizePrefix: false },
};

export function layoutOf(flavour: StringTableFlavour): FlavourLayout {
  const layout = layouts[flavour];
  if (layout === undefined) {
    throw new StringTableError("unknown-flavour", `unknown string table flavour ${JSON.stringify(flavour)}: expected "coff", "elf", "macho" or "macho32"`);
  }
  return layout;
}
