// What the MinGW runtime needs from the linker, as GNU ld's PE emulation provides it, added around the
// shared engine through three hooks of `link()`:
//   beforeFinish   every input is loaded: auto-import, stdcall fixup, linker-defined symbols, GNU ld's
//                  input order, `.ctors`/`.dtors` lists, export-all, `-s`; then one synthetic object
//                  holds the list sentinels, the pseudo-relocation table and the import directory;
//   afterLiveness  the pseudo-relocation list's end is known (only live sites count);
//   patchImage     the records of that list, and one import directory for both dlltool-made
//                  (`.idata$2`…`$7` objects) and short import objects.
// An incremental session (session.ts) calls the same steps for what an update changed: `prepareFiles`
// for new objects, `resolveUndefined` for names they leave undefined, `updateSites` and `pointListSymbols`
// for the pseudo-relocation list, and `patchImage` again at the end; `saveState`/`restore` carry it over
// to the next `--incremental` run.
import { IMAGE_DIRECTORY_ENTRY, IMAGE_FILE_MACHINE, IMAGE_SCN, IMAGE_SYM_CLASS, writeCoffObject, type CoffSymbolModel } from "@linkkit/coff-format";
import { SymbolKind, type ComdatId, type Diagnostic, type SymbolId } from "@linkkit/symbol-resolver";
import { LinkError } from "../errors.js";
import { symbolRva } from "../emit.js";
import { NO_COMDAT, ObjectFile } from "../inputs/object-file.js";
import type { InputLoader, LoadedInputs } from "../inputs/loader.js";
import type { ImageLayout } from "../layout.js";
import type { ExportSpec, LinkOptions, MingwOptions } from "../options.js";
import { TargetKind, type ResolvedSymbols } from "../resolve.js";
import { autoExportSpecs } from "./auto-export.js";

export const SYNTHETIC_NAME = "<mingw linker symbols>";
const PSEUDO_RELOC_SECTION = ".rdata$linkkit.runtime_pseudo_reloc";
/** Sorts after every `.idata$2` descriptor and before `.idata$4`: where GNU ld puts the null descriptor. */
const IMPORT_DIRECTORY_SECTION = ".idata$3";
const DESCRIPTOR_SIZE = 20;
/** Section indexes (0-based) in the synthetic object. */
const SECTION_PSEUDO_RELOCS = 4;
const SECTION_IMPORT_DIRECTORY = 5;
/** Payload of the list placeholders in the resolver; no other synthetic symbol uses it. */
const LIST_PLACEHOLDER = 0x6d696e67;

const DATA_RW = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE;
const DATA_R = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ;

interface PseudoRelocSite { readonly section: number; readonly offset: number; readonly symbol: SymbolId; readonly bits: number }

/** Room an incremental link leaves for pseudo relocations and import descriptors that later updates add. */
const SPARE_PSEUDO_RELOCS = 16;
const SPARE_DESCRIPTORS = 4;

/** What `MingwLink` knows after a link, as data (see `saveState`). */
export interface MingwState {
  readonly is64: boolean;
  readonly synthetic: number;
  readonly syntheticBytes: Uint8Array;
  readonly autoImported: Int32Array;
  /** Symbol, section, 1 for the end of the list. */
  readonly listSymbols: Int32Array;
  readonly pseudoRelocBound: number;
  readonly directoryCapacity: number;
  /** Input, section, offset, symbol, bits per pseudo-relocation site. */
  readonly sites: Int32Array;
  /** Where in the loader's exports the ones --export-all-symbols made are. */
  readonly autoExports: Int32Array;
}

export class MingwLink {
  private readonly mingw: MingwOptions;
  private is64 = true;
  /** Names resolved to an import's IAT slot because nothing else defines them (auto-import). */
  private readonly autoImported = new Set<SymbolId>();
  private synthetic: ObjectFile | undefined;
  private syntheticBytes: Uint8Array | undefined;
  private pseudoRelocBound = 0;
  /** Relocations in live sections against auto-imported names, by object (only objects that have some). */
  private readonly sites = new Map<ObjectFile, PseudoRelocSite[]>();
  private directoryCapacity = 0;
  /** The exports --export-all-symbols added to the loader's (an update makes them again). */
  private autoExports: ExportSpec[] = [];

  /** The list symbols, defined before any archive member loads (libmingw32 has fallback definitions). */
  private readonly listSymbols = new Map<SymbolId, { readonly section: number; readonly end: boolean }>();

  constructor(private readonly options: LinkOptions, loader: InputLoader | undefined) {
    this.mingw = options.mingw!;
    if (loader) this.defineLinkerSymbols(loader);
  }

  /** The names GNU ld's scripts define, and placeholders for the list symbols. */
  private defineLinkerSymbols(loader: InputLoader): void {
    const symbols = loader.symbols;
    const mangle = (n: string) => loader.mangle(n);
    // The linker-defined names of GNU ld's PE scripts, as absolute values.
    const o = this.options;
    const absolute: [string, number][] = [
      ["__major_os_version__", o.osVersion?.[0] ?? 4], ["__minor_os_version__", o.osVersion?.[1] ?? 0],
      ["__major_subsystem_version__", o.subsystemVersion?.[0] ?? 5], ["__minor_subsystem_version__", o.subsystemVersion?.[1] ?? 2],
      ["__major_image_version__", o.imageVersion?.[0] ?? 0], ["__minor_image_version__", o.imageVersion?.[1] ?? 0],
      ["__section_alignment__", o.sectionAlignment], ["__file_alignment__", o.fileAlignment],
      ["__subsystem__", o.subsystem === "windows" ? 2 : 3], ["__dll__", o.dll ? 1 : 0],
      ["__size_of_stack_reserve__", Number(o.stack?.[0] ?? 0x200000n)], ["__size_of_stack_commit__", Number(o.stack && o.stack[1] >= 0n ? o.stack[1] : 0x1000n)],
      ["__size_of_heap_reserve__", Number(o.heap?.[0] ?? 0x100000n)], ["__size_of_heap_commit__", Number(o.heap && o.heap[1] >= 0n ? o.heap[1] : 0x1000n)],
    ];
    for (const [name, value] of absolute) symbols.defineAbsolute(loader.linkerInput, mangle(name), value);
    symbols.defineAlias(loader.linkerInput, mangle("__image_base__"), mangle("__ImageBase"), false);
    // Placeholders now; afterLiveness points them at the synthetic object's sections.
    const lists: [string, number, boolean][] = [
      ["__CTOR_LIST__", 0, false], ["__DTOR_LIST__", 2, false],
      ["__RUNTIME_PSEUDO_RELOC_LIST__", SECTION_PSEUDO_RELOCS, false], ["__RUNTIME_PSEUDO_RELOC_LIST_END__", SECTION_PSEUDO_RELOCS, true],
    ];
    for (const [name, section, end] of lists) {
      const id = symbols.defineSynthetic(loader.linkerInput, mangle(name), LIST_PLACEHOLDER, 0);
      this.listSymbols.set(id, { section, end });
    }
  }

  /**
   * GNU ld keeps the first of a linkonce group whatever each copy's selection says: GCC marks its copies
   * SAME_SIZE where clang says ANY (type names in libstdc++.a against a clang object), so that mix is no
   * conflict here, as in lld's MinGW mode.
   */
  readonly tolerates = (d: Diagnostic): boolean =>
    d.kind === "comdat-mismatch" && d.rule === "selection" &&
    new Set([d.kept.selection, d.discarded.selection, "ANY", "SAME_SIZE"]).size === 2;

  /** Runs once every input and archive member the link needs is loaded, before `loader.finish()`. */
  beforeFinish(loader: InputLoader): void {
    this.is64 = loader.currentMachine !== "x86";
    // Auto-import and stdcall fixup can load more members, which can need more of both: repeat until settled.
    for (let round = 0; round < 100; round++) {
      loader.resolveLazyMembers();
      if (!this.resolveByImportsAndDecorations(loader)) break;
    }
    loader.resolveLazyMembers();

    this.orderInputsAsGnuLd(loader.objects, this.options.inputs);
    this.prepareFiles(loader, loader.objects);
    loader.merges.set(".ctors~", ".ctors");
    loader.merges.set(".dtors~", ".dtors");
    if (this.options.incremental) {
      // Sections of their own, laid out without room between atoms (holes would end the lists early),
      // so that `.data` and `.rdata` keep their room to grow.
      if (!loader.merges.has(".idata")) loader.merges.set(".idata", ".idata");
    } else {
      if (!loader.merges.has(".ctors")) loader.merges.set(".ctors", ".data");
      if (!loader.merges.has(".dtors")) loader.merges.set(".dtors", ".data");
    }

    this.refreshAutoExports(loader);
    this.addSyntheticObject(loader);
  }

  /**
   * What every object gets before liveness: GCC's unwind sections follow their function, -s drops debug
   * sections, and `.ctors.NNNNN` (constructor priorities) join `.ctors`, sorted by name after it, and
   * `.text.startup` and friends join `.text` etc., as in GNU ld's script.
   */
  prepareFiles(loader: InputLoader, files: readonly ObjectFile[]): void {
    for (const file of files) {
      associateUnwindWithFunction(file, loader);
      for (let s = 0; s < file.sectionCount; s++) {
        const name = file.coff.sectionName(s);
        if (this.mingw.strip && name.startsWith(".debug")) file.sectionIncluded[s] = 0;
        const m = /^\.(ctors|dtors|text|data|rdata|bss|pdata|xdata|tls)\./.exec(name);
        if (m) loader.merges.set(name, `.${m[1]}`);
      }
    }
  }

  /**
   * An update's undefined names: archive members, then auto-import and stdcall fixup, as `beforeFinish`
   * settles them. Returns the names auto-imported now.
   */
  resolveUndefined(loader: InputLoader): SymbolId[] {
    const before = this.autoImported.size;
    for (let round = 0; round < 100; round++) {
      loader.resolveLazyMembers();
      if (!this.resolveByImportsAndDecorations(loader)) break;
    }
    loader.resolveLazyMembers();
    return [...this.autoImported].slice(before);
  }

  /**
   * A DLL's --export-all-symbols (GNU ld's default while nothing is exported explicitly), over the objects
   * as they are now: at the first link, and again at each update. The loader keeps the same spec objects
   * when nothing changed (then it returns false), so that an update sees no change of exports.
   */
  refreshAutoExports(loader: InputLoader): boolean {
    if (!this.options.dll) return false;
    const explicit = loader.exports.length > this.autoExports.length;
    const exportAll = this.mingw.exportAll ?? (!explicit && !this.mingw.excludeAll);
    const fresh = exportAll ? autoExportSpecs(loader, this.mingw) : [];
    const key = (e: ExportSpec) => JSON.stringify([e.name, e.internalName, e.data, e.noName, e.private, e.ordinal, e.forwardTo]);
    if (fresh.length === this.autoExports.length && fresh.every((e, i) => key(e) === key(this.autoExports[i]!))) return false;
    const old = new Set(this.autoExports);
    const kept = loader.exports.filter((e) => !old.has(e));
    loader.exports.length = 0;
    loader.exports.push(...kept, ...fresh);
    this.autoExports = fresh;
    return true;
  }

  /** One round of auto-import and stdcall fixup over the undefined names; true if it changed anything. */
  private resolveByImportsAndDecorations(loader: InputLoader): boolean {
    const symbols = loader.symbols;
    let changed = false;
    const undefinedNames: string[] = [];
    for (const id of symbols.symbols()) {
      if (symbols.winnerKind(id) === SymbolKind.Undefined && symbols.referenceCount(id) > 0) undefinedNames.push(symbols.nameOf(id));
    }
    if (undefinedNames.length === 0) return false;
    let undecorated: Map<string, string> | undefined;
    for (const name of undefinedNames) {
      if (name.startsWith("__imp_")) continue;
      const importName = `__imp_${name}`;
      const importId = symbols.idOf(importName);
      if (this.mingw.autoImport && importId !== undefined && symbols.winnerKind(importId) !== SymbolKind.Undefined) {
        symbols.reference(loader.linkerInput, importName);
        const id = symbols.defineAlias(loader.linkerInput, name, importName, false);
        this.autoImported.add(id);
        changed = true;
        continue;
      }
      if (!this.is64 && this.mingw.stdcallFixup) {
        // `_foo` undefined and `_foo@N` defined, or the other way round: GNU ld links them with a warning.
        if (undecorated === undefined) {
          undecorated = new Map();
          for (const id of symbols.symbols()) {
            if (symbols.winnerKind(id) === SymbolKind.Undefined) continue;
            const n = symbols.nameOf(id);
            const at = /^(_[^@]*)@\d+$/.exec(n);
            if (at) undecorated.set(at[1]!, n);
          }
        }
        const target = undecorated.get(name) ?? /^(_[^@]*)@\d+$/.exec(name)?.[1];
        const targetId = target === undefined ? undefined : symbols.idOf(target);
        if (target !== undefined && targetId !== undefined && symbols.winnerKind(targetId) !== SymbolKind.Undefined) {
          symbols.defineAlias(loader.linkerInput, name, target, false);
          if (this.mingw.stdcallFixupWarn) loader.warnings.push(`resolving ${name} by linking to ${target}`);
          changed = true;
        }
      }
    }
    return changed;
  }

  /**
   * GNU ld lays sections out in command-line order, an archive's members at the archive's place (crtend.o's
   * `.eh_frame` terminator must come last); the members of a dlltool import library sort by member name
   * so that each DLL's `_head` (h), entries (s) and `_iname` terminator (t) objects are contiguous.
   * An update calls it again with its command line: the objects it added and the members it loaded join
   * the others where a full link of the new inputs puts them (the synthetic object, named nowhere, stays
   * first). Sorts `objects` in place.
   */
  orderInputsAsGnuLd(objects: ObjectFile[], commandLine: readonly string[]): void {
    const position = new Map<string, number>();
    commandLine.forEach((p, i) => { if (!position.has(p)) position.set(p, i); });
    const rank = (file: ObjectFile): [number, string] => {
      const direct = position.get(file.name);
      if (direct !== undefined) return [direct, ""];
      const open = file.name.lastIndexOf("(");
      if (open > 0 && file.name.endsWith(")")) {
        const archive = position.get(file.name.slice(0, open));
        if (archive !== undefined) return [archive, file.name.slice(open + 1, -1)];
      }
      return [-1, ""];
    };
    // Only archive members can share a position; an object named on the command line is not opened here.
    const keyed = objects.map((file, index) => { const r = rank(file); return { file, index, rank: r, idata: r[1] !== "" && hasImportSections(file) }; });
    keyed.sort((a, b) => a.rank[0] - b.rank[0] || a.index - b.index);
    // Within one archive, import-table members take the slots they already hold, in member-name order.
    let start = 0;
    while (start < keyed.length) {
      let end = start;
      while (end < keyed.length && keyed[end]!.rank[0] === keyed[start]!.rank[0]) end++;
      const slots = [];
      for (let i = start; i < end; i++) if (keyed[i]!.idata) slots.push(i);
      const members = slots.map((i) => keyed[i]!).sort((a, b) => (a.rank[1] < b.rank[1] ? -1 : a.rank[1] > b.rank[1] ? 1 : 0));
      slots.forEach((slot, k) => { keyed[slot] = members[k]!; });
      start = end;
    }
    for (let i = 0; i < keyed.length; i++) objects[i] = keyed[i]!.file;
  }

  /** The sentinels of the constructor and destructor lists, the pseudo-relocation list, the import directory. */
  private addSyntheticObject(loader: InputLoader): void {
    const symbols = loader.symbols;
    const ptr = this.is64 ? 8 : 4;
    // Bounds: every relocation against an auto-imported name (live or not), every descriptor that can exist.
    let sites = 0, descriptors = 0;
    for (const file of loader.objects) {
      for (let s = 0; s < file.sectionCount; s++) {
        if (file.coff.sectionName(s) === ".idata$2") descriptors++;
        const relocs = file.coff.relocations(s);
        for (let r = 0; r < relocs.length; r++) {
          const index = relocs.symbolIndex(r);
          const id = index < file.symbolCount ? file.symbolIds[index]! : -1;
          if (id >= 0 && this.autoImported.has(id)) sites++;
        }
      }
    }
    descriptors += new Set(loader.imports.map((f) => f.dllName.toLowerCase())).size;
    if (this.options.incremental) {
      sites += SPARE_PSEUDO_RELOCS + (sites >> 2);
      descriptors += SPARE_DESCRIPTORS;
    }
    this.pseudoRelocBound = sites;
    this.directoryCapacity = descriptors + 1;

    const ones = new Uint8Array(ptr).fill(0xff);
    const sections = [
      { name: ".ctors", characteristics: DATA_RW | alignFlag(ptr), data: ones },
      { name: ".ctors~", characteristics: DATA_RW | alignFlag(ptr), data: new Uint8Array(ptr) },
      { name: ".dtors", characteristics: DATA_RW | alignFlag(ptr), data: ones },
      { name: ".dtors~", characteristics: DATA_RW | alignFlag(ptr), data: new Uint8Array(ptr) },
      { name: PSEUDO_RELOC_SECTION, characteristics: DATA_R | alignFlag(4), data: new Uint8Array(12 + 12 * sites) },
      { name: IMPORT_DIRECTORY_SECTION, characteristics: DATA_RW | alignFlag(4), data: new Uint8Array(DESCRIPTOR_SIZE * this.directoryCapacity) },
    ];
    const defined: CoffSymbolModel[] = [];
    // A local marker so the sections stay addressable even when no list symbol is wanted.
    defined.push({ name: ".linkkit_import_directory", value: 0, sectionNumber: 6, storageClass: IMAGE_SYM_CLASS.STATIC });
    const bytes = writeCoffObject({
      machine: this.is64 ? IMAGE_FILE_MACHINE.AMD64 : IMAGE_FILE_MACHINE.I386, sections, symbols: defined,
    });
    this.syntheticBytes = bytes;
    this.synthetic = loader.addObjectBytes(SYNTHETIC_NAME, bytes);
    // The list heads must precede every `.ctors` input: the synthetic object goes first.
    const objects = loader.objects;
    objects.splice(objects.indexOf(this.synthetic), 1);
    objects.unshift(this.synthetic);
  }

  /** Only relocations in live sections get records: the list's end moves to cover exactly those. */
  afterLiveness(inputs: LoadedInputs, resolved: ResolvedSymbols): void {
    for (const file of inputs.objects) this.findSites(file);
    const problem = this.pointListSymbols(inputs, resolved).problem;
    if (problem !== undefined) throw new Error(`internal: ${problem}`);
  }

  /** The pseudo-relocation sites of one object (its live sections' relocations against auto-imported names). */
  private findSites(file: ObjectFile): void {
    const found: PseudoRelocSite[] = [];
    for (let s = 0; s < file.sectionCount; s++) {
      if (!file.sectionLive[s]) continue;
      const relocs = file.coff.relocations(s);
      for (let r = 0; r < relocs.length; r++) {
        const index = relocs.symbolIndex(r);
        const id = index < file.symbolCount ? file.symbolIds[index]! : -1;
        if (id < 0 || !this.autoImported.has(id)) continue;
        const bits = relocationBits(this.is64, relocs.type(r));
        if (bits === 0) continue;
        found.push({ section: s, offset: relocs.offset(r), symbol: id, bits });
      }
    }
    if (found.length > 0) this.sites.set(file, found);
    else this.sites.delete(file);
  }

  /**
   * An update's part: the sites of objects that went and came (or whose sections switched), and why the
   * update cannot be applied in place, if it cannot: a name auto-imported now that objects the update did
   * not touch refer to (their sites would need records) — `sitesOutside` says whether it has such sites.
   */
  updateSites(gone: readonly ObjectFile[], came: readonly ObjectFile[], newlyAutoImported: readonly SymbolId[], sitesOutside: (id: SymbolId) => boolean, nameOf: (id: SymbolId) => string): string | undefined {
    for (const id of newlyAutoImported) if (sitesOutside(id)) return `${nameOf(id)} is auto-imported now and unchanged objects refer to it`;
    for (const f of gone) this.sites.delete(f);
    for (const f of came) this.findSites(f);
    return undefined;
  }

  /** Sites whose name is still the auto-import alias (a definition that came since takes the name over). */
  private liveSites(inputs: LoadedInputs): { file: ObjectFile; site: PseudoRelocSite }[] {
    const out: { file: ObjectFile; site: PseudoRelocSite }[] = [];
    for (const [file, list] of this.sites) {
      for (const site of list) if (inputs.symbols.winnerInput(site.symbol) === inputs.linkerInput) out.push({ file, site });
    }
    return out;
  }

  /**
   * Points the list symbols at the synthetic object's sections, the end of the pseudo-relocation list after
   * its last record. Returns the symbols whose address changed, or why the list does not fit its room.
   */
  pointListSymbols(inputs: LoadedInputs, resolved: ResolvedSymbols): { changed: SymbolId[]; problem?: string } {
    const count = this.liveSites(inputs).length;
    if (count > this.pseudoRelocBound) return { changed: [], problem: `${count} pseudo relocations, room for ${this.pseudoRelocBound}` };
    const records = count === 0 ? 0 : 12 + 12 * count;
    const synthetic = this.synthetic!;
    const changed: SymbolId[] = [];
    for (const [id, { section, end }] of this.listSymbols) {
      if (inputs.symbols.resolveAlias(id) !== id || inputs.symbols.winnerInput(id) !== inputs.linkerInput) continue;
      const value = end ? records : 0;
      if (resolved.kind[id] === TargetKind.Section && resolved.input[id] === synthetic.input && resolved.section[id] === section + 1 && resolved.value[id] === value) continue;
      resolved.kind[id] = TargetKind.Section;
      resolved.input[id] = synthetic.input;
      resolved.section[id] = section + 1;
      resolved.value[id] = value;
      changed.push(id);
    }
    return { changed };
  }

  /**
   * Writes the pseudo-relocation records and the import directory into the image; `markDirty` hears of
   * every range written (an update writes only those). Returns why they do not fit, if they do not.
   */
  patchImage(inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, imageBase: number, bytes: Uint8Array, markDirty?: (offset: number, length: number) => void): string | undefined {
    const synthetic = this.synthetic;
    if (!synthetic) return undefined;
    const layout = image.layout;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fileOffsetOfAtom = (atom: number) => layout.section(layout.atomSection(atom)).fileOffset + layout.atomOffset(atom);

    // Version 2 records: the IAT slot, the site, the site's width in bits; after the 0, 0, 1 header.
    const tableAtom = synthetic.sectionAtom[SECTION_PSEUDO_RELOCS]!;
    const live = this.liveSites(inputs);
    if (tableAtom >= 0) {
      let at = fileOffsetOfAtom(tableAtom);
      // An update clears the records a shorter list no longer has.
      bytes.fill(0, at, at + layout.atom(tableAtom).size);
      markDirty?.(at, layout.atom(tableAtom).size);
      if (live.length > 0) {
        view.setUint32(at, 0, true); view.setUint32(at + 4, 0, true); view.setUint32(at + 8, 1, true);
        at += 12;
        for (const { file, site } of live) {
          const slot = symbolRva(inputs, resolved, image, site.symbol, imageBase) ?? 0;
          const rva = layout.atomAddress(file.sectionAtom[site.section]!) + site.offset;
          view.setUint32(at, slot, true); view.setUint32(at + 4, rva, true); view.setUint32(at + 8, site.bits, true);
          at += 12;
        }
      }
    }

    // One descriptor array: dlltool `.idata$2` descriptors in layout order, then the short imports' ones.
    const dirAtom = synthetic.sectionAtom[SECTION_IMPORT_DIRECTORY]!;
    if (dirAtom < 0) return undefined;
    const descriptors: Uint8Array[] = [];
    const descriptorAtoms: number[] = [];
    let iatStart = Infinity, iatEnd = 0;
    for (const file of inputs.objects) {
      for (let s = 0; s < file.sectionCount; s++) {
        const atom = file.sectionAtom[s]!;
        if (atom < 0) continue;
        const name = file.coff.sectionName(s);
        if (name === ".idata$2") descriptorAtoms.push(atom);
        else if (name === ".idata$5") {
          const rva = layout.atomAddress(atom);
          iatStart = Math.min(iatStart, rva);
          iatEnd = Math.max(iatEnd, rva + file.coff.section(s).sizeOfRawData);
        }
      }
    }
    descriptorAtoms.sort((a, b) => layout.atomAddress(a) - layout.atomAddress(b));
    for (const atom of descriptorAtoms) {
      const at = fileOffsetOfAtom(atom);
      descriptors.push(bytes.slice(at, at + DESCRIPTOR_SIZE));
    }
    const tables = image.importTables;
    if (tables) {
      const at = fileOffsetOfAtom(tables.atom) + tables.plan.directoryOffset;
      for (let i = 0; i < tables.plan.dlls.length; i++) descriptors.push(bytes.slice(at + i * DESCRIPTOR_SIZE, at + (i + 1) * DESCRIPTOR_SIZE));
      const base = layout.atomAddress(tables.atom);
      iatStart = Math.min(iatStart, base + tables.plan.iatOffset);
      iatEnd = Math.max(iatEnd, base + tables.plan.iatOffset + tables.plan.iatSize);
    }
    if (descriptors.length === 0) return undefined;
    if (descriptors.length + 1 > this.directoryCapacity) return `${descriptors.length} import descriptors, room for ${this.directoryCapacity - 1}`;
    const dirAt = fileOffsetOfAtom(dirAtom);
    descriptors.forEach((d, i) => bytes.set(d, dirAt + i * DESCRIPTOR_SIZE));
    bytes.fill(0, dirAt + descriptors.length * DESCRIPTOR_SIZE, dirAt + this.directoryCapacity * DESCRIPTOR_SIZE);
    markDirty?.(dirAt, this.directoryCapacity * DESCRIPTOR_SIZE);
    const importEntry = setDataDirectory(view, IMAGE_DIRECTORY_ENTRY.IMPORT, layout.atomAddress(dirAtom), (descriptors.length + 1) * DESCRIPTOR_SIZE);
    markDirty?.(importEntry, 8);
    if (iatEnd > iatStart) {
      const iatEntry = setDataDirectory(view, IMAGE_DIRECTORY_ENTRY.IAT, iatStart, iatEnd - iatStart);
      markDirty?.(iatEntry, 8);
    }
    return undefined;
  }

  /** Everything an update needs, as data; the synthetic object's bytes are in it (no file holds them). */
  saveState(loader: InputLoader): MingwState {
    const sites: number[] = [];
    for (const [file, list] of this.sites) for (const s of list) sites.push(file.input, s.section, s.offset, s.symbol, s.bits);
    const listSymbols: number[] = [];
    for (const [id, { section, end }] of this.listSymbols) listSymbols.push(id, section, end ? 1 : 0);
    const auto = new Set(this.autoExports);
    const autoExports: number[] = [];
    loader.exports.forEach((e, i) => { if (auto.has(e)) autoExports.push(i); });
    return {
      is64: this.is64, synthetic: this.synthetic?.input ?? -1, syntheticBytes: this.syntheticBytes ?? new Uint8Array(0),
      autoImported: Int32Array.from(this.autoImported), listSymbols: Int32Array.from(listSymbols),
      pseudoRelocBound: this.pseudoRelocBound, directoryCapacity: this.directoryCapacity, sites: Int32Array.from(sites),
      autoExports: Int32Array.from(autoExports),
    };
  }

  /** The MinGW side of a restored link, over the restored loader's inputs. */
  static restore(options: LinkOptions, data: MingwState, loader: InputLoader): MingwLink {
    const m = new MingwLink(options, undefined);
    const files = loader.files;
    const objectAt = (input: number): ObjectFile => {
      const f = files[input];
      if (!(f instanceof ObjectFile)) throw new LinkError(`the saved MinGW state names input ${input}, not an object`);
      return f;
    };
    m.is64 = data.is64;
    if (data.synthetic >= 0) m.synthetic = objectAt(data.synthetic);
    m.syntheticBytes = data.syntheticBytes;
    for (const id of data.autoImported) m.autoImported.add(id);
    for (let i = 0; i + 2 < data.listSymbols.length; i += 3) m.listSymbols.set(data.listSymbols[i]!, { section: data.listSymbols[i + 1]!, end: data.listSymbols[i + 2] === 1 });
    m.pseudoRelocBound = data.pseudoRelocBound;
    m.directoryCapacity = data.directoryCapacity;
    for (let i = 0; i + 4 < data.sites.length; i += 5) {
      const file = objectAt(data.sites[i]!);
      let list = m.sites.get(file);
      if (!list) m.sites.set(file, (list = []));
      list.push({ section: data.sites[i + 1]!, offset: data.sites[i + 2]!, symbol: data.sites[i + 3]!, bits: data.sites[i + 4]! });
    }
    m.autoExports = [...data.autoExports].map((i) => loader.exports[i]!);
    return m;
  }
}

/**
 * GCC makes `.pdata$foo` and `.xdata$foo` COMDATs of their own with no symbol to key them (GNU ld keeps
 * one linkonce section per name): here they follow `.text$foo` of the same object, as lld does in MinGW mode.
 */
function associateUnwindWithFunction(file: ObjectFile, loader: InputLoader): void {
  let textSections: Map<string, number> | undefined;
  for (let s = 0; s < file.sectionCount; s++) {
    if (file.sectionComdat[s] !== NO_COMDAT || !(file.coff.sectionCharacteristics(s) & IMAGE_SCN.LNK_COMDAT)) continue;
    const m = /^\.(?:pdata|xdata|eh_frame)\$(.+)$/.exec(file.coff.sectionName(s));
    if (!m) continue;
    if (textSections === undefined) {
      textSections = new Map();
      for (let t = 0; t < file.sectionCount; t++) {
        const name = file.coff.sectionName(t);
        if (name.startsWith(".text$") && file.sectionComdat[t] !== NO_COMDAT) textSections.set(name.slice(6), t);
      }
    }
    const text = textSections.get(m[1]!);
    if (text === undefined) continue;
    const group = file.sectionComdat[text]!;
    file.sectionComdat[s] = group;
    file.associatedWith[s] = text + 1;
    loader.symbols.addAssociative(file.input, group as ComdatId, s + 1);
  }
}

function hasImportSections(file: ObjectFile): boolean {
  for (let s = 0; s < file.sectionCount; s++) if (file.coff.sectionName(s).startsWith(".idata$")) return true;
  return false;
}

function alignFlag(bytes: number): number {
  // IMAGE_SCN_ALIGN_<n>BYTES is log2(n) + 1 in bits 20..23.
  return (Math.log2(bytes) + 1) << 20;
}

/** The width a pseudo relocation patches for a relocation type; 0 for types it cannot patch. */
function relocationBits(is64: boolean, type: number): number {
  if (is64) {
    if (type === 1) return 64; // ADDR64
    if (type === 2 || type === 3 || (type >= 4 && type <= 9)) return 32; // ADDR32, ADDR32NB, REL32[_1.._5]
    return 0;
  }
  if (type === 6 || type === 7 || type === 0x14) return 32; // DIR32, DIR32NB, REL32
  return 0;
}

/** Sets one data directory entry of the image's optional header; returns the entry's offset. */
function setDataDirectory(view: DataView, index: number, rva: number, size: number): number {
  const pe = view.getUint32(0x3c, true);
  const optional = pe + 24;
  const magic = view.getUint16(optional, true);
  const entry = optional + (magic === 0x20b ? 112 : 96) + index * 8;
  view.setUint32(entry, rva, true);
  view.setUint32(entry + 4, size, true);
  return entry;
}
