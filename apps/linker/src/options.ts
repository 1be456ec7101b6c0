// The one options object both command lines (lld-link and GNU ld flavours) end in.

export type Machine = "x64" | "x86";

export type Subsystem =
  | "console" | "windows" | "native" | "posix" | "efi_application" | "efi_boot_service_driver"
  | "efi_rom" | "efi_runtime_driver" | "boot_application";

/** One `/export:` or `.def` EXPORTS line. */
export interface ExportSpec {
  /** The name the DLL exports. */
  readonly name: string;
  /** The symbol that implements it (defaults to `name`); for a forwarder, `dll.name` or `dll.#ordinal`. */
  readonly internalName?: string | undefined;
  readonly forwardTo?: string | undefined;
  readonly ordinal?: number | undefined;
  readonly noName?: boolean;
  readonly data?: boolean;
  readonly private?: boolean;
  /** Where it came from, for messages: "/export", "a.def", "a.obj (.drectve)". */
  readonly origin: string;
}

export interface LinkOptions {
  readonly inputs: readonly string[];
  readonly output: string | undefined;
  readonly machine: Machine | undefined;
  readonly entry: string | undefined;
  readonly subsystem: Subsystem | undefined;
  readonly subsystemVersion: readonly [number, number] | undefined;
  readonly osVersion: readonly [number, number] | undefined;
  readonly imageVersion: readonly [number, number] | undefined;
  readonly dll: boolean;
  readonly imageBase: bigint | undefined;
  readonly fixed: boolean;
  readonly dynamicBase: boolean;
  readonly highEntropyVa: boolean | undefined;
  readonly largeAddressAware: boolean | undefined;
  readonly nxCompat: boolean;
  readonly terminalServerAware: boolean;
  readonly libPaths: readonly string[];
  readonly defaultLibs: readonly string[];
  readonly noDefaultLibs: readonly string[];
  readonly noDefaultLibAll: boolean;
  readonly exports: readonly ExportSpec[];
  readonly defFile: string | undefined;
  readonly includes: readonly string[];
  readonly alternateNames: ReadonlyMap<string, string>;
  /** `/merge:from=to`, applied to output section names. */
  readonly merges: ReadonlyMap<string, string>;
  /** `/section:name,attrs`: characteristics to set on an output section. */
  readonly sectionAttributes: ReadonlyMap<string, string>;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly stack: readonly [bigint, bigint] | undefined;
  readonly heap: readonly [bigint, bigint] | undefined;
  readonly timestamp: number;
  readonly force: { readonly multiple: boolean; readonly unresolved: boolean };
  readonly implib: string | undefined;
  readonly map: string | undefined;
  readonly verbose: boolean;
  readonly time: boolean;
  /** `/opt:ref`: drop unreferenced COMDAT sections (on by default, as lld). */
  readonly gcSections: boolean;
  readonly wholeArchive: boolean;
  readonly wholeArchiveLibs: readonly string[];
  readonly release: boolean;
  readonly incremental: boolean;
  /** Stay running and relink incrementally whenever an input changes. */
  readonly watch: boolean;
  /**
   * `/server`: hand the command to a resident linkkit that keeps this link warm (the session in memory,
   * the code compiled), starting one when there is none (see server.ts).
   */
  readonly server: boolean;
  readonly warnings: readonly string[];
  /** Set by the GNU ld (MinGW) command line: what the MinGW runtime needs from the linker. */
  readonly mingw?: MingwOptions | undefined;
}

/** The MinGW-only behaviour (GNU ld's PE emulation), off for the lld-link command line. */
export interface MingwOptions {
  /** Resolve `foo` to the import `__imp_foo` when nothing else defines it (data from DLLs without dllimport). */
  readonly autoImport: boolean;
  /** Write runtime pseudo relocations (version 2) for references to auto-imported data. */
  readonly runtimePseudoReloc: boolean;
  /** `--export-all-symbols`; undefined: GNU ld's default (all, for a DLL that exports nothing explicitly). */
  readonly exportAll: boolean | undefined;
  readonly excludeAll: boolean;
  readonly excludeSymbols: readonly string[];
  readonly excludeLibs: readonly string[];
  /** `--kill-at`: exports drop the stdcall `@N` suffix. */
  readonly killAt: boolean;
  readonly stdcallAlias: boolean;
  /** i386: resolve `_foo` to `_foo@N` (and back) when only the other spelling exists. */
  readonly stdcallFixup: boolean;
  readonly stdcallFixupWarn: boolean;
  /** `-s`/`-S`: leave DWARF `.debug_*` sections out of the image. */
  readonly strip: boolean;
  /** `-Map file`: a link.exe-style map file (what linkkit writes for both flavours). */
  readonly gnuMap: string | undefined;
}

export function defaultLinkOptions(): LinkOptions {
  return {
    inputs: [], output: undefined, machine: undefined, entry: undefined, subsystem: undefined,
    subsystemVersion: undefined, osVersion: undefined, imageVersion: undefined, dll: false, imageBase: undefined,
    fixed: false, dynamicBase: true, highEntropyVa: undefined, largeAddressAware: undefined, nxCompat: true,
    terminalServerAware: true, libPaths: [], defaultLibs: [], noDefaultLibs: [], noDefaultLibAll: false,
    exports: [], defFile: undefined, includes: [], alternateNames: new Map(), merges: new Map(),
    sectionAttributes: new Map(), sectionAlignment: 0x1000, fileAlignment: 0x200, stack: undefined,
    heap: undefined, timestamp: 0, force: { multiple: false, unresolved: false }, implib: undefined,
    map: undefined, verbose: false, time: false, gcSections: true, wholeArchive: false, wholeArchiveLibs: [],
    release: false, incremental: false, watch: false, server: false, warnings: [],
  };
}
