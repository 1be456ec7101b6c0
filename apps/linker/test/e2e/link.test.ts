// Real C and C++ programs compiled by clang for x86_64 and i686 Windows (no C runtime), linked by
// linkkit and by lld-link: the x64 images run under wine with the same output and exit code, and both
// architectures disassemble to the same code up to layout, with the same imports and exports.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compileC, describeWithTools, importLibrary, makeTempDir, runOk, runWine, tools, type Target } from "../harness/toolchain.js";
import { dir64BaseRelocations, expectSameCode, expectSameImportsAndExports, expectSameRun, linkBoth, linkkitOk, lldLink, readobjFacts } from "../harness/linkers.js";
import * as programs from "./programs.js";

const arches = [
  { name: "x64", target: "x86_64-pc-windows-msvc" as Target, machine: "x64" as const, mangle: (s: string) => s },
  { name: "x86", target: "i686-pc-windows-msvc" as Target, machine: "x86" as const, mangle: (s: string) => `_${s}` },
];

function setup(prefix: string, arch: (typeof arches)[number], sources: Record<string, string>, flags: string[] = []) {
  const dir = makeTempDir(`${prefix}-${arch.name}`);
  for (const [name, text] of Object.entries(sources)) if (name.endsWith(".h")) writeFileSync(join(dir, name), text);
  const compiled = compileC(dir, Object.fromEntries(Object.entries(sources).filter(([n]) => !n.endsWith(".h"))), arch.target, flags);
  const [rt] = compileC(dir, { "rt.c": programs.runtime }, arch.target);
  const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports.map((n) => arch.machine === "x86" ? stdcallName(n) : n), arch.machine);
  return { dir, objects: compiled, rt: rt!, k32 };
}

/** The x86 import names of the kernel32 functions the tests use (stdcall decorations). */
function stdcallName(n: string): string {
  const bytes: Record<string, number> = { GetStdHandle: 4, WriteFile: 20, ExitProcess: 4, GetModuleHandleA: 4, LoadLibraryA: 4, GetProcAddress: 8 };
  return `${n}@${bytes[n]}`;
}

const entry = (arch: (typeof arches)[number]) => `/entry:start`;

for (const arch of arches) {
  const runs = arch.machine === "x64";
  describeWithTools(`linkkit links ${arch.name} programs`, ["clang", "lldLink", "readobj", "objdump", "dlltool", "llvmLib", ...(runs ? ["wine" as const] : [])], () => {
    it("several objects, data, read-only data, .bss, function-pointer tables and a static library", () => {
      const { dir, objects, rt, k32 } = setup("multi", arch, programs.multiObject);
      const [main, data, lib1, lib2] = objects;
      const lib = join(dir, "mylib.lib");
      runOk(tools.llvmLib, [`/out:${lib}`, lib1!, lib2!]);
      const linked = linkBoth(dir, "multi", [entry(arch), "/subsystem:console", main!, data!, rt, lib, k32]);
      expectSameImportsAndExports(linked);
      expectSameCode(linked);
      // Only the member that defines a needed symbol is loaded.
      const map = runOk("cat", [`${linked.ours}.map`]);
      expect(map).toMatch(/from_lib1/);
      expect(map).not.toMatch(/from_lib2/);
      if (runs) {
        const r = expectSameRun(linked);
        expect(r.stdout).toBe("alpha beta\ntotal=712\n");
      }
    });

    it("COMDAT sections from C++ inline functions in several objects, with /opt:ref dropping the unused", () => {
      const { dir, objects, rt, k32 } = setup("comdat", arch, programs.comdats, ["-ffunction-sections", "-fdata-sections", "-fno-exceptions", "-fno-rtti", "-std=c++17"]);
      const linked = linkBoth(dir, "comdat", [entry(arch), "/subsystem:console", ...objects, rt, k32]);
      expectSameImportsAndExports(linked);
      expectSameCode(linked);
      const map = runOk("cat", [`${linked.ours}.map`]);
      expect(map).not.toMatch(/unused_function_dropped_by_opt_ref/);
      if (runs) expect(expectSameRun(linked).stdout).toBe("comdat=138\n");
      // /opt:noref keeps it.
      const noref = join(dir, "noref.exe");
      linkkitOk([entry(arch), "/subsystem:console", "/opt:noref", ...objects, rt, k32, `/out:${noref}`, `/map:${noref}.map`]);
      expect(runOk("cat", [`${noref}.map`])).toMatch(/unused_function_dropped_by_opt_ref/);
    });

    it("weak externals and /alternatename (command line and directive)", () => {
      const sources = { ...programs.weakAndAlias };
      sources["main.c"] = `#pragma comment(linker, "/alternatename:${arch.mangle("missing_feature")}=${arch.mangle("missing_feature_default")}")\n${sources["main.c"]}`;
      const { dir, objects, rt, k32 } = setup("weak", arch, sources);
      const [main, defaults, override] = objects;
      const linked = linkBoth(dir, "weak", [entry(arch), "/subsystem:console", `/alternatename:${arch.mangle("hook")}=${arch.mangle("hook_default")}`, main!, defaults!, override!, rt, k32]);
      expectSameCode(linked);
      if (runs) expect(expectSameRun(linked).stdout).toBe("weak=735\n");
    });

    it("common symbols: the largest definition wins", () => {
      const { dir, objects, rt, k32 } = setup("common", arch, programs.commons, ["-fcommon"]);
      const linked = linkBoth(dir, "common", [entry(arch), "/subsystem:console", ...objects, rt, k32]);
      expectSameCode(linked);
      if (runs) expect(expectSameRun(linked).stdout).toBe("common=2099\n");
    });

    it("thread-local variables through the TLS directory", () => {
      const { dir, objects, rt, k32 } = setup("tls", arch, programs.threadLocal(arch.machine === "x86"));
      const linked = linkBoth(dir, "tls", [entry(arch), "/subsystem:console", ...objects, rt, k32]);
      expectSameCode(linked);
      const headers = runOk(tools.readobj, ["--file-headers", linked.ours]);
      expect(headers).toMatch(/TLSTableRVA: 0x[1-9A-F]/);
      if (runs) expect(expectSameRun(linked).stdout).toBe("tls! 15 2\n");
    });

    it("a DLL with /export and a .def file, used by an exe through the import library linkkit wrote", () => {
      const { dir, objects, k32 } = setup("dll", arch, programs.dllSources);
      const def = join(dir, "mathlib.def");
      writeFileSync(def, programs.dllDef);
      const ours = join(dir, "ours"), theirs = join(dir, "theirs");
      mkdirSync(ours); mkdirSync(theirs);
      linkkitOk(["/dll", `/def:${def}`, `/export:${arch.mangle("mul_add") === "mul_add" ? "mul_add" : "mul_add"}`, objects[0]!, `/out:${join(ours, "mathlib.dll")}`, `/implib:${join(ours, "mathlib.lib")}`, `/map:${join(ours, "mathlib.dll.map")}`]);
      lldLink(["/dll", `/def:${def}`, "/export:mul_add", objects[0]!, `/out:${join(theirs, "mathlib.dll")}`, `/implib:${join(theirs, "mathlib.lib")}`, `/map:${join(theirs, "mathlib.dll.map")}`]);
      const dllFacts = { ours: readobjFacts(join(ours, "mathlib.dll")), theirs: readobjFacts(join(theirs, "mathlib.dll")) };
      expect(dllFacts.ours.errors).toBe("");
      expect(dllFacts.ours.exports).toEqual(dllFacts.theirs.exports);
      expectSameCode({ ours: join(ours, "mathlib.dll"), theirs: join(theirs, "mathlib.dll") });

      const user = compileC(dir, programs.dllUser, arch.target)[0]!;
      const [rt] = compileC(dir, { "rt2.c": programs.runtime }, arch.target);
      linkkitOk([entry(arch), "/subsystem:console", user, rt!, k32, join(ours, "mathlib.lib"), `/out:${join(ours, "user.exe")}`, `/map:${join(ours, "user.exe.map")}`]);
      lldLink([entry(arch), "/subsystem:console", user, rt!, k32, join(theirs, "mathlib.lib"), `/out:${join(theirs, "user.exe")}`, `/map:${join(theirs, "user.exe.map")}`]);
      const linked = { ours: join(ours, "user.exe"), theirs: join(theirs, "user.exe") };
      expectSameImportsAndExports(linked);
      expectSameCode(linked);
      // lld-link also accepts the import library linkkit wrote.
      lldLink([entry(arch), "/subsystem:console", user, rt!, k32, join(ours, "mathlib.lib"), `/out:${join(ours, "user-lld.exe")}`]);
      if (runs) {
        const a = runWine(join(theirs, "user.exe"));
        const b = runWine(join(ours, "user.exe"));
        expect(b.stdout).toBe("dll=1116\n");
        expect({ status: b.status, stdout: b.stdout }).toEqual({ status: a.status, stdout: a.stdout });
        expect(runWine(join(ours, "user-lld.exe")).stdout).toBe("dll=1116\n");
      }
    });

    if (runs) {
      it("base relocations in address order, as many as lld-link's, whether the objects add them in order or not", () => {
        // With a pointer table in .rdata as well as in .data, the entries of each object come .data then
        // .rdata, and the next object's .data again: out of address order. With .data alone, in order.
        const pointerTables = (name: string, rdata: boolean) => `
static int values_${name}[3] = {1, 2, 3};
int *data_${name}[3] = {&values_${name}[0], &values_${name}[1], &values_${name}[2]};
${rdata ? "int *const" : "int *"} other_${name}[3] = {&values_${name}[2], &values_${name}[1], &values_${name}[0]};
int sum_${name}(void) { int s = 0; for (int i = 0; i < 3; i++) s += *data_${name}[i] * *other_${name}[i]; return s; }
`;
        for (const rdata of [true, false]) {
          const { dir, objects, rt, k32 } = setup(`basereloc-${rdata ? "rdata" : "data"}`, arch, {
            "main.c": `${programs.runtimeHeader}
int sum_a(void); int sum_b(void);
void start(void) { int r = sum_a() + sum_b(); print("sum="); print_int(r); print("\\n"); finish(r); }
`,
            "a.c": pointerTables("a", rdata),
            "b.c": pointerTables("b", rdata),
          });
          const linked = linkBoth(dir, "basereloc", [entry(arch), "/subsystem:console", ...objects, rt, k32]);
          const ours = dir64BaseRelocations(linked.ours), theirs = dir64BaseRelocations(linked.theirs);
          expect(ours.outside).toEqual([]);
          expect(ours.count).toBe(theirs.count);
          expect(ours.count).toBeGreaterThanOrEqual(12);
          const sites = [...runOk(tools.readobj, ["--coff-basereloc", linked.ours]).matchAll(/Address: (0x[0-9A-Fa-f]+)/g)].map((m) => Number(m[1]));
          expect(sites).toEqual([...sites].sort((x, y) => x - y));
          expect(expectSameRun(linked).stdout).toBe("sum=20\n");
        }
      });

      it("base relocations at run time: two DLLs with the same preferred base in one process", () => {
        const dir = makeTempDir(`reloc-${arch.name}`);
        const [first] = compileC(dir, programs.relocatedDll("first", 3), arch.target);
        const [second] = compileC(dir, programs.relocatedDll("second", 5), arch.target);
        const [user] = compileC(dir, { "two.c": programs.twoDllUser }, arch.target);
        const [rt] = compileC(dir, { "rt.c": programs.runtime }, arch.target);
        const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, arch.machine);
        linkkitOk(["/dll", "/base:0x10000000", first!, `/out:${join(dir, "first.dll")}`]);
        linkkitOk(["/dll", "/base:0x10000000", second!, `/out:${join(dir, "second.dll")}`]);
        linkkitOk(["/entry:start", "/subsystem:console", user!, rt!, k32, join(dir, "first.lib"), join(dir, "second.lib"), `/out:${join(dir, "two.exe")}`]);
        const r = runWine(join(dir, "two.exe"));
        // ((0+1)*2+3)*4 = 20; first: 20*3 = 60, second: 20*5 = 100.
        expect(r.stdout).toBe("two=160 distinct\n");
        expect(r.status).toBe(160);
        copyFileSync(join(dir, "first.dll"), join(dir, "first-copy.dll"));
      });
    }
  });
}
