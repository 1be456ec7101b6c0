// The fast path of relocation: an object's sections copied to their atoms and the common x64 and x86
// relocation types applied over the raw relocation records and typed arrays. Anything unusual or wrong is
// left for the emitter's `relocateSite`, which reports it (the kernel only lists such sites).
//
// The function is self-contained (no imports, no name from outside its body, numbers spelled out): the
// relocation worker (relocation-worker.ts) runs the same function from its source text, so that the main
// thread and the worker relocate with one piece of code.

/** Numbers per section in `RelocationFile.sections`. */
export const SECTION_FIELDS = 8;
/**
 * A section record: section index, atom, file offset of the atom, its RVA, where its data comes from (an
 * offset in the object, or one of `DataFrom`), size, the offset of its first relocation record, their count.
 */
export const SectionField = { Index: 0, Atom: 1, At: 2, Rva: 3, From: 4, Size: 5, RelocFirst: 6, RelocCount: 7 } as const;
/** A section record's data source when it is not an offset in the object. */
export const DataFrom = {
  /** Zeros (uninitialised data in an initialised section). */
  Zeros: -1,
  /** Copied already (an update copies and marks the range itself). */
  Copied: -2,
  /** In a section with no file data (.bss): every relocation is an error, for `relocateSite` to report. */
  NoBits: -3,
} as const;

/** What the kernel needs of one object: its bytes and symbol table, and where its sections went. */
export interface RelocationFile {
  readonly bytes: Uint8Array;
  /** Global symbol id of each symbol-table index (-1: local, addressed through its section). */
  readonly symbolIds: Int32Array;
  readonly symbolTable: number;
  readonly recordSize: number;
  readonly bigobj: boolean;
  readonly symbolCount: number;
  readonly sectionCount: number;
  /** The RVA of each section's atom (NaN: the section has none). */
  readonly sectionRva: Float64Array;
  /** The sections to relocate, SECTION_FIELDS numbers each. */
  readonly sections: Float64Array;
}

/** What relocating left behind: counts, base relocations to add, sites for `relocateSite`. */
export interface KernelOutput {
  applied: number;
  /** Triples: RVA, base-relocation type, atom. */
  readonly baseRelocs: number[];
  /** Pairs: section record (index into the file's records), relocation index. */
  readonly slow: number[];
}

/**
 * Copies each section of `file.sections` to `out` (`view` is over the same bytes) and applies its
 * relocations. `globalRva[id]`: a global symbol's address (NaN: none); a symbol whose `kind[id]` is
 * `absoluteKind` gets no base relocation. What is left over goes to `result`. Copying first makes a
 * section's relocation repeatable: its sites are relocated from the object's addends each time.
 */
export function relocateFileSections(file: RelocationFile, out: Uint8Array, view: DataView, globalRva: Float64Array, kind: Uint8Array, absoluteKind: number, is64: boolean, imageBase: number, result: KernelOutput): void {
  const input = file.bytes;
  const symbolIds = file.symbolIds;
  const sectionRva = file.sectionRva;
  const records = file.sections;
  const symbols = file.symbolTable;
  const recordSize = file.recordSize;
  const bigobj = file.bigobj;
  const symbolCount = file.symbolCount;
  const sectionCount = file.sectionCount;
  const baseRelocs = result.baseRelocs;
  const slow = result.slow;
  let applied = 0;
  for (let k = 0, n = records.length / 8; k < n; k++) {
    const base = k * 8;
    const atom = records[base + 1]!;
    const at = records[base + 2]!;
    const rva = records[base + 3]!;
    const from = records[base + 4]!;
    const size = records[base + 5]!;
    const first = records[base + 6]!;
    const count = records[base + 7]!;
    if (from >= 0) {
      // Most sections of a -ffunction-sections build are a few dozen bytes: a loop beats making a view.
      if (size <= 64) for (let i = 0; i < size; i++) out[at + i] = input[from + i]!;
      else out.set(input.subarray(from, from + size), at);
    } else if (from === -1) {
      out.fill(0, at, at + size);
    } else if (from === -3) {
      for (let r = 0; r < count; r++) slow.push(k, r);
      continue;
    }
    for (let r = 0; r < count; r++) {
      const p = first + r * 10;
      const offset = (input[p]! | (input[p + 1]! << 8) | (input[p + 2]! << 16) | (input[p + 3]! << 24)) >>> 0;
      const index = (input[p + 4]! | (input[p + 5]! << 8) | (input[p + 6]! << 16) | (input[p + 7]! << 24)) >>> 0;
      const type = input[p + 8]! | (input[p + 9]! << 8);
      // Every field the fast path writes is 4 bytes but ADDR64's 8 (checked there): a field that ends the
      // section (a .pdata entry's unwind-info RVA, a tail call's rel32) stays on the fast path.
      if (index >= symbolCount || offset + 4 > size) { slow.push(k, r); continue; }
      let target: number;
      let isAbsolute = false;
      const id = symbolIds[index]!;
      if (id >= 0) {
        target = globalRva[id]!;
        if (target !== target) { slow.push(k, r); continue; } // NaN: no address
        isAbsolute = kind[id] === absoluteKind;
      } else {
        // A local symbol: a section symbol or a static, at its section's atom plus its value.
        const sp = symbols + index * recordSize;
        let section: number;
        if (bigobj) section = input[sp + 12]! | (input[sp + 13]! << 8) | (input[sp + 14]! << 16) | (input[sp + 15]! << 24);
        else { section = input[sp + 12]! | (input[sp + 13]! << 8); if (section > 0xfeff) section -= 0x10000; }
        const sectionAddress = section > 0 && section <= sectionCount ? sectionRva[section - 1]! : NaN;
        if (sectionAddress !== sectionAddress) { slow.push(k, r); continue; }
        target = sectionAddress + ((input[sp + 8]! | (input[sp + 9]! << 8) | (input[sp + 10]! << 16) | (input[sp + 11]! << 24)) >>> 0);
      }
      const site = at + offset;
      const siteRva = rva + offset;
      if (is64) {
        if (type >= 4 && type <= 9) { // REL32, REL32_1..5: relative to the end of the 4-byte field plus 0-5 bytes
          const value = target + view.getInt32(site, true) - (siteRva + type);
          if (value < -0x80000000 || value > 0x7fffffff) { slow.push(k, r); continue; }
          view.setInt32(site, value, true);
        } else if (type === 3) { // ADDR32NB
          const value = target + view.getInt32(site, true);
          if (value < -0x80000000 || value > 0xffffffff) { slow.push(k, r); continue; }
          view.setUint32(site, value >>> 0, true);
        } else if (type === 1) { // ADDR64
          if (offset + 8 > size) { slow.push(k, r); continue; }
          const va = imageBase + target + view.getInt32(site + 4, true) * 4294967296 + view.getUint32(site, true);
          view.setUint32(site, va % 4294967296 >>> 0, true);
          view.setUint32(site + 4, Math.floor(va / 4294967296) >>> 0, true);
          if (!isAbsolute) baseRelocs.push(siteRva, 10, atom); // IMAGE_REL_BASED_DIR64
        } else { slow.push(k, r); continue; }
      } else if (type === 0x14) { // I386 REL32
        const value = target + view.getInt32(site, true) - (siteRva + 4);
        if (value < -0x80000000 || value > 0x7fffffff) { slow.push(k, r); continue; }
        view.setInt32(site, value, true);
      } else if (type === 7) { // I386 DIR32NB
        const value = target + view.getInt32(site, true);
        if (value < -0x80000000 || value > 0xffffffff) { slow.push(k, r); continue; }
        view.setUint32(site, value >>> 0, true);
      } else if (type === 6) { // I386 DIR32
        view.setUint32(site, (imageBase + target + view.getInt32(site, true)) >>> 0, true);
        if (!isAbsolute) baseRelocs.push(siteRva, 3, atom); // IMAGE_REL_BASED_HIGHLOW
      } else { slow.push(k, r); continue; }
      applied++;
    }
  }
  result.applied += applied;
}
