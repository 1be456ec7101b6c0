// Incremental updates through the session API: after each edit the output is patched in place and
// must behave exactly like a fresh full link of the same objects (run under wine, same code up to layout).
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { readCoffObject } from "@linkkit/coff-format";
import { join } from "node:path";
import { expect, it } from "vitest";
import { LinkSession } from "../../src/session.js";
import { parseLldLinkArgs } from "../../src/driver/lld-link-args.js";
import { nodeHost } from "../../src/node-host.js";
import { compileC, describeWithTools, importLibrary, makeTempDir, runOk, runWine, tools } from "../harness/toolchain.js";
import { dir64BaseRelocations, expectSameCode, lldLink } from "../harness/linkers.js";
import * as programs from "./programs.js";

const target = "x86_64-pc-windows-msvc" as const;

const moduleA = (extra: string) => `${programs.runtimeHeader}
int b_value(int);
int b_table_sum(void);
${extra}
void start(void) {
  int r = b_value(3) + b_table_sum();
  print("result="); print_int(r); print("\\n");
  finish(r & 0xff);
}
`;

/** A scratch directory with kernel32's import library, the runtime object, and a compiler of C into it. */
function workspace(name: string, extraImports: readonly string[] = [], flags: readonly string[] = ["-ffunction-sections"]) {
  const dir = makeTempDir(name);
  const k32 = importLibrary(dir, "kernel32.dll", [...programs.kernel32Exports, ...extraImports], "x64");
  const rt = compileC(dir, { "rt.c": programs.runtime }, target, ["-ffunction-sections"])[0]!;
  const compile = (file: string, text: string) => compileC(dir, { [file]: text }, target, [...flags])[0]!;
  return { dir, k32, rt, compile };
}

describeWithTools("incremental session", ["clang", "dlltool", "lldLink", "objdump", "readobj", "wine"], () => {
  it("patches the output in place after edits, and the result behaves like a full link", () => {
    const { dir, k32, rt, compile } = workspace("session", ["GetTickCount", "Sleep"], ["-ffunction-sections", "-fdata-sections"]);
    const a = compile("a.c", moduleA(""));
    let b = compile("b.c", `
static int table[3] = {1, 2, 3};
static int *ptrs[3] = {&table[0], &table[1], &table[2]};
int b_value(int x) { return x * 10; }
int b_table_sum(void) { return *ptrs[0] + *ptrs[1] + *ptrs[2]; }
`);
    const out = join(dir, "app.exe");
    const args = ["/entry:start", "/subsystem:console", a, b, rt, k32, `/out:${out}`, `/map:${out}.map`];
    const options = parseLldLinkArgs(args, { readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined });
    const session = LinkSession.open(options, nodeHost);
    expect(runWine(out).stdout).toBe("result=36\n");

    // The reference: lld-link's full link of the same objects, run the same way.
    const check = (objects: string[], label: string) => {
      const reference = join(dir, `ref-${label}.exe`);
      lldLink(["/entry:start", "/subsystem:console", ...objects, rt, k32, `/out:${reference}`, `/map:${reference}.map`]);
      const expected = runWine(reference);
      const actual = runWine(out);
      expect({ stdout: actual.stdout, status: actual.status }, label).toEqual({ stdout: expected.stdout, status: expected.status });
      expectSameCode({ ours: out, theirs: reference });
      // Pointers in data that moved or went took their base relocations with them (wine loads the image
      // where it asked to be: a stale entry would not show when it runs).
      expect(dir64BaseRelocations(out), label).toEqual({ count: dir64BaseRelocations(reference).count, outside: [] });
      return actual.stdout;
    };

    // 1. A function body grows (it has surplus capacity: patched in place, nothing else moves).
    b = compile("b.c", `
static int table[3] = {1, 2, 3};
static int *ptrs[3] = {&table[0], &table[1], &table[2]};
int b_value(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * 7 + (s >> 1); return x * 10 + s; }
int b_table_sum(void) { return *ptrs[0] + *ptrs[1] + *ptrs[2]; }
`);
    const size = statSync(out).size;
    session.replaceObject(b);
    const r1 = session.flush();
    expect(r1.mode, r1.reason).toBe("incremental");
    expect(r1.bytesWritten).toBeLessThan(size);
    expect(check([a, b], "grow")).toBe("result=60\n");

    // 2. A function grows a lot (moves), a data item is added, pointers in data change.
    b = compile("b.c", `
static int table[5] = {1, 2, 3, 4, 5};
static int *ptrs[5] = {&table[0], &table[1], &table[2], &table[3], &table[4]};
int extra_data[64] = {9};
int b_value(int x) { int s = 0; for (int i = 0; i < x; i++) { s += i * 7 + (s >> 1); s ^= i * 13; s += extra_data[i & 63]; s -= (s % 5); s *= 3; s /= 2; } return x * 10 + s; }
int b_table_sum(void) { int s = 0; for (int i = 0; i < 5; i++) s += *ptrs[i]; return s; }
`);
    session.replaceObject(b);
    const r2 = session.flush();
    expect(r2.mode, r2.reason).toBe("incremental");
    check([a, b], "move");

    // 3. A new import (a DLL function nobody used before) and a new function called across modules.
    const a2 = compile("a.c", moduleA("int b_ticks(void);").replace("b_table_sum();", "b_table_sum() + b_ticks();"));
    b = compile("b.c", `
__declspec(dllimport) unsigned long __stdcall GetTickCount(void);
static int table[5] = {1, 2, 3, 4, 5};
static int *ptrs[5] = {&table[0], &table[1], &table[2], &table[3], &table[4]};
int b_value(int x) { return x * 10; }
int b_table_sum(void) { int s = 0; for (int i = 0; i < 5; i++) s += *ptrs[i]; return s; }
int b_ticks(void) { return GetTickCount() > 0 ? 100 : 0; }
`);
    session.replaceObject(a2);
    session.replaceObject(b);
    const r3 = session.flush();
    expect(["incremental", "full"]).toContain(r3.mode);
    expect(check([a2, b], "import")).toBe("result=145\n");

    // 4. Data outgrows the megabyte of address space its section keeps: the section moves in the file,
    // the sections after it shift in memory, and everything is relocated again, still in place.
    b = compile("b.c", `
__declspec(dllimport) unsigned long __stdcall GetTickCount(void);
static int table[5] = {1, 2, 3, 4, 5};
static int *ptrs[5] = {&table[0], &table[1], &table[2], &table[3], &table[4]};
int big[400000] = {7, 8, 9};
int b_value(int x) { return x * 10 + big[x % 3]; }
int b_table_sum(void) { int s = 0; for (int i = 0; i < 5; i++) s += *ptrs[i]; return s; }
int b_ticks(void) { return GetTickCount() > 0 ? 100 : 0; }
`);
    session.replaceObject(b);
    const r4 = session.flush();
    expect(r4.mode, r4.reason).toBe("incremental");
    expect(r4.sectionsMoved).toBeGreaterThan(1);
    expect(check([a2, b], "shift")).toBe("result=145\n".replace("145", String(145 + 7)));
  });

  it("updates one function at a time, as a compiler that emits per function would", () => {
    const { dir, k32, rt, compile } = workspace("session-atom", [], ["-ffunction-sections", "-fdata-sections"]);
    const a = compile("a.c", moduleA(""));
    const b = (body: string) => `
int factor = 10;
__attribute__((noinline)) int helper(int x) { return x + 1; }
int b_value(int x) { ${body} }
int b_table_sum(void) { return 6; }
`;
    const b1 = compile("b.c", b("return x * factor;"));
    const out = join(dir, "app.exe");
    const options = parseLldLinkArgs(["/entry:start", "/subsystem:console", a, b1, rt, k32, `/out:${out}`, `/map:${out}.map`], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    const session = LinkSession.open(options, nodeHost);
    expect(runWine(out).stdout).toBe("result=36\n");

    // The "compiler" emits b_value again: its code and its relocations, by symbol name.
    const newBody = "int s = 0; for (int i = 0; i < x; i++) s += helper(i) * factor; return s + x * factor;";
    const v2 = join(dir, "v2");
    mkdirSync(v2);
    const b2 = compileC(v2, { "b.c": b(newBody) }, target, ["-ffunction-sections", "-fdata-sections"])[0]!;
    const coff = readCoffObject(readFileSync(b2));
    let section = -1;
    for (let i = 0; i < coff.symbolRecordCount; i += 1 + coff.symbol(i).numberOfAuxSymbols) {
      const sym = coff.symbol(i);
      if (sym.name === "b_value" && sym.sectionNumber > 0) section = sym.sectionNumber - 1;
    }
    expect(section).toBeGreaterThanOrEqual(0);
    const relocations = coff.relocations(section).toArray().map((r) => ({ offset: r.offset, type: r.type, symbol: coff.symbolName(r.symbolIndex) }));
    expect(relocations.map((r) => r.symbol).sort()).toEqual(["factor", "factor", "helper"].slice(0, relocations.length).sort());
    session.updateSection(b1, "b_value", { bytes: coff.sectionData(section), relocations });
    const report = session.flush();
    expect(report.mode, report.reason).toBe("incremental");

    // The same program as a full link of the recompiled object.
    const reference = join(dir, "ref.exe");
    lldLink(["/entry:start", "/subsystem:console", a, b2, rt, k32, `/out:${reference}`, `/map:${reference}.map`]);
    const expected = runWine(reference);
    expect(runWine(out).stdout).toBe(expected.stdout);
    expect(expected.stdout).toBe("result=96\n");
    expectSameCode({ ours: out, theirs: reference });
  });

  it("reports what an update leaves undefined or defines twice, as a full link does, and recovers when the inputs are fixed", () => {
    // An update checks only the names the swapped objects touch: these are the problems it must still see.
    const { dir, k32, rt, compile } = workspace("session-errors");
    const a = compile("a.c", moduleA(""));
    const bGood = compile("b.c", "int b_value(int x) { return x * 10; }\nint b_table_sum(void) { return 6; }\n");
    const out = join(dir, "app.exe");
    const options = parseLldLinkArgs(["/entry:start", "/subsystem:console", a, bGood, rt, k32, `/out:${out}`], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    const session = LinkSession.open(options, nodeHost);
    expect(runWine(out).stdout).toBe("result=36\n");
    const good = readFileSync(bGood);

    // b stops defining a name a (untouched) still calls.
    session.replaceObject(bGood, readFileSync(compile("b1.c", "int b_value(int x) { return x * 10; }\n")));
    expect(() => session.flush()).toThrow(/undefined symbol: b_table_sum/);
    // The fixed object links again (fully: the failed update left nothing to patch), then updates resume.
    session.replaceObject(bGood, good);
    expect(session.flush().mode).toBe("full");
    expect(runWine(out).stdout).toBe("result=36\n");

    // b calls a name nobody defines.
    session.replaceObject(bGood, readFileSync(compile("b2.c", "int nowhere(int);\nint b_value(int x) { return nowhere(x); }\nint b_table_sum(void) { return 6; }\n")));
    expect(() => session.flush()).toThrow(/undefined symbol: nowhere/);
    session.replaceObject(bGood, good);
    session.flush();

    // A new object defines a name b defines too.
    const c = compile("c.c", "int b_value(int x) { return x; }\n");
    session.addObject(c);
    expect(() => session.flush()).toThrow(/duplicate symbol: b_value/);
    session.removeObject(c);
    session.flush();
    session.replaceObject(bGood, readFileSync(compile("b3.c", "int b_value(int x) { return x * 20; }\nint b_table_sum(void) { return 6; }\n")));
    const r = session.flush();
    expect(r.mode, r.reason).toBe("incremental");
    expect(runWine(out).stdout).toBe("result=66\n");
  });

  it("follows an export renamed in an object's directives, in place", () => {
    const { dir, k32, rt, compile } = workspace("session-exports");
    const a = compile("a.c", moduleA(""));
    const b = (exported: string) => compile(`b-${exported}.c`, `__declspec(dllexport) int ${exported}(int x) { return x + 1; }
int b_value(int x) { return x * 10; }
int b_table_sum(void) { return 6; }
`);
    const b1 = b("old_name");
    const out = join(dir, "app.exe");
    const options = parseLldLinkArgs(["/entry:start", "/subsystem:console", a, b1, rt, k32, `/out:${out}`], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    const session = LinkSession.open(options, nodeHost);
    const exportsOf = () => runOk(tools.readobj, ["--coff-exports", out]).split("\n").filter((l) => l.includes("Name:")).map((l) => l.trim());
    expect(exportsOf()).toEqual(["Name: old_name"]);
    // The export is renamed: the old name must not stay asked for (nothing defines it any more).
    session.replaceObject(b1, readFileSync(b("new_name")));
    const r = session.flush();
    expect(r.mode, r.reason).toBe("incremental");
    expect(exportsOf()).toEqual(["Name: new_name"]);
    expect(runWine(out).stdout).toBe("result=36\n");
  });

  it("lays initialiser and TLS lists out again in place when an update adds, removes or grows their entries", () => {
    // No C runtime here: crt.c stands in for its part, the `.CRT$XCA`..`$XCZ` markers and their walk, and
    // tlssup's TLS directory between `_tls_start` (`.tls`) and `_tls_end` (`.tls$ZZZ`). b.obj comes first
    // on the command line, so what it adds to a list goes before a.obj's entries, which must move.
    const { dir, k32, rt, compile } = workspace("session-lists", [], ["-ffunction-sections"]);
    const crt = compile("crt.c", `
typedef void (*init_fn)(void);
#pragma section(".CRT$XCA", read)
#pragma section(".CRT$XCZ", read)
__declspec(allocate(".CRT$XCA")) init_fn xc_a = 0;
__declspec(allocate(".CRT$XCZ")) init_fn xc_z = 0;
void run_initializers(void) {
  unsigned long long p = (unsigned long long)&xc_a, end = (unsigned long long)&xc_z;
  __asm__ volatile("" : "+r"(p), "+r"(end));
  for (p += sizeof(init_fn); p < end; p += sizeof(init_fn)) { init_fn f = *(init_fn *)p; if (f) f(); }
}
#pragma section(".tls", read, write)
#pragma section(".tls$ZZZ", read, write)
__declspec(allocate(".tls")) char _tls_start = 0;
__declspec(allocate(".tls$ZZZ")) char _tls_end = 0;
unsigned int _tls_index = 0;
static void (*tls_callbacks[1])(void) = {0};
typedef struct { unsigned long long start, end, index, callbacks; unsigned int zero_fill, characteristics; } tls_directory;
const tls_directory _tls_used = { (unsigned long long)&_tls_start, (unsigned long long)&_tls_end, (unsigned long long)&_tls_index, (unsigned long long)tls_callbacks, 0, 0 };
`);
    const a = compile("a.c", `${programs.runtimeHeader}
void run_initializers(void);
char trace[16]; int traced;
void note(char c) { trace[traced++] = c; }
#pragma section(".CRT$XCU", read)
static void init_a(void) { note('a'); }
__declspec(allocate(".CRT$XCU")) void (*init_a_entry)(void) = init_a;
static __declspec(thread) int counter = 10;
int b_value(int);
int b_thread_sum(void);
void start(void) {
  run_initializers();
  counter += 5;
  print("init "); print(trace); print(" counter="); print_int(counter); print(" b="); print_int(b_value(2) + b_thread_sum()); print("\\n");
  finish(counter);
}
`);
    /** b.c with `entries` initialisers (in `.CRT$XCU`, or `$XCB` for upper case: before every `$XCU`) and `threads` TLS variables. */
    const b = (entries: string, threads: number) => compile("b.c", `
void note(char c);
#pragma section(".CRT$XCU", read)
#pragma section(".CRT$XCB", read)
${[...entries].map((c) => `static void init_${c}(void) { note('${c}'); }
__declspec(allocate(".CRT$XC${c === c.toUpperCase() ? "B" : "U"}")) void (*init_${c}_entry)(void) = init_${c};`).join("\n")}
${Array.from({ length: threads }, (_, i) => `__declspec(thread) int per_thread${i} = ${i + 3};`).join("\n")}
int b_value(int x) { return x * 10; }
int b_thread_sum(void) { int s = 0; ${Array.from({ length: threads }, (_, i) => `s += per_thread${i}++;`).join(" ")} return s; }
`);
    const out = join(dir, "app.exe");
    const objects = (bObject: string) => [bObject, a, crt, rt, k32];
    const options = parseLldLinkArgs(["/entry:start", "/subsystem:console", ...objects(b("", 0)), `/out:${out}`, `/map:${out}.map`], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    const session = LinkSession.open(options, nodeHost);
    expect(runWine(out).stdout).toBe("init a counter=15 b=20\n");
    const update = (entries: string, threads: number, label: string) => {
      const bObject = b(entries, threads);
      session.replaceObject(bObject);
      const report = session.flush();
      expect(report.mode, report.reason).toBe("incremental");
      const reference = join(dir, `ref-${label}.exe`);
      lldLink(["/entry:start", "/subsystem:console", ...objects(bObject), `/out:${reference}`, `/map:${reference}.map`]);
      const expected = runWine(reference), actual = runWine(out);
      expect({ stdout: actual.stdout, status: actual.status }, label).toEqual({ stdout: expected.stdout, status: expected.status });
      expectSameCode({ ours: out, theirs: reference });
      // The entries that moved carry absolute addresses: their base relocations moved with them.
      expect(dir64BaseRelocations(out), label).toEqual({ count: dir64BaseRelocations(reference).count, outside: [] });
      return { report, stdout: actual.stdout };
    };

    // An initialiser appears in b: it runs first (b.obj precedes a.obj); a's entry moves up the list.
    const first = update("x", 0, "one initialiser");
    expect(first.stdout).toBe("init xa counter=15 b=20\n");
    expect(first.report.atomsMoved).toBeGreaterThan(0);
    // A TLS variable appears in b: the template grows, a's variable and `_tls_end` move.
    expect(update("x", 1, "one thread variable").stdout).toBe("init xa counter=15 b=23\n");
    // Entries in two places of the list (`$XCB` sorts before `$XCU`), more thread variables.
    expect(update("xyZ", 3, "three initialisers").stdout).toBe("init Zxya counter=15 b=32\n");
    // Entries and variables go away: the lists close up.
    expect(update("y", 1, "fewer").stdout).toBe("init ya counter=15 b=23\n");
  });

  it("selects and drops archive members as a full link of the new objects would", () => {
    const { dir, k32, rt, compile } = workspace("session-archive");
    const memberA = compile("ma.c", "int helper_b(int); int helper_a(int x) { return helper_b(x) + 1; }");
    const memberB = compile("mb.c", "int helper_b(int x) { return x * 7; }");
    const lib = join(dir, "helpers.lib");
    runOk(tools.llvmLib, [`/out:${lib}`, memberA, memberB]);
    const main = (body: string, extra = "") => `${programs.runtimeHeader}\n${extra}\nvoid start(void) { int r = ${body}; print("r="); print_int(r); print("\\n"); finish(r); }\n`;
    let m = compile("main.c", main("helper_a(5)", "int helper_a(int);"));
    const out = join(dir, "app.exe");
    const options = parseLldLinkArgs(["/entry:start", "/subsystem:console", m, rt, k32, lib, `/out:${out}`, `/map:${out}.map`], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    const session = LinkSession.open(options, nodeHost);
    const check = (label: string, expected: string) => {
      const reference = join(dir, `ref-${label}.exe`);
      lldLink(["/entry:start", "/subsystem:console", m, rt, k32, lib, `/out:${reference}`, `/map:${reference}.map`]);
      expect(runWine(reference).stdout, label).toBe(expected);
      expect(runWine(out).stdout, label).toBe(expected);
      expectSameCode({ ours: out, theirs: reference });
    };
    check("both members", "r=36\n");

    // Nobody asks for helper_a any more: both members go (helper_b was asked for by helper_a only).
    m = compile("main.c", main("3"));
    session.replaceObject(m);
    let r = session.flush();
    expect(r.mode, r.reason).toBe("incremental");
    check("no members", "r=3\n");

    // helper_a again, but main defines helper_b itself: one member comes back, the other stays out.
    m = compile("main.c", main("helper_a(2)", "int helper_a(int); int helper_b(int x) { return x * 100; }"));
    session.replaceObject(m);
    r = session.flush();
    expect(r.mode, r.reason).toBe("incremental");
    check("one member", "r=201\n");

    // main's own helper_b goes away: the archive's is loaded again.
    m = compile("main.c", main("helper_a(4)", "int helper_a(int);"));
    session.replaceObject(m);
    r = session.flush();
    expect(r.mode, r.reason).toBe("incremental");
    check("both again", "r=29\n");
  });
});
