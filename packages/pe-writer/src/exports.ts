// The export directory (spec §6.3): ordinals assigned as link.exe does, names sorted for the loader's
// binary search, forwarders stored as strings inside the table; plus what the import library needs.
import { ImageExportDirectory, writeStruct } from "@linkkit/coff-format";
import { alignUp, checkTableRva, PeWriterError } from "./errors.js";
import type { DataDirectoryEntry } from "./headers.js";

export interface ExportedSymbol {
  /** Export name; required unless an ordinal is given. */
  readonly name?: string | undefined;
  /** Explicit ordinal (`foo @3` in a .def file); assigned when omitted. */
  readonly ordinal?: number | undefined;
  /** Address of the definition; exactly one of `rva` and `forwarder`. */
  readonly rva?: number | undefined;
  /** "OTHER.func" or "OTHER.#12": the loader resolves the export in that DLL instead. */
  readonly forwarder?: string | undefined;
  /** Exported by ordinal only: the name stays out of the name table (it still names the import-library symbol). */
  readonly noname?: boolean | undefined;
  /** A data export: the import library gets no call thunk for it. */
  readonly data?: boolean | undefined;
}

export interface ExportTableInput {
  readonly dllName: string;
  /** Lowest ordinal; default 1. */
  readonly ordinalBase?: number | undefined;
  readonly exports: readonly ExportedSymbol[];
  readonly timeDateStamp?: number | undefined;
  /**
   * How exports without an explicit ordinal get one: "fill-from-base" (link.exe: the free ordinals from the
   * base upwards, in name order; the default) or "after-max" (lld-link: upwards from the highest explicit one).
   */
  readonly ordinalAssignment?: "fill-from-base" | "after-max" | undefined;
}

/** One export with its final ordinal. */
export interface AssignedExport {
  readonly name: string | undefined;
  readonly ordinal: number;
  readonly rva: number | undefined;
  readonly forwarder: string | undefined;
  readonly noname: boolean;
  readonly data: boolean;
}

/** What an import library for this DLL lists, one entry per named export. */
export interface ImportLibraryEntry {
  readonly name: string;
  readonly ordinal: number;
  readonly noname: boolean;
  readonly data: boolean;
}

export interface ExportTablePlan {
  readonly dllName: string;
  readonly ordinalBase: number;
  readonly timeDateStamp: number;
  /** Every export, sorted by ordinal. */
  readonly exports: readonly AssignedExport[];
  /** Exports in the name table, in name-table (byte-wise sorted) order. */
  readonly namedExports: readonly AssignedExport[];
  readonly numberOfFunctions: number;
  readonly size: number;
  readonly addressTableOffset: number;
  readonly namePointerTableOffset: number;
  readonly ordinalTableOffset: number;
  readonly dllNameOffset: number;
  /** Offset of each named export's name string, parallel to `namedExports`. */
  readonly nameOffsets: readonly number[];
  /** Offset of each forwarder string, keyed by ordinal. */
  readonly forwarderOffsets: ReadonlyMap<number, number>;
  readonly importLibraryEntries: readonly ImportLibraryEntry[];
}

export interface WrittenExportTable {
  readonly bytes: Uint8Array;
  /** For the EXPORT data directory; covers the forwarder strings, which is how the loader recognises them. */
  readonly exportDirectory: DataDirectoryEntry;
}

const encoder = new TextEncoder();

/** Byte-wise comparison of UTF-8 names: the order the loader's binary search (strcmp) expects. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function describe(e: ExportedSymbol): string {
  return e.name ?? `@${String(e.ordinal)}`;
}

export function planExportTable(input: ExportTableInput): ExportTablePlan {
  const where = `export table of ${input.dllName}`;
  const base = input.ordinalBase ?? 1;
  if (!Number.isInteger(base) || base < 0 || base > 0xffff) {
    throw new PeWriterError(`ordinal base ${base} is out of range`, { where, expected: "an integer from 0 to 65535" });
  }
  const byName = new Map<string, ExportedSymbol>();
  const byOrdinal = new Map<number, ExportedSymbol>();
  for (const e of input.exports) {
    if ((e.rva === undefined) === (e.forwarder === undefined)) {
      throw new PeWriterError(`export ${describe(e)} needs exactly one of rva and forwarder`, { where });
    }
    if (e.name === undefined && e.ordinal === undefined) {
      throw new PeWriterError("an export has neither a name nor an ordinal", { where });
    }
    if (e.name !== undefined) {
      if (e.name.length === 0 || e.name.includes("\0")) throw new PeWriterError(`export name ${JSON.stringify(e.name)} is empty or contains NUL`, { where });
      if (byName.has(e.name)) throw new PeWriterError(`duplicate export name ${e.name}`, { where });
      byName.set(e.name, e);
    }
    if (e.ordinal !== undefined) {
      if (!Number.isInteger(e.ordinal) || e.ordinal < base || e.ordinal > 0xffff) {
        throw new PeWriterError(`ordinal ${e.ordinal} of ${describe(e)} is out of range`, { where, expected: `an integer from ${base} to 65535` });
      }
      const other = byOrdinal.get(e.ordinal);
      if (other !== undefined) throw new PeWriterError(`ordinal ${e.ordinal} given to both ${describe(other)} and ${describe(e)}`, { where });
      byOrdinal.set(e.ordinal, e);
    }
    if (e.forwarder !== undefined && (!e.forwarder.includes(".") || e.forwarder.includes("\0"))) {
      throw new PeWriterError(`forwarder ${JSON.stringify(e.forwarder)} of ${describe(e)} is not DLL.name`, { where, expected: "e.g. NTDLL.RtlAllocateHeap or OTHER.#12" });
    }
  }

  // Explicit ordinals stay; the others take the free ordinals from the base upwards, in name order.
  const encodedNames = new Map<ExportedSymbol, Uint8Array>();
  for (const e of input.exports) if (e.name !== undefined) encodedNames.set(e, encoder.encode(e.name));
  const unassigned = input.exports.filter((e) => e.ordinal === undefined)
    .sort((a, b) => compareBytes(encodedNames.get(a)!, encodedNames.get(b)!));
  const assigned: AssignedExport[] = [];
  let next = base;
  if (input.ordinalAssignment === "after-max") for (const ordinal of byOrdinal.keys()) next = Math.max(next, ordinal + 1);
  for (const e of input.exports) if (e.ordinal !== undefined) assigned.push(toAssigned(e, e.ordinal));
  for (const e of unassigned) {
    while (byOrdinal.has(next)) next++;
    if (next > 0xffff) throw new PeWriterError("more exports than ordinals", { where, expected: "at most 65536 exports" });
    byOrdinal.set(next, e);
    assigned.push(toAssigned(e, next));
  }
  assigned.sort((a, b) => a.ordinal - b.ordinal);
  const numberOfFunctions = assigned.length === 0 ? 0 : assigned[assigned.length - 1]!.ordinal - base + 1;

  const namedEncoded = assigned.filter((e) => e.name !== undefined && !e.noname)
    .map((e) => ({ e, bytes: encoder.encode(e.name!) }))
    .sort((a, b) => compareBytes(a.bytes, b.bytes));

  let at = ImageExportDirectory.size;
  const addressTableOffset = at;
  at += numberOfFunctions * 4;
  const namePointerTableOffset = at;
  at += namedEncoded.length * 4;
  const ordinalTableOffset = at;
  at += namedEncoded.length * 2;
  const dllNameOffset = at;
  at += encoder.encode(input.dllName).length + 1;
  const nameOffsets: number[] = [];
  for (const { bytes } of namedEncoded) {
    nameOffsets.push(at);
    at += bytes.length + 1;
  }
  const forwarderOffsets = new Map<number, number>();
  for (const e of assigned) {
    if (e.forwarder !== undefined) {
      forwarderOffsets.set(e.ordinal, at);
      at += encoder.encode(e.forwarder).length + 1;
    }
  }
  const importLibraryEntries: ImportLibraryEntry[] = [];
  for (const e of assigned) {
    if (e.name !== undefined) importLibraryEntries.push({ name: e.name, ordinal: e.ordinal, noname: e.noname, data: e.data });
  }
  importLibraryEntries.sort((a, b) => compareBytes(encoder.encode(a.name), encoder.encode(b.name)));
  return {
    dllName: input.dllName, ordinalBase: base, timeDateStamp: input.timeDateStamp ?? 0, exports: assigned,
    namedExports: namedEncoded.map((n) => n.e), numberOfFunctions, size: alignUp(at, 4), addressTableOffset,
    namePointerTableOffset, ordinalTableOffset, dllNameOffset, nameOffsets, forwarderOffsets, importLibraryEntries,
  };
}

function toAssigned(e: ExportedSymbol, ordinal: number): AssignedExport {
  return { name: e.name, ordinal, rva: e.rva, forwarder: e.forwarder, noname: e.noname === true, data: e.data === true };
}

export function writeExportTable(plan: ExportTablePlan, rva: number): WrittenExportTable {
  checkTableRva(rva, plan.size, `export table of ${plan.dllName}`);
  const bytes = new Uint8Array(plan.size);
  const data = new DataView(bytes.buffer);
  writeStruct(bytes, ImageExportDirectory, 0, {
    TimeDateStamp: plan.timeDateStamp,
    Name: rva + plan.dllNameOffset,
    Base: plan.ordinalBase,
    NumberOfFunctions: plan.numberOfFunctions,
    NumberOfNames: plan.namedExports.length,
    AddressOfFunctions: rva + plan.addressTableOffset,
    AddressOfNames: rva + plan.namePointerTableOffset,
    AddressOfNameOrdinals: rva + plan.ordinalTableOffset,
  });
  for (const e of plan.exports) {
    const slot = plan.addressTableOffset + (e.ordinal - plan.ordinalBase) * 4;
    const forwarderOffset = plan.forwarderOffsets.get(e.ordinal);
    if (forwarderOffset !== undefined) {
      data.setUint32(slot, rva + forwarderOffset, true);
      bytes.set(encoder.encode(e.forwarder!), forwarderOffset);
    } else {
      data.setUint32(slot, e.rva!, true);
    }
  }
  plan.namedExports.forEach((e, i) => {
    const nameOffset = plan.nameOffsets[i]!;
    data.setUint32(plan.namePointerTableOffset + i * 4, rva + nameOffset, true);
    // The ordinal table holds unbiased indices into the address table.
    data.setUint16(plan.ordinalTableOffset + i * 2, e.ordinal - plan.ordinalBase, true);
    bytes.set(encoder.encode(e.name!), nameOffset);
  });
  bytes.set(encoder.encode(plan.dllName), plan.dllNameOffset);
  return { bytes, exportDirectory: { rva, size: plan.size } };
}
