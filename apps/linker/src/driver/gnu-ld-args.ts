// The GNU ld command line, MinGW flavour (what x86_64-w64-mingw32-gcc and clang's MinGW driver pass),
// turned into the same LinkOptions the lld-link flavour produces, plus the MinGW-only switches.
// `-l` names are searched here, the MinGW way, so the engine only ever sees paths.
import { LinkError } from "../errors.js";
import { defaultLinkOptions, type LinkOptions, type MingwOptions, type Subsystem } from "../options.js";
import { parseExportArgument, parseNumber, type CommandLineHost } from "./lld-link-args.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyMap<infer A, infer B> ? Map<A, B> : T[K] extends readonly (infer E)[] ? E[] : T[K] };

/** What the command line asks for besides a link. */
export interface GnuLdCommand {
  readonly options: LinkOptions;
  /** `--version` / `-v` / `-V`: print the version; link only if there are inputs too. */
  readonly printVersion: boolean;
}

export const GNU_LD_VERSION_TEXT = "GNU ld compatible linkkit 0.1.0";

interface Pending {
  readonly o: Mutable<LinkOptions>;
  readonly m: Mutable<MingwOptions>;
  /** Inputs in order; `-l` entries are resolved once every `-L` is known (GNU ld searches all of them). */
  readonly items: { kind: "path" | "lib"; name: string; static: boolean; whole: boolean }[];
  static: boolean;
  whole: boolean;
  printVersion: boolean;
  majorSubsystem?: number;
  minorSubsystem?: number;
  majorOs?: number;
  minorOs?: number;
  majorImage?: number;
  minorImage?: number;
}

const subsystemNames: Record<string, Subsystem> = {
  console: "console", windows: "windows", native: "native", posix: "posix", efi_application: "efi_application",
  "efi-app": "efi_application", efi_boot_service_driver: "efi_boot_service_driver", "efi-bsd": "efi_boot_service_driver",
  efi_runtime_driver: "efi_runtime_driver", "efi-rtd": "efi_runtime_driver", efi_rom: "efi_rom",
};

type ValueHandler = (p: Pending, value: string, name: string) => void;
type FlagHandler = (p: Pending, name: string) => void;

function integer(text: string, name: string): number {
  return Number(parseNumber(text, name));
}

/** Options that take a value: `--name=value`, `--name value`, and for one-letter ones `-xvalue`. */
const withValue: Record<string, ValueHandler> = {
  o: (p, v) => { p.o.output = v; },
  output: (p, v) => { p.o.output = v; },
  L: (p, v) => { p.o.libPaths.push(v); },
  "library-path": (p, v) => { p.o.libPaths.push(v); },
  l: (p, v) => { p.items.push({ kind: "lib", name: v, static: p.static, whole: p.whole }); },
  library: (p, v) => { p.items.push({ kind: "lib", name: v, static: p.static, whole: p.whole }); },
  m: (p, v) => {
    if (v === "i386pep") p.o.machine = "x64";
    else if (v === "i386pe") p.o.machine = "x86";
    else throw new LinkError(`-m ${v}: unsupported emulation (linkkit-ld supports i386pep and i386pe)`);
  },
  e: (p, v) => { p.o.entry = v; },
  entry: (p, v) => { p.o.entry = v; },
  subsystem: (p, v, n) => {
    const [kind, version] = v.split(":");
    const s = subsystemNames[kind!.toLowerCase()];
    if (!s) throw new LinkError(`--${n} ${v}: unknown subsystem ${kind} (expected console, windows, native, ...)`);
    p.o.subsystem = s;
    if (version !== undefined) {
      const [major, minor] = version.split(".");
      p.majorSubsystem = integer(major!, `--${n}`);
      p.minorSubsystem = minor === undefined ? 0 : integer(minor, `--${n}`);
    }
  },
  "image-base": (p, v, n) => { p.o.imageBase = parseNumber(v, `--${n}`); },
  "major-os-version": (p, v, n) => { p.majorOs = integer(v, `--${n}`); },
  "minor-os-version": (p, v, n) => { p.minorOs = integer(v, `--${n}`); },
  "major-subsystem-version": (p, v, n) => { p.majorSubsystem = integer(v, `--${n}`); },
  "minor-subsystem-version": (p, v, n) => { p.minorSubsystem = integer(v, `--${n}`); },
  "major-image-version": (p, v, n) => { p.majorImage = integer(v, `--${n}`); },
  "minor-image-version": (p, v, n) => { p.minorImage = integer(v, `--${n}`); },
  "file-alignment": (p, v, n) => { p.o.fileAlignment = integer(v, `--${n}`); },
  "section-alignment": (p, v, n) => { p.o.sectionAlignment = integer(v, `--${n}`); },
  stack: (p, v, n) => { p.o.stack = reserveCommit(v, `--${n}`); },
  heap: (p, v, n) => { p.o.heap = reserveCommit(v, `--${n}`); },
  "out-implib": (p, v) => { p.o.implib = v; },
  Map: (p, v) => { p.o.map = v; p.m.gnuMap = v; },
  u: (p, v) => { p.o.includes.push(v); },
  undefined: (p, v) => { p.o.includes.push(v); },
  "exclude-symbols": (p, v) => { p.m.excludeSymbols.push(...v.split(/[,:]/).filter((s) => s !== "")); },
  "exclude-libs": (p, v) => { p.m.excludeLibs.push(...v.split(/[,:]/).filter((s) => s !== "")); },
  "export": (p, v) => { p.o.exports.push(parseExportArgument(v, "--export")); },
  "require-defined": (p, v) => { p.o.includes.push(v); },
  "dynamic-linker": () => {}, // meaningless for PE; configure scripts sometimes pass it
  sysroot: () => {}, // gcc passes its sysroot; every path it gives is already absolute
  plugin: () => {}, // gcc's LTO plugin: objects with LTO bytecode are rejected when read
  "plugin-opt": () => {},
  "build-id": () => {},
  "threads": () => {},
  "color-diagnostics": () => {},
  "error-limit": () => {},
  "hash-style": () => {},
  "reproduce": () => {},
  "pdb": () => {},
  "guard-cf": () => {},
};

/** Options that take no value. */
const flags: Record<string, FlagHandler> = {
  Bstatic: (p) => { p.static = true; },
  static: (p) => { p.static = true; },
  dn: (p) => { p.static = true; },
  non_shared: (p) => { p.static = true; },
  Bdynamic: (p) => { p.static = false; },
  dy: (p) => { p.static = false; },
  call_shared: (p) => { p.static = false; },
  "whole-archive": (p) => { p.whole = true; },
  "no-whole-archive": (p) => { p.whole = false; },
  "start-group": () => {}, // archives resolve order-independently already
  "end-group": () => {},
  "(": () => {},
  ")": () => {},
  shared: (p) => { p.o.dll = true; },
  dll: (p) => { p.o.dll = true; },
  dynamicbase: (p) => { p.o.dynamicBase = true; },
  "disable-dynamicbase": (p) => { p.o.dynamicBase = false; },
  nxcompat: (p) => { p.o.nxCompat = true; },
  "disable-nxcompat": (p) => { p.o.nxCompat = false; },
  "high-entropy-va": (p) => { p.o.highEntropyVa = true; },
  "disable-high-entropy-va": (p) => { p.o.highEntropyVa = false; },
  "large-address-aware": (p) => { p.o.largeAddressAware = true; },
  "disable-large-address-aware": (p) => { p.o.largeAddressAware = false; },
  tsaware: (p) => { p.o.terminalServerAware = true; },
  "disable-tsaware": (p) => { p.o.terminalServerAware = false; },
  "gc-sections": (p) => { p.o.gcSections = true; },
  "no-gc-sections": (p) => { p.o.gcSections = false; },
  s: (p) => { p.m.strip = true; },
  "strip-all": (p) => { p.m.strip = true; },
  S: (p) => { p.m.strip = true; },
  "strip-debug": (p) => { p.m.strip = true; },
  "export-all-symbols": (p) => { p.m.exportAll = true; },
  "no-export-all-symbols": (p) => { p.m.exportAll = false; },
  "exclude-all-symbols": (p) => { p.m.excludeAll = true; },
  "kill-at": (p) => { p.m.killAt = true; },
  "add-stdcall-alias": (p) => { p.m.stdcallAlias = true; },
  "enable-auto-import": (p) => { p.m.autoImport = true; },
  "disable-auto-import": (p) => { p.m.autoImport = false; },
  "enable-runtime-pseudo-reloc": (p) => { p.m.runtimePseudoReloc = true; },
  "disable-runtime-pseudo-reloc": (p) => { p.m.runtimePseudoReloc = false; },
  "enable-stdcall-fixup": (p) => { p.m.stdcallFixup = true; p.m.stdcallFixupWarn = false; },
  "disable-stdcall-fixup": (p) => { p.m.stdcallFixup = false; },
  "allow-multiple-definition": (p) => { p.o.force = { ...p.o.force, multiple: true }; },
  "unresolved-symbols=ignore-all": (p) => { p.o.force = { ...p.o.force, unresolved: true }; },
  "no-insert-timestamp": (p) => { p.o.timestamp = 0; },
  "insert-timestamp": (p) => { p.o.timestamp = Math.floor(Date.now() / 1000) >>> 0; },
  verbose: (p) => { p.o.verbose = true; },
  v: (p) => { p.printVersion = true; },
  V: (p) => { p.printVersion = true; },
  version: (p) => { p.printVersion = true; },
  "print-map": () => { throw new LinkError("--print-map: not supported; use -Map <file>"); },
  // Accepted because compiler drivers pass them and they change nothing in a PE image linkkit writes.
  "no-seh": () => {}, "no-undefined": () => {}, "allow-shlib-undefined": () => {}, "no-allow-shlib-undefined": () => {},
  "as-needed": () => {}, "no-as-needed": () => {}, "enable-auto-image-base": () => {}, "disable-auto-image-base": () => {},
  "demangle": () => {}, "no-demangle": () => {}, "eh-frame-hdr": () => {}, "no-eh-frame-hdr": () => {},
  "pic-executable": () => {}, "no-pic-executable": () => {}, pie: () => {}, "no-pie": () => {}, nostdlib: () => {},
  "enable-extra-pe-debug": () => {}, "fatal-warnings": () => {}, "no-fatal-warnings": () => {}, "warn-common": () => {},
  "no-keep-memory": () => {}, "disable-reloc-section": (p) => { p.o.fixed = true; }, "enable-reloc-section": () => {},
  O0: () => {}, O1: () => {}, O2: () => {}, O3: () => {}, "relax": () => {}, "no-relax": () => {},
  "Bsymbolic": () => {}, "Bsymbolic-functions": () => {}, "no-dynamicbase": (p) => { p.o.dynamicBase = false; },
  "time": (p) => { p.o.time = true; },
  // As gold spells them: the first run links fully and keeps state next to the output; later runs patch it.
  incremental: (p) => { p.o.incremental = true; },
  "no-incremental": (p) => { p.o.incremental = false; p.o.watch = false; },
  watch: (p) => { p.o.incremental = true; p.o.watch = true; },
  // The launcher acts on these (bin/server-client.js): later runs of the command go to a resident linkkit.
  server: (p) => { p.o.server = true; },
  "no-server": (p) => { p.o.server = false; },
};

/** One-letter options whose value may follow directly (`-lfoo`, `-L/dir`, `-ofile`, `-mi386pep`). */
const joinedShort = new Set(["o", "L", "l", "e", "m", "u"]);

function reserveCommit(text: string, what: string): [bigint, bigint] {
  const [r, c] = text.split(",");
  return [parseNumber(r!, what), c === undefined ? -1n : parseNumber(c, what)];
}

/** Splits a GNU-style response file: whitespace separates, '…' and "…" quote, backslash escapes. */
export function splitGnuCommandLine(text: string): string[] {
  const out: string[] = [];
  let current = "", inArg = false, quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== "") {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === "'" || c === '"') { quote = c; inArg = true; }
    else if (c === "\\" && i + 1 < text.length) { current += text[++i]; inArg = true; }
    else if (/\s/.test(c)) { if (inArg) out.push(current); current = ""; inArg = false; }
    else { current += c; inArg = true; }
  }
  if (quote !== "") throw new LinkError("response file: unterminated quote");
  if (inArg) out.push(current);
  return out;
}

function expandResponseFiles(argv: readonly string[], host: CommandLineHost, depth = 0): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith("@") && arg.length > 1 && host.fileExists(arg.slice(1))) {
      if (depth > 20) throw new LinkError(`${arg}: response files nested too deeply`);
      out.push(...expandResponseFiles(splitGnuCommandLine(host.readText(arg.slice(1))), host, depth + 1));
    } else out.push(arg);
  }
  return out;
}

/** MinGW's library search: `-l:name` as given; else `libfoo.dll.a`, `foo.dll.a`, `libfoo.a`, `foo.lib` (import libraries only without -Bstatic). */
export function searchLibrary(name: string, dirs: readonly string[], isStatic: boolean, host: Pick<CommandLineHost, "fileExists">): string | undefined {
  const join = (dir: string, file: string) => (dir.endsWith("/") || dir.endsWith("\\") ? dir + file : `${dir}/${file}`);
  if (name.startsWith(":")) {
    for (const dir of dirs) { const p = join(dir, name.slice(1)); if (host.fileExists(p)) return p; }
    return undefined;
  }
  const candidates = isStatic ? [`lib${name}.a`, `${name}.lib`] : [`lib${name}.dll.a`, `${name}.dll.a`, `lib${name}.a`, `${name}.lib`];
  for (const dir of dirs) {
    for (const c of candidates) { const p = join(dir, c); if (host.fileExists(p)) return p; }
  }
  return undefined;
}

export function defaultMingwOptions(): MingwOptions {
  return {
    autoImport: true, runtimePseudoReloc: true, exportAll: undefined, excludeAll: false, killAt: false,
    stdcallAlias: false, stdcallFixup: true, stdcallFixupWarn: true, strip: false, gnuMap: undefined,
    excludeSymbols: [], excludeLibs: [],
  };
}

/** Parses a GNU ld command line (response files expanded). Unknown options are errors. */
export function parseGnuLdArgs(argv: readonly string[], host: CommandLineHost): GnuLdCommand {
  const args = expandResponseFiles(argv, host);
  const o = defaultLinkOptions() as Mutable<LinkOptions>;
  const m = { ...defaultMingwOptions(), excludeSymbols: [] as string[], excludeLibs: [] as string[] };
  // GNU ld defaults that differ from lld-link's: no /opt:ref, console subsystem, the MinGW entry points.
  o.gcSections = false;
  o.libPaths = [];
  const p: Pending = { o, m, items: [], static: false, whole: false, printVersion: false };
  const errors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "" ) continue;
    if (arg[0] !== "-" || arg === "-") {
      p.items.push({ kind: "path", name: arg, static: p.static, whole: p.whole });
      continue;
    }
    // `--name`, `-name` (GNU ld accepts long options with one dash), `--name=value`.
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const flag = Object.hasOwn(flags, body) ? flags[body] : undefined;
    if (flag) { flag(p, body); continue; }
    const valued = Object.hasOwn(withValue, name) ? withValue[name] : undefined;
    if (valued) {
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= args.length) { errors.push(`${arg}: missing argument`); continue; }
        value = args[++i]!;
      }
      valued(p, value, name);
      continue;
    }
    // `-lfoo`, `-L/dir`, `-ofile`: a one-letter option with its value attached.
    if (!arg.startsWith("--") && joinedShort.has(arg[1]!)) {
      withValue[arg[1]!]!(p, arg.slice(2), arg[1]!);
      continue;
    }
    if (arg.startsWith("-plugin-opt") || arg.startsWith("-flavor")) continue;
    errors.push(`unknown argument '${arg}'`);
  }
  if (errors.length > 0) throw new LinkError(errors);

  const missing: string[] = [];
  for (const item of p.items) {
    let path = item.name;
    if (item.kind === "lib") {
      const found = searchLibrary(item.name, o.libPaths, item.static, host);
      if (found === undefined) { missing.push(`unable to find library -l${item.name}`); continue; }
      path = found;
    }
    o.inputs.push(path);
    if (item.whole) o.wholeArchiveLibs.push(path);
  }
  if (missing.length > 0) throw new LinkError(missing);

  if (p.majorSubsystem !== undefined || p.minorSubsystem !== undefined) o.subsystemVersion = [p.majorSubsystem ?? 6, p.minorSubsystem ?? 0];
  if (p.majorOs !== undefined || p.minorOs !== undefined) o.osVersion = [p.majorOs ?? 6, p.minorOs ?? 0];
  if (p.majorImage !== undefined || p.minorImage !== undefined) o.imageVersion = [p.majorImage ?? 0, p.minorImage ?? 0];
  o.subsystem ??= "console";
  // The MinGW runtime's entry points (crt2.o, dllcrt2.o), named as GNU ld names them.
  if (o.entry === undefined) {
    if (o.dll) o.entry = o.machine === "x86" ? "DllMainCRTStartup@12" : "DllMainCRTStartup";
    else o.entry = o.subsystem === "windows" ? "WinMainCRTStartup" : "mainCRTStartup";
  }
  o.output ??= o.dll ? "a.dll" : "a.exe";
  o.mingw = m;
  return { options: o, printVersion: p.printVersion };
}
