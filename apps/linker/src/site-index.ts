// The reverse relocation index of an incremental link: for each global symbol, the relocation sites that
// name it, so that an update re-applies only the sites whose target moved. Built once, at the first
// update, over every relocation of the link (hundreds of thousands in a large program): two counting
// passes over the raw relocation records into typed arrays, no object or array per symbol. Objects an
// update brings add their sites to a small overflow; objects it replaces or removes retire theirs (a
// generation per input: a site recorded under an older generation is stale and skipped).
import { LinkError } from "./errors.js";
import type { ObjectFile } from "./inputs/object-file.js";

/** Size of a COFF relocation record; its symbol table index is the u32 at +4. */
const RELOCATION_RECORD = 10;

export interface SiteIndexState {
  readonly start: Int32Array;
  readonly sites: Int32Array;
  /** Sites updates added: (symbol id, input, section, relocation, generation) quintuples. */
  readonly added: Int32Array;
  /** Per input: how many times it was replaced or removed (sites of older generations are stale). */
  readonly generation: Int32Array;
}

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

  /**
   * The index as data, so that a saved session restores without reading every object's relocations
   * again. The sites updates added are kept as they are while they are few; once they are many (or
   * stale: retired inputs' sites are only skipped), everything is merged into one CSR table.
   */
  saveState(symbolCount: number): SiteIndexState {
    // Sites of objects replaced since are dropped first: an edit loop that never asks for a symbol's sites
    // would otherwise save (and restore) every earlier version of the edited object's sites.
    let added = 0;
    for (const [id, list] of this.added) {
      keepCurrent(list, this.generation);
      if (list.length === 0) this.added.delete(id);
      added += list.length >> 2;
    }
    if (added * 8 < this.sites.length / 3) {
      const flat = new Int32Array(added * 5);
      let w = 0;
      for (const [id, list] of this.added) {
        for (let i = 0; i < list.length; i += 4) {
          flat[w++] = id; flat[w++] = list[i]!; flat[w++] = list[i + 1]!; flat[w++] = list[i + 2]!; flat[w++] = list[i + 3]!;
        }
      }
      return { start: this.start, sites: this.sites, added: flat, generation: this.generation };
    }
    const count = new Int32Array(symbolCount + 1);
    for (let id = 0; id < symbolCount; id++) this.forEachSite(id, () => { count[id + 1]!++; });
    for (let id = 0; id < symbolCount; id++) count[id + 1]! += count[id]!;
    const start = count.slice();
    const sites = new Int32Array(start[symbolCount]! * 3);
    for (let id = 0; id < symbolCount; id++) {
      this.forEachSite(id, (input, s, r) => {
        const at = count[id]!++ * 3;
        sites[at] = input; sites[at + 1] = s; sites[at + 2] = r;
      });
    }
    return { start, sites, added: new Int32Array(0), generation: new Int32Array(0) };
  }

  static restore(state: SiteIndexState, inputCount: number): SiteIndex {
    const n = state.start.length - 1;
    if (n < 0 || state.start[n]! * 3 !== state.sites.length || state.added.length % 5 !== 0) throw new LinkError("the saved relocation-site index is inconsistent");
    const index = new SiteIndex(state.start, state.sites, inputCount);
    index.ensureGeneration(Math.max(0, state.generation.length - 1));
    index.generation.set(state.generation);
    for (let i = 0; i < state.added.length; i += 5) {
      const id = state.added[i]!;
      let list = index.added.get(id);
      if (!list) index.added.set(id, (list = []));
      list.push(state.added[i + 1]!, state.added[i + 2]!, state.added[i + 3]!, state.added[i + 4]!);
    }
    return index;
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
    keepCurrent(list, generation);
    for (let i = 0; i < list.length; i += 4) visit(list[i]!, list[i + 1]!, list[i + 2]!);
  }

  private ensureGeneration(input: number): void {
    if (input < this.generation.length) return;
    const g = new Int32Array(Math.max(input + 1, this.generation.length * 2));
    g.set(this.generation);
    this.generation = g;
  }
}

/** Drops from `list`'s (input, section, relocation, generation) quadruples those of an older generation. */
function keepCurrent(list: number[], generation: Int32Array): void {
  let w = 0;
  for (let i = 0; i < list.length; i += 4) {
    const input = list[i]!, gen = list[i + 3]!;
    if (gen !== generation[input]) continue;
    if (w !== i) { list[w] = input; list[w + 1] = list[i + 1]!; list[w + 2] = list[i + 2]!; list[w + 3] = gen; }
    w += 4;
  }
  list.length = w;
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
