// Lay out: every live input section, common symbol and synthetic table becomes an atom; atoms are
// grouped into output sections (`.text$mn` into `.text`, ordered by the name after `$`), the output
// sections are ordered as link.exe orders them, and @linkkit/atom-allocator gives everything an address.
import { Layout, StateFormatError, type AtomId, type SectionId } from "@linkkit/atom-allocator";
import { IMAGE_SCN, sectionAlignment } from "@linkkit/coff-format";
import { computeHeaderSize, planImportTables, planExportTable, thunkSize, type ImportTablePlan, type ImportedDll, type ExportTablePlan, type ExportTableInput } from "@linkkit/pe-writer";
import type { InputId, SymbolId } from "@linkkit/symbol-resolver";
import { ObjectFile, sectionTotal } from "./inputs/object-file.js";
import { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";
import { InternalError, LinkError } from "./errors.js";

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

/**
 * Every chunk of the image (input sections, commons, synthetic tables) in the order met, as typed-array
 * columns sized once: a large link has hundreds of thousands of input sections, and growing a set of
 * columns per output section by doubling was a tenth of the layout's time (copies, and fresh memory,
 * which costs a page fault per 4 KB touched).
 */
class Chunks {
  count = 0;
  readonly kind: Uint8Array;
  readonly input: Int32Array;
  readonly detail: Int32Array;
  /** Float64: a common symbol's size is not bounded by a section's u32. */
  readonly size: Float64Array;
  readonly alignment: Int32Array;
  /** Id of the chunk's input section name (`.text$mn`): its output section and its order within it. */
  readonly subName: Int32Array;

  constructor(readonly capacity: number) {
    this.kind = new Uint8Array(capacity);
    this.input = new Int32Array(capacity);
    this.detail = new Int32Array(capacity);
    this.size = new Float64Array(capacity);
    this.alignment = new Int32Array(capacity);
    this.subName = new Int32Array(capacity);
  }

  push(subName: number, kind: AtomKind, input: number, detail: number, size: number, alignment: number): void {
    const i = this.count++;
    if (i >= this.capacity) throw new InternalError(`more than the ${this.capacity} chunks the layout counted`);
    this.subName[i] = subName;
    this.kind[i] = kind;
    this.input[i] = input;
    this.detail[i] = detail;
    this.size[i] = size;
    this.alignment[i] = alignment;
  }

  /**
   * Chunk indices in image order: by the rank of their input section name (`rankOf`, which ranks output
   * sections first), input order within a name; a stable counting sort. `start[r]` is where rank r begins.
   */
  ordered(rankOf: Int32Array): { order: Int32Array; start: Int32Array } {
    const n = this.count;
    const start = new Int32Array(rankOf.length + 1);
    for (let i = 0; i < n; i++) start[rankOf[this.subName[i]!]! + 1]!++;
    for (let r = 1; r < start.length; r++) start[r]! += start[r - 1]!;
    const next = start.slice(0, rankOf.length);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[next[rankOf[this.subName[i]!]!]!++] = i;
    return { order, start };
  }
}

/** What each output section gathers while chunks are added. */
interface OutputGroup {
  flags: number;
  /** Whether an input section whose place is fixed (see `isOrderedSectionName`) is in it. */
  holdsOrdered: boolean;
  /** Its input section names (ids). */
  readonly subNames: number[];
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

/**
 * Input section names (`.text$mn`), numbered in order of appearance, each with its output section's group.
 * The three names met last are kept and compared by identity: a -ffunction-sections object's sections go
 * .text .xdata .pdata, one function after another, and its reader hands back one string per name.
 */
class InputSectionNames {
  readonly groups = new Map<string, OutputGroup>();
  readonly names: string[] = [];
  /** The output section's group of each name. */
  readonly group: OutputGroup[] = [];
  private readonly ids = new Map<string, number>();
  private readonly recentName = ["", "", ""];
  private readonly recentId = [-1, -1, -1];

  constructor(private readonly merges: ReadonlyMap<string, string>) {}

  idOf(name: string): number {
    const id = this.ids.get(name);
    return id !== undefined ? id : this.add(name);
  }

  /**
   * The id of an input section's name, through the names met last (a section's name is mostly one of
   * them). An input section whose place is fixed (see `isOrderedSectionName`) marks its output section.
   */
  idOfSection(name: string): number {
    const recentName = this.recentName, recentId = this.recentId;
    if (name === recentName[0]) return recentId[0]!;
    if (name === recentName[1]) return recentId[1]!;
    if (name === recentName[2]) return recentId[2]!;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.add(name);
      if (isOrderedSectionName(name)) this.group[id]!.holdsOrdered = true;
    }
    recentName[2] = recentName[1]!; recentId[2] = recentId[1]!;
    recentName[1] = recentName[0]!; recentId[1] = recentId[0]!;
    recentName[0] = name; recentId[0] = id;
    return id;
  }

  private add(name: string): number {
    const out = outputName(name, this.merges);
    let g = this.groups.get(out);
    if (!g) this.groups.set(out, (g = { flags: 0, holdsOrdered: false, subNames: [] }));
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    this.group.push(g);
    g.subNames.push(id);
    return id;
  }
}

/**
 * An object's live sections as chunks. A function of its own, called per object, rather than a loop in
 * `layOut`: V8 optimises a small function after a few calls, where a loop that runs once in a large one
 * waits for a compile of all of it (~3 ms of a 400-object link per such loop).
 */
function addObjectChunks(file: ObjectFile, chunks: Chunks, names: InputSectionNames, imageAlignment: number): void {
  const coff = file.coff;
  const live = file.sectionLive;
  for (let s = 0; s < file.sectionCount; s++) {
    if (!live[s]) continue;
    const name = coff.sectionName(s);
    const flags = coff.sectionCharacteristics(s);
    const alignment = sectionAlignment(flags) || 16;
    if (alignment > imageAlignment) {
      throw new LinkError(`${file.name}: section ${name} needs alignment ${alignment}, more than the image's section alignment ${imageAlignment}`);
    }
    const sub = names.idOfSection(name);
    names.group[sub]!.flags |= flags & CONTENT_FLAGS;
    chunks.push(sub, AtomKind.InputSection, file.input, s, coff.sectionSizeOfRawData(s), alignment);
  }
}

/**
 * Records the atoms of the input-section chunks `indices[from...]` (atom `atoms.first + k` for
 * `indices[k]`) up to the first chunk of another kind, and answers that chunk's position (or the end).
 * Its own small function for the reason `addObjectChunks` is one.
 */
function recordSectionAtoms(
  chunks: Chunks, indices: Int32Array, from: number,
  atoms: { readonly first: number; readonly kind: Uint8Array; readonly input: Int32Array; readonly detail: Int32Array },
  files: LoadedInputs["files"],
): number {
  const { kind: kinds, input: chunkInputs, detail: details } = chunks;
  // Chunks of one object come in a run: its atom column is looked up once per run, not per chunk.
  let atomsInput = -1;
  let sectionAtoms: Int32Array = new Int32Array(0);
  let k = from;
  for (; k < indices.length; k++) {
    const i = indices[k]!;
    if (kinds[i] !== AtomKind.InputSection) break;
    const input = chunkInputs[i]!, detail = details[i]!;
    const atom = atoms.first + k;
    atoms.kind[atom] = AtomKind.InputSection;
    atoms.input[atom] = input;
    atoms.detail[atom] = detail;
    if (input !== atomsInput) { atomsInput = input; sectionAtoms = (files[input] as ObjectFile).sectionAtom; }
    sectionAtoms[detail] = atom;
  }
  return k;
}

export function layOut(req: LayoutRequest): ImageLayout {
  const { inputs, resolved } = req;

  // Common symbols: uninitialised data, largest definition wins (the resolver merged them).
  const commonSymbols: SymbolId[] = [];
  const targetKinds = resolved.kind;
  // A native scan for the few: a loop over 300,000 names that runs once is ~3 ms before V8 optimises it.
  for (let id = targetKinds.indexOf(TargetKind.Common); id >= 0; id = targetKinds.indexOf(TargetKind.Common, id + 1)) {
    if (inputs.symbols.resolveAlias(id) === id) commonSymbols.push(id);
  }
  // Imports in use: one table blob in .rdata (directory, lookup tables, names, IAT), thunks in .text.
  const usedImports = inputs.imports.filter((f) => f.slotUsed);
  // At most: every section, every common, a thunk per import, the import tables and the export table.
  const chunks = new Chunks(sectionTotal(inputs.objects) + commonSymbols.length + usedImports.length + 2);

  const names = new InputSectionNames(req.merges);
  const add = (subName: string, flags: number, kind: AtomKind, input: number, detail: number, size: number, alignment: number) => {
    const sub = names.idOf(subName);
    names.group[sub]!.flags |= flags & CONTENT_FLAGS;
    chunks.push(sub, kind, input, detail, size, alignment);
  };
  for (const file of inputs.objects) addObjectChunks(file, chunks, names, req.sectionAlignment);

  for (const id of commonSymbols) {
    const size = resolved.value[id]!;
    const resolution = inputs.symbols.resolution(id);
    const alignment = resolution.kind === "common" ? resolution.alignment : 16;
    add(SYNTHETIC_SECTION_NAME[AtomKind.Common], IMAGE_SCN.CNT_UNINITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE, AtomKind.Common, -1, id, size, alignment);
  }

  let importPlan: ImportTablePlan | undefined;
  let slots = new Map<ImportFile, readonly [number, number]>();
  if (usedImports.length > 0) {
    ({ plan: importPlan, slots } = planImports(usedImports, req.is64));
    add(SYNTHETIC_SECTION_NAME[AtomKind.ImportTables], IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ, AtomKind.ImportTables, -1, 0, importPlan.size, req.is64 ? 8 : 4);
    for (const f of usedImports) {
      if (!f.thunkUsed) continue;
      add(SYNTHETIC_SECTION_NAME[AtomKind.ImportThunk], IMAGE_SCN.CNT_CODE | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ, AtomKind.ImportThunk, f.input, 0, thunkSize(req.machine), req.is64 ? 16 : 4);
    }
  }

  let exportPlan: ExportTablePlan | undefined;
  if (req.exportTable) {
    exportPlan = planExportTable(req.exportTable);
    add(SYNTHETIC_SECTION_NAME[AtomKind.ExportTable], IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ, AtomKind.ExportTable, -1, 0, exportPlan.size, 4);
  }

  // Order output sections; the base-relocation section, filled in after relocation, comes last.
  const groups = names.groups;
  const outputNames = [...groups.keys()];
  const firstSeen = new Map(outputNames.map((n, i) => [n, i]));
  outputNames.sort((a, b) => sectionRank(a, groups.get(a)!.flags) - sectionRank(b, groups.get(b)!.flags) || firstSeen.get(a)! - firstSeen.get(b)!);
  // Input section names ranked in image order: by output section, then by name (`.text$a` before
  // `.text$b`); chunks then sort by rank, a number compare, keeping input order within a name.
  const subNameRank = new Int32Array(names.names.length);
  let rank = 0;
  for (const name of outputNames) {
    for (const id of groups.get(name)!.subNames.sort((a, b) => compareNames(names.names[a]!, names.names[b]!))) subNameRank[id] = rank++;
  }
  const { order, start } = chunks.ordered(subNameRank);

  const sectionCount = outputNames.length + (req.relocatable ? 1 : 0);
  const headerSize = computeHeaderSize({ format: req.is64 ? "pe32+" : "pe32", sectionCount, fileAlignment: req.fileAlignment });
  const layout = new Layout({
    headerSize, sectionAlignment: req.sectionAlignment, fileAlignment: req.fileAlignment,
    mode: req.incremental ? "incremental" : "packed",
    // Address space is free: with room for a megabyte of growth a section rarely shifts its followers.
    minimumVirtualReserve: req.incremental ? INCREMENTAL_ADDRESS_RESERVE : 0,
  }, Math.max(1024, chunks.count + 16));

  const total = chunks.count + 1;
  const atomKind = new Uint8Array(total);
  const atomInput = new Int32Array(total).fill(-1);
  const atomDetail = new Int32Array(total).fill(-1);
  const commonAtoms = new Map<SymbolId, AtomId>();
  const thunkAtoms = new Map<ImportFile, AtomId>();
  let importAtom = -1, exportAtom = -1;
  const sections: OutputSection[] = [];
  const { kind: kinds, input: chunkInputs, detail: details, size: sizes, alignment: alignments } = chunks;

  let ranked = 0;
  for (const name of outputNames) {
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
    // This section's chunks: the ranks of its input section names are consecutive.
    const indices = order.subarray(start[ranked]!, start[ranked + g.subNames.length]!);
    ranked += g.subNames.length;
    const firstAtom = layout.addAtoms(id, sizes, alignments, indices);
    const atoms = { first: firstAtom, kind: atomKind, input: atomInput, detail: atomDetail };
    for (let k = recordSectionAtoms(chunks, indices, 0, atoms, inputs.files); k < indices.length; k = recordSectionAtoms(chunks, indices, k + 1, atoms, inputs.files)) {
      // A synthetic chunk between runs of input sections.
      const i = indices[k]!;
      const kind = kinds[i]!, input = chunkInputs[i]!, detail = details[i]!;
      const atom = firstAtom + k;
      atomKind[atom] = kind;
      atomInput[atom] = input;
      atomDetail[atom] = detail;
      if (kind === AtomKind.Common) commonAtoms.set(detail, atom);
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
