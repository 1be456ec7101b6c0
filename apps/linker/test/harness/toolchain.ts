// The real toolchain the end-to-end tests use: which tools are here, and a describe() that skips
// without them on a developer's machine but fails loudly in CI (CI=true), where they must exist.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";

export const tools = {
  clang: "clang",
  lldLink: "lld-link",
  ldLld: "ld.lld",
  readobj: "llvm-readobj",
  objdump: "llvm-objdump",
  dlltool: "llvm-dlltool",
  llvmLib: "llvm-lib",
  mingwGcc: "x86_64-w64-mingw32-gcc",
  mingwGcc32: "i686-w64-mingw32-gcc",
  wine: "/usr/lib/wine/wine64",
} as const;
export type Tool = keyof typeof tools;

const found = new Map<Tool, boolean>();
export function hasTool(tool: Tool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    const r = spawnSync("sh", ["-c", `command -v ${tools[tool]}`], { stdio: "ignore" });
    ok = r.status === 0;
    found.set(tool, ok);
  }
  return ok;
}

export const inCI = process.env.CI === "true";

/** describe() for tests that need `needed`: skipped without them, except in CI where that is a failure. */
export function describeWithTools(name: string, needed: readonly Tool[], body: () => void): void {
  const missing = needed.filter((t) => !hasTool(t));
  if (missing.length === 0) {
    describe(name, body);
  } else if (inCI) {
    describe(name, () => {
      it("has its toolchain", () => {
        throw new Error(`CI=true but these tools are missing: ${missing.map((t) => tools[t]).join(", ")}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: no ${missing.map((t) => tools[t]).join(", ")})`, body);
  }
}

export function makeTempDir(prefix: string): string {
  const base = join(tmpdir(), "linkkit-tests");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool and throws with its output when it fails. */
export function runOk(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(command, args, options);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export type Target = "x86_64-pc-windows-msvc" | "i686-pc-windows-msvc" | "x86_64-w64-mingw32" | "i686-w64-mingw32";

/** Writes `sources` (name → text) into `dir` and compiles each C/C++ file to an object with clang. */
export function compileC(dir: string, sources: Record<string, string>, target: Target, flags: readonly string[] = []): string[] {
  const objects: string[] = [];
  for (const [name, text] of Object.entries(sources)) {
    const src = join(dir, name);
    writeFileSync(src, text);
    const obj = src.replace(/\.(c|cc|cpp)$/, target.includes("msvc") ? ".obj" : ".o");
    runOk(tools.clang, [`--target=${target}`, "-c", "-O1", "-fno-stack-protector", "-Wno-everything", ...flags, src, "-o", obj]);
    objects.push(obj);
  }
  return objects;
}

/** An import library for `dll` exporting `names`, made by llvm-dlltool as users make them. */
export function importLibrary(dir: string, dll: string, names: readonly string[], machine: "x64" | "x86", file = dll.replace(/\.dll$/i, ".lib")): string {
  const def = join(dir, `${file}.def`);
  writeFileSync(def, `LIBRARY ${dll}\nEXPORTS\n${names.map((n) => `  ${n}`).join("\n")}\n`);
  const out = join(dir, file);
  runOk(tools.dlltool, ["-d", def, "-l", out, "-m", machine === "x64" ? "i386:x86-64" : "i386", ...(machine === "x86" ? ["-k"] : [])]);
  return out;
}

export const winePrefix = process.env.WINEPREFIX ?? join(tmpdir(), "linkkit-wine");

/** Runs a Windows program under wine (64-bit only here); all tests share one prefix. */
export function runWine(exe: string, args: readonly string[] = [], cwd?: string): RunResult {
  mkdirSync(winePrefix, { recursive: true });
  const once = () => run(tools.wine, [exe, ...args], {
    cwd,
    env: { ...process.env, WINEPREFIX: winePrefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" },
    timeoutMs: 180_000,
  });
  const first = once();
  // Under heavy parallel load wine now and then fails to start a program at all (no output, exit 1):
  // once more. A program that really fails does the same again, and that is what the test sees.
  return first.status !== 0 && first.stdout === "" ? once() : first;
}

export function llvmVersion(): string {
  return execFileSync(tools.clang, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
}
