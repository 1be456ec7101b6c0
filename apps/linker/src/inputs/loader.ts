// Load: turns the command line's inputs into objects, archive members (loaded lazily, only when they
// define a symbol that is still undefined) and import objects, all registered in one symbol table.
import { readArchive, type Archive } from "@linkkit/ar";
import {
  CoffFormatError, IMAGE_FILE_MACHINE, identifyInput, readCoffObject, readImportObject, type ImportObject,
} from "@linkkit/coff-format";
import { SymbolTable, type InputId, type SymbolId, type SymbolTableOptions, type SymbolTableState } from "@linkkit/symbol-resolver";
import { InternalError, LinkError } from "../errors.js";
import type { LinkHost } from "../host.js";
import type { ExportSpec, LinkOptions, Machine } from "../options.js";
import { directiveOrigin, parseDirectives, type Directives } from "./directives.js";
import { ImportFile } from "./import-file.js";
import { ObjectFile, type ObjectFileState } from "./object-file.js";

export type InputFile = ObjectFile | ImportFile;

/** A member of an archive, registered as lazy until something needs it. */
interface LazyMember {
  readonly archivePath: string;
  readonly headerOffset: number;
}

/**
 * The loader's part of a saved session (see `LinkSession.saveState`): every input by id, so that the next
 * process restores the same numbering without reading or registering anything.
 */
export interface LoaderState {
  readonly objects: readonly ObjectFileState[];
  /** Objects by how they were loaded: from their path (the name) or from an archive. */
  readonly memberSources: readonly (readonly [InputId, LazyMember])[];
  readonly imports: readonly { readonly input: InputId; readonly name: string; readonly libraryName: string; readonly object: ImportObject; readonly slotUsed: boolean; readonly thunkUsed: boolean }[];
  readonly fileCount: number;
  readonly lazyMembers: readonly (readonly [InputId, LazyMember])[];
  readonly memberNames: readonly (readonly [InputId, readonly string[]])[];
  readonly loadedMemberSources: readonly InputId[];
  readonly loadedLibraries: readonly string[];
  readonly machine: Machine;
  readonly machineSource: string;
  readonly exports: readonly ExportSpec[];
  readonly merges: readonly (readonly [string, string])[];
  readonly alternateNames: readonly (readonly [string, string])[];
  readonly warnings: readonly string[];
  readonly entryFromDirectives: string | undefined;
  readonly subsystemFromDirectives: LinkOptions["subsystem"];
  readonly linkerInput: InputId;
  readonly exportsInput: InputId;
}

export interface LoadedInputs {
  readonly symbols: SymbolTable;
  /** By InputId; undefined for the linker's own input and for members never loaded. */
  readonly files: readonly (InputFile | undefined)[];
  readonly objects: readonly ObjectFile[];
  readonly imports: readonly ImportFile[];
  readonly machine: Machine;
  /** The linker's own input: synthetic symbols, /include and /entry references. */
  readonly linkerInput: InputId;
  /** The input that asks for every exported name: an incremental update asks again when exports change. */
  readonly exportsInput: InputId;
  /** Options given in `.drectve` sections, merged over the command line's. */
  readonly exports: readonly ExportSpec[];
  readonly entryFromDirectives: string | undefined;
  readonly subsystemFromDirectives: LinkOptions["subsystem"];
  readonly merges: ReadonlyMap<string, string>;
  readonly alternateNames: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
}

/** Archive symbol names that are not ASCII (rare) are decoded as UTF-8, as the archive reader does. */
const utf8 = new TextDecoder();

const machineOf: Record<number, Machine> = { [IMAGE_FILE_MACHINE.AMD64]: "x64", [IMAGE_FILE_MACHINE.I386]: "x86" };

export class InputLoader {
  readonly symbols: SymbolTable;
  readonly files: (InputFile | undefined)[] = [];
  readonly objects: ObjectFile[] = [];
  readonly imports: ImportFile[] = [];
  readonly linkerInput: InputId;
  readonly exportsInput: InputId;
  private readonly lazyMembers = new Map<InputId, LazyMember>();
  /** Archives by path, parsed when first read (a restored loader reads one only to load a member). */
  private readonly archives = new Map<string, Archive>();
  /** Where each object that came from an archive came from: a restored object is read from there. */
  private readonly memberSources = new Map<InputId, LazyMember>();
  /** Archive members by input: the names the archive's index says each defines (symbol ids; names in a saved state). */
  private readonly memberNames = new Map<InputId, SymbolId[]>();
  /** Object members loaded on demand (not /wholearchive): an update may drop them again. */
  private readonly loadedMemberSources = new Map<InputId, LazyMember>();
  private readonly loadedLibraries = new Set<string>();
  private readonly pendingDefaultLibs: string[] = [];
  private machine: Machine | undefined;
  private machineSource = "";
  readonly exports: ExportSpec[] = [];
  readonly merges: Map<string, string>;
  readonly alternateNames: Map<string, string>;
  readonly warnings: string[] = [];
  entryFromDirectives: string | undefined;
  subsystemFromDirectives: LinkOptions["subsystem"];

  constructor(private readonly options: LinkOptions, private readonly host: LinkHost, restore?: { readonly state: LoaderState; readonly symbols: SymbolTableState; readonly objectBytes: (name: string) => Uint8Array }) {
    this.machine = options.machine;
    this.machineSource = options.machine ? "/machine" : "";
    this.merges = new Map(options.merges);
    this.alternateNames = new Map(options.alternateNames);
    this.exports.push(...options.exports);
    const tableOptions: SymbolTableOptions = {
      duplicates: options.force.multiple ? "warning" : "error",
      undefinedSymbols: options.force.unresolved ? "warning" : "error",
      where: (input, site) => this.describeReference(input, site),
    };
    if (restore) {
      this.symbols = SymbolTable.restoreState(restore.symbols, tableOptions);
      const st = restore.state;
      this.linkerInput = st.linkerInput;
      this.exportsInput = st.exportsInput;
      this.restore(st, restore.objectBytes);
      return;
    }
    this.symbols = new SymbolTable(tableOptions);
    this.linkerInput = this.symbols.addInput("<linker>");
    this.files.push(undefined);
    this.exportsInput = this.symbols.addInput("<exports>");
    this.files.push(undefined);
    for (const name of options.includes) this.symbols.reference(this.linkerInput, this.mangle(name));
  }

  /** Everything but the symbol table (saved on its own) and the objects' bytes (kept as copies by the caller). */
  saveState(): LoaderState {
    return {
      objects: this.objects.map((o) => o.saveState()),
      memberSources: [...this.memberSources].filter(([input]) => this.files[input] instanceof ObjectFile),
      imports: this.imports.map((f) => ({ input: f.input, name: f.name, libraryName: f.libraryName, object: f.object, slotUsed: f.slotUsed, thunkUsed: f.thunkUsed })),
      fileCount: this.files.length,
      lazyMembers: [...this.lazyMembers],
      memberNames: [...this.memberNames].map(([input, ids]) => [input, ids.map((id) => this.symbols.nameOf(id))] as const),
      loadedMemberSources: [...this.loadedMemberSources.keys()],
      loadedLibraries: [...this.loadedLibraries],
      machine: this.machine!,
      machineSource: this.machineSource,
      exports: this.exports,
      merges: [...this.merges],
      alternateNames: [...this.alternateNames],
      warnings: this.warnings,
      entryFromDirectives: this.entryFromDirectives,
      subsystemFromDirectives: this.subsystemFromDirectives,
      linkerInput: this.linkerInput,
      exportsInput: this.exportsInput,
    };
  }

  private restore(st: LoaderState, objectBytes: (name: string) => Uint8Array): void {
    this.files.length = st.fileCount;
    for (const [input, source] of st.memberSources) this.memberSources.set(input, source);
    for (const o of st.objects) {
      const source = this.memberSources.get(o.input);
      const open = () => this.parse(() => readCoffObject(source ? this.memberBytes(source).data : objectBytes(o.name), { fileName: o.name }));
      const file = ObjectFile.restore(o, open);
      this.files[o.input] = file;
      this.objects.push(file);
    }
    for (const i of st.imports) {
      const file = new ImportFile(i.input, i.name, i.libraryName, i.object);
      file.slotUsed = i.slotUsed;
      file.thunkUsed = i.thunkUsed;
      this.files[i.input] = file;
      this.imports.push(file);
    }
    for (const [input, lazy] of st.lazyMembers) this.lazyMembers.set(input, lazy);
    for (const [input, names] of st.memberNames) this.memberNames.set(input, names.map((name) => this.symbols.intern(name)));
    for (const input of st.loadedMemberSources) this.loadedMemberSources.set(input, this.memberSources.get(input)!);
    for (const lib of st.loadedLibraries) this.loadedLibraries.add(lib);
    this.machine = st.machine;
    this.machineSource = st.machineSource;
    this.exports.length = 0;
    this.exports.push(...st.exports);
    this.merges.clear();
    for (const [k, v] of st.merges) this.merges.set(k, v);
    this.alternateNames.clear();
    for (const [k, v] of st.alternateNames) this.alternateNames.set(k, v);
    this.warnings.push(...st.warnings);
    this.entryFromDirectives = st.entryFromDirectives;
    this.subsystemFromDirectives = st.subsystemFromDirectives;
  }

  get currentMachine(): Machine | undefined {
    return this.machine;
  }

  /** x86 C names carry a leading underscore; names from the command line are given without it. */
  mangle(name: string): string {
    return this.machine === "x86" && !name.startsWith("_") && !name.startsWith("?") && !name.startsWith("@") ? `_${name}` : name;
  }

  /** Adds one command-line input (object, archive, import object), searching library paths for libraries. */
  addPath(path: string): void {
    // Read first, search only when that fails: a stat before every read was 400 system calls on a large link.
    let resolved: string | undefined = path;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.host.readFile(path);
    } catch {
      resolved = this.findLibrary(path);
      if (resolved === undefined) throw new LinkError(`could not open '${path}': no such file or directory`);
    }
    this.addFile(resolved, bytes ?? this.readInput(resolved), this.options.wholeArchive || this.isWholeArchive(path));
  }

  private isWholeArchive(path: string): boolean {
    const base = path.replace(/^.*[\\/]/, "").toLowerCase();
    return this.options.wholeArchiveLibs.some((l) => l.replace(/^.*[\\/]/, "").toLowerCase() === base);
  }

  private readInput(path: string): Uint8Array {
    try {
      return this.host.readFile(path);
    } catch (cause) {
      throw new LinkError(`could not open '${path}': ${(cause as Error).message}`, { cause });
    }
  }

  /** link.exe's search: the name as given, then with `.lib`, in each library path. */
  findLibrary(name: string): string | undefined {
    const candidates = /\.[^\\/.]+$/.test(name) ? [name] : [name, `${name}.lib`];
    for (const candidate of candidates) {
      if (this.host.fileExists(candidate)) return candidate;
      for (const dir of this.options.libPaths) {
        const path = this.host.join(dir, candidate);
        if (this.host.fileExists(path)) return path;
      }
    }
    return undefined;
  }

  private addFile(path: string, bytes: Uint8Array, wholeArchive: boolean): void {
    const kind = identifyInput(bytes);
    switch (kind) {
      case "coff-object":
      case "coff-bigobj":
        this.addObject(bytes, path);
        return;
      case "ar-archive":
        this.addArchive(path, bytes, wholeArchive);
        return;
      case "import-object":
        this.addImport(bytes, path, path.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, ""), this.symbols.addInput(path));
        return;
      case "pe-image":
        throw new LinkError(`${path}: is a PE image, not an object or library (link against its import library)`);
      case "llvm-bitcode":
        throw new LinkError(`${path}: LLVM bitcode (LTO) is not supported; compile without -flto`);
      default:
        throw new LinkError(`${path}: unknown file type (expected a COFF object, a library or an import object)`);
    }
  }

  // ---- incremental updates: inputs change under an existing symbol table

  /** Swaps an object's contents, keeping its input id (and so its place when ties are broken). */
  replaceObject(old: ObjectFile, bytes: Uint8Array): ObjectFile {
    this.symbols.removeInput(old.input);
    const coff = this.parse(() => readCoffObject(bytes, { fileName: old.name }));
    this.checkMachine(coff.machine, old.name);
    const file = new ObjectFile(old.input, old.name, coff);
    this.files[old.input] = file;
    this.objects[this.objects.indexOf(old)] = file;
    this.parse(() => file.register(this.symbols));
    return file;
  }

  /** An object that was not in the link before, as if it came last on the command line. */
  addObjectBytes(name: string, bytes: Uint8Array): ObjectFile {
    return this.addObject(bytes, name);
  }

  /** An object's `.drectve` exports after it was replaced, added or removed (`specs` empty when removed). */
  replaceDirectiveExports(objectName: string, specs: readonly ExportSpec[]): void {
    const origin = directiveOrigin(objectName);
    const kept = this.exports.filter((e) => e.origin !== origin);
    this.exports.length = 0;
    this.exports.push(...kept, ...specs);
  }

  /** Archive members loaded on demand, by input: the ones `unloadMember` may take out again. */
  get loadedMembers(): readonly InputId[] {
    return [...this.loadedMemberSources.keys()];
  }

  isLoadedMember(input: InputId): boolean {
    return this.loadedMemberSources.has(input);
  }

  /** How many archives the link has opened so far. */
  get archiveCount(): number {
    return this.archives.size;
  }

  /** The names an archive member defines, from the archive's index. */
  memberDefines(input: InputId): readonly SymbolId[] {
    return this.memberNames.get(input) ?? [];
  }

  /** Takes a loaded member out again: its names become lazy, so a later demand loads it anew. */
  unloadMember(file: ObjectFile): void {
    const source = this.loadedMemberSources.get(file.input);
    if (!source) throw new InternalError(`${file.name} is not an archive member loaded on demand`);
    this.removeObject(file);
    this.replaceDirectiveExports(file.name, []);
    this.loadedMemberSources.delete(file.input);
    this.lazyMembers.set(file.input, source);
    for (const name of this.memberDefines(file.input)) this.symbols.defineLazy(file.input, name);
  }

  removeObject(old: ObjectFile): void {
    this.symbols.removeInput(old.input);
    this.files[old.input] = undefined;
    this.objects.splice(this.objects.indexOf(old), 1);
  }

  private addObject(bytes: Uint8Array, name: string, input?: InputId): ObjectFile {
    const coff = this.parse(() => readCoffObject(bytes, { fileName: name }));
    this.checkMachine(coff.machine, name);
    const id = input ?? this.symbols.addInput(name);
    const file = new ObjectFile(id, name, coff);
    this.files[id] = file;
    this.objects.push(file);
    this.parse(() => file.register(this.symbols));
    if (file.directives.trim() !== "") this.applyDirectives(parseDirectives(file.directives, name), name);
    return file;
  }

  private addImport(bytes: Uint8Array, name: string, libraryName: string, input: InputId): ImportFile {
    const object = this.parse(() => readImportObject(bytes, { fileName: name }));
    this.checkMachine(object.machine, name);
    const file = new ImportFile(input, name, libraryName, object);
    this.files[input] = file;
    this.imports.push(file);
    file.register(this.symbols);
    return file;
  }

  private addArchive(path: string, bytes: Uint8Array, wholeArchive: boolean): void {
    const key = path.toLowerCase();
    if (this.loadedLibraries.has(key)) return;
    this.loadedLibraries.add(key);
    const archive = this.parse(() => readArchive(bytes, { fileName: path }));
    this.archives.set(path, archive);
    if (wholeArchive) {
      for (const member of archive.members()) this.loadMember({ archivePath: path, headerOffset: member.headerOffset }, this.symbols.addInput(`${path}(${member.name})`));
      return;
    }
    if (!archive.hasSymbolTable) {
      if (archive.symbolCount === 0 && [...archive.members()].length > 0) {
        throw new LinkError(`${path}: archive has no symbol index; run ranlib (or llvm-ranlib) to add one`);
      }
      return;
    }
    // Names are looked up by their bytes in the archive: decoded only when new to the link (a MinGW
    // program's runtime libraries name ~12,000 symbols, of which it uses a few hundred).
    const memberInputs = new Map<number, InputId>();
    for (let i = 0; i < archive.symbolCount; i++) {
      const memberOffset = archive.symbolMemberOffset(i);
      let input = memberInputs.get(memberOffset);
      let defines: SymbolId[];
      if (input === undefined) {
        input = this.symbols.addInput(`${path}(@${memberOffset})`);
        memberInputs.set(memberOffset, input);
        this.lazyMembers.set(input, { archivePath: path, headerOffset: memberOffset });
        this.memberNames.set(input, (defines = []));
        this.files.length = Math.max(this.files.length, input + 1);
      } else {
        defines = this.memberNames.get(input)!;
      }
      let name = this.symbols.internAscii(bytes, archive.symbolNameStart(i), archive.symbolNameEnd(i));
      if (name < 0) name = this.symbols.intern(utf8.decode(bytes.subarray(archive.symbolNameStart(i), archive.symbolNameEnd(i))));
      defines.push(name);
      this.symbols.defineLazy(input, name);
    }
  }

  /** Loads every archive member the symbol table asks for, and the default libraries they name. */
  resolveLazyMembers(): void {
    for (;;) {
      this.symbols.loadMembers((input) => {
        const lazy = this.lazyMembers.get(input);
        if (lazy === undefined) return;
        this.lazyMembers.delete(input);
        this.loadMember(lazy, input);
        if (this.files[input] instanceof ObjectFile) this.loadedMemberSources.set(input, lazy);
      });
      const lib = this.pendingDefaultLibs.shift();
      if (lib === undefined) return;
      this.addDefaultLibrary(lib);
    }
  }

  /** A member's bytes and display name; the archive is read now if this loader has not read it yet (a restored one). */
  private memberBytes(lazy: LazyMember): { readonly data: Uint8Array; readonly display: string } {
    let archive = this.archives.get(lazy.archivePath);
    if (archive === undefined) {
      const bytes = this.readInput(lazy.archivePath);
      archive = this.parse(() => readArchive(bytes, { fileName: lazy.archivePath }));
      this.archives.set(lazy.archivePath, archive);
    }
    const member = this.parse(() => archive.memberAt(lazy.headerOffset));
    const display = `${lazy.archivePath}(${member.name})`;
    if (!member.thin) return { data: member.data, display };
    return { data: this.readInput(this.host.join(this.host.dirname(lazy.archivePath), member.path)), display };
  }

  private loadMember(lazy: LazyMember, input: InputId): void {
    const { data, display } = this.memberBytes(lazy);
    const kind = identifyInput(data);
    const libraryName = lazy.archivePath.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
    if (kind === "import-object") this.addImport(data, display, libraryName, input);
    else if (kind === "coff-object" || kind === "coff-bigobj") { this.addObject(data, display, input); this.memberSources.set(input, lazy); }
    else throw new LinkError(`${display}: unsupported archive member (${kind}); expected a COFF object or an import object`);
  }

  private addDefaultLibrary(name: string): void {
    if (this.options.noDefaultLibAll) return;
    const lower = name.toLowerCase().replace(/\.lib$/, "");
    if (this.options.noDefaultLibs.some((n) => n.toLowerCase().replace(/\.lib$/, "") === lower)) return;
    const path = this.findLibrary(name);
    // link.exe and lld-link ignore default libraries they cannot find.
    if (path === undefined) return;
    if (this.loadedLibraries.has(path.toLowerCase())) return;
    this.addFile(path, this.readInput(path), false);
  }

  queueDefaultLibraries(names: readonly string[]): void {
    this.pendingDefaultLibs.push(...names);
  }

  private applyDirectives(d: Directives, origin: string): void {
    this.queueDefaultLibraries(d.defaultLibs);
    for (const name of d.includes) this.symbols.reference(this.linkerInput, name);
    this.exports.push(...d.exports);
    for (const [from, to] of d.alternateNames) if (!this.alternateNames.has(from)) this.alternateNames.set(from, to);
    for (const [from, to] of d.merges) this.merges.set(from, to);
    if (d.entry !== undefined) this.entryFromDirectives ??= d.entry;
    if (d.subsystem !== undefined) this.subsystemFromDirectives ??= d.subsystem;
    for (const w of d.warnings) this.warnings.push(`${origin}: ${w}`);
  }

  private checkMachine(machine: number, name: string): void {
    if (machine === IMAGE_FILE_MACHINE.UNKNOWN) return;
    const m = machineOf[machine];
    if (m === undefined) throw new LinkError(`${name}: unsupported machine type 0x${machine.toString(16)} (linkkit links x64 and x86)`);
    if (this.machine === undefined) {
      this.machine = m;
      this.machineSource = name;
    } else if (this.machine !== m) {
      throw new LinkError(`${name}: machine type ${m} conflicts with ${this.machine} (from ${this.machineSource})`);
    }
  }

  private parse<T>(read: () => T): T {
    try {
      return read();
    } catch (cause) {
      if (cause instanceof CoffFormatError || (cause as Error).name === "ArchiveFormatError") {
        throw new LinkError((cause as Error).message, { cause });
      }
      throw cause;
    }
  }

  /** "a.obj:(main)": the function a reference sits in, asked only for diagnostics. */
  private describeReference(input: InputId, symbolIndex: number): string | undefined {
    const file = this.files[input];
    if (!(file instanceof ObjectFile)) return undefined;
    const coff = file.coff;
    // Find the first relocation that names the symbol, then the function symbol that precedes it.
    for (let s = 0; s < file.sectionCount; s++) {
      const relocs = coff.relocations(s);
      for (let r = 0; r < relocs.length; r++) {
        if (relocs.symbolIndex(r) !== symbolIndex) continue;
        const at = relocs.offset(r);
        let best: string | undefined, bestValue = -1;
        for (let i = 0; i < file.symbolCount; i += 1 + coff.symbolAuxCount(i)) {
          if (coff.symbolSectionNumber(i) !== s + 1 || coff.symbolAuxCount(i) > 0 && coff.symbolStorageClass(i) === 3) continue;
          const v = coff.symbolValue(i);
          if (v <= at && v > bestValue) { best = coff.symbolName(i); bestValue = v; }
        }
        return best ?? coff.sectionName(s);
      }
    }
    return undefined;
  }

  finish(): LoadedInputs {
    if (this.machine === undefined) throw new LinkError("no input files (or none that says its machine); use /machine:x64 or /machine:x86");
    return {
      symbols: this.symbols, files: this.files, objects: this.objects, imports: this.imports, machine: this.machine,
      linkerInput: this.linkerInput, exportsInput: this.exportsInput, exports: this.exports, entryFromDirectives: this.entryFromDirectives,
      subsystemFromDirectives: this.subsystemFromDirectives, merges: this.merges, alternateNames: this.alternateNames,
      warnings: this.warnings,
    };
  }
}
