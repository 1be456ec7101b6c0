// The bench's building blocks, shared by `bench/run.mjs` (full links) and any other bench script (an
// incremental one, say): where things are, building the workloads with clang or MinGW gcc (skipped when
// already built), measuring one process, and running an image under wine.
//
//   import { buildSynthetic, syntheticLinkArgs, measure, runUnderWine } from "./workloads.mjs";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATOR_VERSION, KERNEL32_DEF, mainSource, moduleSource } from "./generate.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Built workloads and linker outputs; git-ignored (`/bench/work/`). */
export const workRoot = join(root, "bench", "work");
/** The committed launchers, as `pnpm exec linkkit` runs them. */
export const linkkitJs = join(root, "apps/linker/bin/linkkit.js");
export const linkkitLdJs = join(root, "apps/linker/bin/linkkit-ld.js");

/**
 * The arguments to `node` that run launcher `js` as a package manager's shim does (`pnpm exec linkkit`):
 * the Node flags of its `#!/usr/bin/env -S node ...` line, then the launcher.
 */
function launcherArgs(js) {
  const first = readFileSync(js, "utf8").split("\n", 1)[0];
  const m = /^#!\/usr\/bin\/env(?:\s+-S)?\s+node(?:\s+(.*))?$/.exec(first);
  if (!m) throw new BenchError(`${js}: its first line is not '#!/usr/bin/env -S node ...'`);
  return [...(m[1] ?? "").split(/\s+/).filter(Boolean), js];
}

export const WINE = "/usr/lib/wine/wine64";
export const TIME = "/usr/bin/time";
export const wineEnv = {
  ...process.env, WINEPREFIX: process.env.WINEPREFIX ?? join(tmpdir(), "linkkit-wine"), WINEDEBUG: "-all",
  WINEDLLOVERRIDES: "mscoree,mshtml=",
};

/**
 * The environment linkers run in. Node 20 loads NODE_EXTRA_CA_CERTS (a TLS setting) at start-up, before any
 * script runs: about 50 ms on the bench machine, which would be charged to linkkit though it never opens a
 * connection. It is removed for every linker alike; `startupCosts()` measures what it would add.
 */
export const linkerEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_EXTRA_CA_CERTS"));

/** The synthetic workloads: modules × functions; about 460 bytes of object per function. */
export const SYNTHETIC = {
  S: { modules: 8, functions: 300, runs: 7 },
  M: { modules: 40, functions: 300, runs: 5 },
  L: { modules: 400, functions: 300, runs: 5 },
};
export const CLANG_FLAGS = [
  "--target=x86_64-pc-windows-msvc", "-O1", "-c", "-ffunction-sections", "-fdata-sections", "-funwind-tables",
  // No C runtime: nothing may call memset, __chkstk or the stack protector.
  "-ffreestanding", "-fno-stack-protector", "-mno-stack-arg-probe", "-Wno-everything",
];
export const LINK_FLAGS = ["/nologo", "/entry:mainCRTStartup", "/subsystem:console"];

export class BenchError extends Error {
  name = "BenchError";
}

/** What `node` is given to run linkkit and linkkit-ld as `pnpm exec` does (read once per bench run). */
export const linkkitArgs = launcherArgs(linkkitJs);
export const linkkitLdArgs = launcherArgs(linkkitLdJs);

/** Names the tools that are missing, with the command that installs them, or returns undefined. */
export function missingTools(needMingw) {
  const missing = [];
  const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
  for (const tool of ["clang", "lld-link", "llvm-dlltool"]) if (!has(tool)) missing.push(tool);
  if (!existsSync(WINE)) missing.push("wine (wine64)");
  if (!existsSync(TIME)) missing.push("/usr/bin/time (package time)");
  if (needMingw) for (const tool of ["x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-ld"]) if (!has(tool)) missing.push(tool);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(", ")}: apt-get install -y --no-install-recommends clang lld llvm mingw-w64 wine time`;
}

/** Runs a command to completion; a failure becomes a BenchError carrying its output. */
export function runOk(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, ...options });
  if (r.status !== 0) {
    throw new BenchError(`${command} ${args.join(" ").slice(0, 300)} failed (${r.status ?? r.signal}):\n${r.stdout ?? ""}${r.stderr ?? r.error ?? ""}`);
  }
  return r;
}

/** Runs `tasks` (functions returning promises) with at most `jobs` at a time. */
async function inParallel(tasks, jobs) {
  let next = 0;
  const worker = async () => { while (next < tasks.length) await tasks[next++](); };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

function spawnAsync(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new BenchError(`${command} ${args.slice(0, 8).join(" ")}… exited ${code}:\n${output}`))));
  });
}

const totalMB = (files) => files.reduce((sum, f) => sum + statSync(f).size, 0) / 1e6;

/**
 * Generates and compiles one synthetic workload (S, M, L, or any `{ modules, functions }`) into
 * bench/work/, unless the same one is already built. Returns its objects, libraries and a response file.
 */
export async function buildSynthetic(size, { jobs = Math.min(availableParallelism(), 8), shape = SYNTHETIC[size], log = (line) => process.stdout.write(line) } = {}) {
  if (shape === undefined) throw new BenchError(`unknown size ${size}: expected ${Object.keys(SYNTHETIC).join(", ")} or a shape`);
  const { modules, functions } = shape;
  const key = createHash("sha256").update(JSON.stringify({ GENERATOR_VERSION, modules, functions, CLANG_FLAGS })).digest("hex").slice(0, 10);
  const dir = join(workRoot, `${size}-${key}`);
  const stamp = join(dir, "built.json");
  const objects = [...Array.from({ length: modules }, (_, m) => join(dir, `m${m}.o`)), join(dir, "main.o")];
  const libraries = [join(dir, "kernel32.lib")];
  const rsp = join(dir, "link.rsp");
  const workload = { name: size, dir, objects, libraries, rsp, modules, functions };
  const writeRsp = () => writeFileSync(rsp, [...objects, ...libraries].map((f) => `"${f}"`).join("\n") + "\n");
  if (existsSync(stamp)) {
    writeRsp();
    return { ...workload, inputMB: totalMB(objects) };
  }

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const sources = [];
  for (let m = 0; m < modules; m++) {
    writeFileSync(join(dir, `m${m}.c`), moduleSource(m, modules, functions));
    sources.push(`m${m}.c`);
  }
  writeFileSync(join(dir, "main.c"), mainSource(modules, functions));
  sources.push("main.c");
  writeFileSync(join(dir, "kernel32.def"), KERNEL32_DEF);
  runOk("llvm-dlltool", ["-d", "kernel32.def", "-l", "kernel32.lib", "-m", "i386:x86-64"], { cwd: dir });
  // Several files per clang process saves its start-up; enough batches to keep every core busy.
  const batchSize = Math.max(1, Math.min(10, Math.ceil(sources.length / (jobs * 4))));
  const batches = [];
  for (let i = 0; i < sources.length; i += batchSize) batches.push(sources.slice(i, i + batchSize));
  let done = 0;
  await inParallel(batches.map((batch) => async () => {
    await spawnAsync("clang", [...CLANG_FLAGS, ...batch], { cwd: dir });
    done += batch.length;
    log(`\r  compiled ${done}/${sources.length}`);
  }), jobs);
  writeRsp();
  const inputMB = totalMB(objects);
  const seconds = (performance.now() - started) / 1000;
  log(`\r  ${size}: ${objects.length} objects, ${inputMB.toFixed(1)} MB, ${modules * functions} functions, built in ${seconds.toFixed(0)} s\n`);
  // Written last: a build interrupted half-way is redone.
  writeFileSync(stamp, JSON.stringify({ GENERATOR_VERSION, modules, functions, seconds }) + "\n");
  return { ...workload, inputMB };
}

/** lld-link style arguments that link a synthetic workload to `out` (the same for linkkit and lld-link). */
export function syntheticLinkArgs(workload, out) {
  return [...LINK_FLAGS, `/out:${out}`, `@${workload.rsp}`];
}

/**
 * Compiles the MinGW program (bench/mingw/*.c) with x86_64-w64-mingw32-gcc -O2, unless already built, and
 * asks gcc for the exact ld command line it would run; `ldArgs` has OUTPUT.exe where the output goes.
 */
export function buildMingw() {
  const sourceDir = join(root, "bench", "mingw");
  const sources = readdirSync(sourceDir).filter((f) => f.endsWith(".c")).sort();
  const hash = createHash("sha256");
  for (const f of readdirSync(sourceDir).sort()) hash.update(f).update(readFileSync(join(sourceDir, f)));
  const dir = join(workRoot, `mingw-${hash.digest("hex").slice(0, 10)}`);
  const objects = sources.map((f) => join(dir, f.replace(/\.c$/, ".o")));
  if (!existsSync(join(dir, "built.json"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of sources) runOk("x86_64-w64-mingw32-gcc", ["-O2", "-c", join(sourceDir, f), "-o", join(dir, f.replace(/\.c$/, ".o"))]);
    writeFileSync(join(dir, "built.json"), "{}\n");
  }
  const driver = runOk("x86_64-w64-mingw32-gcc", ["-###", ...objects, "-o", "OUTPUT.exe"], { cwd: dir });
  const line = driver.stderr.split("\n").find((l) => /collect2|\bld\b/.test(l) && l.includes("OUTPUT.exe"));
  if (line === undefined) throw new BenchError(`could not find the link command in x86_64-w64-mingw32-gcc -### output:\n${driver.stderr}`);
  // collect2 passes these to ld; the LTO plugin options are left out (no LTO objects here) for both linkers.
  const ldArgs = splitQuoted(line).slice(1).filter((a, i, all) => a !== "-plugin" && all[i - 1] !== "-plugin" && !a.startsWith("-plugin-opt"));
  return { name: "mingw", dir, objects, ldArgs, inputMB: totalMB(objects) };
}

/** `ldArgs` of a MinGW workload with the output file filled in. */
export function mingwLinkArgs(workload, out) {
  return workload.ldArgs.map((a) => (a === "OUTPUT.exe" ? out : a));
}

function splitQuoted(line) {
  const words = [];
  for (const m of line.trim().matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  return words;
}

/**
 * Runs one process and measures it: wall time here, user+sys CPU and peak RSS from GNU time. Throws a
 * BenchError with the process's output if it fails.
 */
export async function measure(command, args, { cwd, env = linkerEnv } = {}) {
  mkdirSync(workRoot, { recursive: true });
  const timeFile = join(workRoot, `time-${process.pid}.txt`);
  const started = process.hrtime.bigint();
  const result = await new Promise((resolve, reject) => {
    const child = spawn(TIME, ["-f", "%e %U %S %M", "-o", timeFile, command, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.code !== 0) throw new BenchError(`${command} ${args.join(" ").slice(0, 200)} exited ${result.code}:\n${result.output}`);
  const [, user, sys, maxKB] = readFileSync(timeFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
  rmSync(timeFile, { force: true });
  return { wall, cpu: user + sys, peakMB: maxKB / 1024, output: result.output };
}

/** Runs a Windows program under wine: its standard output (LF line ends) and exit code. */
export function runUnderWine(exe, cwd) {
  const once = () => {
    const r = spawnSync(WINE, [exe], { cwd, env: wineEnv, encoding: "utf8", timeout: 300_000 });
    return { stdout: (r.stdout ?? "").replace(/\r\n/g, "\n"), code: r.status };
  };
  // Wine itself now and then fails to start a program (no output, a failing status): once more, as the
  // test harness does. A program that really fails prints its checksum or fails the same way again.
  const first = once();
  return first.code !== 0 && first.stdout === "" ? once() : first;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Median wall seconds of `node -e 0` in the linkers' environment, and what NODE_EXTRA_CA_CERTS would add to it. */
export async function startupCosts(runs = 7) {
  const wallOf = async (env) => median(await sequential(runs, async () => (await measure(process.execPath, ["-e", "0"], { env })).wall));
  const clean = await wallOf(linkerEnv);
  const ambient = process.env.NODE_EXTRA_CA_CERTS ? await wallOf(process.env) : clean;
  return { node: clean, extraCaCerts: ambient - clean };
}

async function sequential(n, task) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await task());
  return out;
}

export function machineDescription() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const memGB = Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024 / 1024;
  const version = (cmd) => spawnSync(cmd, ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "?";
  return `${availableParallelism()} × ${cpu}, ${memGB.toFixed(0)} GB, Node ${process.version}, ` +
    `${version("lld-link").replace(/^.*?(LLD [\d.]+).*$/, "$1")}, ${version("clang").replace(/ \(.*$/, "")}`;
}

/**
 * Replaces the README section that starts with `heading` (up to the next "## " heading) with `section`;
 * a section not there yet goes before the repository layout, which stays the last section.
 */
export function replaceReadmeSection(heading, section) {
  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(heading);
  let next;
  if (start >= 0) {
    const after = readme.indexOf("\n## ", start + 1);
    next = readme.slice(0, start) + section + (after >= 0 ? readme.slice(after) : "");
  } else {
    const layout = readme.indexOf("## Layout of the repository");
    next = layout >= 0 ? readme.slice(0, layout) + section + "\n" + readme.slice(layout) : readme.trimEnd() + "\n\n" + section;
  }
  writeFileSync(readmePath, next);
}
