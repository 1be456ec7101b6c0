// Lay out: every live input section, common symbol and synthetic table becomes an atom; atoms are
// grouped into output sections (`.text$mn` into `.text`, ordered by the name after `$`), the output
// sections are ordered as link.exe orders them, and @linkkit/atom-allocator gives everything an address.
import { Layout, StateFormatError, type AtomId, type SectionId } from "@linkkit/atom-allocator";
import { IMAGE_SCN, sectionAlignment } from "@linkkit/coff-format";
import { computeHeaderSize, planImportTables, planExportTable, thunkSize, type ImportTablePlan, type ImportedDll, type ExportTablePlan, type ExportTableInput } from "@linkkit/pe-writer";
import type { InputId, SymbolId } from "@linkkit/symbol-resolver";
import { ObjectFile } from "./inputs/object-file.js";
import { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";
import { LinkError } from "./errors.js";

/** What an atom holds; indexes the parallel columns of `ImageLayout`. */
/** Address space each section of an incremental image reserves to grow into. */
const INCREMENTAL_ADDRESS_RESERVE = 0x100000;

export const enum AtomKind { InputSection = 1, Common = 2, ImportTables = 3, ImportThunk = 4, ExportTable = 5, BaseRelocations = 6 }

/** The input section name each synthetic atom goes as: where it is placed, and what the map file calls it. */
export const SYNTHETIC_SECTION_NAME: Readonly<Record<Exclude<AtomKind, AtomKind.InputSection>, string>> = {
  [AtomKind.Common]: ".bss", [AtomKind.ImportTables]: ".idata$2", [AtomKind.ImportThunk]: ".text",
  [AtomKind.ExportTable]: ".edata", [AtomKind.BaseRelocations]: ".reloc",
};

const CONTENT_FLAGS = IMAGE_SCN.CNT_CODE | IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.CNT_UNINITIALIZED_DATA
  | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE | IMAGE_SCN.MEM_SHARED | IMAGE_SCN.MEM_DISCARDABLE
  | IMAGE_SCN.MEM_NOT_CACHED | IMAGE_SCN.MEM_NOT_PAGED;

/** lld-link's default merges: these tables live inside `.rdata`, uninitialised data stays in `.bss`. */
export const DEFAULT_MERGES: ReadonlyMap<string, string> = new Map([
  [".idata", ".rdata"], [".didat", ".rdata"], [".edata", ".rdata"], [".xdata", ".rdata"], [".00cfg", ".rdata"],
]);

export interface OutputSection {
  readonly name: string;
  characteristics: number;
  readonly noBits: boolean;
  readonly id: SectionId;
  /** 1-based index in the section table. */
  readonly number: number;
}

export interface ImageLayout {
  readonly layout: Layout;
  readonly sections: readonly OutputSection[];
  /** Output section of each atom (by layout section id) is `layout.atomSection`; these say what the atom is. */
  readonly atomKind: Uint8Array;
  /** For input sections: the object (InputId); for thunks: the import file (InputId). */
  readonly atomInput: Int32Array;
  /** For input sections: the 0-based section index in the object; for commons: the symbol id. */
  readonly atomDetail: Int32Array;
  readonly commonAtoms: Map<SymbolId, AtomId>;
  /** Incremental updates replace these when the set of imports or exports changes. */
  importTables: ImportTables | undefined;
  readonly thunkAtoms: Map<ImportFile, AtomId>;
  exportTable: { readonly input: ExportTableInput; readonly plan: ExportTablePlan; readonly atom: AtomId } | undefined;
  readonly relocSection: OutputSection | undefined;
  readonly headerSize: number;
  readonly sectionById: readonly OutputSection[];
}

export interface ImportTables {
  readonly plan: ImportTablePlan;
  readonly atom: AtomId;
  /** Each import's (DLL index, entry index) in the plan. */
  readonly slots: ReadonlyMap<ImportFile, readonly [number, number]>;
}

interface Chunk { kind: AtomKind; input: number; detail: number; size: number; alignment: number }

/**
 * One output section's chunks as typed-array columns, grown by doubling: a large link has hundreds of
 * thousands of input sections, and an object per chunk (then a JS array per column, whose pushes and
 * backing-store growth were 40 ms of an L link) was most of the layout's time.
 */
class ChunkGroup {
  flags = 0;
  count = 0;
  kind = new Uint8Array(16);
  input = new Int32Array(16);
  detail = new Int32Array(16);
  /** Float64: a common symbol's size is not bounded by a section's u32. */
  size = new Float64Array(16);
  alignment = new Int32Array(16);
  /** Id of the chunk's input section name (`.text$mn`), for ordering. */
  subName = new Int32Array(16);
  /** Whether every chunk so far has the same input section name (the common case: ordering is a no-op). */
  private oneSubName = true;
  /** Whether an input section whose place is fixed (see `isOrderedSectionName`) is in it. */
  holdsOrdered = false;

  push(subName: number, kind: AtomKind, input: number, detail: number, size: number, alignment: number): void {
    const i = this.count;
    if (i === this.kind.length) this.grow(i * 2);
    if (i > 0 && this.subName[0] !== subName) this.oneSubName = false;
    this.subName[i] = subName;
    this.kind[i] = kind;
    this.input[i] = input;
    this.detail[i] = detail;
    this.size[i] = size;
    this.alignment[i] = alignment;
    this.count = i + 1;
  }

  private grow(capacity: number): void {
    const n = this.count;
    const kind = new Uint8Array(capacity); kind.set(this.kind.subarray(0, n)); this.kind = kind;
    const input = new Int32Array(capacity); input.set(this.input.subarray(0, n)); this.input = input;
    const detail = new Int32Array(capacity); detail.set(this.detail.subarray(0, n)); this.detail = detail;
    const size = new Float64Array(capacity); size.set(this.size.subarray(0, n)); this.size = size;
    const alignment = new Int32Array(capacity); alignment.set(this.alignment.subarray(0, n)); this.alignment = alignment;
    const subName = new Int32Array(capacity); subName.set(this.subName.subarray(0, n)); this.subName = subName;
  }

  /** Chunk indices by the rank of their input section name, input order within a name: a stable counting sort. */
  ordered(rankOf: Int32Array): Int32Array {
    const n = this.count;
    const out = new Int32Array(n);
    if (this.oneSubName) {
      for (let i = 0; i < n; i++) out[i] = i;
      return out;
    }
    const start = new Int32Array(rankOf.length + 1);
    for (let i = 0; i < n; i++) start[rankOf[this.subName[i]!]! + 1]!++;
    for (let r = 1; r < start.length; r++) start[r]! += start[r - 1]!;
    for (let i = 0; i < n; i++) out[start[rankOf[this.subName[i]!]!]!++] = i;
    return out;
  }
}

export interface LayoutRequest {
  readonly inputs: LoadedInputs;
  readonly resolved: ResolvedSymbols;
  readonly merges: ReadonlyMap<string, string>;
  readonly sectionAttributes: ReadonlyMap<string, string>;
  readonly is64: boolean;
  readonly machine: number;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly relocatable: boolean;
  readonly exportTable: ExportTableInput | undefined;
  readonly incremental: boolean;
}

function outputName(name: string, merges: ReadonlyMap<string, string>): string {
  const dollar = name.indexOf("$");
  let out = dollar < 0 ? name : name.slice(0, dollar);
  for (let hops = 0; hops < 16; hops++) {
    const next = merges.get(out) ?? DEFAULT_MERGES.get(out);
    if (next === undefined || next === out) break;
    out = next;
  }
  return out;
}

/** link.exe's order of output sections: code, read-only data, data, uninitialised data, the rest, `.rsrc`, `.reloc`. */
function sectionRank(name: string, flags: number): number {
  if (name === ".reloc") return 70;
  if (name === ".rsrc") return 60;
  if (flags & IMAGE_SCN.MEM_DISCARDABLE) return 65;
  if (flags & IMAGE_SCN.CNT_CODE) return name === ".text" ? 0 : 1;
  if (name === ".pdata") return 35;
  if (flags & IMAGE_SCN.CNT_UNINITIALIZED_DATA && !(flags & IMAGE_SCN.CNT_INITIALIZED_DATA)) return name === ".bss" ? 30 : 31;
  if (!(flags & IMAGE_SCN.MEM_WRITE)) return name === ".rdata" ? 10 : 11;
  return name === ".data" ? 20 : 21;
}

export function layOut(req: LayoutRequest): ImageLayout {
  const { inputs, resolved } = req;
  const groups = new Map<string, ChunkGroup>();
  // Input section names get ids in order of appearance; each belongs to one output section.
  const subNameIds = new Map<string, number>();
  const subNames: string[] = [];
  const subNameGroup: ChunkGroup[] = [];
  let order = 0;
  const subNameId = (out: string, subName: string): number => {
    let id = subNameIds.get(subName);
    if (id === undefined) {
      let g = groups.get(out);
      if (!g) groups.set(out, (g = new ChunkGroup()));
      id = subNames.length;
      subNameIds.set(subName, id);
      subNames.push(subName);
      subNameGroup.push(g);
    }
    return id;
  };
  const add = (out: string, subName: string, flags: number, chunk: Chunk) => {
    const sub = subNameId(out, subName);
    const g = subNameGroup[sub]!;
    g.flags |= flags & CONTENT_FLAGS;
    g.push(sub, chunk.kind, chunk.input, chunk.detail, chunk.size, chunk.alignment);
    order++;
  };

  for (const file of inputs.objects) {
    const coff = file.coff;
    const live = file.sectionLive;
    for (let s = 0; s < file.sectionCount; s++) {
      if (!live[s]) continue;
      const name = coff.sectionName(s);
      const flags = coff.sectionCharacteristics(s);
      const alignment = sectionAlignment(flags) || 16;
      if (alignment > req.sectionAlignment) {
        throw new LinkError(`${file.name}: section ${name} needs alignment ${alignment}, more than the image's section alignment ${req.sectionAlignment}`);
      }
      // The output section is found once per distinct input section name, not once per section.
      let sub = subNameIds.get(name);
      if (sub === undefined) {
        sub = subNameId(outputName(name, req.merges), name);
        if (isOrderedSectionName(name)) subNameGroup[sub]!.holdsOrdered = true;
      }
      const g = subNameGroup[sub]!;
      g.flags |= flags & CONTENT_FLAGS;
      g.push(sub, AtomKind.InputSection, file.input, s, coff.sectionSizeOfRawData(s), alignment);
      order++;
    }
  }

  // Common symbols: uninitialised data, largest definition wins (the resolver merged them).
  const commonSymbols: SymbolId[] = [];
  for (let id = 0; id < resolved.kind.length; id++) {
    if (resolved.kind[id] === TargetKind.Common && inputs.symbols.resolveAlias(id) === id) commonSymbols.push(id);
  }
  for (const id of commonSymbols) {
    const size = resolved.value[id]!;
    const alignment = inputs.symbols.resolution(id).kind === "common" ? (inputs.symbols.resolution(id) as { alignment: number }).alignment : 16;
    add(outputName(SYNTHETIC_SECTION_NAME[AtomKind.Common], req.merges), SYNTHETIC_SECTION_NAME[AtomKind.Common], IMAGE_SCN.CNT_UNINITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE, { kind: AtomKind.Common, input: -1, detail: id, size, alignment });
  }

  // Imports in use: one table blob in .rdata (directory, lookup tables, names, IAT), thunks in .text.
  const usedImports = inputs.imports.filter((f) => f.slotUsed);
  let importPlan: ImportTablePlan | undefined;
  let slots = new Map<ImportFile, readonly [number, number]>();
  if (usedImports.length > 0) {
    ({ plan: importPlan, slots } = planImports(usedImports, req.is64));
    add(outputName(SYNTHETIC_SECTION_NAME[AtomKind.ImportTables], req.merges), SYNTHETIC_SECTION_NAME[AtomKind.ImportTables], IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ, { kind: AtomKind.ImportTables, input: -1, detail: 0, size: importPlan.size, alignment: req.is64 ? 8 : 4 });
    for (const f of usedImports) {
      if (!f.thunkUsed) continue;
      add(outputName(SYNTHETIC_SECTION_NAME[AtomKind.ImportThunk], req.merges), SYNTHETIC_SECTION_NAME[AtomKind.ImportThunk], IMAGE_SCN.CNT_CODE | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ, { kind: AtomKind.ImportThunk, input: f.input, detail: 0, size: thunkSize(req.machine), alignment: req.is64 ? 16 : 4 });
    }
  }

  let exportPlan: ExportTablePlan | undefined;
  if (req.exportTable) {
    exportPlan = planExportTable(req.exportTable);
    add(outputName(SYNTHETIC_SECTION_NAME[AtomKind.ExportTable], req.merges), SYNTHETIC_SECTION_NAME[AtomKind.ExportTable], IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ, { kind: AtomKind.ExportTable, input: -1, detail: 0, size: exportPlan.size, alignment: 4 });
  }

  // Input section names sorted once; chunks then sort by rank, a number compare.
  const subNameRank = new Int32Array(subNames.length);
  subNames.map((_, id) => id).sort((a, b) => compareNames(subNames[a]!, subNames[b]!)).forEach((id, rank) => { subNameRank[id] = rank; });

  // Order output sections; the base-relocation section, filled in after relocation, comes last.
  const names = [...groups.keys()];
  const firstSeen = new Map(names.map((n, i) => [n, i]));
  names.sort((a, b) => sectionRank(a, groups.get(a)!.flags) - sectionRank(b, groups.get(b)!.flags) || firstSeen.get(a)! - firstSeen.get(b)!);
  const sectionCount = names.length + (req.relocatable ? 1 : 0);
  const headerSize = computeHeaderSize({ format: req.is64 ? "pe32+" : "pe32", sectionCount, fileAlignment: req.fileAlignment });
  const layout = new Layout({
    headerSize, sectionAlignment: req.sectionAlignment, fileAlignment: req.fileAlignment,
    mode: req.incremental ? "incremental" : "packed",
    // Address space is free: with room for a megabyte of growth a section rarely shifts its followers.
    minimumVirtualReserve: req.incremental ? INCREMENTAL_ADDRESS_RESERVE : 0,
  }, Math.max(1024, order + 16));

  const total = order + 1;
  const atomKind = new Uint8Array(total);
  const atomInput = new Int32Array(total).fill(-1);
  const atomDetail = new Int32Array(total).fill(-1);
  const commonAtoms = new Map<SymbolId, AtomId>();
  const thunkAtoms = new Map<ImportFile, AtomId>();
  let importAtom = -1, exportAtom = -1;
  const sections: OutputSection[] = [];

  for (const name of names) {
    const g = groups.get(name)!;
    let flags = g.flags;
    const attrs = req.sectionAttributes.get(name);
    if (attrs !== undefined) flags = applySectionAttributes(flags, attrs, name);
    const noBits = (flags & IMAGE_SCN.CNT_UNINITIALIZED_DATA) !== 0 && (flags & (IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.CNT_CODE)) === 0;
    // Lists walked from a start marker to an end marker (see `isOrderedSectionName`) must have no holes:
    // their section gets no room between atoms, even in an incremental image, but room at its end.
    const id = layout.addSection(name, { noBits, ...(req.incremental && g.holdsOrdered ? { mode: "packed-growable" as const } : {}) });
    const section: OutputSection = { name, characteristics: flags, noBits, id, number: sections.length + 1 };
    sections.push(section);
    // Stable sort by the full input section name: `.text$a` before `.text$b`, input order within a name.
    const indices = g.ordered(subNameRank);
    const { kind: kinds, input: chunkInputs, detail: details, size: sizes, alignment: alignments } = g;
    // Chunks of one object come in a run: its atom column is looked up once per run, not per chunk.
    let atomsInput = -1;
    let sectionAtoms: Int32Array = new Int32Array(0);
    const firstAtom = layout.addAtoms(id, sizes, alignments, indices);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const kind = kinds[i]!, input = chunkInputs[i]!, detail = details[i]!;
      const atom = firstAtom + k;
      atomKind[atom] = kind;
      atomInput[atom] = input;
      atomDetail[atom] = detail;
      if (kind === AtomKind.InputSection) {
        if (input !== atomsInput) { atomsInput = input; sectionAtoms = (inputs.files[input] as ObjectFile).sectionAtom; }
        sectionAtoms[detail] = atom;
      } else if (kind === AtomKind.Common) commonAtoms.set(detail, atom);
      else if (kind === AtomKind.ImportTables) importAtom = atom;
      else if (kind === AtomKind.ExportTable) exportAtom = atom;
      else if (kind === AtomKind.ImportThunk) thunkAtoms.set(inputs.files[input] as ImportFile, atom);
    }
  }
  let relocSection: OutputSection | undefined;
  if (req.relocatable) {
    const id = layout.addSection(".reloc");
    relocSection = {
      name: ".reloc", characteristics: IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_DISCARDABLE,
      noBits: false, id, number: sections.length + 1,
    };
    sections.push(relocSection);
  }
  layout.assignAddresses();
  const sectionById: OutputSection[] = [];
  for (const s of sections) sectionById[s.id] = s;
  return {
    layout, sections, atomKind, atomInput, atomDetail, commonAtoms,
    importTables: importPlan ? { plan: importPlan, atom: importAtom, slots } : undefined,
    thunkAtoms,
    exportTable: exportPlan && req.exportTable ? { input: req.exportTable, plan: exportPlan, atom: exportAtom } : undefined,
    relocSection, headerSize, sectionById,
  };
}

// ------------------------------------------------------------------ saved sessions (`/incremental`)

/** A saved layout that does not fit the rest of the saved session: link fully instead. */
export class LayoutStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LayoutStateError";
  }
}

/**
 * The layout's part of a saved session (see `LinkSession.saveState`). Inputs are named by id: it is
 * restored together with the loader's saved state, which numbers them the same.
 */
export interface ImageLayoutState {
  readonly layout: Uint8Array;
  readonly sections: readonly OutputSection[];
  readonly atomKind: Uint8Array;
  readonly atomInput: Int32Array;
  readonly atomDetail: Int32Array;
  readonly commonAtoms: readonly (readonly [SymbolId, AtomId])[];
  readonly importTables: { readonly plan: ImportTablePlan; readonly atom: AtomId; readonly slots: readonly (readonly [InputId, readonly [number, number]])[] } | undefined;
  readonly thunkAtoms: readonly (readonly [InputId, AtomId])[];
  readonly exportTable: ImageLayout["exportTable"];
  readonly relocSection: number;
  readonly headerSize: number;
}

export function saveImageLayout(image: ImageLayout): ImageLayoutState {
  const tables = image.importTables;
  return {
    layout: image.layout.serialize(), sections: image.sections, atomKind: image.atomKind, atomInput: image.atomInput, atomDetail: image.atomDetail,
    commonAtoms: [...image.commonAtoms],
    importTables: tables && { plan: tables.plan, atom: tables.atom, slots: [...tables.slots].map(([f, slot]) => [f.input, slot] as const) },
    thunkAtoms: [...image.thunkAtoms].map(([f, atom]) => [f.input, atom] as const),
    exportTable: image.exportTable, relocSection: image.relocSection?.id ?? -1, headerSize: image.headerSize,
  };
}

/** The layout of a saved session, its imports found by input id in `files` (the restored loader's). */
export function restoreImageLayout(state: ImageLayoutState, files: readonly unknown[]): ImageLayout {
  let layout: Layout;
  try {
    layout = Layout.deserialize(state.layout);
  } catch (e) {
    if (e instanceof StateFormatError) throw new LayoutStateError(`the allocator state is unreadable: ${e.message}`, { cause: e });
    throw e;
  }
  const importFile = (input: InputId): ImportFile => {
    const f = files[input];
    if (!(f instanceof ImportFile)) throw new LayoutStateError(`input ${input} is not an import`);
    return f;
  };
  const sectionById: OutputSection[] = [];
  for (const s of state.sections) sectionById[s.id] = s;
  const relocSection = state.relocSection >= 0 ? sectionById[state.relocSection] : undefined;
  if (state.relocSection >= 0 && relocSection === undefined) throw new LayoutStateError("the base-relocation section is missing");
  const tables = state.importTables;
  return {
    layout, sections: state.sections, atomKind: state.atomKind, atomInput: state.atomInput, atomDetail: state.atomDetail,
    commonAtoms: new Map(state.commonAtoms),
    importTables: tables && { plan: tables.plan, atom: tables.atom, slots: new Map(tables.slots.map(([input, slot]) => [importFile(input), slot] as const)) },
    thunkAtoms: new Map(state.thunkAtoms.map(([input, atom]) => [importFile(input), atom] as const)),
    exportTable: state.exportTable, relocSection, headerSize: state.headerSize, sectionById,
  };
}

/** Groups the imports in use by DLL (in order of first use) into one import-table plan. */
export function planImports(used: readonly ImportFile[], is64: boolean): { plan: ImportTablePlan; slots: Map<ImportFile, readonly [number, number]> } {
  const byDll = new Map<string, { dll: string; files: ImportFile[] }>();
  for (const f of used) {
    const key = f.dllName.toLowerCase();
    let d = byDll.get(key);
    if (!d) byDll.set(key, (d = { dll: f.dllName, files: [] }));
    d.files.push(f);
  }
  const slots = new Map<ImportFile, readonly [number, number]>();
  const dlls: ImportedDll[] = [];
  for (const { dll, files } of byDll.values()) {
    const di = dlls.length;
    files.forEach((f, i) => slots.set(f, [di, i]));
    dlls.push({ dllName: dll, imports: files.map((f) => (f.ordinal !== undefined ? { ordinal: f.ordinal } : { name: f.importName!, hint: f.hint })) });
  }
  return { plan: planImportTables(dlls, { is64 }), slots };
}

/** The output section an input section name goes to (`.text$mn` → `.text`, then /merge rules). */
export { outputName };

/**
 * Input sections whose place among their neighbours is what the program reads: tables walked from a start
 * marker to an end marker (`.CRT$XCA`…`$XCZ` initialisers, `.tls$` between `_tls_start` and `_tls_end`,
 * GCC's `.ctors` between its list heads, `.eh_frame` before crtend's terminator, one DLL's `.idata$4`/`$5`
 * entries). Their output section is laid out without room between atoms; an update that changes one lays
 * the whole section out again in a full link's order (`fullLinkOrder`), never leaving a hole in the list.
 */
const ORDERED_SECTION = /^\.(CRT\$|tls(\$|\.|$)|idata\$|didat\$|rtc\$|ctors|dtors|eh_frame|init_array|fini_array|jcr$|gfids\$|giats\$|gljmp\$|gehcont\$)/;

export function isOrderedSectionName(name: string): boolean {
  return ORDERED_SECTION.test(name);
}

/** Byte-wise order, as link.exe sorts `$` suffixes (not locale order). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `/section:name,attrs`: letters E(xecute) R(ead) W(rite) S(hared) D(iscardable) K (not cached) P (not paged); `!` clears. */
function applySectionAttributes(flags: number, attrs: string, name: string): number {
  const bits: Record<string, number> = {
    E: IMAGE_SCN.MEM_EXECUTE, R: IMAGE_SCN.MEM_READ, W: IMAGE_SCN.MEM_WRITE, S: IMAGE_SCN.MEM_SHARED,
    D: IMAGE_SCN.MEM_DISCARDABLE, K: IMAGE_SCN.MEM_NOT_CACHED, P: IMAGE_SCN.MEM_NOT_PAGED,
  };
  let out = flags & ~(IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE | IMAGE_SCN.MEM_SHARED | IMAGE_SCN.MEM_DISCARDABLE | IMAGE_SCN.MEM_NOT_CACHED | IMAGE_SCN.MEM_NOT_PAGED);
  let negate = false;
  for (const ch of attrs.toUpperCase()) {
    if (ch === "!") { negate = true; continue; }
    const bit = bits[ch];
    if (bit === undefined) throw new LinkError(`/section:${name},${attrs}: unknown attribute '${ch}' (expected letters of EDKPRSW)`);
    out = negate ? out & ~bit : out | bit;
    negate = false;
  }
  return out >>> 0;
}
