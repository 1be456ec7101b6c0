// `linkkit /incremental /server`, through the launcher users run (bin/linkkit.js): the first run links in
// its own process and starts a resident linkkit; later runs hand it their command and print its answer.
// Every image is lld-link's under wine; an output written behind the server's back, a failing link and a
// server that died all behave as without a server.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { compileC, describeWithTools, importLibrary, makeTempDir, run, runWine, type RunResult } from "../harness/toolchain.js";
import { expectSameCode, lldLink } from "../harness/linkers.js";
import * as programs from "./programs.js";

const target = "x86_64-pc-windows-msvc" as const;
const launcher = join(__dirname, "..", "..", "bin", "linkkit.js");
const env = { ...process.env, LINKKIT_SERVER_IDLE_SECONDS: "120" };
const servers = new Set<number>();

const main = `${programs.runtimeHeader}
int work(int);
void start(void) { int r = work(6); print("r="); print_int(r); print("\\n"); finish(r & 0xff); }
`;
const worker = (k: number, pad: number, broken = false) => `
static int twice(int x) { return x * 2 + ${k}; }
${broken ? "int missing(int);" : ""}
int work(int x) { int s = 0; ${"s += x ^ s; ".repeat(pad)} return s + twice(x)${broken ? " + missing(x)" : ""}; }
`;

function linkkitServed(args: readonly string[]): RunResult {
  const r = run(process.execPath, [launcher, ...args], { env });
  const pid = /link server (\d+)\)/.exec(r.stderr)?.[1];
  if (pid) servers.add(Number(pid));
  return r;
}

/** Runs the command until a server answers (it starts in the background); returns that run. */
function untilServed(args: readonly string[]): RunResult {
  for (let i = 0; i < 60; i++) {
    const r = linkkitServed(args);
    if (/link server \d+\)/.test(r.stderr)) return r;
    run("sleep", ["0.25"]);
  }
  throw new Error("no link server answered");
}

/** The manifest's record of the saved session, once the server has written it (after its answer). */
function waitForSavedState(out: string): { written: number; size: number } {
  for (let i = 0; i < 100; i++) {
    try {
      const saved = JSON.parse(readFileSync(join(`${out}.linkkit`, "manifest.json"), "utf8")).saved;
      if (typeof saved?.written === "number") return saved;
    } catch {
      // being written
    }
    run("sleep", ["0.05"]);
  }
  throw new Error("the server wrote no state");
}

afterAll(() => {
  for (const pid of servers) {
    try { process.kill(pid); } catch { /* gone already */ }
  }
});

describeWithTools("linkkit /server", ["clang", "dlltool", "llvmLib", "lldLink", "objdump", "readobj", "wine"], () => {
  it("hands later runs to a resident linkkit, which updates in place, links fully when it must, and is not trusted blindly", () => {
    const dir = makeTempDir("server");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    const versions = ([[3, 1], [5, 6], [9, 2]] as const).map(([k, pad], i) => {
      const vdir = join(dir, `v${i}`);
      mkdirSync(vdir);
      return compileC(vdir, { "worker.c": worker(k, pad) }, target, ["-ffunction-sections"])[0]!;
    });
    const bdir = join(dir, "broken");
    mkdirSync(bdir);
    const [broken] = compileC(bdir, { "worker.c": worker(1, 1, true) }, target, ["-ffunction-sections"]);
    const b = join(dir, "worker.obj");
    copyFileSync(versions[0]!, b);
    const out = join(dir, "app.exe");
    const args = ["/incremental", "/server", "/verbose", "/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${out}`, `/map:${out}.map`];
    const verify = (label: string, image = out) => {
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${ref}`, `/map:${ref}.map`]);
      const expected = runWine(ref), actual = runWine(image);
      expect({ s: actual.status, o: actual.stdout }, label).toEqual({ s: expected.status, o: expected.stdout });
      expectSameCode({ ours: image, theirs: ref });
    };

    const first = linkkitServed(args);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/full link: no incremental state \([\d.]+ ms\)/);
    verify("first");
    // The server takes up the state the first run left: nothing changed, nothing is written.
    expect(untilServed(args).stderr).toMatch(/incremental link: 0 input\(s\) changed, 0 bytes written/);

    for (let step = 1; step <= 6; step++) {
      copyFileSync(versions[step % versions.length]!, b);
      const r = linkkitServed(args);
      expect(r.status).toBe(0);
      expect(r.stderr, `step ${step}`).toMatch(/incremental link: 1 input\(s\) changed, \d+ bytes written.*link server \d+\)/);
      if (step % 3 === 0) verify(`step ${step}`);
    }
    // The server saves the session after answering, patching the file it wrote last: only what changed.
    const saved = waitForSavedState(out);
    expect(saved.written).toBeGreaterThan(0);
    expect(saved.written).toBeLessThan(saved.size / 2);

    // Written behind the server's back: the server checks the output as a fresh process would.
    writeFileSync(out, "not an image any more");
    copyFileSync(versions[0]!, b);
    expect(linkkitServed(args).stderr).toMatch(/full link: the incremental state does not match the output.*link server/);
    verify("after the output was overwritten");

    // A link that fails fails through the server too, with its diagnostics and exit code.
    copyFileSync(broken!, b);
    const failed = linkkitServed(args);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/undefined symbol: missing/);
    copyFileSync(versions[1]!, b);
    expect(linkkitServed(args).status).toBe(0);
    verify("after a failed link");

    // The server dies: the next run links in its own process (incrementally, from the state on disk) and
    // starts another server.
    const pid = Number(/link server (\d+)\)/.exec(linkkitServed(args).stderr)?.[1]);
    process.kill(pid, "SIGKILL");
    run("sleep", ["0.2"]);
    copyFileSync(versions[2]!, b);
    const alone = linkkitServed(args);
    expect(alone.stderr).not.toMatch(/link server/);
    expect(alone.stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    verify("after the server died");
    copyFileSync(versions[0]!, b);
    const again = untilServed(args);
    expect(again.stderr).toMatch(/link server (\d+)\)/);
    expect(Number(/link server (\d+)\)/.exec(again.stderr)![1])).not.toBe(pid);
    verify("with a new server");

    // Without /incremental the server runs full links (warm).
    const full = join(dir, "full.exe");
    const fullArgs = ["/server", "/verbose", "/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${full}`, `/map:${full}.map`];
    expect(linkkitServed(fullArgs).stderr).not.toMatch(/link server/);
    expect(untilServed(fullArgs).stderr).toMatch(/wrote .*full\.exe \(\d+ bytes, link server \d+\)/);
    verify("full link by the server", full);
  });

  it("serves /incremental by default; /server:no and LINKKIT_SERVER=0 link in their own process", () => {
    const dir = makeTempDir("server-default");
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    const [rt, a] = compileC(dir, { "rt.c": programs.runtime, "main.c": main }, target, ["-ffunction-sections"]);
    const versions = ([[4, 2], [7, 5]] as const).map(([k, pad], i) => {
      const vdir = join(dir, `v${i}`);
      mkdirSync(vdir);
      return compileC(vdir, { "worker.c": worker(k, pad) }, target, ["-ffunction-sections"])[0]!;
    });
    const b = join(dir, "worker.obj");
    const out = join(dir, "app.exe"), alone = join(dir, "alone.exe");
    const common = ["/verbose", "/entry:start", "/subsystem:console", a!, b, rt!, k32];
    const verify = (label: string, image: string) => {
      const ref = join(dir, "ref.exe");
      lldLink(["/entry:start", "/subsystem:console", a!, b, rt!, k32, `/out:${ref}`, `/map:${ref}.map`]);
      const expected = runWine(ref), actual = runWine(image);
      expect({ s: actual.status, o: actual.stdout }, label).toEqual({ s: expected.status, o: expected.stdout });
      expectSameCode({ ours: image, theirs: ref });
    };
    copyFileSync(versions[0]!, b);

    // Without /server on the command line: the first run links and starts a server, which then answers.
    const args = ["/incremental", ...common, `/out:${out}`, `/map:${out}.map`];
    expect(linkkitServed(args).stderr).toMatch(/full link: no incremental state \([\d.]+ ms\)/);
    untilServed(args);
    copyFileSync(versions[1]!, b);
    const served = linkkitServed(args);
    expect(served.stderr).toMatch(/incremental link: 1 input\(s\) changed.*link server \d+\)/);
    verify("served by default", out);

    // The same command with LINKKIT_SERVER=0 runs here, from the state the server wrote (it waits for the
    // server's turn on the output if it must).
    copyFileSync(versions[0]!, b);
    const here = run(process.execPath, [launcher, ...args], { env: { ...env, LINKKIT_SERVER: "0" } });
    expect(here.status).toBe(0);
    expect(here.stderr).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(here.stderr).not.toMatch(/link server/);
    verify("LINKKIT_SERVER=0", out);

    // /server:no: never served, and no server is started for the command line.
    const noArgs = ["/incremental", "/server:no", ...common, `/out:${alone}`, `/map:${alone}.map`];
    for (let i = 0; i < 4; i++) {
      copyFileSync(versions[i % 2]!, b);
      const r = linkkitServed(noArgs);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toMatch(/link server/);
      expect(r.stderr).toMatch(i === 0 ? /full link: no incremental state/ : /incremental link: 1 input\(s\) changed/);
      run("sleep", ["0.3"]);
    }
    verify("/server:no", alone);

    // Past the cap on a user's servers (LINKKIT_MAX_SERVERS, 4 by default) runs start none and link here.
    const capped = join(dir, "capped.exe");
    const cappedArgs = ["/incremental", ...common, `/out:${capped}`, `/map:${capped}.map`];
    for (let i = 0; i < 3; i++) {
      const r = run(process.execPath, [launcher, ...cappedArgs], { env: { ...env, LINKKIT_MAX_SERVERS: "0" } });
      expect(r.status).toBe(0);
      expect(r.stderr).not.toMatch(/link server/);
      run("sleep", ["0.5"]);
    }
    verify("past the cap on servers", capped);
  });
});
