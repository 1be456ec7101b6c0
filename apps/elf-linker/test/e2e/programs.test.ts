// Each program, compiled by clang and by gcc, linked by linkkit-elf, ld.lld and GNU ld: all three run
// with the same output and exit code, and binutils' and LLVM's readelf read linkkit-elf's output cleanly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { linkkitElf } from "../harness/linkkit-elf.js";
import { compile, describeWithTools, makeTempDir, run, runOk, tools, type Compiler } from "../harness/toolchain.js";
import { comdat, gcSections, multiObject, pieRelaxation, programs, type Program } from "./programs.js";

interface Built {
  readonly dir: string;
  /** Linker arguments after -o: objects, then -L. -lprog. */
  readonly args: readonly string[];
}

function build(program: Program, compiler: Compiler): Built {
  const dir = makeTempDir(`${compiler}-${program.name.replace(/[^a-z]+/gi, "-").slice(0, 20)}`);
  const objects = compile(dir, compiler, program.sources, program.cflags ?? []);
  const args = [...objects];
  if (program.library) {
    const members = compile(dir, compiler, program.library, program.cflags ?? []);
    // llvm-ar for clang's objects, GNU ar for gcc's: both archive flavours are read.
    runOk(compiler === "clang" ? tools.llvmAr : tools.ar, ["rcs", join(dir, "libprog.a"), ...members]);
    args.push("-L", dir, "-lprog");
  }
  return { dir, args: [...(program.ldflags ?? []), ...args] };
}

function symbolNames(exe: string): string[] {
  return runOk(tools.readelf, ["-sW", exe])
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[7])
    .filter((name): name is string => name !== undefined);
}

function sectionSize(exe: string, name: string): number {
  const line = runOk(tools.readelf, ["-SW", exe]).split("\n").find((l) => l.includes(` ${name} `));
  if (line === undefined) return 0;
  const fields = line.replace(/^.*\]\s*/, "").split(/\s+/);
  return parseInt(fields[4]!, 16);
}

for (const compiler of ["clang", "gcc"] as const) {
  const needed = compiler === "clang" ? (["clang", "clangxx", "llvmAr"] as const) : (["gcc", "gxx", "ar"] as const);
  describeWithTools(`programs compiled by ${compiler}`, [...needed, "ldLld", "gnuLd", "readelf", "llvmReadelf"], () => {
    for (const program of programs) {
      it(`${program.name}: runs as with ld.lld and GNU ld; readelf reads it cleanly`, () => {
        const { dir, args } = build(program, compiler);
        const ours = join(dir, "linkkit.out");
        const linked = linkkitElf(["-static", "-o", ours, ...args]);
        expect(linked.stderr).toBe("");
        expect(linked.status).toBe(0);
        runOk(tools.ldLld, ["-static", "-o", join(dir, "lld.out"), ...args]);
        runOk(tools.gnuLd, ["-static", "-o", join(dir, "bfd.out"), ...args]);

        const results = ["linkkit.out", "lld.out", "bfd.out"].map((exe) => run(join(dir, exe), []));
        expect(results[0]!.stdout).toBe(program.expectedOutput);
        expect(results[0]!.status).toBe(program.expectedStatus);
        for (const r of results.slice(1)) expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: results[0]!.stdout, status: results[0]!.status });

        for (const readelf of [tools.readelf, tools.llvmReadelf]) {
          const dump = run(readelf, ["-a", "-W", ours]);
          expect(dump.status, `${readelf}: ${dump.stderr}`).toBe(0);
          expect(dump.stderr).toBe("");
          expect(dump.stdout).not.toMatch(/warning/i);
        }
        const segments = runOk(tools.readelf, ["-lW", ours]);
        expect(segments).toMatch(/LOAD .* R E +0x1000/);
        expect(segments).not.toMatch(/LOAD .* RWE/);
        expect(segments).toMatch(/GNU_STACK .* RW +0x10/);

        if (program === multiObject) {
          // "world" is in three objects and the tail of "hello world": merged to one copy.
          const bytes = readFileSync(ours);
          expect(bytes.toString("latin1").split("world\0").length - 1).toBe(1);
          expect(bytes.toString("latin1")).toContain("hello world\0");
          const symtab = runOk(tools.readelf, ["-sW", ours]);
          expect(symtab).toMatch(/OBJECT\s+GLOBAL\s+DEFAULT\s+\d+ counter/);
          expect(symbolNames(ours)).not.toContain("lib_never");
        }
        if (program === comdat) {
          // One instance of the inline function: as many bytes of code as ld.lld keeps.
          expect(sectionSize(ours, ".text")).toBe(sectionSize(join(dir, "lld.out"), ".text"));
          expect(symbolNames(ours).filter((n) => n === "_Z6squarei")).toHaveLength(1);
        }
        if (program === gcSections) {
          const names = symbolNames(ours);
          expect(names).toContain("used_function");
          expect(names).not.toContain("unused_function");
          expect(names).not.toContain("unused_value");
          expect(symbolNames(join(dir, "lld.out"))).not.toContain("unused_function");
          // Without --gc-sections the function stays.
          const kept = join(dir, "kept.out");
          expect(linkkitElf(["-o", kept, ...args.filter((a) => a !== "--gc-sections")]).status).toBe(0);
          expect(symbolNames(kept)).toContain("unused_function");
        }
        if (program === pieRelaxation) {
          const objects = args.filter((a) => a.endsWith(".o"));
          const relocs = objects.map((o) => runOk(tools.readelf, ["-rW", o])).join("\n");
          expect(relocs).toMatch(/R_X86_64_(REX_)?GOTPCRELX/);
          // Only the weak undefined needs a slot: 8 bytes of .got, holding 0.
          expect(sectionSize(ours, ".got")).toBe(8);
          const disassembly = run("objdump", ["-d", ours]);
          if (disassembly.status === 0) {
            expect(disassembly.stdout).toMatch(/lea\s+0x[0-9a-f]+\(%rip\)/);
            expect(disassembly.stdout).not.toMatch(/call\s+\*0x[0-9a-f]+\(%rip\)/);
          }
        }
      });
    }
  });
}
