// The native toolchain the end-to-end tests compare against: which tools are here, and a describe() that
// skips without them on a developer's machine but fails loudly in CI (CI=true), where they must exist.
// The pattern is apps/linker/test/harness/toolchain.ts's.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";

export const tools = {
  clang: "clang",
  clangxx: "clang++",
  gcc: "gcc",
  gxx: "g++",
  ldLld: "ld.lld",
  gnuLd: "ld",
  ar: "ar",
  llvmAr: "llvm-ar",
  readelf: "readelf",
  llvmReadelf: "llvm-readelf",
} as const;
export type Tool = keyof typeof tools;

const found = new Map<Tool, boolean>();
export function hasTool(tool: Tool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = spawnSync("sh", ["-c", `command -v ${tools[tool]}`], { stdio: "ignore" }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

export const inCI = process.env.CI === "true";
// Executables for x86-64 Linux run only there.
const nativeHost = process.platform === "linux" && process.arch === "x64";

/** describe() for tests that need `needed` (and an x86-64 Linux host): skipped without them, except in CI. */
export function describeWithTools(name: string, needed: readonly Tool[], body: () => void): void {
  const missing: string[] = needed.filter((t) => !hasTool(t)).map((t) => tools[t]);
  if (!nativeHost) missing.push("an x86-64 Linux host");
  if (missing.length === 0) describe(name, body);
  else if (inCI) {
    describe(name, () => {
      it("has its toolchain", () => {
        throw new Error(`CI=true but these are missing: ${missing.join(", ")}`);
      });
    });
  } else describe.skip(`${name} (skipped: no ${missing.join(", ")})`, body);
}

export function makeTempDir(prefix: string): string {
  const base = join(tmpdir(), "linkkit-elf-tests");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], cwd?: string): RunResult {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runOk(command: string, args: readonly string[], cwd?: string): string {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export type Compiler = "clang" | "gcc";

/** Writes the sources into `dir` and compiles each C/C++/assembly file to an object; returns the object paths. */
export function compile(dir: string, compiler: Compiler, sources: Record<string, string>, flags: readonly string[]): string[] {
  const objects: string[] = [];
  for (const [name, text] of Object.entries(sources)) {
    const src = join(dir, name);
    writeFileSync(src, text);
    if (name.endsWith(".h")) continue;
    const cxx = /\.(cc|cpp)$/.test(name);
    const driver = cxx ? (compiler === "clang" ? tools.clangxx : tools.gxx) : compiler === "clang" ? tools.clang : tools.gcc;
    const obj = src.replace(/\.(c|cc|cpp|s)$/, ".o");
    const langFlags = cxx ? ["-fno-exceptions", "-fno-rtti"] : [];
    runOk(driver, ["-c", "-O1", "-ffreestanding", "-fno-stack-protector", "-fcf-protection=none", "-w", ...langFlags, ...flags, src, "-o", obj], dir);
    objects.push(obj);
  }
  return objects;
}
