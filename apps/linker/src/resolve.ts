// Resolve: after every input is loaded, settle the names the linker itself owns (entry point,
// __ImageBase, /alternatename), load what they pull in, and collect every diagnostic at once.
import { SymbolKind, type Diagnostic, type SymbolId } from "@linkkit/symbol-resolver";
import { LinkError } from "./errors.js";
import { ObjectFile } from "./inputs/object-file.js";
import { IMPORT_THUNK, ImportFile } from "./inputs/import-file.js";
import type { InputLoader, LoadedInputs } from "./inputs/loader.js";
import type { LinkOptions, Subsystem } from "./options.js";

/** Linker-defined names that read as zero when nothing else defines them (no /guard:cf here). */
const guardSymbols = [
  "__guard_flags", "__guard_fids_count", "__guard_fids_table", "__guard_iat_count", "__guard_iat_table",
  "__guard_longjmp_count", "__guard_longjmp_table", "__guard_eh_cont_count", "__guard_eh_cont_table",
];

/** Payload of `__ImageBase` in the resolver: RVA 0, but a real address (base relocations apply). */
export const SYNTHETIC_IMAGE_BASE = 1;

export interface EntryPoint {
  readonly name: string | undefined;
  readonly subsystem: Subsystem;
}

/** Decides the entry point and subsystem as link.exe does, then loads what that needs. */
export function settleLinkerSymbols(loader: InputLoader, options: LinkOptions): EntryPoint {
  const symbols = loader.symbols;
  const mangle = (n: string) => loader.mangle(n);
  symbols.defineSynthetic(loader.linkerInput, mangle("__ImageBase"), SYNTHETIC_IMAGE_BASE, 0);
  loader.resolveLazyMembers();

  const defined = (name: string) => {
    const id = symbols.idOf(mangle(name));
    if (id === undefined) return false;
    const kind = symbols.winnerKind(id);
    return kind !== SymbolKind.Undefined;
  };
  let subsystem = options.subsystem ?? loader.subsystemFromDirectives;
  if (subsystem === undefined) {
    if (options.dll) subsystem = "windows";
    else if (defined("main") || defined("wmain")) subsystem = "console";
    else if (defined("WinMain") || defined("wWinMain")) subsystem = "windows";
  }
  let entry = options.entry ?? loader.entryFromDirectives;
  if (entry === undefined && !options.dll) {
    if (subsystem === "console") entry = defined("wmain") && !defined("main") ? "wmainCRTStartup" : "mainCRTStartup";
    else if (subsystem === "windows") entry = defined("wWinMain") && !defined("WinMain") ? "wWinMainCRTStartup" : "WinMainCRTStartup";
  }
  if (subsystem === undefined) throw new LinkError("subsystem must be defined (use /subsystem:console or /subsystem:windows)");
  let entryName = entry === undefined ? undefined : mangle(entry);
  if (entry === undefined && options.dll) {
    // A DLL without the CRT's entry point simply has none.
    const crtEntry = loader.currentMachine === "x86" ? "__DllMainCRTStartup@12" : "_DllMainCRTStartup";
    const id = symbols.idOf(crtEntry);
    if (id !== undefined && symbols.winnerKind(id) !== SymbolKind.Undefined) entryName = crtEntry;
  }
  if (entryName !== undefined) symbols.reference(loader.linkerInput, entryName);

  for (const [from, to] of loader.alternateNames) symbols.defineAlias(loader.linkerInput, from, to, true);
  loader.resolveLazyMembers();

  for (const name of guardSymbols) {
    const id = symbols.idOf(mangle(name));
    if (id !== undefined && symbols.winnerKind(id) === SymbolKind.Undefined) symbols.defineAbsolute(loader.linkerInput, mangle(name), 0);
  }
  return { name: entryName, subsystem };
}

/**
 * The resolver's diagnostics, all of them or those of what an update `touched`: every error thrown in one
 * LinkError (lld's way), the warnings returned; `tolerated` ones (a flavour's leniency) dropped.
 */
export function checkSymbols(inputs: LoadedInputs, tolerated?: (d: Diagnostic) => boolean, touched?: TouchedSymbols): string[] {
  let all: readonly Diagnostic[] = touched ? inputs.symbols.diagnosticsOf(touched.symbols, touched.groups) : inputs.symbols.diagnostics();
  if (tolerated) all = all.filter((d) => !tolerated(d));
  const errors = all.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new LinkError(errors.map((d) => d.message.replace(/^error: /, "")));
  return all.map((d) => `warning: ${d.message}`);
}

/** What an incremental update touched: only these names and COMDAT groups can have new problems. */
export interface TouchedSymbols {
  readonly symbols: Iterable<number>;
  readonly groups: Iterable<number>;
}

/** Where each global name ends up, flattened once after resolution so relocation can index typed arrays. */
export const enum TargetKind { Undefined = 0, Section = 1, Common = 2, Absolute = 3, ImportSlot = 4, ImportThunk = 5, ImageBase = 6 }

export interface ResolvedSymbolsState {
  readonly kind: Uint8Array;
  readonly input: Int32Array;
  readonly section: Int32Array;
  readonly value: Float64Array;
}

export class ResolvedSymbols {
  readonly kind: Uint8Array;
  /** The defining object (Section, Common) or import file (ImportSlot, ImportThunk), as an index into `files`. */
  readonly input: Int32Array;
  /** Object section number (1-based) for Section. */
  readonly section: Int32Array;
  /** Offset in the section, absolute value, or common size. */
  readonly value: Float64Array;

  /** The columns as they are (a saved session: serialised at once, before the next update). */
  saveState(): ResolvedSymbolsState {
    return { kind: this.kind, input: this.input, section: this.section, value: this.value };
  }

  static restore(state: ResolvedSymbolsState): ResolvedSymbols {
    const n = state.kind.length;
    if (state.input.length !== n || state.section.length !== n || state.value.length !== n) throw new LinkError("the saved resolution's columns differ in length");
    return Object.assign(Object.create(ResolvedSymbols.prototype) as ResolvedSymbols, state);
  }

  constructor(inputs: LoadedInputs, previous?: { readonly resolved: ResolvedSymbols; readonly changed: Iterable<number> }) {
    const n = inputs.symbols.symbolCount;
    this.kind = new Uint8Array(n);
    this.input = new Int32Array(n).fill(-1);
    this.section = new Int32Array(n);
    this.value = new Float64Array(n);
    if (!previous) {
      for (let id = 0; id < n; id++) this.resolve(inputs, id);
      return;
    }
    // An update: the previous flattening holds for every name whose winner did not change.
    const before = previous.resolved;
    const kept = Math.min(n, before.kind.length);
    this.kind.set(before.kind.subarray(0, kept));
    this.input.set(before.input.subarray(0, kept));
    this.section.set(before.section.subarray(0, kept));
    this.value.set(before.value.subarray(0, kept));
    for (const id of previous.changed) if (id < n) this.resolve(inputs, id);
    for (let id = kept; id < n; id++) this.resolve(inputs, id);
  }

  private resolve(inputs: LoadedInputs, id: number): void {
    const symbols = inputs.symbols;
    this.kind[id] = TargetKind.Undefined;
    this.input[id] = -1;
    this.section[id] = 0;
    this.value[id] = 0;
    const target = symbols.resolveAlias(id as SymbolId);
    if (target === undefined) return; // an alias cycle: reported as undefined by the resolver
    const kind = symbols.winnerKind(target);
    switch (kind) {
      case SymbolKind.Defined:
      case SymbolKind.Weak: {
        const input = symbols.winnerInput(target);
        if (!(inputs.files[input] instanceof ObjectFile)) return;
        this.kind[id] = TargetKind.Section;
        this.input[id] = input;
        this.section[id] = symbols.winnerSection(target);
        this.value[id] = symbols.winnerValue(target);
        break;
      }
      case SymbolKind.Common:
        this.kind[id] = TargetKind.Common;
        this.input[id] = symbols.winnerInput(target);
        this.value[id] = symbols.winnerValue(target);
        break;
      case SymbolKind.Absolute:
        this.kind[id] = TargetKind.Absolute;
        this.value[id] = symbols.winnerValue(target);
        break;
      case SymbolKind.Synthetic: {
        const input = symbols.winnerInput(target);
        const file = inputs.files[input];
        const section = symbols.winnerSection(target);
        if (file instanceof ImportFile) {
          this.kind[id] = section === IMPORT_THUNK ? TargetKind.ImportThunk : TargetKind.ImportSlot;
          this.input[id] = input;
        } else if (section === SYNTHETIC_IMAGE_BASE) {
          this.kind[id] = TargetKind.ImageBase;
        }
        break;
      }
      default:
        break;
    }
  }
}
