// The whole link, one pass after another (mold's main loop is the model: read this to know the linker).
import { LinkError } from "./errors.js";
import type { LinkHost } from "./host.js";
import { now } from "./clock.js";
import { InputLoader, type LoadedInputs, type LoaderState } from "./inputs/loader.js";
import { parseModuleDefinition } from "./driver/def-file.js";
import { collectExports, exportTableInput, writeImportLibrary, type ResolvedExport } from "./exports.js";
import { ImageEmitter, symbolRva, type EmitterState } from "./emit.js";
import { layOut, restoreImageLayout, saveImageLayout, type ImageLayout, type ImageLayoutState } from "./layout.js";
import { markLive } from "./live.js";
import { MingwLink, SYNTHETIC_NAME as MINGW_SYNTHETIC_NAME, type MingwState } from "./mingw/mingw-link.js";
import { writeMapFile } from "./map-file.js";
import type { LinkOptions, Machine } from "./options.js";
import { checkSymbols, ResolvedSymbols, settleLinkerSymbols, type ResolvedSymbolsState } from "./resolve.js";
import { planExportTable, type ExportTableInput } from "@linkkit/pe-writer";
import type { SymbolTable, SymbolTableState } from "@linkkit/symbol-resolver";

export interface LinkResult {
  readonly output: string;
  readonly bytes: Uint8Array;
  readonly warnings: readonly string[];
  readonly timings: readonly (readonly [string, number])[];
}

/** Everything a full link knows at the end: what an incremental session keeps to update the output in place. */
export interface LinkState extends LinkResult {
  readonly options: LinkOptions;
  readonly loader: InputLoader;
  readonly inputs: LoadedInputs;
  resolved: ResolvedSymbols;
  readonly image: ImageLayout;
  readonly emitter: ImageEmitter;
  exports: readonly ResolvedExport[];
  readonly dllName: string;
  readonly imageBase: number;
  readonly entryId: number | undefined;
  readonly subsystem: string;
  /** The GNU ld (MinGW) flavour's part of the link. */
  readonly mingw: MingwLink | undefined;
}

class PhaseTimer {
  readonly timings: [string, number][] = [];
  private last = now();
  mark(phase: string): void {
    const at = now();
    this.timings.push([phase, at - this.last]);
    this.last = at;
  }
}

/** After how many of `count` inputs the symbol table is sized for all of them (0: never, a small link). */
function projectionPoint(count: number): number {
  return count >= 64 ? Math.max(8, Math.ceil(count / 16)) : 0;
}

/**
 * Sizes the symbol table for the whole command line from what its first `done` inputs made, 10% over:
 * the inputs of a large link are alike (400 objects of one program), and growing the table by doubling
 * instead copies every column at each step (~20 ms of a 400-object link). Archive members loaded later
 * grow it as before.
 */
function reserveForAllInputs(symbols: SymbolTable, done: number, total: number): void {
  const used = symbols.usage;
  const scale = (1.1 * total) / done;
  symbols.reserve({ names: Math.ceil(used.names * scale), candidates: Math.ceil(used.candidates * scale), groups: Math.ceil(used.groups * scale) });
}

export function link(options: LinkOptions, host: LinkHost): LinkResult {
  const { output, bytes, warnings, timings } = fullLink(options, host);
  return { output, bytes, warnings, timings };
}

export function fullLink(options: LinkOptions, host: LinkHost): LinkState {
  const timer = new PhaseTimer();
  let opts = options;
  const warnings: string[] = [...options.warnings];

  // A module-definition file adds exports and may name the DLL, its base, stack and heap.
  let moduleName: string | undefined;
  if (opts.defFile !== undefined) {
    const def = parseModuleDefinition(new TextDecoder().decode(host.readFile(opts.defFile)), opts.defFile);
    moduleName = def.moduleName;
    opts = {
      ...opts,
      exports: [...opts.exports, ...def.exports],
      imageBase: opts.imageBase ?? def.imageBase,
      stack: opts.stack ?? def.stack,
      heap: opts.heap ?? def.heap,
      imageVersion: opts.imageVersion ?? def.version,
      dll: opts.dll || def.kind === "library",
    };
  }
  if (opts.inputs.length === 0) throw new LinkError("no input files");
  const output = opts.output ?? defaultOutput(opts, host);

  // Load: objects, archives (lazy members), import objects; directives add libraries and exports.
  const loader = new InputLoader(opts, host);
  // GNU ld (MinGW) flavour: auto-import, constructor lists, pseudo relocations, dlltool import tables.
  const mingw = opts.mingw ? new MingwLink(opts, loader) : undefined;
  host.readAhead?.(opts.inputs);
  try {
    const projectAfter = projectionPoint(opts.inputs.length);
    opts.inputs.forEach((path, i) => {
      loader.addPath(path);
      // Not from archives: their indexes name what the link may never load, and a library of 100,000 names
      // first on a command line would project millions.
      if (i + 1 === projectAfter && loader.archiveCount === 0) reserveForAllInputs(loader.symbols, projectAfter, opts.inputs.length);
    });
  } finally {
    // Files read ahead but not taken must not stand in for a later read of the same path.
    host.readAhead?.([]);
  }
  loader.queueDefaultLibraries(opts.defaultLibs);
  timer.mark("read");

  // Resolve: entry point, exported and /include'd names pull in archive members; then diagnostics.
  const entry = settleLinkerSymbols(loader, opts);
  const machine = loader.currentMachine!;
  const preExports = collectExports(loader.exports, machine, loader.symbols);
  for (const e of preExports) if (e.symbolName !== undefined) loader.symbols.reference(loader.exportsInput, e.symbolName);
  loader.resolveLazyMembers();
  mingw?.beforeFinish(loader);
  const inputs = loader.finish();
  warnings.push(...inputs.warnings.map((w) => `warning: ${w}`));
  warnings.push(...checkSymbols(inputs, mingw?.tolerates));
  const exports = collectExports(inputs.exports, machine, inputs.symbols);
  const resolved = new ResolvedSymbols(inputs);
  timer.mark("resolve");

  // From here on no new symbols. Liveness: COMDAT selection and /opt:ref.
  const roots: number[] = [];
  const entryId = entry.name === undefined ? undefined : inputs.symbols.idOf(entry.name);
  if (entryId !== undefined) roots.push(entryId);
  for (const name of opts.includes) { const id = inputs.symbols.idOf(loader.mangle(name)); if (id !== undefined) roots.push(id); }
  for (const e of exports) { const id = e.symbolName === undefined ? undefined : inputs.symbols.idOf(e.symbolName); if (id !== undefined) roots.push(id); }
  for (const name of ["_tls_used", "__tls_used", "_load_config_used", "__load_config_used"]) {
    const id = inputs.symbols.idOf(name);
    if (id !== undefined) roots.push(id);
  }
  markLive(inputs, resolved, opts.gcSections, roots);
  mingw?.afterLiveness(inputs, resolved);

  // Lay out: atoms into output sections, addresses from the allocator. Memory layout is fixed after this.
  const is64 = machine === "x64";
  const imageBase = Number(opts.imageBase ?? (opts.dll ? (is64 ? 0x180000000n : 0x10000000n) : is64 ? 0x140000000n : 0x400000n));
  const dllName = moduleName ?? output.replace(/^.*[\\/]/, "");
  const exportPlaceholder = exports.length > 0 ? exportTableInput(dllName, exports, () => 0, opts.timestamp) : undefined;
  const layoutRequest = {
    inputs, resolved, merges: inputs.merges, sectionAttributes: opts.sectionAttributes, is64,
    machine: is64 ? 0x8664 : 0x14c, sectionAlignment: opts.sectionAlignment, fileAlignment: opts.fileAlignment,
    relocatable: !opts.fixed, exportTable: exportPlaceholder, incremental: opts.incremental,
  };
  const image = layOut(layoutRequest);
  timer.mark("layout");

  // Exports now have addresses; every exported name must be defined.
  let exportTable = exportPlaceholder;
  if (exports.length > 0) {
    const missing: string[] = [];
    const rvaOf = (e: ResolvedExport) => {
      const id = e.symbolName === undefined ? undefined : inputs.symbols.idOf(e.symbolName);
      const rva = id === undefined ? undefined : symbolRva(inputs, resolved, image, id, imageBase);
      if (rva === undefined) missing.push(`<root>: undefined symbol: ${e.symbolName} (exported as ${e.exportName} by ${e.spec.origin})`);
      return rva ?? 0;
    };
    exportTable = exportTableInput(dllName, exports, rvaOf, opts.timestamp);
    if (missing.length > 0) throw new LinkError(missing);
  }

  // Relocate: every input section copied into one buffer for the whole image, its relocations applied.
  const emitter = new ImageEmitter({
    inputs, resolved, image, options: opts, imageBase, entrySymbol: entryId, subsystem: entry.subsystem, exportTable,
  });
  emitter.relocateAll();
  timer.mark("relocate");
  // Write: the synthetic tables, base relocations and headers, then the files.
  const emitted = emitter.finishImage();
  const unfit = mingw?.patchImage(inputs, resolved, image, imageBase, emitted.bytes);
  if (unfit !== undefined) throw new Error(`internal: ${unfit}`);

  writeMapIfAsked(host, opts, output, inputs, resolved, image, imageBase, entryId, is64);
  if (exportTable) writeImportLibraryIfDll(host, opts, output, dllName, machine, exports, exportTable);
  host.writeFileAtomic(output, emitted.bytes);
  timer.mark("write");
  return {
    output, bytes: emitted.bytes, warnings, timings: timer.timings, options: opts, loader, inputs, resolved, image,
    emitter, exports, dllName, imageBase, entryId, subsystem: entry.subsystem, mingw,
  };
}

/**
 * Everything `fullLink` learned, as data (typed arrays, plain objects) that survives serialisation: what
 * `linkkit /incremental` keeps for its next process, so that it restores the link without reading,
 * registering or laying out a single object. The image's bytes are not in it: they are the output file.
 */
export interface LinkStateData {
  readonly output: string;
  readonly loader: LoaderState;
  readonly symbols: SymbolTableState;
  readonly resolved: ResolvedSymbolsState;
  readonly image: ImageLayoutState;
  readonly emitter: EmitterState;
  readonly exportTable: ExportTableInput | undefined;
  readonly exports: readonly ResolvedExport[];
  readonly dllName: string;
  readonly imageBase: number;
  readonly entryId: number | undefined;
  readonly subsystem: string;
  readonly mingw: MingwState | undefined;
}

export function saveLinkState(state: LinkState): LinkStateData {
  return {
    mingw: state.mingw?.saveState(state.loader),
    output: state.output, loader: state.loader.saveState(), symbols: state.loader.symbols.saveState(), resolved: state.resolved.saveState(),
    image: saveImageLayout(state.image), emitter: state.emitter.saveState(), exportTable: state.emitter.req.exportTable, exports: state.exports,
    dllName: state.dllName, imageBase: state.imageBase, entryId: state.entryId, subsystem: state.subsystem,
  };
}

/**
 * The link `data` describes, over `image` (the output file's bytes): objects are opened only when an
 * update needs their bytes, through `objectBytes` (by object name) or their archive.
 */
export function restoreLink(options: LinkOptions, host: LinkHost, data: LinkStateData, image: Uint8Array, objectBytes: (name: string) => Uint8Array): LinkState {
  if ((options.mingw === undefined) !== (data.mingw === undefined)) throw new LinkError("the saved link is of the other flavour (MinGW or not)");
  const savedMingw = data.mingw;
  // The MinGW flavour's synthetic object is in the state, not in a file.
  const bytesOf = savedMingw ? (name: string) => (name === MINGW_SYNTHETIC_NAME ? savedMingw.syntheticBytes : objectBytes(name)) : objectBytes;
  const loader = new InputLoader(options, host, { state: data.loader, symbols: data.symbols, objectBytes: bytesOf });
  const mingw = savedMingw ? MingwLink.restore(options, savedMingw, loader) : undefined;
  const inputs = loader.finish();
  const resolved = ResolvedSymbols.restore(data.resolved);
  if (resolved.kind.length !== inputs.symbols.symbolCount) throw new LinkError("the saved resolution does not cover the saved symbol table");
  const layout = restoreImageLayout(data.image, inputs.files);
  const emitter = new ImageEmitter({
    inputs, resolved, image: layout, options, imageBase: data.imageBase, entrySymbol: data.entryId, subsystem: data.subsystem, exportTable: data.exportTable,
  });
  emitter.restoreState(data.emitter, image);
  return {
    output: data.output, bytes: image.subarray(0, data.emitter.fileSize), warnings: [], timings: [], options, loader, inputs, resolved, image: layout,
    emitter, exports: data.exports, dllName: data.dllName, imageBase: data.imageBase, entryId: data.entryId, subsystem: data.subsystem, mingw,
  };
}

function defaultOutput(options: LinkOptions, host: LinkHost): string {
  const first = options.inputs[0]!;
  void host;
  return first.replace(/\.[^.\\/]*$/, "") + (options.dll ? ".dll" : ".exe");
}

/** /map: the map file, after a full link and after every update. */
export function writeMapIfAsked(host: LinkHost, opts: LinkOptions, output: string, inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, imageBase: number, entryId: number | undefined, is64: boolean): void {
  if (opts.map === undefined) return;
  const mapPath = opts.map === "" ? output.replace(/\.[^.\\/]*$/, "") + ".map" : opts.map;
  host.writeFileAtomic(mapPath, new TextEncoder().encode(writeMapFile(output, inputs, resolved, image, imageBase, opts.timestamp, entryId, is64)));
}

/** A DLL's import library (/implib, else next to the DLL), after a full link and when exports change. */
export function writeImportLibraryIfDll(host: LinkHost, opts: LinkOptions, output: string, dllName: string, machine: Machine, exports: readonly ResolvedExport[], exportTable: ExportTableInput): void {
  if (!opts.dll || exports.length === 0) return;
  const plan = planExportTable(exportTable);
  const ordinals = new Map(plan.exports.filter((e) => e.name !== undefined).map((e) => [e.name!, e.ordinal]));
  const implib = opts.implib ?? output.replace(/\.[^.\\/]*$/, "") + ".lib";
  host.writeFileAtomic(implib, writeImportLibrary(dllName, machine, exports, ordinals));
}
