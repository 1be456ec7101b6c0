// The lld-link / link.exe command line: `/opt` or `-opt`, case-insensitive, `name:value` arguments,
// `@file` response files and the LINK environment variable, turned into LinkOptions.
import { LinkError } from "../errors.js";
import { defaultLinkOptions, type ExportSpec, type LinkOptions, type Machine, type Subsystem } from "../options.js";
import { expandResponseFiles, splitWindowsCommandLine } from "./response-file.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyMap<infer A, infer B> ? Map<A, B> : T[K] extends readonly (infer E)[] ? E[] : T[K] };

export interface CommandLineHost {
  readText(path: string): string;
  /** Used to tell an absolute Unix path (`/tmp/a.obj`) from an unknown option. */
  fileExists(path: string): boolean;
  env(name: string): string | undefined;
}

type Handler = (o: Mutable<LinkOptions>, value: string | undefined, name: string) => void;

function requireValue(name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new LinkError(`/${name}: missing argument (expected /${name}:<value>)`);
  return value;
}

export function parseNumber(text: string, what: string): bigint {
  const t = text.trim();
  try {
    if (/^0x[0-9a-f]+$/i.test(t) || /^[0-9]+$/.test(t)) return BigInt(t);
  } catch { /* fall through */ }
  throw new LinkError(`${what}: not a number: ${text}`);
}

function parseVersion(text: string, what: string): [number, number] {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new LinkError(`${what}: expected a version such as 6.0, got ${text}`);
  return [Number(m[1]), Number(m[2] ?? 0)];
}

const subsystems: Record<string, Subsystem> = {
  console: "console", windows: "windows", native: "native", posix: "posix", efi_application: "efi_application",
  efi_boot_service_driver: "efi_boot_service_driver", efi_rom: "efi_rom", efi_runtime_driver: "efi_runtime_driver",
  boot_application: "boot_application",
};

const machines: Record<string, Machine> = { x64: "x64", amd64: "x64", x86: "x86", i386: "x86" };

/** `name[=internal][,@ordinal[,NONAME]][,DATA][,PRIVATE]` (the /export syntax). */
export function parseExportArgument(text: string, origin: string): ExportSpec {
  const [head, ...attrs] = text.split(",");
  let name = head!;
  let internalName: string | undefined;
  const eq = name.indexOf("=");
  if (eq >= 0) { internalName = name.slice(eq + 1); name = name.slice(0, eq); }
  let ordinal: number | undefined, noName = false, data = false, priv = false;
  for (const raw of attrs) {
    const a = raw.trim();
    if (a.startsWith("@")) {
      const n = Number(a.slice(1));
      if (!Number.isInteger(n) || n < 1 || n > 0xffff) throw new LinkError(`/export:${text}: invalid ordinal ${a}`);
      ordinal = n;
    } else if (/^noname$/i.test(a)) noName = true;
    else if (/^data$/i.test(a)) data = true;
    else if (/^private$/i.test(a)) priv = true;
    else if (/^constant$/i.test(a)) data = true;
    else throw new LinkError(`/export:${text}: unknown attribute ${a}`);
  }
  if (name === "") throw new LinkError(`/export:${text}: missing name`);
  // `internal` of the form dll.name (with a dot and no symbol of that name) is a forwarder: decided later.
  return { name, internalName, ordinal, noName, data, private: priv, origin };
}

const yesNo = (value: string | undefined, name: string): boolean => {
  if (value === undefined) return true;
  if (/^no$/i.test(value)) return false;
  throw new LinkError(`/${name}:${value}: expected /${name} or /${name}:no`);
};

const handlers: Record<string, Handler> = {
  out: (o, v, n) => { o.output = requireValue(n, v); },
  entry: (o, v, n) => { o.entry = requireValue(n, v); },
  subsystem: (o, v, n) => {
    const [kind, version] = requireValue(n, v).split(",");
    const s = subsystems[kind!.toLowerCase()];
    if (!s) throw new LinkError(`/subsystem:${v}: unknown subsystem ${kind} (expected one of ${Object.keys(subsystems).join(", ")})`);
    o.subsystem = s;
    if (version !== undefined) o.subsystemVersion = parseVersion(version, "/subsystem");
  },
  osversion: (o, v, n) => { o.osVersion = parseVersion(requireValue(n, v), "/osversion"); },
  version: (o, v, n) => { o.imageVersion = parseVersion(requireValue(n, v), "/version"); },
  dll: (o) => { o.dll = true; },
  base: (o, v, n) => {
    const value = requireValue(n, v);
    if (value.startsWith("@")) throw new LinkError("/base:@file is not supported");
    o.imageBase = parseNumber(value.split(",")[0]!, "/base");
  },
  fixed: (o, v, n) => { o.fixed = yesNo(v, n); },
  dynamicbase: (o, v, n) => { o.dynamicBase = yesNo(v, n); },
  highentropyva: (o, v, n) => { o.highEntropyVa = yesNo(v, n); },
  largeaddressaware: (o, v, n) => { o.largeAddressAware = yesNo(v, n); },
  nxcompat: (o, v, n) => { o.nxCompat = yesNo(v, n); },
  tsaware: (o, v, n) => { o.terminalServerAware = yesNo(v, n); },
  libpath: (o, v, n) => { o.libPaths.push(requireValue(n, v)); },
  defaultlib: (o, v, n) => { o.defaultLibs.push(requireValue(n, v)); },
  nodefaultlib: (o, v) => { if (v === undefined) o.noDefaultLibAll = true; else o.noDefaultLibs.push(v); },
  export: (o, v, n) => { o.exports.push(parseExportArgument(requireValue(n, v), "/export")); },
  def: (o, v, n) => { o.defFile = requireValue(n, v); },
  include: (o, v, n) => { o.includes.push(requireValue(n, v)); },
  alternatename: (o, v, n) => {
    const value = requireValue(n, v);
    const eq = value.indexOf("=");
    if (eq <= 0 || eq === value.length - 1) throw new LinkError(`/alternatename:${value}: expected /alternatename:from=to`);
    const from = value.slice(0, eq), to = value.slice(eq + 1);
    const old = o.alternateNames.get(from);
    if (old !== undefined && old !== to) throw new LinkError(`/alternatename: conflicts: ${from}=${old} and ${from}=${to}`);
    o.alternateNames.set(from, to);
  },
  merge: (o, v, n) => {
    const value = requireValue(n, v);
    const eq = value.indexOf("=");
    if (eq <= 0 || eq === value.length - 1) throw new LinkError(`/merge:${value}: expected /merge:from=to`);
    const from = value.slice(0, eq), to = value.slice(eq + 1);
    if (from === to) throw new LinkError(`/merge: cannot merge '${from}' with itself`);
    o.merges.set(from, to);
  },
  section: (o, v, n) => {
    const value = requireValue(n, v);
    const comma = value.indexOf(",");
    if (comma <= 0) throw new LinkError(`/section:${value}: expected /section:name,[[!]{DEKPRSW}]`);
    o.sectionAttributes.set(value.slice(0, comma), value.slice(comma + 1));
  },
  align: (o, v, n) => { o.sectionAlignment = powerOfTwo(requireValue(n, v), "/align"); },
  filealign: (o, v, n) => { o.fileAlignment = powerOfTwo(requireValue(n, v), "/filealign"); },
  stack: (o, v, n) => { o.stack = reserveCommit(requireValue(n, v), "/stack"); },
  heap: (o, v, n) => { o.heap = reserveCommit(requireValue(n, v), "/heap"); },
  timestamp: (o, v, n) => {
    const t = parseNumber(requireValue(n, v), "/timestamp");
    if (t > 0xffffffffn) throw new LinkError(`/timestamp:${v}: does not fit in 32 bits`);
    o.timestamp = Number(t);
  },
  brepro: (o) => { o.timestamp = 0; },
  force: (o, v) => {
    const kind = v?.toLowerCase();
    if (kind === undefined) o.force = { multiple: true, unresolved: true };
    else if (kind === "multiple") o.force = { ...o.force, multiple: true };
    else if (kind === "unresolved") o.force = { ...o.force, unresolved: true };
    else throw new LinkError(`/force:${v}: expected /force, /force:multiple or /force:unresolved`);
  },
  machine: (o, v, n) => {
    const m = machines[requireValue(n, v).toLowerCase()];
    if (!m) throw new LinkError(`/machine:${v}: unsupported machine (expected x64 or x86)`);
    o.machine = m;
  },
  implib: (o, v, n) => { o.implib = requireValue(n, v); },
  map: (o, v) => { o.map = v ?? ""; },
  verbose: (o) => { o.verbose = true; },
  time: (o) => { o.time = true; },
  opt: (o, v, n) => {
    for (const item of requireValue(n, v).split(",")) {
      const k = item.toLowerCase();
      if (k === "ref") o.gcSections = true;
      else if (k === "noref") o.gcSections = false;
      else if (/^(icf|noicf|lbr|nolbr|lldlto=\d+|icf=\d+|lldltojobs=.*|nosafeicf|safeicf)$/.test(k)) continue;
      else throw new LinkError(`/opt:${item}: unknown /opt argument`);
    }
  },
  wholearchive: (o, v) => { if (v === undefined) o.wholeArchive = true; else o.wholeArchiveLibs.push(v); },
  release: (o) => { o.release = true; },
  incremental: (o, v, n) => { o.incremental = yesNo(v, n); },
  watch: (o) => { o.watch = true; o.incremental = true; },
  "-watch": (o) => { o.watch = true; o.incremental = true; },
  server: (o, v, n) => { o.server = yesNo(v, n); },
  "-server": (o) => { o.server = true; },
  // Accepted for compatibility; they do not change what linkkit writes.
  nologo: () => {}, debug: () => {}, pdb: () => {}, manifest: () => {}, manifestuac: () => {},
  manifestfile: () => {}, guard: () => {}, errorreport: () => {}, ignore: () => {}, pdbaltpath: () => {},
  natvis: () => {}, nodbgdirmerge: () => {}, "build-id": () => {}, lldmingw: () => {}, "lldignoreenv": () => {},
  safeseh: () => {}, wx: () => {}, swaprun: () => {}, profile: () => {}, functionpadmin: () => {},
  threads: () => {}, demangle: () => {}, "color-diagnostics": () => {},
};

function powerOfTwo(text: string, what: string): number {
  const n = Number(parseNumber(text, what));
  if (n <= 0 || (n & (n - 1)) !== 0) throw new LinkError(`${what}:${text}: must be a power of two`);
  return n;
}

function reserveCommit(text: string, what: string): [bigint, bigint] {
  const [r, c] = text.split(",");
  const reserve = parseNumber(r!, what);
  const commit = c === undefined ? -1n : parseNumber(c, what);
  return [reserve, commit];
}

/** Parses lld-link arguments (after response-file expansion, with the LINK variable in front). */
export function parseLldLinkArgs(argv: readonly string[], host: CommandLineHost): LinkOptions {
  const fromEnv = host.env("LINK");
  const all = expandResponseFiles([...(fromEnv ? splitWindowsCommandLine(fromEnv) : []), ...argv], host.readText);
  const o = defaultLinkOptions() as Mutable<LinkOptions>;
  o.libPaths = [];
  for (const arg of all) {
    if (arg === "") continue;
    if (arg[0] === "/" || arg[0] === "-") {
      const body = arg.slice(1);
      const colon = body.indexOf(":");
      const name = (colon < 0 ? body : body.slice(0, colon)).toLowerCase();
      const value = colon < 0 ? undefined : body.slice(colon + 1);
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (handler) { handler(o, value, name); continue; }
      // On Unix `/tmp/a.obj` is a path, not an option: no option name holds a '/'.
      if (arg[0] === "/" && (name.includes("/") || host.fileExists(arg))) { o.inputs.push(arg); continue; }
      o.warnings.push(`ignoring unknown argument '${arg}'`);
      continue;
    }
    o.inputs.push(arg);
  }
  // LIB holds the library search path after /libpath entries (link.exe's order).
  const lib = host.env("LIB");
  if (lib) for (const dir of lib.split(/[;]/)) if (dir) o.libPaths.push(dir);
  return o;
}
