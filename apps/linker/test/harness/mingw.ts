// The MinGW side of the end-to-end tests: one program compiled by x86_64/i686-w64-mingw32-gcc or by clang
// for the same target, then linked through that compiler's own driver by GNU ld, by ld.lld and by
// linkkit-ld, the way users swap linkers in: `gcc -B DIR` and `clang --ld-path=...`.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { expect } from "vitest";
import { compareMingwImages, normalizeMingwImage } from "./mingw-disasm.js";
import { readobjFacts } from "./linkers.js";
import { makeTempDir, run, runOk, tools, winePrefix, type RunResult } from "./toolchain.js";

export type Arch = "x86_64" | "i686";
export type Compiler = "gcc" | "clang";
export type Linker = "gnu" | "lld" | "linkkit";
export const linkers: readonly Linker[] = ["gnu", "lld", "linkkit"];

/** The launcher users put on their path (`bin/linkkit-ld.js`, which runs `dist/`). */
export const linkkitLd = join(__dirname, "..", "..", "bin", "linkkit-ld.js");

export interface MingwToolchain {
  readonly arch: Arch;
  readonly triple: string;
  /** GCC's own directory (libgcc.a, libstdc++.a, the runtime DLLs): Debian's clang 14 does not find it by itself. */
  readonly gccLibDir: string;
  /** libstdc++'s headers, for clang++. */
  readonly cxxIncludes: readonly string[];
  readonly gnuLd: string;
}

const toolchains = new Map<Arch, MingwToolchain>();
export function mingwToolchain(arch: Arch): MingwToolchain {
  let tc = toolchains.get(arch);
  if (tc) return tc;
  const triple = `${arch}-w64-mingw32`;
  const gccLibDir = dirname(runOk(`${triple}-gcc`, ["-print-libgcc-file-name"]).trim());
  const verbose = run(`${triple}-g++`, ["-E", "-v", "-x", "c++", "/dev/null"]).stderr;
  const cxxIncludes = verbose.split("\n").map((l) => l.trim()).filter((l) => /\/include\/c\+\+(\/|$)/.test(l));
  tc = { arch, triple, gccLibDir, cxxIncludes, gnuLd: `/usr/bin/${triple}-ld` };
  toolchains.set(arch, tc);
  return tc;
}

let shims: { linkkit: string; lld: string } | undefined;
/**
 * Directories for `gcc -B`: `ld` for drivers that look it up there, and `collect2`, because Debian's gcc is
 * configured `--with-ld=/usr/bin/<triple>-ld` and its collect2 then runs that path whatever -B says; the
 * gcc driver does find collect2 through -B, and collect2 only passes its command line on to ld.
 */
export function linkerShims(): { linkkit: string; lld: string } {
  if (shims) return shims;
  const root = makeTempDir("mingw-shims");
  const linkkit = join(root, "linkkit"), lld = join(root, "lld");
  mkdirSync(linkkit); mkdirSync(lld);
  for (const name of ["ld", "collect2"]) {
    symlinkSync(linkkitLd, join(linkkit, name));
    writeFileSync(join(lld, name), `#!/bin/sh\nexec ${tools.ldLld} "$@"\n`, { mode: 0o755 });
  }
  shims = { linkkit, lld };
  return shims;
}

export interface Build {
  readonly tc: MingwToolchain;
  readonly compiler: Compiler;
  readonly cxx: boolean;
}

function driver(b: Build): { command: string; args: string[] } {
  if (b.compiler === "gcc") return { command: `${b.tc.triple}-${b.cxx ? "g++" : "gcc"}`, args: [] };
  return { command: b.cxx ? "clang++" : "clang", args: [`--target=${b.tc.triple}`] };
}

/** Writes `sources` into `dir` and compiles each .c/.cc to an object with the build's compiler. */
export function compile(b: Build, dir: string, sources: Record<string, string>, flags: readonly string[] = []): string[] {
  const objects: string[] = [];
  for (const [name, text] of Object.entries(sources)) writeFileSync(join(dir, name), text);
  for (const name of Object.keys(sources)) {
    if (!/\.(c|cc)$/.test(name)) continue;
    const src = join(dir, name);
    const obj = join(dir, `${name.replace(/\.(c|cc)$/, "")}.${b.compiler}.o`);
    compileOne(b, src, obj, flags);
    objects.push(obj);
  }
  return objects;
}

function compileArgs(b: Build, flags: readonly string[]): { command: string; args: string[] } {
  const d = driver(b);
  const includes = b.compiler === "clang" && b.cxx ? b.tc.cxxIncludes.flatMap((i) => ["-isystem", i]) : [];
  return { command: d.command, args: [...d.args, ...includes, "-c", "-O1", ...flags] };
}

export function compileOne(b: Build, src: string, obj: string, flags: readonly string[] = []): void {
  const { command, args } = compileArgs(b, flags);
  runOk(command, [...args, src, "-o", obj]);
}

/** Compiles one large source once per compiler, flags and source text; later runs reuse the object. */
export async function compileCached(b: Build, src: string, flags: readonly string[]): Promise<string> {
  const { command, args } = compileArgs(b, flags);
  const version = runOk(command, ["--version"]).split("\n")[0];
  const key = createHash("sha256").update(JSON.stringify([command, args, version])).update(readFileSync(src)).digest("hex").slice(0, 24);
  const cacheDir = join(tmpdir(), "linkkit-tests", "object-cache");
  mkdirSync(cacheDir, { recursive: true });
  const cached = join(cacheDir, `${basename(src)}.${key}.o`);
  if (existsSync(cached)) return cached;
  const partial = `${cached}.${process.pid}.tmp`;
  // Asynchronous, so that several compilations share the cores.
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(command, [...args, src, "-o", partial], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stderr }));
  });
  if (r.status !== 0) throw new Error(`${command} ${[...args, src].join(" ")} failed (${r.status}):\n${r.stderr}`);
  renameSync(partial, cached);
  return cached;
}

export interface LinkRequest {
  readonly objects: readonly string[];
  readonly out: string;
  /** Driver flags: `-shared`, `-static-libstdc++`, `-Wl,...`, `-lfoo`. */
  readonly flags?: readonly string[];
  /** Also write a link.exe-style map to `${out}.map` (linkkit-ld and ld.lld only), for the disassembly comparison. */
  readonly map?: boolean;
}

/** Links through the compiler driver with the chosen linker; throws with the driver's output when it fails, else returns its stderr. */
export function link(b: Build, linker: Linker, req: LinkRequest): string {
  const d = driver(b);
  const args = [...d.args, ...req.objects, "-o", req.out, ...(req.flags ?? [])];
  if (b.compiler === "clang") args.push(`-L${b.tc.gccLibDir}`);
  const s = linkerShims();
  if (linker === "linkkit") {
    args.push(...(b.compiler === "gcc" ? ["-B", s.linkkit] : [`--ld-path=${join(s.linkkit, "ld")}`]));
    // linkkit-ld says what it wrote: the proof that the driver ran it and not its default linker.
    args.push("-Wl,--verbose");
    if (req.map) args.push(`-Wl,-Map=${req.out}.map`);
  } else if (linker === "lld") {
    args.push(...(b.compiler === "gcc" ? ["-B", s.lld] : ["-fuse-ld=lld"]));
    if (req.map) args.push(`-Wl,--Xlink=-map:${req.out}.map`);
  } else if (b.compiler === "clang") {
    args.push(`--ld-path=${b.tc.gnuLd}`);
  }
  const r = run(d.command, args);
  if (r.status !== 0) throw new Error(`${linker} via ${d.command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  if (linker === "linkkit" && !r.stderr.includes(`linkkit-ld: wrote ${req.out}`)) {
    throw new Error(`${d.command} did not run linkkit-ld:\n${r.stderr}`);
  }
  return r.stderr;
}

/** `name.<linker>.exe` in dir for each linker. */
export function linkAll(b: Build, dir: string, name: string, objects: readonly string[], flags: readonly string[] = [], ext = ".exe"): Record<Linker, string> {
  const out = {} as Record<Linker, string>;
  for (const linker of linkers) {
    out[linker] = join(dir, `${name}.${b.compiler}.${linker}${ext}`);
    link(b, linker, { objects, out: out[linker], flags, map: linker !== "gnu" });
  }
  return out;
}

/** Copies GCC's runtime DLLs (libstdc++, libgcc_s) next to programs linked against their import libraries. */
export function copyRuntimeDlls(tc: MingwToolchain, dir: string): void {
  for (const dll of ["libstdc++-6.dll", "libgcc_s_seh-1.dll", "libgcc_s_dw2-1.dll"]) {
    const from = join(tc.gccLibDir, dll);
    if (existsSync(from)) copyFileSync(from, join(dir, dll));
  }
}

/** Runs under wine in `cwd` (the program's own directory by default) with extra environment variables. */
export function runWineIn(exe: string, args: readonly string[] = [], options: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  mkdirSync(winePrefix, { recursive: true });
  return run(tools.wine, [exe, ...args], {
    cwd: options.cwd ?? dirname(exe),
    env: { ...process.env, ...options.env, WINEPREFIX: winePrefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" },
    timeoutMs: 180_000,
  });
}

/** Runs the three images; all agree on output and exit code with GNU ld's, which is returned. */
export function expectSameRuns(images: Record<Linker, string>, args: readonly string[] = [], env: Record<string, string> = {}): RunResult {
  const results = {} as Record<Linker, { status: number; stdout: string }>;
  for (const linker of linkers) {
    const r = runWineIn(images[linker], args, { env });
    results[linker] = { status: r.status, stdout: r.stdout.replace(/\r\n/g, "\n") };
  }
  expect(results.linkkit).toEqual(results.gnu);
  expect(results.lld).toEqual(results.gnu);
  return { ...results.gnu, stderr: "" };
}

/** llvm-readobj reads both cleanly, with the same imports and exports, and every function is the same code. */
export function expectLikeLld(images: { linkkit: string; lld: string }, options: { extraImports?: readonly string[] } = {}): void {
  const ours = readobjFacts(images.linkkit), theirs = readobjFacts(images.lld);
  expect(ours.errors).toBe("");
  expect(theirs.errors).toBe("");
  expect(ours.imports.filter((i) => !options.extraImports?.includes(i))).toEqual(theirs.imports);
  expect(ours.exports).toEqual(theirs.exports);
  const expected = normalizeMingwImage(images.lld, `${images.lld}.map`);
  const actual = normalizeMingwImage(images.linkkit, `${images.linkkit}.map`);
  expect(expected.functions.size).toBeGreaterThan(0);
  expect(compareMingwImages(expected, actual)).toEqual([]);
}

export function sectionNames(image: string): string[] {
  const out = runOk(tools.readobj, ["--sections", image]);
  return [...out.matchAll(/^\s*Name: (\S+)/gm)].map((m) => m[1]!);
}
