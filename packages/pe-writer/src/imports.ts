// The import tables (spec §6.4): import directory, lookup tables, hint/name table, DLL names and one
// contiguous import address table; plus the jump thunks through which direct calls reach imported functions.
import { IMAGE_FILE_MACHINE, IMAGE_REL_BASED, ImageImportDescriptor, writeStruct } from "@linkkit/coff-format";
import type { BaseRelocationEntry } from "./base-relocations.js";
import { alignUp, checkTableRva, hex, PeWriterError } from "./errors.js";
import type { DataDirectoryEntry } from "./headers.js";

export interface ImportByName {
  readonly name: string;
  /** Index into the DLL's export name table where the loader looks first; 0 when unknown. */
  readonly hint?: number | undefined;
}

export interface ImportByOrdinal {
  readonly ordinal: number;
}

export type ImportedSymbol = ImportByName | ImportByOrdinal;

export interface ImportedDll {
  readonly dllName: string;
  readonly imports: readonly ImportedSymbol[];
}

/** Sizes and relative offsets of every part of the import tables; addresses come later, in `writeImportTables`. */
export interface ImportTablePlan {
  readonly is64: boolean;
  readonly dlls: readonly ImportedDll[];
  /** Total bytes of the tables. */
  readonly size: number;
  /** Import directory table, with its null terminator (what the IMPORT data directory covers). */
  readonly directoryOffset: number;
  readonly directorySize: number;
  /** Start of each DLL's import lookup table. */
  readonly lookupTableOffsets: readonly number[];
  /** The import address table of the whole image: every DLL's slots and terminators, contiguous. */
  readonly iatOffset: number;
  readonly iatSize: number;
  /** Start of each DLL's part of the IAT. */
  readonly iatOffsets: readonly number[];
  /** Hint/name entry of each import (undefined for imports by ordinal). */
  readonly hintNameOffsets: readonly (readonly (number | undefined)[])[];
  readonly dllNameOffsets: readonly number[];
}

export interface WrittenImportTables {
  readonly bytes: Uint8Array;
  /** RVA of each import's IAT slot, `[dll][import]` in input order: what `__imp_<name>` resolves to. */
  readonly iatSlotRvas: readonly (readonly number[])[];
  /** For the IMPORT data directory. */
  readonly importDirectory: DataDirectoryEntry;
  /** For the IAT data directory. */
  readonly iat: DataDirectoryEntry;
}

const encoder = new TextEncoder();

function isByOrdinal(symbol: ImportedSymbol): symbol is ImportByOrdinal {
  return (symbol as ImportByOrdinal).ordinal !== undefined;
}

function checkImport(dll: ImportedDll, symbol: ImportedSymbol): void {
  const where = `import table, ${dll.dllName}`;
  if (isByOrdinal(symbol)) {
    if (!Number.isInteger(symbol.ordinal) || symbol.ordinal < 0 || symbol.ordinal > 0xffff) {
      throw new PeWriterError(`ordinal ${symbol.ordinal} is out of range`, { where, expected: "an integer from 0 to 65535" });
    }
  } else {
    if (symbol.name.length === 0 || symbol.name.includes("\0")) {
      throw new PeWriterError(`import name ${JSON.stringify(symbol.name)} is empty or contains NUL`, { where });
    }
    const hint = symbol.hint ?? 0;
    if (!Number.isInteger(hint) || hint < 0 || hint > 0xffff) {
      throw new PeWriterError(`hint ${hint} of ${symbol.name} is out of range`, { where, expected: "an integer from 0 to 65535" });
    }
  }
}

export function planImportTables(dlls: readonly ImportedDll[], options: { readonly is64: boolean }): ImportTablePlan {
  const entrySize = options.is64 ? 8 : 4;
  if (dlls.length === 0) {
    return {
      is64: options.is64, dlls, size: 0, directoryOffset: 0, directorySize: 0, lookupTableOffsets: [], iatOffset: 0,
      iatSize: 0, iatOffsets: [], hintNameOffsets: [], dllNameOffsets: [],
    };
  }
  for (const dll of dlls) {
    if (dll.dllName.length === 0 || dll.dllName.includes("\0")) {
      throw new PeWriterError(`DLL name ${JSON.stringify(dll.dllName)} is empty or contains NUL`, { where: "import table" });
    }
    for (const symbol of dll.imports) checkImport(dll, symbol);
  }
  const directorySize = (dlls.length + 1) * ImageImportDescriptor.size;
  // Lookup and address tables are arrays of pointer-sized entries, so they start pointer-aligned.
  let at = alignUp(directorySize, entrySize);
  const lookupTableOffsets: number[] = [];
  for (const dll of dlls) {
    lookupTableOffsets.push(at);
    at += (dll.imports.length + 1) * entrySize;
  }
  const iatOffset = at;
  const iatOffsets: number[] = [];
  for (const dll of dlls) {
    iatOffsets.push(at);
    at += (dll.imports.length + 1) * entrySize;
  }
  const iatSize = at - iatOffset;
  const hintNameOffsets: (number | undefined)[][] = [];
  for (const dll of dlls) {
    const offsets: (number | undefined)[] = [];
    for (const symbol of dll.imports) {
      if (isByOrdinal(symbol)) {
        offsets.push(undefined);
      } else {
        // Spec: each hint/name entry starts on an even boundary (u16 hint, name, NUL, pad).
        offsets.push(at);
        at = alignUp(at + 2 + encoder.encode(symbol.name).length + 1, 2);
      }
    }
    hintNameOffsets.push(offsets);
  }
  const dllNameOffsets: number[] = [];
  for (const dll of dlls) {
    dllNameOffsets.push(at);
    at += encoder.encode(dll.dllName).length + 1;
  }
  return {
    is64: options.is64, dlls, size: alignUp(at, 4), directoryOffset: 0, directorySize, lookupTableOffsets,
    iatOffset, iatSize, iatOffsets, hintNameOffsets, dllNameOffsets,
  };
}

/** Writes the planned tables as they will sit at `rva`. The IAT starts as a copy of the lookup tables. */
export function writeImportTables(plan: ImportTablePlan, rva: number): WrittenImportTables {
  checkTableRva(rva, plan.size, "import tables");
  const bytes = new Uint8Array(plan.size);
  const data = new DataView(bytes.buffer);
  const entrySize = plan.is64 ? 8 : 4;
  const iatSlotRvas: number[][] = [];
  plan.dlls.forEach((dll, d) => {
    const lookupOffset = plan.lookupTableOffsets[d]!;
    const iatOffset = plan.iatOffsets[d]!;
    writeStruct(bytes, ImageImportDescriptor, plan.directoryOffset + d * ImageImportDescriptor.size, {
      OriginalFirstThunk: rva + lookupOffset,
      Name: rva + plan.dllNameOffsets[d]!,
      FirstThunk: rva + iatOffset,
    });
    const slots: number[] = [];
    dll.imports.forEach((symbol, i) => {
      let entry: bigint;
      if (isByOrdinal(symbol)) {
        // The top bit of a lookup entry says "by ordinal"; the ordinal sits in the low 16 bits.
        entry = (plan.is64 ? 1n << 63n : 1n << 31n) | BigInt(symbol.ordinal);
      } else {
        const hintName = plan.hintNameOffsets[d]![i]!;
        entry = BigInt(rva + hintName);
        data.setUint16(hintName, symbol.hint ?? 0, true);
        bytes.set(encoder.encode(symbol.name), hintName + 2);
      }
      for (const table of [lookupOffset, iatOffset]) {
        const at = table + i * entrySize;
        if (plan.is64) data.setBigUint64(at, entry, true);
        else data.setUint32(at, Number(entry), true);
      }
      slots.push(rva + iatOffset + i * entrySize);
    });
    bytes.set(encoder.encode(dll.dllName), plan.dllNameOffsets[d]!);
    iatSlotRvas.push(slots);
  });
  return {
    bytes,
    iatSlotRvas,
    importDirectory: plan.dlls.length === 0 ? { rva: 0, size: 0 } : { rva: rva + plan.directoryOffset, size: plan.directorySize },
    iat: plan.dlls.length === 0 ? { rva: 0, size: 0 } : { rva: rva + plan.iatOffset, size: plan.iatSize },
  };
}

/** Bytes of one import thunk on `machine`. */
export function thunkSize(machine: number): number {
  switch (machine) {
    case IMAGE_FILE_MACHINE.AMD64:
    case IMAGE_FILE_MACHINE.I386:
      return 6;
    case IMAGE_FILE_MACHINE.ARM64:
      return 12;
    default:
      throw new PeWriterError(`import thunks for machine ${hex(machine)} are not supported`, {
        where: "import thunk", expected: "AMD64, I386 or ARM64",
      });
  }
}

/**
 * Writes a thunk that jumps through the IAT slot, at `target[0, thunkSize)`. The thunk lives at `thunkRva`.
 * Returns the base relocations the thunk needs (x86's absolute slot address; none on x64 and ARM64).
 */
export function writeImportThunk(
  target: Uint8Array,
  machine: number,
  thunkRva: number,
  iatSlotRva: number,
  imageBase: bigint | number,
): { readonly baseRelocations: readonly BaseRelocationEntry[] } {
  const size = thunkSize(machine);
  if (target.length < size) {
    throw new PeWriterError(`${target.length} bytes cannot hold a ${size}-byte thunk`, { where: "import thunk", rva: thunkRva });
  }
  const data = new DataView(target.buffer, target.byteOffset, size);
  switch (machine) {
    case IMAGE_FILE_MACHINE.AMD64: {
      // jmp qword ptr [rip + disp32]; rip is the address after the 6-byte instruction.
      const disp = iatSlotRva - (thunkRva + 6);
      if (disp < -0x8000_0000 || disp > 0x7fff_ffff) {
        throw new PeWriterError(`IAT slot ${hex(iatSlotRva)} is out of rip-relative reach`, { where: "import thunk", rva: thunkRva });
      }
      target[0] = 0xff;
      target[1] = 0x25;
      data.setInt32(2, disp, true);
      return { baseRelocations: [] };
    }
    case IMAGE_FILE_MACHINE.I386: {
      // jmp dword ptr [abs32]: the absolute slot address moves with the image, hence a HIGHLOW relocation.
      const address = BigInt(imageBase) + BigInt(iatSlotRva);
      if (address > 0xffff_ffffn) {
        throw new PeWriterError(`IAT slot address ${hex(address)} does not fit 32 bits`, { where: "import thunk", rva: thunkRva });
      }
      target[0] = 0xff;
      target[1] = 0x25;
      data.setUint32(2, Number(address), true);
      return { baseRelocations: [{ rva: thunkRva + 2, type: IMAGE_REL_BASED.HIGHLOW }] };
    }
    default: {
      // ARM64: adrp x16, slot page; ldr x16, [x16, slot page offset]; br x16.
      const pageDelta = Math.floor(iatSlotRva / 4096) - Math.floor(thunkRva / 4096);
      if (iatSlotRva % 8 !== 0 || pageDelta < -(1 << 20) || pageDelta >= 1 << 20) {
        throw new PeWriterError(`IAT slot ${hex(iatSlotRva)} is unaligned or out of adrp reach`, { where: "import thunk", rva: thunkRva });
      }
      const imm = pageDelta & 0x1f_ffff;
      data.setUint32(0, (0x9000_0010 | ((imm & 3) << 29) | ((imm >>> 2) << 5)) >>> 0, true);
      data.setUint32(4, (0xf940_0210 | (((iatSlotRva % 4096) / 8) << 10)) >>> 0, true);
      data.setUint32(8, 0xd61f_0200, true);
      return { baseRelocations: [] };
    }
  }
}
