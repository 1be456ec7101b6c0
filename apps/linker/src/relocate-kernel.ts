// The fast path of relocation, for a full link and for an update alike: an object's sections copied to
// their atoms and the common x64 and x86 relocation types applied, over the raw section headers and
// relocation records and typed arrays only (no method call per section or per relocation: ~25% less time
// than looking atoms up through the layout on the 400-object benchmark). Anything unusual or wrong is left
// for the emitter's `relocateSite`, which reports it: the kernel lists such sites.

/** What the kernel needs of one object: its bytes, section and symbol tables, and its sections' atoms. */
export interface RelocationFile {
  readonly bytes: Uint8Array;
  /** Over the same bytes as `bytes`. */
  readonly view: DataView;
  /** Global symbol id of each symbol-table index (-1: local, addressed through its section). */
  readonly symbolIds: Int32Array;
  /** The atom of each section (-1: none; not linked). */
  readonly sectionAtom: Int32Array;
  /** Offset of each section's first relocation record and their number (as the COFF reader found them). */
  readonly relocationStart: Uint32Array;
  readonly relocationCount: Uint32Array;
  readonly sectionTable: number;
  readonly symbolTable: number;
  readonly recordSize: number;
  readonly bigobj: boolean;
  readonly symbolCount: number;
  readonly sectionCount: number;
}

/** Where atoms are: `address[atom]` (RVA) and `fileOffset[atom]` (NaN: none, as in a section with no file data). */
export interface AtomPlaces {
  readonly address: Float64Array;
  readonly fileOffset: Float64Array;
}

/**
 * What relocating left behind: counts, base relocations, sites for `relocateSite`. The arrays are reused
 * from call to call: emptying `slow` (`length = 0`) let V8 drop its memory, and regrowing it was garbage.
 */
export interface KernelOutput {
  applied: number;
  /**
   * The caller's base-relocation columns (RVA, IMAGE_REL_BASED_* type, atom), which the kernel appends to
   * from `baseCount` on: the caller makes room for one entry per relocation record of the file first.
   */
  baseRva: Uint32Array;
  baseType: Uint8Array;
  baseAtom: Int32Array;
  baseCount: number;
  /** Pairs: section index, relocation index. */
  readonly slow: number[];
  slowCount: number;
}

/**
 * In a link where `wordCopyPays`, sections up to this size are copied by `copyWords`, larger ones by `set`
 * (a memmove). A -ffunction-sections build's sections are a few dozen to a few hundred bytes: making the view
 * `set` needs costs ~150 ns, as much as copying 500 bytes 4 at a time (the 400-object benchmark has 333k
 * sections, 105k of 65-1024 bytes).
 */
const WORD_COPY_LIMIT = 512;

/**
 * Whether a link of `sections` input sections should copy them with `copyWords`. It is fast once V8 has
 * optimised it, and slower than a byte loop or a memmove before, when each DataView access is a call: a
 * small link is over before it is optimised (the 9-object benchmark relocated in 12.0 ms with it, 9.9 ms
 * without). For a whole link, not from some section on: the kernel optimised before its first `copyWords`
 * call is thrown away at that call (+15 ms on the 400-object benchmark).
 */
export function wordCopyPays(sections: number): boolean {
  return sections >= 50_000;
}

/**
 * `size` bytes from `input[from]` to `out[at]`, 4 at a time through DataViews over each (compilers do not
 * align section data in objects: 3 in 4 start off a multiple of 4, which a DataView reads as well).
 */
function copyWords(input: Uint8Array, inputView: DataView, from: number, out: Uint8Array, view: DataView, at: number, size: number): void {
  let i = 0;
  for (; i + 4 <= size; i += 4) view.setInt32(at + i, inputView.getInt32(from + i, true), true);
  for (; i < size; i++) out[at + i] = input[from + i]!;
}

/**
 * Copies each linked section of `file` to its atom in `out` (`view` is over the same bytes) and applies
 * its relocations; with `only` >= 0, that section alone, copied already (an update copies and marks it).
 * `globalRva[id]`: a global symbol's address (NaN: none); a symbol whose `kind[id]` is `absoluteKind` gets
 * no base relocation. What is left over goes to `result`. Copying first makes a section's relocation
 * repeatable: its sites are relocated from the object's addends each time.
 */
export function relocateFileSections(file: RelocationFile, places: AtomPlaces, out: Uint8Array, view: DataView, globalRva: Float64Array, kind: Uint8Array, absoluteKind: number, is64: boolean, imageBase: number, only: number, wordCopy: boolean, result: KernelOutput): void {
  const input = file.bytes;
  const inputView = file.view;
  const symbolIds = file.symbolIds;
  const sectionAtom = file.sectionAtom;
  const relocationStart = file.relocationStart;
  const relocationCount = file.relocationCount;
  const atomAddress = places.address;
  const atomFileOffset = places.fileOffset;
  const headers = file.sectionTable;
  const symbols = file.symbolTable;
  const recordSize = file.recordSize;
  const bigobj = file.bigobj;
  const symbolCount = file.symbolCount;
  const sectionCount = file.sectionCount;
  const baseRva = result.baseRva, baseType = result.baseType, baseAtom = result.baseAtom;
  const slow = result.slow;
  let applied = 0, base = result.baseCount, slowAt = result.slowCount;
  for (let s = only >= 0 ? only : 0, end = only >= 0 ? only + 1 : sectionCount; s < end; s++) {
    const atom = sectionAtom[s]!;
    if (atom < 0) continue;
    const count = relocationCount[s]!;
    const at = atomFileOffset[atom]!;
    if (at !== at) { // no file data (.bss): every relocation is an error for relocateSite to report
      for (let r = 0; r < count; r++) { slow[slowAt++] = s; slow[slowAt++] = r; }
      continue;
    }
    const rva = atomAddress[atom]!;
    const h = headers + s * 40;
    const size = (input[h + 16]! | (input[h + 17]! << 8) | (input[h + 18]! << 16) | (input[h + 19]! << 24)) >>> 0;
    if (only < 0) {
      const from = (input[h + 20]! | (input[h + 21]! << 8) | (input[h + 22]! << 16) | (input[h + 23]! << 24)) >>> 0;
      const uninitialized = (input[h + 36]! & 0x80) !== 0; // IMAGE_SCN_CNT_UNINITIALIZED_DATA
      if (from !== 0 && size > 0 && !uninitialized) {
        if (wordCopy && size <= WORD_COPY_LIMIT) copyWords(input, inputView, from, out, view, at, size);
        // Otherwise most sections of a -ffunction-sections build are a few dozen bytes: a loop beats a view.
        else if (size <= 64) for (let i = 0; i < size; i++) out[at + i] = input[from + i]!;
        else out.set(input.subarray(from, from + size), at);
      } else {
        out.fill(0, at, at + size);
      }
    }
    const first = relocationStart[s]!;
    for (let r = 0; r < count; r++) {
      // A site the fast path does not take leaves the block: `relocateSite` relocates it, or says why not.
      fast: {
        const p = first + r * 10;
        const offset = (input[p]! | (input[p + 1]! << 8) | (input[p + 2]! << 16) | (input[p + 3]! << 24)) >>> 0;
        const index = (input[p + 4]! | (input[p + 5]! << 8) | (input[p + 6]! << 16) | (input[p + 7]! << 24)) >>> 0;
        const type = input[p + 8]! | (input[p + 9]! << 8);
        // Every field the fast path writes is 4 bytes but ADDR64's 8 (checked there): a field that ends the
        // section (a .pdata entry's unwind-info RVA, a tail call's rel32) stays on the fast path.
        if (index >= symbolCount || offset + 4 > size) break fast;
        let target: number;
        let isAbsolute = false;
        const id = symbolIds[index]!;
        if (id >= 0) {
          target = globalRva[id]!;
          if (target !== target) break fast; // NaN: no address
          isAbsolute = kind[id] === absoluteKind;
        } else {
          // A local symbol: a section symbol or a static, at its section's atom plus its value.
          const sp = symbols + index * recordSize;
          let section: number;
          if (bigobj) section = input[sp + 12]! | (input[sp + 13]! << 8) | (input[sp + 14]! << 16) | (input[sp + 15]! << 24);
          else { section = input[sp + 12]! | (input[sp + 13]! << 8); if (section > 0xfeff) section -= 0x10000; }
          const targetAtom = section > 0 && section <= sectionCount ? sectionAtom[section - 1]! : -1;
          const targetAddress = targetAtom >= 0 ? atomAddress[targetAtom]! : NaN;
          if (targetAddress !== targetAddress) break fast; // none, or not placed: relocateSite says why
          target = targetAddress + ((input[sp + 8]! | (input[sp + 9]! << 8) | (input[sp + 10]! << 16) | (input[sp + 11]! << 24)) >>> 0);
        }
        const site = at + offset;
        const siteRva = rva + offset;
        if (is64) {
          if (type >= 4 && type <= 9) { // REL32, REL32_1..5: relative to the end of the 4-byte field plus 0-5 bytes
            const value = target + view.getInt32(site, true) - (siteRva + type);
            if (value < -0x80000000 || value > 0x7fffffff) break fast;
            view.setInt32(site, value, true);
          } else if (type === 3) { // ADDR32NB
            const value = target + view.getInt32(site, true);
            if (value < -0x80000000 || value > 0xffffffff) break fast;
            view.setUint32(site, value >>> 0, true);
          } else if (type === 1) { // ADDR64
            if (offset + 8 > size) break fast;
            const va = imageBase + target + view.getInt32(site + 4, true) * 4294967296 + view.getUint32(site, true);
            view.setUint32(site, va % 4294967296 >>> 0, true);
            view.setUint32(site + 4, Math.floor(va / 4294967296) >>> 0, true);
            if (!isAbsolute) { baseRva[base] = siteRva; baseType[base] = 10; baseAtom[base++] = atom; } // IMAGE_REL_BASED_DIR64
          } else break fast;
        } else if (type === 0x14) { // I386 REL32
          const value = target + view.getInt32(site, true) - (siteRva + 4);
          if (value < -0x80000000 || value > 0x7fffffff) break fast;
          view.setInt32(site, value, true);
        } else if (type === 7) { // I386 DIR32NB
          const value = target + view.getInt32(site, true);
          if (value < -0x80000000 || value > 0xffffffff) break fast;
          view.setUint32(site, value >>> 0, true);
        } else if (type === 6) { // I386 DIR32
          view.setUint32(site, (imageBase + target + view.getInt32(site, true)) >>> 0, true);
          if (!isAbsolute) { baseRva[base] = siteRva; baseType[base] = 3; baseAtom[base++] = atom; } // IMAGE_REL_BASED_HIGHLOW
        } else break fast;
        applied++;
        continue;
      }
      slow[slowAt++] = s;
      slow[slowAt++] = r;
    }
  }
  result.applied += applied;
  result.baseCount = base;
  result.slowCount = slowAt;
}
