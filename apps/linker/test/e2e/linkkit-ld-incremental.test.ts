// `linkkit-ld --incremental` (through gcc's driver, `-Wl,--incremental`): a MinGW program on the full
// runtime, with data of a DLL used without dllimport (auto-import, pseudo relocations), relinked in place
// edit after edit; after each, the image runs like GNU ld's link of the same objects and imports the same.
// Lists change in place too: a constructor joins and leaves `.ctors`, a DLL function called for the first
// time brings its dlltool member's `.idata$4/$5/$6` entries into that DLL's list (and the first call of
// another DLL its head and terminator members), a function no longer called takes its entries away.
// A change of options links fully and says why; a crash during an update leaves nothing a later run
// trusts; a DLL with --export-all-symbols gains an export in place.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { dir64BaseRelocations, readobjFacts } from "../harness/linkers.js";
import { compile, link, linkerShims, mingwToolchain, runWineIn } from "../harness/mingw.js";
import { describeWithTools, makeTempDir, run } from "../harness/toolchain.js";

const needed = ["mingwGcc", "readobj", "wine"] as const;

const dllSource = `
__declspec(dllexport) int dll_counter = 40;
__declspec(dllexport) int dll_table[3] = {7, 8, 9};
__declspec(dllexport) int dll_add(int x) { return x + dll_counter; }
`;

const otherDllSource = `
__declspec(dllexport) int dll2_mul(int x) { return x * 1000; }
`;

const mainSource = `
#include <stdio.h>
int work(int);
int extra(void);
extern int dll_counter;          /* no dllimport: auto-imported */
extern int dll_table[3];
int main(void) {
  int r = work(3) + extra() + dll_table[0];
  printf("main sees %d, counter %d\\n", r, dll_counter);
  return r & 0x7f;
}
`;

/** The edited module: `variant` changes bodies, adds functions, references the DLL's data or not. */
function workerSource(variant: { k: number; pad: number; useTable: boolean; helpers: number; ctor?: boolean; callDll?: boolean; callOtherDll?: boolean }): string {
  const helpers = Array.from({ length: variant.helpers }, (_, i) => `static int helper${i}(int x) { return x * ${i + 2} + ${variant.k}; }`).join("\n");
  const calls = Array.from({ length: variant.helpers }, (_, i) => `s += helper${i}(s & 15);`).join(" ");
  return `
#include <stdio.h>
extern int dll_table[3];
int dll_add(int);
int dll2_mul(int);
${helpers}
static const char *label = "work v${variant.k}";
int work(int x) {
  int s = x * ${variant.k};
  ${"s = s * 3 + (s >> 2); ".repeat(variant.pad)}
  ${calls}
  ${variant.useTable ? "s += dll_table[1];" : ""}
  ${variant.callDll ? "s += dll_add(1);" : ""}
  ${variant.callOtherDll ? "s += dll2_mul(2);" : ""}
  printf("%s: %d\\n", label, s);
  return s & 0xff;
}
int extra(void) { return ${variant.k} * 2; }
${variant.ctor ? `__attribute__((constructor)) static void early(void) { printf("constructor runs\\n"); }` : ""}
`;
}

describeWithTools("linkkit-ld --incremental", needed, () => {
  const b = { tc: mingwToolchain("x86_64"), compiler: "gcc" as const, cxx: false };

  it("patches a MinGW program in place edit after edit, auto-imported data included, and links fully when it must", () => {
    const dir = makeTempDir("ld-inc");
    // The DLL and its import library, by GNU ld: the program's links all use the same one.
    const dllDir = join(dir, "dll");
    mkdirSync(dllDir);
    const [dllObject] = compile(b, dllDir, { "demo.c": dllSource });
    const implib = join(dllDir, "libdemo.dll.a");
    link(b, "gnu", { objects: [dllObject!], out: join(dir, "demo.dll"), flags: ["-shared", `-Wl,--out-implib,${implib}`] });
    // A second DLL the program calls only later: its import library is on every command line.
    const [otherDllObject] = compile(b, dllDir, { "demo2.c": otherDllSource });
    const otherImplib = join(dllDir, "libdemo2.dll.a");
    link(b, "gnu", { objects: [otherDllObject!], out: join(dir, "demo2.dll"), flags: ["-shared", `-Wl,--out-implib,${otherImplib}`] });

    const [mainObject] = compile(b, dir, { "main.c": mainSource });
    const out = join(dir, "app.exe");
    let step = 0;
    const relink = (variant: Parameters<typeof workerSource>[0], extraFlags: string[] = []): string => {
      step++;
      const [workerObject] = compile(b, dir, { "worker.c": workerSource(variant) });
      const objects = [mainObject!, workerObject!];
      // In its own process every time (the link server has its own test below).
      const flags = [implib, otherImplib, "-Wl,--incremental,--no-server", ...extraFlags];
      const stderr = link(b, "linkkit", { objects, out, flags });
      const ref = join(dir, `ref-${step}.exe`);
      link(b, "gnu", { objects, out: ref, flags: [implib, otherImplib] });
      const ours = runWineIn(out), theirs = runWineIn(ref);
      expect({ status: ours.status, stdout: ours.stdout }, `step ${step}`).toEqual({ status: theirs.status, stdout: theirs.stdout });
      expect(ours.stdout).toMatch(/counter 40/);
      const facts = readobjFacts(out);
      expect(facts.errors).toBe("");
      expect(facts.imports).toEqual(readobjFacts(ref).imports);
      // Entries that moved (list entries, import thunks' slots) took their base relocations with them.
      expect(dir64BaseRelocations(out).outside, `step ${step}`).toEqual([]);
      return stderr;
    };

    expect(relink({ k: 3, pad: 1, useTable: false, helpers: 1 })).toMatch(/full link: no incremental state/);
    // A body that grows, functions added, and a new reference to the DLL's data (a new pseudo relocation).
    expect(relink({ k: 5, pad: 4, useTable: false, helpers: 1 })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(relink({ k: 6, pad: 9, useTable: true, helpers: 3 })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(relink({ k: 7, pad: 2, useTable: false, helpers: 0 })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(relink({ k: 8, pad: 2, useTable: true, helpers: 2 })).toMatch(/incremental link: 1 input\(s\) changed/);
    // A constructor joins the list GCC's runtime walks, between its head and its terminator: in place.
    expect(relink({ k: 8, pad: 2, useTable: true, helpers: 2, ctor: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(runWineIn(out).stdout).toMatch(/^constructor runs/);
    expect(relink({ k: 9, pad: 3, useTable: true, helpers: 2, ctor: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    // A function of the DLL called for the first time: its dlltool member's import entries join the DLL's
    // lists (`.idata$4`, `$5`, `$6`) between the DLL's head and its terminator, as GNU ld orders them.
    const importsBefore = readobjFacts(out).imports.length;
    expect(relink({ k: 9, pad: 3, useTable: true, helpers: 2, ctor: true, callDll: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(readobjFacts(out).imports.length).toBe(importsBefore + 1);
    expect(relink({ k: 10, pad: 1, useTable: true, helpers: 2, ctor: true, callDll: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    // The first call into a DLL the program did not import before: its head and terminator members come
    // too, and a new descriptor joins the import directory.
    expect(relink({ k: 10, pad: 1, useTable: true, helpers: 2, ctor: true, callDll: true, callOtherDll: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(readobjFacts(out).imports.some((i) => /demo2\.dll/i.test(i))).toBe(true);
    // Calls that go away take their members (entries, then the whole DLL) with them; so does the constructor.
    expect(relink({ k: 11, pad: 2, useTable: true, helpers: 2, ctor: true, callDll: false, callOtherDll: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(relink({ k: 12, pad: 2, useTable: true, helpers: 1, ctor: false, callDll: true, callOtherDll: false })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(readobjFacts(out).imports.some((i) => /demo2\.dll/i.test(i))).toBe(false);
    expect(relink({ k: 10, pad: 1, useTable: true, helpers: 2, ctor: true, callDll: true })).toMatch(/incremental link: 1 input\(s\) changed/);
    // An option that changes the link links fully.
    expect(relink({ k: 10, pad: 1, useTable: true, helpers: 2, ctor: true, callDll: true }, ["-Wl,--stack,0x300000"])).toMatch(/full link: the link options changed/);

    // A crash after the first write of an update: the next run links fully, and correctly.
    const [workerObject] = compile(b, dir, { "worker.c": workerSource({ k: 11, pad: 5, useTable: true, helpers: 1, ctor: true, callDll: true }) });
    const env = { ...process.env, LINKKIT_CRASH_AFTER_WRITE: "1" };
    const crash = run(`${b.tc.triple}-gcc`, ["-B", linkerShims().linkkit, mainObject!, workerObject!, "-o", out, implib, otherImplib, "-Wl,--incremental,--verbose,--stack,0x300000"], { env });
    expect(crash.status).not.toBe(0);
    expect(existsSync(join(`${out}.linkkit`, "manifest.json"))).toBe(false);
    expect(relink({ k: 11, pad: 5, useTable: true, helpers: 1, ctor: true, callDll: true }, ["-Wl,--stack,0x300000"])).toMatch(/full link: no incremental state/);
  });

  it("hands later runs to a resident linkkit-ld by default, one per output though each gcc command line differs", () => {
    const dir = makeTempDir("ld-served");
    const [mainObject] = compile(b, dir, { "main.c": "#include <stdio.h>\nint work(int);\nint main(void) { int r = work(4); printf(\"r=%d\\n\", r); return r & 0x7f; }\n" });
    const out = join(dir, "app.exe");
    let step = 0;
    const relink = (): string => {
      step++;
      const [workerObject] = compile(b, dir, { "worker.c": `int work(int x) { int s = x; ${"s = s * 3 + (s >> 1); ".repeat(1 + (step % 4))} return s + ${step}; }\n` });
      const objects = [mainObject!, workerObject!];
      const stderr = link(b, "linkkit", { objects, out, flags: ["-Wl,--incremental"] });
      const ref = join(dir, `ref-${step}.exe`);
      link(b, "gnu", { objects, out: ref });
      const ours = runWineIn(out), theirs = runWineIn(ref);
      expect({ status: ours.status, stdout: ours.stdout }, `step ${step}`).toEqual({ status: theirs.status, stdout: theirs.stdout });
      return stderr;
    };
    const idle = process.env.LINKKIT_SERVER_IDLE_SECONDS;
    process.env.LINKKIT_SERVER_IDLE_SECONDS = "120";
    const servers = new Set<number>();
    try {
      expect(relink()).toMatch(/full link: no incremental state/);
      // gcc names a new temporary file (-fresolution=/tmp/cc*.res) in each command: the server is the output's.
      let served: string | undefined;
      for (let i = 0; i < 40 && served === undefined; i++) {
        const stderr = relink();
        if (/link server \d+\)/.test(stderr)) served = stderr;
        else run("sleep", ["0.25"]);
      }
      expect(served).toMatch(/incremental link: 1 input\(s\) changed.*link server \d+\)/);
      for (let i = 0; i < 3; i++) {
        const stderr = relink();
        expect(stderr).toMatch(/incremental link: 1 input\(s\) changed.*link server \d+\)/);
        servers.add(Number(/link server (\d+)\)/.exec(stderr)![1]));
      }
      expect(servers.size).toBe(1);
    } finally {
      if (idle === undefined) delete process.env.LINKKIT_SERVER_IDLE_SECONDS;
      else process.env.LINKKIT_SERVER_IDLE_SECONDS = idle;
      for (const pid of servers) {
        try { process.kill(pid); } catch { /* gone already */ }
      }
    }
  });

  it("gives a DLL with --export-all-symbols a new export in place", () => {
    const dir = makeTempDir("ld-inc-dll");
    const dll = join(dir, "demo.dll");
    const exportsOf = () => readobjFacts(dll).exports.map((e) => e.replace(/^\d+:/, ""));
    // No dllexport at all: GNU ld's default for a DLL, every global definition.
    const plain = (n: number) => dllSource.replace(/__declspec\(dllexport\) /g, "") + Array.from({ length: n }, (_, i) => `int more${i}(int x) { return x * ${i + 3}; }\n`).join("");
    const [first] = compile(b, dir, { "demo.c": plain(0) });
    expect(link(b, "linkkit", { objects: [first!], out: dll, flags: ["-shared", "-Wl,--incremental,--no-server"] })).toMatch(/full link: no incremental state/);
    expect(exportsOf()).toEqual(["dll_add", "dll_counter", "dll_table"]);
    const [second] = compile(b, dir, { "demo.c": plain(2) });
    expect(link(b, "linkkit", { objects: [second!], out: dll, flags: ["-shared", "-Wl,--incremental,--no-server"] })).toMatch(/incremental link: 1 input\(s\) changed/);
    expect(exportsOf()).toEqual(["dll_add", "dll_counter", "dll_table", "more0", "more1"]);
    expect(readobjFacts(dll).errors).toBe("");
  });
});
