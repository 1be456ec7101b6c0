// A C DLL linked with -shared and --out-implib by GNU ld, ld.lld and linkkit-ld (through the compiler
// driver), and a program linked against each linker's import library that uses the DLL's data without
// dllimport: auto-import turns those references into runtime pseudo relocations, applied at start-up.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readobjFacts } from "../harness/linkers.js";
import { compile, expectLikeLld, link, linkers, mingwToolchain, runWineIn, type Compiler, type Linker } from "../harness/mingw.js";
import { describeWithTools, makeTempDir } from "../harness/toolchain.js";
import { dllExpected, dllProgram } from "./mingw-programs.js";

const needed = ["mingwGcc", "clang", "ldLld", "readobj", "objdump", "wine"] as const;

for (const compiler of ["gcc", "clang"] as Compiler[]) {
  describeWithTools(`linkkit-ld links a C DLL and its user, compiled by ${compiler} (x86_64)`, needed, () => {
    const b = { tc: mingwToolchain("x86_64"), compiler, cxx: false };

    it("-shared --out-implib, export-all, and data imported without dllimport through pseudo relocations", () => {
      const dir = makeTempDir(`mingw-dll-${compiler}`);
      const [dllObject, userObject] = compile(b, dir, dllProgram);
      const built = {} as Record<Linker, { dll: string; exe: string; implib: string }>;
      for (const linker of linkers) {
        const out = join(dir, linker);
        mkdirSync(out);
        const dll = join(out, "mathdll.dll"), implib = join(out, "libmathdll.dll.a"), exe = join(out, "user.exe");
        link(b, linker, { objects: [dllObject!], out: dll, flags: ["-shared", `-Wl,--out-implib,${implib}`], map: linker !== "gnu" });
        link(b, linker, { objects: [userObject!], out: exe, flags: [`-L${out}`, "-lmathdll"], map: linker !== "gnu" });
        built[linker] = { dll, exe, implib };
      }
      const runs = linkers.map((l) => runWineIn(built[l].exe));
      for (const r of runs) expect({ status: r.status, stdout: r.stdout.replace(/\r\n/g, "\n") }).toEqual({ status: 54, stdout: dllExpected });

      // Export-all: the same exports as GNU ld's and ld.lld's DLLs (DllMain and the static helper stay out).
      const facts = Object.fromEntries(linkers.map((l) => [l, readobjFacts(built[l].dll)])) as Record<Linker, ReturnType<typeof readobjFacts>>;
      expect(facts.linkkit.errors).toBe("");
      expect(facts.linkkit.exports.map((e) => e.replace(/^\d+:/, ""))).toEqual(
        ["add_scaled", "bump", "dll_attached", "dll_greeting", "shared_counter", "shared_table", "uses_hidden"]);
      expect(facts.linkkit.exports).toEqual(facts.lld.exports);
      expect(facts.linkkit.exports).toEqual(facts.gnu.exports);
      expectLikeLld({ linkkit: built.linkkit.dll, lld: built.lld.dll });
      expectLikeLld({ linkkit: built.linkkit.exe, lld: built.lld.exe });

      // Each linker's import library serves the others: linkkit-ld reads GNU ld's (dlltool-style
      // .idata$ members) and ld.lld's, and GNU ld and ld.lld read linkkit-ld's.
      const crossed: [Linker, Linker][] = [["linkkit", "gnu"], ["linkkit", "lld"], ["gnu", "linkkit"], ["lld", "linkkit"]];
      for (const [linker, library] of crossed) {
        const exe = join(dir, library, `user-by-${linker}.exe`);
        link(b, linker, { objects: [userObject!], out: exe, flags: [built[library].implib] });
        const r = runWineIn(exe);
        expect({ status: r.status, stdout: r.stdout.replace(/\r\n/g, "\n") }).toEqual({ status: 54, stdout: dllExpected });
      }
    });
  });
}
