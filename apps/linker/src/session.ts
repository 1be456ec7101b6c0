// Incremental linking: a session keeps everything a full link learned (symbols, atoms, addresses, the
// image bytes, which relocation sites name which symbol) and turns a change of inputs into a patch of the
// output file: only what changed is laid out again, only the relocations whose site or target moved are
// applied again, and only the dirty byte ranges are written. When a change cannot be applied in place,
// the session links from scratch and says why.
import { IMAGE_SCN, IMAGE_SYM_CLASS, sectionAlignment, symbolTableIndices, toCoffObjectModel, writeCoffObject, type CoffObjectModel } from "@linkkit/coff-format";
import { planExportTable, thunkSize } from "@linkkit/pe-writer";
import { AtomKind, isOrderedSectionName, outputName, planImports, SYNTHETIC_SECTION_NAME, type ImageLayout } from "./layout.js";
import { LinkError } from "./errors.js";
import type { LinkHost } from "./host.js";
import { ImportFile } from "./inputs/import-file.js";
import { ObjectFile, NO_COMDAT } from "./inputs/object-file.js";
import { fullLink, restoreLink, saveLinkState, writeImportLibraryIfDll, writeMapIfAsked, type LinkState, type LinkStateData } from "./link.js";
import type { LinkOptions } from "./options.js";
import { checkSymbols, ResolvedSymbols, TargetKind } from "./resolve.js";
import { collectExports, exportTableInput, type ResolvedExport } from "./exports.js";
import { parseDirectives, sameDirectivesApartFromExports } from "./inputs/directives.js";
import { symbolRva } from "./emit.js";
import { forEachSiteOfSection, SiteIndex, type SiteIndexState } from "./site-index.js";
import { fullLinkOrder, orderObjectsAsLldLink } from "./full-link-order.js";
import { now } from "./clock.js";

/** A session as data (see `LinkSession.saveState`): what `linkkit /incremental` keeps for its next run. */
export interface SessionStateData {
  readonly link: LinkStateData;
  readonly sites: SiteIndexState;
  /** Per import in use: input id, sites naming its IAT slot, sites calling its thunk. */
  readonly importUse: readonly (readonly [number, number, number])[];
}

export interface UpdateReport {
  /** `incremental`: the output was patched in place; `full`: linked from scratch (see `reason`). */
  readonly mode: "incremental" | "full";
  readonly reason?: string | undefined;
  /** Inputs replaced, added or removed, as given. */
  readonly changed: readonly string[];
  readonly atomsPlaced: number;
  readonly atomsResizedInPlace: number;
  readonly atomsMoved: number;
  readonly atomsFreed: number;
  /** Output sections that moved: in the file (outgrew their room there) or in memory (a section before them did). */
  readonly sectionsMoved: number;
  readonly relocationsApplied: number;
  readonly bytesWritten: number;
  readonly milliseconds: number;
}

/** A change that cannot be applied in place: the session falls back to a full link with this reason. */
class NeedsFullLink extends Error {}

type PendingChange =
  | { readonly kind: "replace"; readonly path: string }
  | { readonly kind: "add"; readonly path: string }
  | { readonly kind: "remove"; readonly path: string }
  | { readonly kind: "library"; readonly path: string };

/** Dirty ranges closer than this are written as one. */
const WRITE_GAP = 4096;

/** New contents of one input section (see `LinkSession.updateSection`). */
export interface SectionContents {
  readonly bytes: Uint8Array;
  readonly relocations: readonly { readonly offset: number; readonly type: number; readonly symbol: string }[];
}

export interface SessionOptions {
  /** Called after each range an update writes: tests inject crashes here. */
  readonly afterWrite?: ((writeIndex: number) => void) | undefined;
}

export class LinkSession {
  private state: LinkState;
  /** An update failed half-way (the inputs were wrong): the next flush links from scratch. */
  private broken = false;
  private readonly overrides = new Map<string, Uint8Array>();
  private pending: PendingChange[] = [];
  private readonly host: LinkHost;
  private options: LinkOptions;
  /** Which relocation sites name each global symbol; built at the first update. */
  private sites: SiteIndex | undefined;
  /** How many relocation sites in live sections name each import's IAT slot / thunk symbol. */
  private importUse = new Map<ImportFile, { slot: number; thunk: number }>();
  /** Ranges to clear once the layout has settled (see `clearRange`). */
  private clears: { section: number; offset: number; size: number }[] = [];
  /** What an update changed in list sections (see `isListSection`), laid out again by `arrangeLists`. */
  private lists = emptyListChanges();

  private constructor(options: LinkOptions, host: LinkHost, private readonly sessionOptions: SessionOptions, makeState: (host: LinkHost) => LinkState) {
    this.options = options;
    this.host = this.hostWithOverrides(host);
    this.state = makeState(this.host);
  }

  /**
   * Links fully, with room to grow (each atom gets surplus capacity, each section a reserve), and keeps
   * the result for updates. /opt:ref is off in a session, as link.exe does with /INCREMENTAL: what is
   * unreferenced now may be referenced after the next edit.
   */
  static open(options: LinkOptions, host: LinkHost, sessionOptions: SessionOptions = {}): LinkSession {
    const opts = { ...options, incremental: true, gcSections: false };
    const session = new LinkSession(opts, host, sessionOptions, (h) => fullLink(opts, h));
    session.startTracking();
    return session;
  }

  /**
   * The session `saveState` saved, over `image` (the output file's bytes, which it describes): nothing is
   * read, registered, laid out or relocated. Objects are read (through `objectBytes`, by name, or from
   * their archive) only when an update needs their bytes. The caller vouches that `image` is the output
   * the state was saved with.
   */
  static restore(options: LinkOptions, host: LinkHost, data: SessionStateData, image: Uint8Array, objectBytes: (name: string) => Uint8Array, sessionOptions: SessionOptions = {}): LinkSession {
    const opts = { ...options, incremental: true, gcSections: false };
    const session = new LinkSession(opts, host, sessionOptions, (h) => restoreLink(opts, h, data.link, image, objectBytes));
    const { files, symbols } = session.state.inputs;
    session.sites = SiteIndex.restore(data.sites, symbols.inputCount);
    for (const [input, slot, thunk] of data.importUse) {
      const file = files[input];
      if (!(file instanceof ImportFile)) throw new LinkError(`the saved session's input ${input} is not an import`);
      session.importUse.set(file, { slot, thunk });
    }
    session.startTracking();
    return session;
  }

  /**
   * Everything the session knows, as data that survives serialisation (see `restore`); the output's bytes
   * are not in it. Only between updates.
   */
  saveState(): SessionStateData {
    if (this.broken || this.pending.length > 0) throw new LinkError("a session with changes not yet applied cannot be saved");
    this.prepareUpdates();
    return {
      link: saveLinkState(this.state),
      sites: this.sites!.saveState(this.state.loader.symbols.symbolCount),
      importUse: [...this.importUse].map(([f, use]) => [f.input, use.slot, use.thunk] as const),
    };
  }

  /**
   * What the full link did is in the image already: the first update must see only its own changes (else
   * every name counts as changed, and every relocation site is applied again).
   */
  private startTracking(): void {
    this.state.loader.symbols.discardChanges();
    this.state.image.layout.takeChanges();
  }

  get atomCount(): number {
    return this.state.image.layout.liveAtomCount;
  }

  get output(): string {
    return this.state.output;
  }

  /**
   * Builds what updates need (the index of which relocation sites name each symbol) now rather than at
   * the first update: a watcher calls it while it waits for the first change.
   */
  prepareUpdates(): void {
    if (this.sites === undefined) this.buildSiteIndex();
  }

  /** The output file's bytes as the session believes they are on disk. */
  get bytes(): Uint8Array {
    return this.state.emitter.buffer.subarray(0, this.state.emitter.fileSize);
  }

  /** Replaces an input object (read again from the host, or the given bytes). */
  replaceObject(path: string, bytes?: Uint8Array): void {
    if (bytes) this.overrides.set(path, bytes);
    this.pending.push({ kind: "replace", path });
  }

  addObject(path: string, bytes?: Uint8Array): void {
    if (bytes) this.overrides.set(path, bytes);
    this.pending.push({ kind: "add", path });
  }

  removeObject(path: string): void {
    this.pending.push({ kind: "remove", path });
  }

  /**
   * A library (archive or import library) changed on disk. Its members may define anything, so the
   * next flush links fully (the report says so); members selected or dropped because objects changed
   * are handled in place.
   */
  replaceLibrary(path: string, bytes?: Uint8Array): void {
    if (bytes) this.overrides.set(path, bytes);
    this.pending.push({ kind: "library", path });
  }

  /**
   * Replaces the contents of one section of an input object, the section that defines `symbol`: how a
   * compiler that emits code per function (or a JIT) updates one function or one data item without
   * writing a whole object. Relocations name their targets; names the object lacks become undefined
   * externals. Applied, with everything else pending, by the next `flush`.
   */
  updateSection(path: string, symbol: string, contents: SectionContents): void {
    const file = this.state.loader.objects.find((o) => o.name === path);
    if (!file) throw new LinkError(`${path} is not an object of this link`);
    this.replaceObject(path, withSectionReplaced(toCoffObjectModel(file.coff), path, symbol, contents));
  }

  /** Applies every pending change: in place when it can, else by a full link. */
  flush(): UpdateReport {
    const start = now();
    const changes = this.pending;
    this.pending = [];
    if (changes.length === 0) {
      // Nothing changed: the output is already what a full link would write.
      return { mode: "incremental", changed: [], atomsPlaced: 0, atomsResizedInPlace: 0, atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: 0, bytesWritten: 0, milliseconds: now() - start };
    }
    this.options = { ...this.options, inputs: applyToInputList(this.options.inputs, changes) };
    const changed = changes.map((c) => `${c.kind} ${c.path}`);
    const fullReport = (reason: string): UpdateReport => ({
      mode: "full", reason, changed, atomsPlaced: this.state.image.layout.liveAtomCount, atomsResizedInPlace: 0,
      atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: this.state.emitter.relocationsApplied, bytesWritten: this.state.bytes.length,
      milliseconds: now() - start,
    });
    if (this.broken) {
      this.recoverByFullLink();
      return fullReport("the previous update failed");
    }
    try {
      const counts = this.update(changes);
      return { mode: "incremental", changed, ...counts, milliseconds: now() - start };
    } catch (e) {
      if (!(e instanceof NeedsFullLink)) {
        // The in-memory state is half-updated: the next flush starts from scratch (a failed full link
        // leaves the session broken). A full link now leaves the output a correct image when the error
        // was the update's, not the inputs'.
        try {
          this.recoverByFullLink();
        } catch {
          // The inputs are wrong as they are: the state stays broken until they change.
        }
        throw e;
      }
      this.recoverByFullLink();
      return fullReport(e.message);
    }
  }

  private recoverByFullLink(): void {
    this.broken = true;
    this.clears = [];
    this.lists = emptyListChanges();
    this.sites = undefined;
    this.importUse = new Map();
    this.state = fullLink(this.options, this.host);
    this.startTracking();
    this.broken = false;
  }

  private hostWithOverrides(host: LinkHost): LinkHost {
    return {
      ...host,
      readFile: (p) => this.overrides.get(p) ?? host.readFile(p),
      fileExists: (p) => this.overrides.has(p) || host.fileExists(p),
    };
  }

  // ------------------------------------------------------------------ the update, step by step

  private update(changes: readonly PendingChange[]): Omit<UpdateReport, "mode" | "reason" | "changed" | "milliseconds"> {
    const st = this.state;
    const { loader, image, emitter, mingw } = st;
    const symbols = loader.symbols;
    const layout = image.layout;
    if (this.sites === undefined) this.buildSiteIndex();
    const usedBefore = layout.sections().map((info) => info.usedSize);
    emitter.dirty.clear();

    // 1. Inputs: swap objects in the symbol table, then load whatever archive members that now asks for.
    const oldFiles: ObjectFile[] = [];
    const newFiles: ObjectFile[] = [];
    const objectsBefore = new Set(loader.objects);
    /** Objects `replaceObject` swapped where the old ones were: their place in the link order stays. */
    const replacedInPlace = new Set<ObjectFile>();
    const importsBefore = loader.imports.length;
    // Before anything changes: where the changed objects' definitions are (sites elsewhere are re-applied
    // only for those that move), and the names they ask for (one nobody asks for afterwards may leave an
    // archive member unneeded).
    const exportSpecsBefore = [...loader.exports];
    const oldRva = new Map<number, number>();
    const askedBefore = new Set<number>();
    for (const change of changes) {
      if (change.kind === "library") throw new NeedsFullLink(`library ${change.path} changed`);
      const existing = loader.objects.find((o) => o.name === change.path);
      if (!existing) continue;
      for (let i = 0; i < existing.symbolCount; i++) {
        const id = existing.symbolIds[i]!;
        if (id < 0 || st.resolved.input[id] !== existing.input) continue;
        const rva = symbolRva(st.inputs, st.resolved, image, id, st.imageBase);
        if (rva !== undefined) oldRva.set(id, rva);
      }
      for (const id of symbols.referencesOf(existing.input)) askedBefore.add(id);
    }
    for (const change of changes) {
      const existing = loader.objects.find((o) => o.name === change.path);
      if (change.kind === "add") {
        if (existing) throw new NeedsFullLink(`${change.path} is already an input`);
        newFiles.push(loader.addObjectBytes(change.path, this.host.readFile(change.path)));
      } else if (!existing) {
        throw new NeedsFullLink(`${change.path} is not an object of this link`);
      } else if (change.kind === "remove") {
        loader.removeObject(existing);
        oldFiles.push(existing);
      } else {
        const file = loader.replaceObject(existing, this.host.readFile(change.path));
        replacedInPlace.add(file);
        oldFiles.push(existing);
        newFiles.push(file);
        if (file.directives.trim() !== existing.directives.trim()) {
          // Exports (__declspec(dllexport)) come and go in place; other directives change the link.
          if (!sameDirectivesApartFromExports(existing.directives, file.directives, change.path)) throw new NeedsFullLink(`the linker directives of ${change.path} changed`);
          loader.replaceDirectiveExports(change.path, parseDirectives(file.directives, change.path).exports);
        }
      }
    }
    for (const f of newFiles) if (!oldFiles.some((o) => o.name === f.name) && !sameDirectivesApartFromExports("", f.directives, f.name)) throw new NeedsFullLink(`${f.name} brings linker directives`);
    for (const f of oldFiles) {
      if (newFiles.some((n) => n.name === f.name)) continue;
      if (!sameDirectivesApartFromExports("", f.directives, f.name)) throw new NeedsFullLink(`${f.name} took linker directives with it`);
      loader.replaceDirectiveExports(f.name, []);
    }
    // --export-all-symbols (a MinGW DLL's default) exports what the objects define now.
    mingw?.refreshAutoExports(loader);
    // Exported names are asked for by an input of their own: when the exports changed, it asks again, so
    // that a name no longer exported is no longer required (and a newly exported one may load a member).
    const exportedNames: number[] = [];
    if (loader.exports.length !== exportSpecsBefore.length || loader.exports.some((e, i) => e !== exportSpecsBefore[i])) {
      symbols.removeInput(loader.exportsInput);
      for (const e of collectExports(loader.exports, loader.currentMachine!, symbols)) {
        if (e.symbolName !== undefined) exportedNames.push(symbols.reference(loader.exportsInput, e.symbolName));
      }
    }
    // MinGW: names still undefined may be auto-imported (or, on x86, stdcall-fixed).
    const newlyAutoImported = mingw ? mingw.resolveUndefined(loader) : (loader.resolveLazyMembers(), []);
    this.dropUnneededMembers(askedBefore, newFiles, oldFiles);
    const loadedMembers = loader.objects.filter((o) => !objectsBefore.has(o) && !newFiles.includes(o));
    for (const o of loadedMembers) if (o.directives.trim() !== "") throw new NeedsFullLink(`archive member ${o.name} brings linker directives`);
    newFiles.push(...loadedMembers);
    if (mingw) {
      mingw.prepareFiles(loader, newFiles);
      if (mingw.refreshAutoExports(loader)) throw new NeedsFullLink("archive members this update loads change what --export-all-symbols exports");
    }
    // Objects that joined (added, or archive members loaded) take the place a full link of the new inputs
    // reads them at: list sections are laid out in that order.
    if (newFiles.some((f) => !replacedInPlace.has(f))) {
      if (mingw) mingw.orderInputsAsGnuLd(loader.objects, this.options.inputs);
      else orderObjectsAsLldLink(loader.objects, this.options.inputs);
    }
    const newImports = loader.imports.slice(importsBefore);
    const inputs = st.inputs;
    // The loaded set of imports may grow; `inputs` shares the loader's arrays.
    const changes2 = symbols.takeChanges();
    // Only what the swapped inputs name, and names whose winner changed, can have new problems.
    const touchedSymbols: number[] = [...changes2.symbols, ...exportedNames];
    const touchedGroups: number[] = [...changes2.comdats];
    for (const f of [...oldFiles, ...newFiles]) {
      for (let i = 0; i < f.symbolCount; i++) if (f.symbolIds[i]! >= 0) touchedSymbols.push(f.symbolIds[i]!);
      for (let s = 0; s < f.sectionCount; s++) if (f.sectionComdat[s] !== NO_COMDAT) touchedGroups.push(f.sectionComdat[s]!);
    }
    checkSymbols(loader.finish(), undefined, { symbols: touchedSymbols, groups: touchedGroups });

    // 2. Resolution: the previous flattening, again for the names whose winner changed.
    const oldResolved = st.resolved;
    const resolved = new ResolvedSymbols(inputs, { resolved: oldResolved, changed: changes2.symbols });
    for (const id of changes2.symbols) {
      const before = oldResolved.kind[id] ?? TargetKind.Undefined;
      const after = resolved.kind[id]!;
      if (before === TargetKind.Common || after === TargetKind.Common) throw new NeedsFullLink(`common symbol ${symbols.nameOf(id)} changed`);
      if ((before === TargetKind.Absolute) !== (after === TargetKind.Absolute) && before !== TargetKind.Undefined) {
        throw new NeedsFullLink(`${symbols.nameOf(id)} changed between absolute and relocatable`);
      }
    }
    st.resolved = resolved;
    emitter.req.resolved = resolved;

    // 3. Liveness (no /opt:ref in a session): kept COMDAT instances; sections whose group changed hands.
    const switched: { file: ObjectFile; s: number }[] = [];
    for (const file of newFiles) computeLiveness(file, symbols);
    if (changes2.comdats.length > 0) {
      // Only objects holding an instance of a group whose kept instance changed can switch sections.
      const groups = new Set(changes2.comdats);
      const holders = new Set<number>();
      for (const g of groups) for (const input of symbols.comdatInputs(g)) holders.add(input);
      for (const input of [...holders].sort((a, b) => a - b)) {
        const file = inputs.files[input];
        if (!(file instanceof ObjectFile) || newFiles.includes(file) || !loader.objects.includes(file)) continue;
        for (let s = 0; s < file.sectionCount; s++) {
          const g = file.sectionComdat[s]!;
          if (g === NO_COMDAT || !groups.has(g)) continue;
          const live = file.sectionIncluded[s] === 1 && symbols.isComdatKept(g, file.input) ? 1 : 0;
          if (live !== file.sectionLive[s]) { file.sectionLive[s] = live; switched.push({ file, s }); }
        }
      }
    }

    // 3b. MinGW: the pseudo-relocation list follows the objects that went and came.
    let listSymbolsMoved: readonly number[] = [];
    if (mingw) {
      const changedInputs = new Set([...oldFiles, ...newFiles].map((f) => f.input));
      const sitesOutside = (id: number) => {
        let outside = false;
        this.sites!.forEachSite(id, (input) => { if (!changedInputs.has(input)) outside = true; });
        return outside;
      };
      const problem = mingw.updateSites(oldFiles, [...newFiles, ...new Set(switched.map((w) => w.file))], newlyAutoImported, sitesOutside, (id) => symbols.nameOf(id));
      if (problem !== undefined) throw new NeedsFullLink(problem);
      const pointed = mingw.pointListSymbols(inputs, resolved);
      if (pointed.problem !== undefined) throw new NeedsFullLink(pointed.problem);
      listSymbolsMoved = pointed.changed;
    }

    // 4. Which imports are in use: counts of the sites naming them, less the old files', plus the new.
    for (const f of oldFiles) this.countImportUse(f, -1, oldResolved);
    for (const { file, s } of switched) if (!file.sectionLive[s]) this.countImportUseOfSection(file, s, -1, oldResolved);
    for (const f of newFiles) this.countImportUse(f, +1, resolved);
    for (const { file, s } of switched) if (file.sectionLive[s]) this.countImportUseOfSection(file, s, +1, resolved);
    for (const f of newImports) if (!this.importUse.has(f)) this.importUse.set(f, { slot: 0, thunk: 0 });

    let exportsChanged = false;
    // 5. Layout: new sections into atoms; an old section's atom is resized in place when it can.
    const freedAtoms = new Set<number>();
    const rewritten: { file: ObjectFile; s: number }[] = [];
    let placed = 0, resizedInPlace = 0, moved = 0, freed = 0;
    const oldByKey = new Map<string, ObjectFile>();
    for (const f of oldFiles) oldByKey.set(f.name, f);
    const claimed = new Set<number>();
    for (const file of newFiles) {
      const old = oldByKey.get(file.name);
      const oldSlots = old ? sectionSlots(old) : new Map<string, number[]>();
      const seen = new Map<string, number>();
      for (let s = 0; s < file.sectionCount; s++) {
        if (!file.sectionLive[s]) continue;
        const name = file.coff.sectionName(s);
        const k = seen.get(name) ?? 0;
        seen.set(name, k + 1);
        const oldS = oldSlots.get(name)?.[k];
        const size = file.coff.section(s).sizeOfRawData;
        const alignment = sectionAlignment(file.coff.sectionCharacteristics(s)) || 16;
        const oldAtom = old && oldS !== undefined ? old.sectionAtom[oldS]! : -1;
        const reusable = oldAtom >= 0 && layout.atom(oldAtom).alignment >= alignment && layout.atomAddress(oldAtom) % alignment === 0;
        if (reusable) {
          const atomMoved = this.resizeAtom(oldAtom, size);
          file.sectionAtom[s] = oldAtom;
          image.atomInput[oldAtom] = file.input;
          image.atomDetail[oldAtom] = s;
          claimed.add(oldAtom);
          if (atomMoved) moved++;
          else resizedInPlace++;
        } else {
          file.sectionAtom[s] = this.placeInputSection(st.image, file, s, size, alignment);
          placed++;
        }
        freedAtoms.add(file.sectionAtom[s]!); // its base relocations are recomputed
        rewritten.push({ file, s });
      }
    }
    for (const old of oldFiles) {
      for (let s = 0; s < old.sectionCount; s++) {
        const atom = old.sectionAtom[s]!;
        if (atom < 0 || claimed.has(atom)) continue;
        this.releaseAtom(atom, freedAtoms);
        freed++;
      }
    }
    for (const { file, s } of switched) {
      if (file.sectionLive[s]) {
        const size = file.coff.section(s).sizeOfRawData;
        file.sectionAtom[s] = this.placeInputSection(st.image, file, s, size, sectionAlignment(file.coff.sectionCharacteristics(s)) || 16);
        placed++;
        rewritten.push({ file, s });
        freedAtoms.add(file.sectionAtom[s]!);
      } else {
        this.releaseAtom(file.sectionAtom[s]!, freedAtoms);
        file.sectionAtom[s] = -1;
        freed++;
      }
    }

    // 6. Imports: rebuild the tables when the set in use changed; thunks come and go.
    const used = inputs.imports.filter((f) => (this.importUse.get(f)?.slot ?? 0) > 0);
    const importsChanged = !sameImports(used, image.importTables?.slots);
    if (importsChanged) {
      if (used.length === 0 || !image.importTables) throw new NeedsFullLink(image.importTables ? "no imports are used any more" : "the first import appeared");
      const { plan, slots } = planImports(used, emitter.is64);
      if (this.resizeAtom(image.importTables.atom, plan.size)) moved++;
      image.importTables = { plan, atom: image.importTables.atom, slots };
    }
    for (const f of inputs.imports) {
      const want = (this.importUse.get(f)?.thunk ?? 0) > 0;
      const atom = image.thunkAtoms.get(f);
      if (want && atom === undefined) {
        const text = image.sections.find((o) => o.name === outputName(SYNTHETIC_SECTION_NAME[AtomKind.ImportThunk], st.inputs.merges));
        if (!text) throw new NeedsFullLink("no code section for an import thunk");
        const a = this.placeNewAtom(text.id, thunkSize(emitter.is64 ? 0x8664 : 0x14c), emitter.is64 ? 16 : 4);
        growColumns(image, a);
        image.atomKind[a] = AtomKind.ImportThunk;
        image.atomInput[a] = f.input;
        image.thunkAtoms.set(f, a);
        placed++;
      } else if (!want && atom !== undefined) {
        this.releaseAtom(atom, freedAtoms);
        image.thunkAtoms.delete(f);
        freed++;
      }
      f.slotUsed = (this.importUse.get(f)?.slot ?? 0) > 0;
      f.thunkUsed = want;
    }

    // 6b. Exports: the table is planned again (ordinals as a full link numbers them) and its atom resized.
    const exports = collectExports(loader.exports, loader.currentMachine!, symbols);
    if (!sameExports(exports, st.exports)) {
      st.exports = exports;
      const table = exports.length > 0 ? exportTableInput(st.dllName, exports, () => 0, st.options.timestamp) : undefined;
      const old = image.exportTable;
      if (!table) {
        if (old) { this.releaseAtom(old.atom, freedAtoms); freed++; }
        image.exportTable = undefined;
      } else {
        const plan = planExportTable(table);
        let atom: number;
        if (old) {
          atom = old.atom;
          if (this.resizeAtom(atom, plan.size)) moved++;
        } else {
          const out = image.sections.find((o) => o.name === outputName(SYNTHETIC_SECTION_NAME[AtomKind.ExportTable], st.inputs.merges));
          if (!out) throw new NeedsFullLink("no section for the first export table");
          atom = this.placeNewAtom(out.id, plan.size, 4);
          growColumns(image, atom);
          image.atomKind[atom] = AtomKind.ExportTable;
          placed++;
        }
        image.exportTable = { input: table, plan, atom };
      }
      exportsChanged = true;
    }

    // 6c. Lists: each list section the update changed is laid out again as a unit, in the order a full
    // link gives it; its atoms from the first that moved or changed size on are written again.
    const listed = this.arrangeLists(usedBefore);
    moved += listed.moved;
    const queuedForWrite = new Set(rewritten.map((w) => w.file.sectionAtom[w.s]!));
    for (const atom of listed.rewrite) {
      if (image.atomKind[atom] !== AtomKind.InputSection || queuedForWrite.has(atom)) continue;
      rewritten.push({ file: inputs.files[image.atomInput[atom]!] as ObjectFile, s: image.atomDetail[atom]! });
      queuedForWrite.add(atom);
      freedAtoms.add(atom); // its base relocations are recomputed
    }

    // 7. The layout is settled. A section that outgrew its room in the file moved there (its bytes are
    // copied over); one that outgrew its address space shifted the sections after it, and then every
    // relocation is applied again (the file offsets of those sections stay).
    const layoutChanges = layout.takeChanges();
    emitter.trackDirty = true;
    emitter.relocationsApplied = 0;
    emitter.fileSize = Math.max(emitter.fileSize, emitter.layoutFileEnd());
    emitter.ensureSize(emitter.fileSize + 0x10000);
    // Sources are copied out first: one section may move into the room another left.
    // The rest of the new room may hold what an earlier occupant left: it is filled as a full link fills gaps.
    const fileMoves = layoutChanges.movedSections.filter((m) => m.newFileOffset !== m.oldFileOffset).map((m) => {
      const used = usedBefore[layout.sections().findIndex((info) => info.id === m.section)] ?? 0;
      return { section: m.section, bytes: emitter.buffer.slice(m.oldFileOffset, m.oldFileOffset + used) };
    });
    for (const { section, bytes } of fileMoves) {
      this.fillGap(section, 0, layout.section(section).fileReserve);
      emitter.buffer.set(bytes, layout.section(section).fileOffset);
    }
    emitter.restoreExceptionAtoms();
    // Room a section grew into in place may hold what a section that moved away left there.
    for (const g of layoutChanges.grownSections) {
      if (g.newFileReserve <= g.oldFileReserve || fileMoves.some((m) => m.section === g.section)) continue;
      this.fillGap(g.section, g.oldFileReserve, g.newFileReserve - g.oldFileReserve);
    }
    for (const c of this.clears) this.fillGap(c.section, c.offset, c.size);
    this.clears = [];
    if (layoutChanges.movedSections.some((m) => m.newAddress !== m.oldAddress)) {
      // Everything after the grown section has a new address: all code and data is relocated again.
      for (const file of loader.objects) {
        for (let s = 0; s < file.sectionCount; s++) {
          const atom = file.sectionAtom[s]!;
          if (atom >= 0 && !queuedForWrite.has(atom)) { rewritten.push({ file, s }); queuedForWrite.add(atom); freedAtoms.add(atom); }
        }
      }
    }

    // 8. Write: the rewritten sections, then every site elsewhere whose target may have moved.
    // Room a section gained at its end is gap until atoms fill it: int3 in code, as in a full link.
    for (const [i, info] of layout.sections().entries()) {
      const before = usedBefore[i] ?? 0;
      if (info.usedSize > before) this.fillGap(info.id, before, info.usedSize - before);
    }
    emitter.dropBaseRelocs(freedAtoms);
    emitter.changedAtoms = freedAtoms;
    emitter.forgetAddresses();
    for (const { file, s } of rewritten) emitter.writeObjectSection(file, s);

    const affected = new Set<number>([...changes2.symbols, ...listSymbolsMoved]);
    for (const [id, rva] of oldRva) if (symbolRva(inputs, resolved, image, id, st.imageBase) !== rva) affected.add(id);
    for (const { file } of switched) for (let i = 0; i < file.symbolCount; i++) { const id = file.symbolIds[i]!; if (id >= 0) affected.add(id); }
    if (importsChanged || layoutChanges.movedAtoms.length > 0) {
      for (const f of inputs.imports) {
        for (const name of [`__imp_${f.object.symbolName}`, f.object.symbolName]) {
          const id = symbols.idOf(name);
          if (id !== undefined) affected.add(id);
        }
      }
    }
    const rewrittenInputs = new Set(newFiles.map((f) => f.input));
    // Atoms of unchanged objects a list moved: what refers into them is applied again.
    const movedUnchanged = listed.rewrite.filter((atom) => image.atomKind[atom] === AtomKind.InputSection && !rewrittenInputs.has(image.atomInput[atom]!));
    if (movedUnchanged.length > 0) {
      const moves = sectionsByInput(inputs.files, image, movedUnchanged);
      for (const id of symbolsDefinedIn(resolved, moves)) affected.add(id);
      this.reapplyLocalSitesInto(moves, queuedForWrite);
    }
    const sites = this.sites!;
    for (const f of oldFiles) sites.retire(f.input);
    for (const f of newFiles) sites.addFile(f);
    for (const { file, s } of switched) if (file.sectionLive[s]) sites.addSection(file, s);
    for (const id of affected) {
      sites.forEachSite(id, (input, s, r) => {
        const file = inputs.files[input];
        if (!(file instanceof ObjectFile) || rewrittenInputs.has(input) || file.sectionAtom[s]! < 0) return;
        emitter.relocateSite(file, s, r, true);
      });
    }
    emitter.throwErrors();

    // Exports point at new addresses; the tables, base relocations and headers are rewritten.
    if (st.image.exportTable) {
      const rvaOf = (e: (typeof st.exports)[number]) => {
        const id = e.symbolName === undefined ? undefined : symbols.idOf(e.symbolName);
        const rva = id === undefined ? undefined : symbolRva(inputs, resolved, image, id, st.imageBase);
        if (rva === undefined) throw new LinkError(`undefined symbol: ${e.symbolName} (exported as ${e.exportName})`);
        return rva;
      };
      emitter.req.exportTable = exportTableInput(st.dllName, st.exports, rvaOf, st.options.timestamp);
      if (exportsChanged) writeImportLibraryIfDll(this.host, st.options, st.output, st.dllName, loader.currentMachine!, st.exports, emitter.req.exportTable);
    } else {
      emitter.req.exportTable = undefined;
    }
    emitter.writeSyntheticTables();
    emitter.writeBaseRelocationTable();
    if (layout.takeChanges().movedSections.length > 0) throw new NeedsFullLink("the base-relocation table outgrew its reserve");
    emitter.fileSize = Math.max(emitter.fileSize, emitter.layoutFileEnd());
    emitter.writeHeaders();
    if (mingw) {
      const unfit = mingw.patchImage(inputs, resolved, image, st.imageBase, emitter.buffer, (at, length) => emitter.markDirty(at, length));
      if (unfit !== undefined) throw new NeedsFullLink(unfit);
    }

    // 9. Only the dirty ranges go to the file.
    // The buffer mirrors the file: bridging small gaps trades a few unchanged bytes for fewer write calls.
    const ranges = emitter.dirty.coalesced(WRITE_GAP);
    const buffer = emitter.buffer;
    this.host.writeRanges(st.output, ranges.map((r) => ({ offset: r.offset, bytes: buffer.subarray(r.offset, r.offset + r.length) })), emitter.fileSize, this.sessionOptions.afterWrite);
    const bytesWritten = ranges.reduce((n, r) => n + r.length, 0);
    emitter.trackDirty = false;
    emitter.changedAtoms = undefined;
    writeMapIfAsked(this.host, st.options, st.output, inputs, resolved, image, st.imageBase, st.entryId, emitter.is64);
    return { atomsPlaced: placed, atomsResizedInPlace: resizedInPlace, atomsMoved: moved, atomsFreed: freed, sectionsMoved: layoutChanges.movedSections.length, relocationsApplied: emitter.relocationsApplied, bytesWritten };
  }

  /**
   * Archive members a full link of the new inputs would not load: a member stays only while some
   * input still asks for a name it defines and nothing else defines it. Suspects are the members that
   * define a name the changed objects no longer ask for, or a name a new object now defines; each is
   * taken out and the archive asked again (a member still needed comes back, its atoms reused as for a
   * replaced object). What a dropped member asked for makes more suspects.
   */
  private dropUnneededMembers(askedBefore: Set<number>, newFiles: ObjectFile[], oldFiles: ObjectFile[]): void {
    const loader = this.state.loader;
    const symbols = loader.symbols;
    const members = loader.loadedMembers;
    if (members.length === 0) return;
    const memberOf = new Map<number, number>();
    for (const input of members) for (const id of loader.memberDefines(input)) memberOf.set(id, input);
    const suspects = new Set<number>();
    for (const f of newFiles) {
      if (!loader.objects.includes(f)) continue;
      const asked = new Set(symbols.referencesOf(f.input));
      for (const id of asked) askedBefore.delete(id);
      for (let i = 0; i < f.symbolCount; i++) {
        const id = f.symbolIds[i]!;
        const m = id >= 0 && !asked.has(id) ? memberOf.get(id) : undefined;
        if (m !== undefined && m !== f.input) suspects.add(m);
      }
    }
    for (const id of askedBefore) { const m = memberOf.get(id); if (m !== undefined) suspects.add(m); }
    while (suspects.size > 0) {
      const input = suspects.values().next().value!;
      suspects.delete(input);
      const file = loader.objects.find((o) => o.input === input);
      if (!file || !loader.isLoadedMember(input)) continue;
      const asked = symbols.referencesOf(input);
      loader.unloadMember(file);
      loader.resolveLazyMembers();
      const again = loader.objects.find((o) => o.input === input);
      const at = newFiles.indexOf(file);
      if (at >= 0) newFiles.splice(at, 1); // loaded in this update and dropped again: it was never laid out
      else oldFiles.push(file);
      if (again) { newFiles.push(again); continue; }
      for (const id of asked) { const m = memberOf.get(id); if (m !== undefined && m !== input) suspects.add(m); }
    }
  }

  /** A new atom for an input section, in the output section its name goes to (which must exist). */
  private placeInputSection(image: ImageLayout, file: ObjectFile, s: number, size: number, alignment: number): number {
    const name = outputName(file.coff.sectionName(s), this.state.inputs.merges);
    const out = image.sections.find((o) => o.name === name);
    if (!out) throw new NeedsFullLink(`new output section ${name}`);
    const flags = file.coff.sectionCharacteristics(s);
    if ((flags & IMAGE_SCN.CNT_UNINITIALIZED_DATA) !== 0 !== out.noBits && !(flags & IMAGE_SCN.CNT_UNINITIALIZED_DATA && !out.noBits)) {
      throw new NeedsFullLink(`section ${name} changes between initialised and uninitialised data`);
    }
    if (isOrderedSectionName(file.coff.sectionName(s)) && !this.isListSection(out.id)) {
      throw new NeedsFullLink(`${file.name}: section ${file.coff.sectionName(s)} joins ${name}, laid out with room between its atoms (its place among the others is fixed)`);
    }
    const atom = this.placeNewAtom(out.id, size, alignment);
    growColumns(image, atom);
    image.atomKind[atom] = AtomKind.InputSection;
    image.atomInput[atom] = file.input;
    image.atomDetail[atom] = s;
    return atom;
  }

  /**
   * Resizes an atom (in place when it can) and clears what its old contents leave behind: a moved atom's
   * old place, a shrunk atom's tail. Returns whether it moved. An atom of a list section keeps its place
   * until `arrangeLists` lays the list out again (and counts what moved).
   */
  private resizeAtom(atom: number, size: number): boolean {
    const layout = this.state.image.layout;
    const section = layout.atomSection(atom);
    if (this.isListSection(section)) {
      if (size !== layout.atomSize(atom)) this.arrangeLater(section, atom, size);
      return false;
    }
    const oldAt = layout.atomOffset(atom), oldSize = layout.atom(atom).size;
    if (layout.resizeAtom(atom, size).moved) {
      this.clearRange(atom, oldAt, oldSize);
      return true;
    }
    if (size < oldSize) this.clearRange(atom, oldAt + size, oldSize - size);
    return false;
  }

  /**
   * A new atom in an output section. In a list section it starts as a placeholder of size 0 at the end
   * (which never grows the section); `arrangeLists` gives it its size and its place in the list.
   */
  private placeNewAtom(section: number, size: number, alignment: number): number {
    const layout = this.state.image.layout;
    if (!this.isListSection(section)) return layout.placeAtom(section, size, alignment).atom;
    const atom = layout.placeAtom(section, 0, alignment).atom;
    this.lists.placed.add(atom);
    this.arrangeLater(section, atom, size);
    return atom;
  }

  /** Frees an atom (its base relocations go with it); a list it leaves closes up in `arrangeLists`. */
  private releaseAtom(atom: number, freedAtoms: Set<number>): void {
    const layout = this.state.image.layout;
    const section = layout.atomSection(atom);
    if (this.isListSection(section)) this.lists.sections.add(section);
    this.clearAtom(atom);
    layout.freeAtom(atom);
    freedAtoms.add(atom);
  }

  /**
   * Sections holding a list the program walks from one marker to another (`isOrderedSectionName`): laid
   * out without room between atoms, so an update lays such a section out again as a unit.
   */
  private isListSection(section: number): boolean {
    return this.state.image.layout.section(section).mode !== "incremental";
  }

  private arrangeLater(section: number, atom: number, size: number): void {
    this.lists.sections.add(section);
    this.lists.sizes.set(atom, size);
  }

  /**
   * Lays out again every list section the update changed, each as a unit, in the order a full link of the
   * current inputs gives it (`fullLinkOrder`), packed, at its place when it still fits its room (else the
   * section grows, as any section does). From the first atom whose place or size changed to the end, the
   * section is cleared (as a full link fills gaps) and its atoms are to be written again: returns them, and
   * how many of those that were there before moved.
   */
  private arrangeLists(usedBefore: readonly number[]): { rewrite: number[]; moved: number } {
    const { image, inputs } = this.state;
    const layout = image.layout;
    const { sections, sizes, placed } = this.lists;
    this.lists = emptyListChanges();
    const rewrite: number[] = [];
    let moved = 0;
    for (const section of sections) {
      const order = fullLinkOrder(image, inputs, section);
      const before = order.map((atom) => layout.atomOffset(atom));
      layout.arrangeSection(section, order.map((atom) => ({ atom, size: sizes.get(atom) ?? layout.atomSize(atom) })));
      let first = 0;
      while (first < order.length && layout.atomOffset(order[first]!) === before[first] && !sizes.has(order[first]!)) first++;
      const from = first === 0 ? 0 : layout.atomOffset(order[first - 1]!) + layout.atomSize(order[first - 1]!);
      const end = Math.max(usedBefore[section] ?? 0, layout.section(section).usedSize);
      if (end > from) this.clears.push({ section, offset: from, size: end - from });
      for (let i = first; i < order.length; i++) {
        const atom = order[i]!;
        rewrite.push(atom);
        if (!placed.has(atom) && layout.atomOffset(atom) !== before[i]) moved++;
      }
    }
    return { rewrite, moved };
  }

  /**
   * An object's references to its own sections go through local symbols, which the site index does not
   * hold: the relocations of `moves`' objects that name a local symbol of a moved section are applied
   * again (sections being written anyway, `skip`, get all theirs then).
   */
  private reapplyLocalSitesInto(moves: ReadonlyMap<ObjectFile, ReadonlySet<number>>, skip: ReadonlySet<number>): void {
    const emitter = this.state.emitter;
    for (const [file, sections] of moves) {
      const coff = file.coff;
      for (let s = 0; s < file.sectionCount; s++) {
        const atom = file.sectionAtom[s]!;
        if (atom < 0 || skip.has(atom)) continue;
        const relocs = coff.relocations(s);
        for (let r = 0; r < relocs.length; r++) {
          const index = relocs.symbolIndex(r);
          if (index < file.symbolCount && file.symbolIds[index]! < 0 && sections.has(coff.symbolSectionNumber(index))) emitter.relocateSite(file, s, r, true);
        }
      }
    }
  }

  /** Freed room is filled as a full link fills gaps: int3 in code, zeros in data. */
  private clearAtom(atom: number): void {
    const layout = this.state.image.layout;
    this.clearRange(atom, layout.atomOffset(atom), layout.atom(atom).size);
  }

  /**
   * Clears bytes an atom leaves behind, at `offset` in its section (as a full link fills gaps). Applied
   * once the layout settles: the section may still move in the file before then.
   */
  private clearRange(atom: number, offset: number, size: number): void {
    if (size > 0) this.clears.push({ section: this.state.emitter.sectionOfAtom(atom).id, offset, size });
  }

  /** Fills [offset, offset+size) of a section, where it is now, as a full link fills gaps: int3 in code, zeros elsewhere. */
  private fillGap(section: number, offset: number, size: number): void {
    const { emitter, image } = this.state;
    const out = image.sectionById[section]!;
    if (out.noBits || size <= 0) return;
    const at = image.layout.section(section).fileOffset + offset;
    emitter.ensureSize(at + size);
    emitter.buffer.fill(out.characteristics & IMAGE_SCN.CNT_CODE ? 0xcc : 0, at, at + size);
    emitter.dirty.add(at, size);
  }

  private buildSiteIndex(): void {
    const { inputs, loader, resolved } = this.state;
    this.sites = SiteIndex.build(inputs.objects, loader.symbols.symbolCount, loader.symbols.inputCount);
    for (const file of inputs.objects) this.countImportUse(file, +1, resolved);
    for (const f of inputs.imports) if (!this.importUse.has(f)) this.importUse.set(f, { slot: 0, thunk: 0 });
  }

  private countImportUse(file: ObjectFile, delta: number, resolved: ResolvedSymbols): void {
    for (let s = 0; s < file.sectionCount; s++) if (file.sectionLive[s]) this.countImportUseOfSection(file, s, delta, resolved);
  }

  private countImportUseOfSection(file: ObjectFile, s: number, delta: number, resolved: ResolvedSymbols): void {
    const files = this.state.inputs.files;
    forEachSiteOfSection(file, s, (id) => {
      const kind = resolved.kind[id];
      if (kind !== TargetKind.ImportSlot && kind !== TargetKind.ImportThunk) return;
      const imp = files[resolved.input[id]!] as ImportFile;
      let use = this.importUse.get(imp);
      if (!use) this.importUse.set(imp, (use = { slot: 0, thunk: 0 }));
      use.slot += delta;
      if (kind === TargetKind.ImportThunk) use.thunk += delta;
    });
  }
}

function emptyListChanges(): { sections: Set<number>; sizes: Map<number, number>; placed: Set<number> } {
  return { sections: new Set(), sizes: new Map(), placed: new Set() };
}

/** Input-section atoms grouped by object: object → its 1-based section numbers. */
function sectionsByInput(files: LinkState["inputs"]["files"], image: ImageLayout, atoms: readonly number[]): Map<ObjectFile, Set<number>> {
  const out = new Map<ObjectFile, Set<number>>();
  for (const atom of atoms) {
    const file = files[image.atomInput[atom]!] as ObjectFile;
    let set = out.get(file);
    if (!set) out.set(file, (set = new Set()));
    set.add(image.atomDetail[atom]! + 1);
  }
  return out;
}

/** Global names (aliases included: the resolution is flattened) whose address lies in one of `sections`. */
function symbolsDefinedIn(resolved: ResolvedSymbols, sections: ReadonlyMap<ObjectFile, ReadonlySet<number>>): number[] {
  const byInput = new Map<number, ReadonlySet<number>>();
  for (const [file, set] of sections) byInput.set(file.input, set);
  const ids: number[] = [];
  for (let id = 0; id < resolved.kind.length; id++) {
    if (resolved.kind[id] !== TargetKind.Section) continue;
    if (byInput.get(resolved.input[id]!)?.has(resolved.section[id]!)) ids.push(id);
  }
  return ids;
}

function computeLiveness(file: ObjectFile, symbols: LinkState["inputs"]["symbols"]): void {
  for (let s = 0; s < file.sectionCount; s++) {
    const g = file.sectionComdat[s]!;
    file.sectionLive[s] = file.sectionIncluded[s] === 1 && (g === NO_COMDAT || symbols.isComdatKept(g, file.input)) ? 1 : 0;
  }
}

/** Section name → the indices of the object's live sections of that name, in order. */
function sectionSlots(file: ObjectFile): Map<string, number[]> {
  const slots = new Map<string, number[]>();
  for (let s = 0; s < file.sectionCount; s++) {
    if (file.sectionAtom[s]! < 0) continue;
    const name = file.coff.sectionName(s);
    const list = slots.get(name) ?? [];
    list.push(s);
    slots.set(name, list);
  }
  return slots;
}

function sameImports(used: readonly ImportFile[], slots: ReadonlyMap<ImportFile, unknown> | undefined): boolean {
  if (!slots) return used.length === 0;
  if (slots.size !== used.length) return false;
  for (const f of used) if (!slots.has(f)) return false;
  return true;
}

/** The per-atom columns of the layout grow with the atoms an update adds. */
function growColumns(image: ImageLayout, atom: number): void {
  if (atom < image.atomKind.length) return;
  const n = Math.max(atom + 1, image.atomKind.length * 2);
  const kind = new Uint8Array(n); kind.set(image.atomKind);
  const input = new Int32Array(n).fill(-1); input.set(image.atomInput);
  const detail = new Int32Array(n).fill(-1); detail.set(image.atomDetail);
  const mutable = image as { atomKind: Uint8Array; atomInput: Int32Array; atomDetail: Int32Array };
  mutable.atomKind = kind;
  mutable.atomInput = input;
  mutable.atomDetail = detail;
}

function applyToInputList(inputs: readonly string[], changes: readonly PendingChange[]): string[] {
  let list = [...inputs];
  for (const c of changes) {
    if (c.kind === "add") list.push(c.path);
    else if (c.kind === "remove") list = list.filter((p) => p !== c.path);
  }
  return list;
}

/** The same exports, in the same order, with the same options (then the table only needs new addresses). */
function sameExports(a: readonly ResolvedExport[], b: readonly ResolvedExport[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.exportName !== y.exportName || x.symbolName !== y.symbolName || x.spec.ordinal !== y.spec.ordinal || x.spec.noName !== y.spec.noName
      || x.spec.data !== y.spec.data || x.spec.forwardTo !== y.spec.forwardTo || x.spec.private !== y.spec.private) return false;
  }
  return true;
}

/** The object with the section defining `symbol` replaced by `contents`, written anew. */
function withSectionReplaced(model: CoffObjectModel, path: string, symbol: string, contents: SectionContents): Uint8Array {
  const definition = model.symbols.find((sym) => sym.name === symbol && sym.sectionNumber > 0);
  if (!definition) throw new LinkError(`${path} does not define ${symbol}`);
  const target = definition.sectionNumber - 1;
  if (model.sections[target]!.data === undefined) throw new LinkError(`${symbol} is in uninitialised data in ${path}: it has no contents to replace`);
  const symbols = [...model.symbols];
  for (const r of contents.relocations) {
    if (!symbols.some((sym) => sym.name === r.symbol)) symbols.push({ name: r.symbol, value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS.EXTERNAL });
  }
  const indices = symbolTableIndices(symbols, model.bigobj === true);
  const indexOf = new Map<string, number>();
  // A name defined externally wins over a static of the same name, as the compiler would reference it.
  symbols.forEach((sym, i) => { if (!indexOf.has(sym.name) || sym.storageClass === IMAGE_SYM_CLASS.EXTERNAL) indexOf.set(sym.name, indices[i]!); });
  const relocations = contents.relocations.map((r) => ({ offset: r.offset, type: r.type, symbolIndex: indexOf.get(r.symbol)! }));
  // Written afresh: no layout hints from the old file, and the section symbol's definition record follows.
  const sections = model.sections.map((sec, i) => ({
    name: sec.name, characteristics: sec.characteristics, virtualSize: sec.virtualSize, virtualAddress: sec.virtualAddress,
    ...(i === target ? { data: contents.bytes, relocations } : { data: sec.data, sizeOfRawData: sec.sizeOfRawData, relocations: sec.relocations }),
  }));
  const fixed = symbols.map((sym) => {
    if (sym.sectionNumber !== target + 1 || sym.storageClass !== IMAGE_SYM_CLASS.STATIC || !sym.aux) return { ...sym, nameOffset: undefined };
    const aux = sym.aux.map((a) => (a.kind === "section-definition" ? { ...a, length: contents.bytes.length, numberOfRelocations: relocations.length, checkSum: 0 } : a));
    return { ...sym, aux, nameOffset: undefined, rawName: undefined };
  });
  return writeCoffObject({
    bigobj: model.bigobj, machine: model.machine, timeDateStamp: model.timeDateStamp, characteristics: model.characteristics,
    sections, symbols: fixed,
  });
}
