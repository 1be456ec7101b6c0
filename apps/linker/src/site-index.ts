// The reverse relocation index of an incremental link: for each global symbol, the relocation sites that
// name it, so that an update re-applies only the sites whose target moved. Built once, at the first
// update, over every relocation of the link (hundreds of thousands in a large program): two counting
// passes over the raw relocation records into typed arrays, no object or array per symbol. Objects an
// update brings add their sites to a small overflow; objects it replaces or removes retire theirs (a
// generation per input: a site recorded under an older generation is stale and skipped).
import type { ObjectFile } from "./inputs/object-file.js";

/** Size of a COFF relocation record; its symbol table index is the u32 at +4. */
const RELOCATION_RECORD = 10;

export class SiteIndex {
  /** Per symbol id, where its sites start in `sites` (CSR): sites of symbol `id` are [start[id], start[id+1]). */
  private readonly start: Int32Array;
  /** (input, section, relocation) triples, recorded under generation 0. */
  private readonly sites: Int32Array;
  /** Sites added by updates: symbol id → (input, section, relocation, generation) quadruples. */
  private readonly added = new Map<number, number[]>();
  private generation: Int32Array;

  private constructor(start: Int32Array, sites: Int32Array, inputCount: number) {
    this.start = start;
    this.sites = sites;
    this.generation = new Int32Array(Math.max(16, inputCount * 2));
  }

  /** Every relocation of the objects' sections that have an atom, by the global symbol it names. */
  static build(objects: readonly ObjectFile[], symbolCount: number, inputCount: number): SiteIndex {
    const count = new Int32Array(symbolCount + 1);
    forEachGlobalSite(objects, (id) => { count[id + 1]!++; });
    for (let id = 0; id < symbolCount; id++) count[id + 1]! += count[id]!;
    const start = count.slice();
    const sites = new Int32Array(start[symbolCount]! * 3);
    forEachGlobalSite(objects, (id, input, s, r) => {
      const at = count[id]!++ * 3;
      sites[at] = input; sites[at + 1] = s; sites[at + 2] = r;
    });
    return new SiteIndex(start, sites, inputCount);
  }

  /** The sites of `file`'s sections that have an atom (an object an update brought in). */
  addFile(file: ObjectFile): void {
    for (let s = 0; s < file.sectionCount; s++) if (file.sectionAtom[s]! >= 0) this.addSection(file, s);
  }

  /** The sites of one section (an object's, or a COMDAT section that became live). */
  addSection(file: ObjectFile, s: number): void {
    this.ensureGeneration(file.input);
    const gen = this.generation[file.input]!;
    forEachSiteOfSection(file, s, (id, r) => {
      let list = this.added.get(id);
      if (!list) this.added.set(id, (list = []));
      list.push(file.input, s, r, gen);
    });
  }

  /** `input` was replaced or removed: the sites recorded for it so far are stale. */
  retire(input: number): void {
    this.ensureGeneration(input);
    this.generation[input]!++;
  }

  /** Calls `visit` for each current site that names `id`. */
  forEachSite(id: number, visit: (input: number, section: number, relocation: number) => void): void {
    const generation = this.generation;
    if (id + 1 < this.start.length) {
      for (let i = this.start[id]! * 3, end = this.start[id + 1]! * 3; i < end; i += 3) {
        const input = this.sites[i]!;
        if (generation[input] === 0) visit(input, this.sites[i + 1]!, this.sites[i + 2]!);
      }
    }
    const list = this.added.get(id);
    if (!list) return;
    // Stale quadruples are dropped as they are met, so lists do not grow with every edit.
    let w = 0;
    for (let i = 0; i < list.length; i += 4) {
      const input = list[i]!, s = list[i + 1]!, r = list[i + 2]!, gen = list[i + 3]!;
      if (gen !== generation[input]) continue;
      list[w] = input; list[w + 1] = s; list[w + 2] = r; list[w + 3] = gen; w += 4;
      visit(input, s, r);
    }
    list.length = w;
  }

  private ensureGeneration(input: number): void {
    if (input < this.generation.length) return;
    const g = new Int32Array(Math.max(input + 1, this.generation.length * 2));
    g.set(this.generation);
    this.generation = g;
  }
}

function forEachGlobalSite(objects: readonly ObjectFile[], visit: (id: number, input: number, section: number, relocation: number) => void): void {
  for (const file of objects) {
    for (let s = 0; s < file.sectionCount; s++) {
      if (file.sectionAtom[s]! < 0) continue;
      forEachSiteOfSection(file, s, (id, r) => visit(id, file.input, s, r));
    }
  }
}

/** The relocations of section `s` that name a global symbol, read from the raw records. */
export function forEachSiteOfSection(file: ObjectFile, s: number, visit: (id: number, relocation: number) => void): void {
  const bytes = file.coff.bytes;
  const ids = file.symbolIds;
  const symbolCount = file.symbolCount;
  const first = file.coff.relocationOffsetOf(s);
  const count = file.coff.relocationCountOf(s);
  for (let r = 0; r < count; r++) {
    const p = first + r * RELOCATION_RECORD + 4;
    const index = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
    const id = index < symbolCount ? ids[index]! : -1;
    if (id >= 0) visit(id, r);
  }
}
