// Lay out: every live input section, common symbol and synthetic table becomes an atom; atoms are
// grouped into output sections (`.text$mn` into `.text`, ordered by the name after `$`), the output
// sections are ordered as link.exe orders them, and @linkkit/atom-allocator gives everything an address.
import { Layout, StateFormatError, type AtomId, type SectionId } from "@linkkit/atom-allocator";
import { IMAGE_SCN, sectionAlignment } from "@linkkit/coff-format";
import { computeHeaderSize, planImportTables, planExportTable, thunkSize, type ImportTablePlan, type ImportedDll, type ExportTablePlan, type ExportTableInput } from "@linkkit/pe-writer";
import type { SymbolId } from "@linkkit/symbol-resolver";
import { ObjectFile } from "./inputs/object-file.js";
import type { ImportFile } from "./inputs/import-file.js";
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
      if (sub === undefined) sub = subNameId(outputName(name, req.merges), name);
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
    const id = layout.addSection(name, { noBits });
    const section: OutputSection = { name, characteristics: flags, noBits, id, number: sections.length + 1 };
    sections.push(section);
    // Stable sort by the full input section name: `.text$a` before `.text$b`, input order within a name.
    const indices = g.ordered(subNameRank);
    const { kind: kinds, input: chunkInputs, detail: details, size: sizes, alignment: alignments } = g;
    // Chunks of one object come in a run: its atom column is looked up once per run, not per chunk.
    let atomsInput = -1;
    let sectionAtoms: Int32Array = new Int32Array(0);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const kind = kinds[i]!, input = chunkInputs[i]!, detail = details[i]!;
      const atom = layout.addAtom(id, sizes[i]!, alignments[i]!);
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

// ------------------------------------------------------------------ layout snapshots (`/incremental`)

/** A layout the snapshot cannot describe, or a snapshot that does not fit the inputs: link fully instead. */
export class LayoutSnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LayoutSnapshotError";
  }
}

/**
 * An image layout in terms that outlive the process: the allocator's state, and each live atom named by
 * what it holds (an object by name with a section index, a common by its symbol, an import by `importKey`)
 * rather than by loader index, which depends on the order a link happened to load its inputs.
 */
export interface LayoutSnapshot {
  /** `Layout.serialize()`: sections, atoms (dense ids, never reused), free room. */
  readonly layout: Uint8Array;
  /** Per layout section id: characteristics, which the allocator does not keep. */
  readonly characteristics: readonly number[];
  /** Layout section id of the base-relocation section, or -1. */
  readonly relocSection: number;
  /** The strings `atomName` indexes: object names, import keys, common symbol names. */
  readonly names: readonly string[];
  /** Per atom id: its AtomKind, 0 when the id is free. */
  readonly atomKind: Uint8Array;
  /** Per atom id: index into `names` (objects, thunks, commons), else -1. */
  readonly atomName: Int32Array;
  /** Per atom id: the section index in its object, else -1. */
  readonly atomDetail: Int32Array;
  /** Import keys of the imports in use, in the import-table plan's order (so the plan rebuilds as it was). */
  readonly imports: readonly string[];
  /** The atom of each exception-table slot (-1: a filler), as the image has them (see `ImageEmitter.exceptionSlots`). */
  readonly exceptionSlots: Int32Array | undefined;
}

/** An import's name across links: its library member and symbol (member names repeat in import libraries). */
export function importKey(f: ImportFile): string {
  return `${f.name}\u0000${f.object.symbolName}`;
}

/** The snapshot of `image`; throws LayoutSnapshotError when some live atom has no stable name. */
export function snapshotLayout(image: ImageLayout, inputs: LoadedInputs, exceptionSlots: Int32Array | undefined): LayoutSnapshot {
  const layout = image.layout;
  const n = layout.atomIdCount;
  const atomKind = new Uint8Array(n);
  const atomName = new Int32Array(n).fill(-1);
  const atomDetail = new Int32Array(n).fill(-1);
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const nameId = (name: string): number => {
    let id = nameIds.get(name);
    if (id === undefined) { id = names.length; names.push(name); nameIds.set(name, id); }
    return id;
  };
  const claim = (atom: number, kind: AtomKind, name: number, detail: number): void => {
    if (atom < 0 || atom >= n || !layout.isLive(atom)) throw new LayoutSnapshotError(`atom ${atom} is not in the layout`);
    if (atomKind[atom] !== 0) throw new LayoutSnapshotError(`atom ${atom} holds two things`);
    atomKind[atom] = kind;
    atomName[atom] = name;
    atomDetail[atom] = detail;
  };
  const objectNames = new Set<string>();
  for (const file of inputs.objects) {
    if (objectNames.has(file.name)) throw new LayoutSnapshotError(`two inputs are named ${file.name}`);
    objectNames.add(file.name);
    const name = nameId(file.name);
    for (let s = 0; s < file.sectionCount; s++) {
      const atom = file.sectionAtom[s]!;
      if (atom >= 0) claim(atom, AtomKind.InputSection, name, s);
    }
  }
  for (const [symbol, atom] of image.commonAtoms) claim(atom, AtomKind.Common, nameId(inputs.symbols.nameOf(symbol)), -1);
  const importKeys = new Set<string>();
  for (const f of inputs.imports) {
    if (importKeys.has(importKey(f))) throw new LayoutSnapshotError(`two imports are named ${f.object.symbolName} in ${f.name}`);
    importKeys.add(importKey(f));
  }
  for (const [f, atom] of image.thunkAtoms) claim(atom, AtomKind.ImportThunk, nameId(importKey(f)), -1);
  let imports: string[] = [];
  if (image.importTables) {
    claim(image.importTables.atom, AtomKind.ImportTables, -1, -1);
    imports = [...image.importTables.slots].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]).map(([f]) => importKey(f));
  }
  if (image.exportTable) claim(image.exportTable.atom, AtomKind.ExportTable, -1, -1);
  if (image.relocSection) for (const atom of layout.atomsInSection(image.relocSection.id)) claim(atom, AtomKind.BaseRelocations, -1, -1);
  for (let atom = 0; atom < n; atom++) {
    if (layout.isLive(atom) && atomKind[atom] === 0) throw new LayoutSnapshotError(`atom ${atom} in ${layout.section(layout.atomSection(atom)).name} holds nothing a snapshot can name`);
  }
  return {
    layout: layout.serialize(), characteristics: layout.sections().map((info) => image.sectionById[info.id]?.characteristics ?? 0),
    relocSection: image.relocSection?.id ?? -1, names, atomKind, atomName, atomDetail, imports, exceptionSlots: exceptionSlots?.slice(),
  };
}

/**
 * The layout `snapshot` describes, for the inputs of `req` (linked, resolved and marked live as for
 * `layOut`): every atom where it was, each input section, common, import and table found again by name.
 * Anything that does not match (a section with no atom, an atom with nothing to hold, a size that
 * differs) throws LayoutSnapshotError. The caller must still check the image against the file it describes.
 */
export function restoreLayout(req: LayoutRequest, snapshot: LayoutSnapshot): ImageLayout {
  const { inputs, resolved } = req;
  let layout: Layout;
  try {
    layout = Layout.deserialize(snapshot.layout);
  } catch (e) {
    if (e instanceof StateFormatError) throw new LayoutSnapshotError(`the allocator state is unreadable: ${e.message}`, { cause: e });
    throw e;
  }
  const mismatch = (what: string) => new LayoutSnapshotError(what);
  const options = layout.options;
  if (options.mode !== (req.incremental ? "incremental" : "packed") || options.sectionAlignment !== req.sectionAlignment || options.fileAlignment !== req.fileAlignment) {
    throw mismatch("the allocator options differ");
  }
  const infos = layout.sections();
  if (snapshot.characteristics.length !== infos.length) throw mismatch("the section count differs");
  const sections: OutputSection[] = infos.map((info, i) => ({ name: info.name, characteristics: snapshot.characteristics[i]!, noBits: info.noBits, id: info.id, number: i + 1 }));
  const relocSection = snapshot.relocSection >= 0 ? sections[snapshot.relocSection] : undefined;
  if ((relocSection !== undefined) !== req.relocatable || (relocSection && relocSection.name !== ".reloc")) throw mismatch("the base-relocation section differs");
  const headerSize = computeHeaderSize({ format: req.is64 ? "pe32+" : "pe32", sectionCount: sections.length, fileAlignment: req.fileAlignment });
  if (options.headerSize !== headerSize) throw mismatch("the header size differs");

  const objects = new Map<string, ObjectFile>();
  for (const f of inputs.objects) {
    if (objects.has(f.name)) throw mismatch(`two inputs are named ${f.name}`);
    objects.set(f.name, f);
  }
  const imports = new Map<string, ImportFile>();
  for (const f of inputs.imports) imports.set(importKey(f), f);
  const n = layout.atomIdCount;
  const { names } = snapshot;
  if (snapshot.atomKind.length !== n || snapshot.atomName.length !== n || snapshot.atomDetail.length !== n) throw mismatch("the atom count differs");
  const atomKind = new Uint8Array(n + 1);
  const atomInput = new Int32Array(n + 1).fill(-1);
  const atomDetail = new Int32Array(n + 1).fill(-1);
  const commonAtoms = new Map<SymbolId, AtomId>();
  const thunkAtoms = new Map<ImportFile, AtomId>();
  let importAtom = -1, exportAtom = -1;
  for (let atom = 0; atom < n; atom++) {
    const kind = snapshot.atomKind[atom]!;
    if (!layout.isLive(atom)) {
      if (kind !== 0) throw mismatch(`atom ${atom} is free but described`);
      continue;
    }
    const nameIndex = snapshot.atomName[atom]!;
    const name = nameIndex >= 0 && nameIndex < names.length ? names[nameIndex]! : undefined;
    const size = layout.atom(atom).size;
    const section = layout.atomSection(atom);
    switch (kind) {
      case AtomKind.InputSection: {
        const file = name === undefined ? undefined : objects.get(name);
        const s = snapshot.atomDetail[atom]!;
        if (!file || s < 0 || s >= file.sectionCount || !file.sectionLive[s]) throw mismatch(`${name ?? "an input"} section ${s} is not in this link`);
        if (file.sectionAtom[s]! >= 0) throw mismatch(`${file.name} section ${s} has two atoms`);
        if (file.coff.sectionSizeOfRawData(s) !== size) throw mismatch(`${file.name} section ${file.coff.sectionName(s)} changed size`);
        if (outputName(file.coff.sectionName(s), req.merges) !== sections[section]!.name) throw mismatch(`${file.name} section ${file.coff.sectionName(s)} is in another output section`);
        file.sectionAtom[s] = atom;
        atomInput[atom] = file.input;
        atomDetail[atom] = s;
        break;
      }
      case AtomKind.Common: {
        const id = name === undefined ? undefined : inputs.symbols.idOf(name);
        if (id === undefined || resolved.kind[id] !== TargetKind.Common || inputs.symbols.resolveAlias(id) !== id || resolved.value[id] !== size || commonAtoms.has(id)) {
          throw mismatch(`common symbol ${name ?? "?"} differs`);
        }
        commonAtoms.set(id, atom);
        atomDetail[atom] = id;
        break;
      }
      case AtomKind.ImportThunk: {
        const f = name === undefined ? undefined : imports.get(name);
        if (!f || !f.thunkUsed || thunkAtoms.has(f)) throw mismatch(`import thunk ${name?.replace("\u0000", " ") ?? "?"} is not in this link`);
        thunkAtoms.set(f, atom);
        atomInput[atom] = f.input;
        break;
      }
      case AtomKind.ImportTables:
        if (importAtom >= 0) throw mismatch("two import tables");
        importAtom = atom;
        break;
      case AtomKind.ExportTable:
        if (exportAtom >= 0) throw mismatch("two export tables");
        exportAtom = atom;
        break;
      case AtomKind.BaseRelocations:
        if (section !== snapshot.relocSection) throw mismatch("base relocations outside .reloc");
        break;
      default:
        throw mismatch(`atom ${atom} has unknown kind ${kind}`);
    }
    atomKind[atom] = kind;
  }

  // Everything a fresh layout would place must have been found again. An empty section an update left
  // without an atom (an archive member it loaded) holds no bytes: it stays out, as in the session.
  for (const file of inputs.objects) {
    for (let s = 0; s < file.sectionCount; s++) {
      if (!file.sectionLive[s] || file.sectionAtom[s]! >= 0) continue;
      if (file.coff.sectionSizeOfRawData(s) !== 0) throw mismatch(`${file.name} section ${file.coff.sectionName(s)} has no atom`);
      file.sectionLive[s] = 0;
    }
  }
  let commons = 0;
  for (let id = 0; id < resolved.kind.length; id++) if (resolved.kind[id] === TargetKind.Common && inputs.symbols.resolveAlias(id) === id) commons++;
  if (commons !== commonAtoms.size) throw mismatch("the common symbols differ");
  for (const f of inputs.imports) if (f.thunkUsed !== thunkAtoms.has(f)) throw mismatch(`the import thunk of ${f.object.symbolName} differs`);
  const used = snapshot.imports.map((key) => imports.get(key));
  if (used.some((f) => !f?.slotUsed) || new Set(used).size !== used.length || used.length !== inputs.imports.filter((f) => f.slotUsed).length) {
    throw mismatch("the imports in use differ");
  }
  let importTables: ImportTables | undefined;
  if (used.length > 0) {
    if (importAtom < 0) throw mismatch("the import table has no atom");
    const { plan, slots } = planImports(used as ImportFile[], req.is64);
    if (plan.size !== layout.atom(importAtom).size) throw mismatch("the import table changed size");
    importTables = { plan, atom: importAtom, slots };
  } else if (importAtom >= 0) {
    throw mismatch("an import table with no imports");
  }
  let exportTable: ImageLayout["exportTable"];
  if (req.exportTable) {
    const plan = planExportTable(req.exportTable);
    if (exportAtom < 0 || plan.size !== layout.atom(exportAtom).size) throw mismatch("the export table differs");
    exportTable = { input: req.exportTable, plan, atom: exportAtom };
  } else if (exportAtom >= 0) {
    throw mismatch("an export table with no exports");
  }
  const sectionById: OutputSection[] = [];
  for (const s of sections) sectionById[s.id] = s;
  return { layout, sections, atomKind, atomInput, atomDetail, commonAtoms, importTables, thunkAtoms, exportTable, relocSection, headerSize, sectionById };
}

/** A range of the file an image consists of; see `imageFileRanges`. */
export interface ImageFileRange {
  readonly offset: number;
  readonly size: number;
  /** For a section: its atoms' ranges, which are what counts when the whole range differs. */
  readonly parts?: (() => { readonly offset: number; readonly size: number }[]) | undefined;
}

/**
 * The file ranges an image consists of, in file order: the headers, each section's used bytes, and
 * whatever follows the last section's data (the string table of long section names) up to `fileSize`.
 * Within a section only its atoms count (`.pdata` excepted: its table is packed, not laid out by atom).
 * The rest is room nothing reads: padding and free room between atoms, after a section's last atom, and
 * where sections were before they moved in the file. An update leaves there whatever was there and
 * fills it before use, so a layout restored in another process cannot know those bytes, and need not.
 */
export function imageFileRanges(image: ImageLayout, fileSize: number): ImageFileRange[] {
  const layout = image.layout;
  const ranges: ImageFileRange[] = [{ offset: 0, size: image.headerSize }];
  let dataEnd = image.headerSize;
  for (const s of layout.sections()) {
    if (s.noBits || s.usedSize === 0) continue;
    const parts = s.name === ".pdata" ? undefined : () => layout.atomsInSection(s.id).map((atom) => ({ offset: s.fileOffset + layout.atomOffset(atom), size: layout.atom(atom).size }));
    ranges.push({ offset: s.fileOffset, size: s.usedSize, parts });
    dataEnd = Math.max(dataEnd, s.fileOffset + Math.ceil(s.usedSize / layout.options.fileAlignment) * layout.options.fileAlignment);
  }
  if (fileSize > dataEnd) ranges.push({ offset: dataEnd, size: fileSize - dataEnd });
  return ranges.sort((a, b) => a.offset - b.offset);
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

/** Byte-wise order, as link.exe sorts `$` suffixes (not locale order). */
function compareNames(a: string, b: string): number {
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
