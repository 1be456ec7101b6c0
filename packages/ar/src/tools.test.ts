// Real archives and the LLVM tools as the reference: our member list and symbol index must equal
// `llvm-ar t` and `llvm-nm --print-armap`, for archives the tools made and archives we made.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArchive, writeArchive, type WriteArchiveOptions } from "./index.js";

const tools = ["llvm-ar", "llvm-nm", "llvm-lib", "clang"];
const missing = tools.filter((t) => spawnSync(t, ["--version"]).error !== undefined);
const mingwLibs = ["/usr/x86_64-w64-mingw32/lib/libkernel32.a", "/usr/x86_64-w64-mingw32/lib/libmingwex.a"];
const missingLibs = mingwLibs.filter((f) => !existsSync(f));
const available = missing.length === 0 && missingLibs.length === 0;
if (!available && process.env.CI === "true") {
  throw new Error(`CI needs ${[...missing, ...missingLibs].join(", ")} for the archive tool tests`);
}

const run = (tool: string, args: string[], cwd?: string) => execFileSync(tool, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });

/** `llvm-ar t`: one member name per line. */
const toolMembers = (file: string) => run("llvm-ar", ["t", file]).split("\n").filter((l) => l !== "");

/** `llvm-nm --print-armap`: "symbol in member" lines up to the first blank line, sorted. */
function toolArmap(file: string): string[] {
  const out = run("llvm-nm", ["--print-armap", file]);
  const lines = out.split("\n");
  if (lines[0] !== "Archive map") return [];
  const map: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === "") break;
    map.push(line);
  }
  return map.sort();
}

function ours(file: string) {
  const archive = readArchive(readFileSync(file), { fileName: file });
  const members = [...archive.members()].map((m) => m.name);
  const armap = [...archive.symbols()].map((s) => `${s.name} in ${archive.memberAt(s.memberOffset).name}`).sort();
  return { archive, members, armap };
}

function expectSameAsTools(file: string): void {
  const { members, armap } = ours(file);
  expect(members).toEqual(toolMembers(file));
  expect(armap).toEqual(toolArmap(file));
}

describe.skipIf(!available)("agrees with the LLVM tools", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "linkkit-ar-"));
    writeFileSync(join(dir, "a.c"), "int alpha(void) { return 1; }\nint beta_data_with_a_long_name = 2;\n");
    writeFileSync(join(dir, "member_with_a_long_file_name.c"), "int gamma(void) { return 3; }\nint delta;\n");
    run("clang", ["--target=x86_64-pc-windows-msvc", "-c", "a.c", "member_with_a_long_file_name.c"], dir);
    run("clang", ["--target=x86_64-pc-windows-msvc", "-c", "a.c", "-o", "a.obj"], dir);
    run("clang", ["--target=x86_64-pc-windows-msvc", "-c", "member_with_a_long_file_name.c", "-o", "member_with_a_long_file_name.obj"], dir);
    // ELF objects too: the container does not care what it holds.
    run("clang", ["--target=x86_64-linux-gnu", "-c", "a.c", "-o", "a_elf.o"], dir);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  for (const lib of mingwLibs) {
    it(`reads ${lib} like llvm-ar and llvm-nm`, () => {
      const { archive } = ours(lib);
      expect(archive.format).toBe("gnu");
      expect(archive.symbolCount).toBeGreaterThan(100);
      expectSameAsTools(lib);
      // Every indexed member opens lazily by the offset the index gives.
      const first = archive.symbols().next().value!;
      expect(archive.memberAt(archive.findSymbol(first.name)!).name).toBe(archive.memberAt(first.memberOffset).name);
    });
  }

  it("reads a .lib from llvm-lib", () => {
    run("llvm-lib", ["/out:x.lib", "a.obj", "member_with_a_long_file_name.obj"], dir);
    expectSameAsTools(join(dir, "x.lib"));
    expect(ours(join(dir, "x.lib")).archive.findSymbol("gamma")).toBeDefined();
  });

  for (const format of ["gnu", "bsd"]) {
    it(`reads llvm-ar --format=${format}`, () => {
      const file = join(dir, `tool-${format}.a`);
      run("llvm-ar", ["rcs", `--format=${format}`, file, "a.obj", "member_with_a_long_file_name.obj", "a_elf.o"], dir);
      expectSameAsTools(file);
      expect(ours(file).archive.format).toBe(format);
    });
  }

  it("reads a thin archive from llvm-ar and reports member paths", () => {
    const file = join(dir, "thin.a");
    run("llvm-ar", ["rcsT", file, "a.obj", "member_with_a_long_file_name.obj"], dir);
    const { archive } = ours(file);
    expect(archive.thin).toBe(true);
    expect(ours(file).armap).toEqual(toolArmap(file));
    for (const m of archive.members()) {
      expect(m.thin).toBe(true);
      if (m.thin) expect(readFileSync(m.path).length).toBe(m.size);
    }
  });

  const variants: [string, WriteArchiveOptions][] = [
    ["gnu", { format: "gnu" }],
    ["gnu-sym64", { format: "gnu", symbolTable64: true }],
    ["bsd", { format: "bsd" }],
    ["coff", { format: "coff" }],
  ];
  for (const [label, options] of variants) {
    it(`writes ${label} archives the tools read back`, () => {
      const input = [
        { name: "a.obj", data: readFileSync(join(dir, "a.obj")), symbols: ["alpha", "beta_data_with_a_long_name"] },
        { name: "member_with_a_long_file_name.obj", data: readFileSync(join(dir, "member_with_a_long_file_name.obj")), symbols: ["gamma", "delta"] },
        { name: "a_elf.o", data: readFileSync(join(dir, "a_elf.o")), symbols: ["alpha"] },
      ];
      const file = join(dir, `ours-${label}.a`);
      writeFileSync(file, writeArchive(input, options));
      expect(toolMembers(file)).toEqual(input.map((m) => m.name));
      const expected = input.flatMap((m) => m.symbols.map((s) => `${s} in ${m.name}`)).sort();
      expect(toolArmap(file)).toEqual(expected);
      expectSameAsTools(file);
      // The tools can take members back out byte for byte.
      run("llvm-ar", ["x", file, "member_with_a_long_file_name.obj"], join(dir));
    });
  }
});
