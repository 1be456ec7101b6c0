// `linkkit /incremental`: the second run patches the output in place; /verbose says which kind of link
// it was and why; corrupt or foreign state and changed options lead to a full link; a crash during an
// update (fault injection after the N-th write) never leaves an image that a later run trusts.
import { readFileSync, writeFileSync, existsSync, copyFileSync, mkdirSync, statSync, utimesSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compileC, describeWithTools, importLibrary, makeTempDir, run, runOk, runWine, tools } from "../harness/toolchain.js";
import { expectSameCode, linkkit, lldLink } from "../harness/linkers.js";
import * as programs from "./programs.js";

const target = "x86_64-pc-windows-msvc" as const;
const bin = join(__dirname, "..", "..", "dist", "bin", "linkkit.js");

const main = `${programs.runtimeHeader}
int work(int);
extern int (*steps[2])(int);
void start(void) { int r = work(4) + steps[1](5); print("r="); print_int(r); print("\\n"); finish(r & 0xff); }
`;
const worker = (k: number, pad: number) => `
static int add(int x) { return x + ${k}; }
static int mul(int x) { return x * ${k}; }
int (*steps[2])(int) = {add, mul};
int work(int x) { int s = 0; ${"s += x ^ s; ".repeat(pad)} return s + steps[0](x); }
`;

describeWithTools("linkkit /incremental", ["clang", "dlltool", "llvmLib", "lldLink", "objdump", "readobj", "wine"], () => {
  it("links fully the first time, patches in place the next, and falls back to a full link when it must", () => {
    const dir = makeTempDir("inc-cli");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    let [b] = compileC(dir, { "worker.c": worker(3, 1) }, target, ["-ffunction-sections"]);
    const out = join(dir, "app.exe");
    const args = ["/incremental", "/verbose", "/entry:start", "/subsystem:console", a!, b!, rt!, k32, `/out:${out}`, `/map:${out}.map`];
    const verify = (label: string) => {
      const ref = join(dir, `ref-${label}.exe`);
      lldLink(["/entry:start", "/subsystem:console", a!, b!, rt!, k32, `/out:${ref}`, `/map:${ref}.map`]);
      const expected = runWine(ref), actual = runWine(out);
      expect({ s: actual.status, o: actual.stdout }, label).toEqual({ s: expected.status, o: expected.stdout });
      expectSameCode({ ours: out, theirs: ref });
    };

    const first = linkkit(args);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/full link: no incremental state/);
    verify("first");

    [b] = compileC(dir, { "worker.c": worker(5, 3) }, target, ["-ffunction-sections"]);
    const second = linkkit(args);
    expect(second.stderr).toMatch(/incremental link: 1 input\(s\) changed, \d+ bytes written/);
    verify("second");

    // And back: the output's layout is the result of the first link and the update, which the next run
    // restores from its snapshot (not a fresh layout of the last inputs).
    [b] = compileC(dir, { "worker.c": worker(3, 1) }, target, ["-ffunction-sections"]);
    expect(linkkit(args).stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    verify("third");
    [b] = compileC(dir, { "worker.c": worker(9, 6) }, target, ["-ffunction-sections"]);
    expect(linkkit(args).stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    verify("fourth");

    // Corrupt, foreign and truncated state: full links, never a crash or a bad image.
    writeFileSync(join(`${out}.linkkit`, "manifest.json"), "{ not json");
    [b] = compileC(dir, { "worker.c": worker(6, 2) }, target, ["-ffunction-sections"]);
    expect(linkkit(args).stderr).toMatch(/full link: the incremental state is corrupt/);
    verify("corrupt");
    const manifestPath = join(`${out}.linkkit`, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: 999 }));
    expect(linkkit(args).stderr).toMatch(/full link: the incremental state is from another version/);
    writeFileSync(manifestPath, JSON.stringify(manifest).slice(0, 40));
    expect(linkkit(args).stderr).toMatch(/full link: the incremental state is corrupt/);
    // Options changed, and the output changed behind linkkit's back.
    expect(linkkit([...args, "/stack:0x200000"]).stderr).toMatch(/full link: the link options changed/);
    expect(linkkit(args).stderr).toMatch(/full link: the link options changed/);
    writeFileSync(out, readFileSync(out).subarray(0, 1024));
    expect(linkkit(args).stderr).toMatch(/full link: the incremental state does not match the output/);
    verify("after-fallbacks");
  });

  it("stays incremental run after run; an output written behind its back, or a corrupt saved session, links fully", () => {
    const dir = makeTempDir("inc-snapshot");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    // Two versions of the worker, copied over its object in turn as a build would write it.
    const versions = ([[3, 1], [5, 7], [9, 2]] as const).map(([k, pad], i) => {
      const vdir = join(dir, `v${i}`);
      mkdirSync(vdir);
      return compileC(vdir, { "worker.c": worker(k, pad) }, target, ["-ffunction-sections"])[0]!;
    });
    const b = join(dir, "worker.obj");
    copyFileSync(versions[0]!, b);
    const out = join(dir, "app.exe");
    const args = ["/incremental", "/verbose", "/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${out}`];
    const verify = (label: string) => {
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${ref}`]);
      const expected = runWine(ref), actual = runWine(out);
      expect({ s: actual.status, o: actual.stdout }, label).toEqual({ s: expected.status, o: expected.stdout });
    };
    expect(linkkit(args).stderr).toMatch(/full link: no incremental state/);

    // Every run restores the session of the one before: no history to replay, so no limit on the runs.
    for (let run = 1; run <= 20; run++) {
      copyFileSync(versions[run % versions.length]!, b);
      const r = linkkit(args);
      expect(r.stderr, `run ${run}`).toMatch(/incremental link: 1 input\(s\) changed/);
      if (run % 5 === 0) verify(`run ${run}`);
    }
    // A run that changes nothing stays incremental and writes nothing.
    expect(linkkit(args).stderr).toMatch(/incremental link: 0 input\(s\) changed, 0 bytes written/);

    // Someone else edits the output's code, keeping its size and putting its time back: its change time
    // moved, so the next run links fully rather than patch an image it does not know.
    const manifestPath = join(`${out}.linkkit`, "manifest.json");
    const image = readFileSync(out);
    const pe = image.readUInt32LE(0x3c);
    const textAt = image.readUInt32LE(pe + 24 + image.readUInt16LE(pe + 20) + 20); // first section header's PointerToRawData
    const before = statSync(out);
    image[textAt] = image[textAt]! ^ 0xff;
    writeFileSync(out, image);
    utimesSync(out, before.atime, before.mtime);
    // Node restores a time to the microsecond, not the nanosecond: the manifest is told the restored one.
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, output: { ...manifest.output, size: before.size, mtimeMs: statSync(out).mtimeMs } }));
    copyFileSync(versions[0]!, b);
    expect(linkkit(args).stderr).toMatch(/full link: the incremental state does not match the output/);
    verify("after the output was edited");
    copyFileSync(versions[1]!, b);
    expect(linkkit(args).stderr).toMatch(/incremental link: 1 input\(s\) changed/);

    // A damaged saved session, a truncated one, an empty one, a missing one: full links, and the state is
    // good again after.
    const sessionPath = join(`${out}.linkkit`, "session.state");
    const saved = readFileSync(sessionPath);
    saved[saved.length >> 1] = saved[saved.length >> 1]! ^ 0x55;
    writeFileSync(sessionPath, saved);
    copyFileSync(versions[2]!, b);
    expect(linkkit(args).stderr).toMatch(/full link: the saved session is corrupt/);
    verify("after a corrupt saved session");
    writeFileSync(sessionPath, readFileSync(sessionPath).subarray(0, 100));
    copyFileSync(versions[0]!, b);
    expect(linkkit(args).stderr).toMatch(/full link: the saved session is corrupt/);
    writeFileSync(sessionPath, "");
    expect(linkkit(args).stderr).toMatch(/full link: the saved session is corrupt/);
    rmSync(sessionPath);
    copyFileSync(versions[2]!, b);
    expect(linkkit(args).stderr).toMatch(/full link: the saved session is missing/);
    copyFileSync(versions[1]!, b);
    expect(linkkit(args).stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    verify("at the end");
  }, 300_000);

  it("stays incremental while updates select and drop archive members", () => {
    const dir = makeTempDir("inc-archive");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt] = compileC(dir, { "rt.c": programs.runtime }, target, ["-ffunction-sections"]);
    const compile = (name: string, text: string) => compileC(dir, { [name]: text }, target, ["-ffunction-sections"])[0]!;
    const lib = join(dir, "helpers.lib");
    runOk(tools.llvmLib, [`/out:${lib}`, compile("ma.c", "int helper_a(int x) { return x + 1; }"), compile("mb.c", "int helper_b(int x) { return x * 7; }"), compile("mc.c", "int helper_c(int x) { return x - 2; }")]);
    const main = (body: string) => `${programs.runtimeHeader}\nint helper_a(int); int helper_b(int); int helper_c(int);\nvoid start(void) { int r = ${body}; print("r="); print_int(r); print("\\n"); finish(r); }\n`;
    const out = join(dir, "app.exe");
    // The next run links the last inputs again: members loaded by an update must be found again, by name.
    for (const [i, body] of ["helper_a(5)", "helper_a(5) + helper_c(9)", "helper_b(2) + helper_c(9)", "helper_a(1) + helper_b(2) + helper_c(3)", "helper_b(4)"].entries()) {
      const m = compile("main.c", main(body));
      const r = linkkit(["/incremental", "/verbose", "/entry:start", "/subsystem:console", m, rt!, k32, lib, `/out:${out}`]);
      expect(r.stderr, body).toMatch(i === 0 ? /full link: no incremental state/ : /incremental link: 1 input\(s\) changed/);
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", m, rt!, k32, lib, `/out:${ref}`]);
      expect(runWine(out).stdout, body).toBe(runWine(ref).stdout);
    }
  });

  it("runs on one output take turns: a run waits for a live holder of the state's lock and takes over a dead one's", async () => {
    const dir = makeTempDir("inc-lock");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    let [b] = compileC(dir, { "worker.c": worker(3, 1) }, target, ["-ffunction-sections"]);
    const out = join(dir, "app.exe");
    const lock = join(`${out}.linkkit`, "lock");
    const args = ["/incremental", "/verbose", "/entry:start", "/subsystem:console", a!, b!, rt!, k32, `/out:${out}`];
    const verify = (label: string) => {
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", a!, b!, rt!, k32, `/out:${ref}`]);
      expect(runWine(out).stdout, label).toBe(runWine(ref).stdout);
    };
    const runAsync = () => new Promise<{ code: number | null; stderr: string; at: number }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
      child.on("close", (code) => resolve({ code, stderr, at: Date.now() }));
    });
    expect(linkkit(args).stderr).toMatch(/full link: no incremental state/);
    expect(existsSync(lock)).toBe(false);

    // A live process holds the lock: the run waits until the lock is gone, then updates in place.
    [b] = compileC(dir, { "worker.c": worker(5, 3) }, target, ["-ffunction-sections"]);
    const holder = spawn("sleep", ["30"]);
    writeFileSync(lock, String(holder.pid));
    const waiting = runAsync();
    await new Promise((r) => setTimeout(r, 1500));
    const released = Date.now();
    rmSync(lock);
    const waited = await waiting;
    holder.kill();
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.at).toBeGreaterThanOrEqual(released);
    expect(waited.stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    verify("after waiting");

    // A lock whose process is gone (a crash) is taken over at once.
    [b] = compileC(dir, { "worker.c": worker(7, 2) }, target, ["-ffunction-sections"]);
    const gone = spawn("true");
    await new Promise((r) => gone.on("close", r));
    writeFileSync(lock, String(gone.pid));
    const r = linkkit(args);
    expect(r.stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(existsSync(lock)).toBe(false);
    verify("after a dead holder");

    // Two runs at once: one after the other, both succeed, and the image is right.
    [b] = compileC(dir, { "worker.c": worker(2, 5) }, target, ["-ffunction-sections"]);
    const both = await Promise.all([runAsync(), runAsync()]);
    for (const x of both) expect(x.code, x.stderr).toBe(0);
    expect(both.map((x) => x.stderr).join("")).toMatch(/incremental link: (1|0) input\(s\) changed/);
    verify("after two at once");
    expect(linkkit(args).stderr).toMatch(/incremental link: 0 input\(s\) changed/);
  });

  it("a crash after any write of an update is followed by a correct link", () => {
    const dir = makeTempDir("inc-crash");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    const out = join(dir, "app.exe");
    let crashes = 0;
    // Updates write few ranges (nearby ones are merged), so a crash after the N-th write happens for
    // every N up to that count and the larger N let the update finish: both must end well.
    for (let n = 1; n <= 6; n++) {
      const [b0] = compileC(dir, { "worker.c": worker(3, n % 4) }, target, ["-ffunction-sections"]);
      const args = ["/incremental", "/verbose", "/entry:start", "/subsystem:console", a!, b0!, rt!, k32, `/out:${out}`];
      expect(linkkit(args).status).toBe(0);
      const [b1] = compileC(dir, { "worker.c": worker(7, (n + 2) % 5 + 1) }, target, ["-ffunction-sections"]);
      const crashed = run(process.execPath, [bin, ...args], { env: { ...process.env, LINKKIT_CRASH_AFTER_WRITE: String(n) } });
      if (crashed.status === 99) crashes++;
      else expect(crashed.status, crashed.stderr).toBe(0); // fewer than n writes: the update finished
      // The next run must not trust the interrupted state: it links fully (or finds the update complete).
      const next = linkkit(args);
      expect(next.status, next.stderr).toBe(0);
      if (crashed.status === 99) expect(next.stderr).toMatch(/full link: no incremental state/);
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", a!, b1!, rt!, k32, `/out:${ref}`]);
      expect(runWine(out).stdout).toBe(runWine(ref).stdout);
      expect(existsSync(out)).toBe(true);
    }
    expect(crashes).toBeGreaterThanOrEqual(1);
  });

  it("--watch relinks in place on every change of an input, one line per update", async () => {
    const dir = makeTempDir("inc-watch");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    const [b] = compileC(dir, { "worker.c": worker(3, 1) }, target, ["-ffunction-sections"]);
    const out = join(dir, "app.exe");
    const inputs = [a!, b!, rt!, k32];
    const child = spawn(process.execPath, [bin, "--watch", "/entry:start", "/subsystem:console", ...inputs, `/out:${out}`], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    const waitFor = async (pattern: RegExp, count: number) => {
      for (let i = 0; i < 600 && (stdout.match(new RegExp(pattern, "g"))?.length ?? 0) < count; i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout.match(new RegExp(pattern, "g"))?.length ?? 0, `${stdout}\n${stderr}`).toBeGreaterThanOrEqual(count);
    };
    try {
      await waitFor(/watching 4 inputs/, 1);
      const verify = () => {
        const ref = join(dir, "ref.exe");
        lldLink(["/entry:start", "/subsystem:console", ...inputs, `/out:${ref}`]);
        expect(runWine(out).stdout).toBe(runWine(ref).stdout);
      };
      verify();
      // Two edits, each compiled elsewhere and copied over the input as a build system would.
      for (const [n, [k, pad]] of [[1, [5, 9]], [2, [11, 2]]] as const) {
        const [next] = compileC(join(dir), { [`worker${n}.c`]: worker(k, pad) }, target, ["-ffunction-sections"]);
        copyFileSync(next!, b!);
        await waitFor(/updated .*app\.exe for .*worker\.obj: incremental, .* bytes written in [\d.]+ ms/, n);
        verify();
      }
      // A library changed: linked fully, and the line says why.
      importLibrary(dir, "kernel32.dll", [...programs.kernel32Exports, "Sleep"], "x64");
      await waitFor(/updated .*app\.exe for .*kernel32\.lib: full link \(library .*kernel32\.lib changed\)/, 1);
      verify();
    } finally {
      child.kill("SIGTERM");
    }
  }, 120_000);
});
