// C programs on the full MinGW runtime, compiled by x86_64-w64-mingw32-gcc and by clang, linked through
// the compiler driver by GNU ld, ld.lld and linkkit-ld: the three run the same under wine, and
// linkkit-ld's image disassembles like ld.lld's. DWARF debug sections are kept, and dropped by -s.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile, expectLikeLld, expectSameRuns, link, linkAll, mingwToolchain, runWineIn, sectionNames, type Compiler } from "../harness/mingw.js";
import { describeWithTools, makeTempDir, runOk, tools } from "../harness/toolchain.js";
import { cArgs, cEnv, cExpected, cProgram, threadExpected, threadProgram } from "./mingw-programs.js";

const needed = ["mingwGcc", "clang", "ldLld", "readobj", "objdump", "wine"] as const;

for (const compiler of ["gcc", "clang"] as Compiler[]) {
  describeWithTools(`linkkit-ld links C programs compiled by ${compiler} (x86_64)`, needed, () => {
    const b = { tc: mingwToolchain("x86_64"), compiler, cxx: false };

    it("stdio, floating point, the heap, qsort, files, setjmp/longjmp, atexit, argv and environment", () => {
      const dir = makeTempDir(`mingw-c-${compiler}`);
      const images = linkAll(b, dir, "cprog", compile(b, dir, cProgram));
      const r = expectSameRuns(images, cArgs, cEnv);
      expect(r.stdout).toBe(cExpected);
      expect(r.status).toBe(23);
      expectLikeLld(images);
    });

    it("threads made by CreateThread with thread-local variables and a TLS callback", () => {
      const dir = makeTempDir(`mingw-threads-${compiler}`);
      const images = linkAll(b, dir, "threads", compile(b, dir, threadProgram));
      const r = expectSameRuns(images);
      expect(r.stdout).toBe(threadExpected);
      expect(r.status).toBe(5);
      expect(runOk(tools.readobj, ["--file-headers", images.linkkit])).toMatch(/TLSTableRVA: 0x[1-9A-F]/);
      expectLikeLld(images);
    });

    it("keeps DWARF .debug_* sections that locate functions and lines, and -s drops them", () => {
      const dir = makeTempDir(`mingw-dwarf-${compiler}`);
      const objects = compile(b, dir, cProgram, ["-g"]);
      const debug = join(dir, "debug.exe"), stripped = join(dir, "stripped.exe"), gnu = join(dir, "debug.gnu.exe");
      link(b, "linkkit", { objects, out: debug, map: true });
      link(b, "linkkit", { objects, out: stripped, flags: ["-s"] });
      link(b, "gnu", { objects, out: gnu });
      const kept = sectionNames(debug).filter((n) => n.startsWith(".debug_"));
      const gnuKept = sectionNames(gnu).filter((n) => n.startsWith(".debug_"));
      expect(kept).toContain(".debug_info");
      expect(kept).toContain(".debug_line");
      expect(kept.sort()).toEqual(gnuKept.sort());
      expect(sectionNames(stripped).filter((n) => n.startsWith(".debug"))).toEqual([]);
      // Functions' addresses, from the map, lead back to them in their sources through the line table.
      const map = readFileSync(`${debug}.map`, "utf8");
      for (const [fn, file] of [["main", "cprog.c"], ["mean", "cutil.c"]] as const) {
        const at = new RegExp(`^\\s*\\S+\\s+${fn}\\s+([0-9a-f]{16})`, "m").exec(map)?.[1];
        expect(at).toBeDefined();
        const where = runOk("llvm-symbolizer", [`--obj=${debug}`, `0x${at}`]).trim().split("\n");
        expect(where[0]).toBe(fn);
        expect(where[1]).toMatch(new RegExp(`${file.replace(".", "\\.")}:\\d+:\\d+$`));
      }
      // Stripped or not, the program is the same.
      const a = runWineIn(debug, cArgs, { env: cEnv }), s = runWineIn(stripped, cArgs, { env: cEnv });
      expect({ status: s.status, stdout: s.stdout }).toEqual({ status: a.status, stdout: a.stdout });
      expect(a.status).toBe(23);
    });
  });
}
