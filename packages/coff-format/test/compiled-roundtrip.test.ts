// Objects and import libraries made by real compilers in a temp dir: each (and each member of
// each library) reads, decodes fully and writes back byte for byte.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  IMAGE_COMDAT_SELECT, IMAGE_SCN, identifyInput, importedName, readCoffObject, readImportObject, toCoffObjectModel,
  writeCoffObject, writeImportObject, type AuxSectionDefinition,
} from "../src/index.js";
import { arMembers, decodeObject, toolsAvailable } from "./helpers.js";

const source = `
static int counter;
int shared_data = 7;
__attribute__((section(".a_very_long_section_name"))) int in_long_section = 3;
__declspec(selectany) int selected = 5;
__attribute__((weak)) int weak_function(void) { return 1; }
inline int square(int x) { return x * x; }
static int helper(int x) { return x + counter++; }
int use(int y) { return square(y) + helper(y) + in_long_section + selected + weak_function(); }
`;
const cppSource = `
template <typename T> struct Box { T value; T get() const { return value; } };
inline int twice(int x) { return 2 * x; }
int run(int y) { Box<int> b{y}; static int calls = 0; ++calls; return b.get() + twice(y) + calls; }
`;
const dllSource = `
int plain_function(void) { return 1; }
int data_item = 2;
int by_ordinal(void) { return 3; }
int real_name(void) { return 4; }
`;
const def = `LIBRARY example.dll
EXPORTS
  plain_function
  data_item DATA
  by_ordinal @7 NONAME
  renamed=real_name
`;

const haveClang = toolsAvailable("clang");
const haveGcc = toolsAvailable("x86_64-w64-mingw32-gcc");
const haveLibTools = toolsAvailable("llvm-dlltool", "llvm-lib", "lld-link", "clang");
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "coff-format-"));
  writeFileSync(join(dir, "a.c"), source);
  writeFileSync(join(dir, "b.cpp"), cppSource);
  writeFileSync(join(dir, "x.def"), def);
  writeFileSync(join(dir, "dll.c"), dllSource);
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function compile(tool: string, args: string[], out: string): Uint8Array {
  execFileSync(tool, [...args, "-o", join(dir, out)], { cwd: dir, stdio: "pipe" });
  return new Uint8Array(readFileSync(join(dir, out)));
}

function expectObjectRoundTrip(bytes: Uint8Array, name: string): void {
  const obj = readCoffObject(bytes, { fileName: name });
  decodeObject(obj);
  const back = writeCoffObject(toCoffObjectModel(obj));
  expect(Buffer.from(back).equals(Buffer.from(bytes)), `${name} round trip`).toBe(true);
}

describe.skipIf(!haveClang)("clang objects", () => {
  for (const target of ["x86_64-pc-windows-msvc", "i686-pc-windows-msvc"]) {
    for (const sections of [[], ["-ffunction-sections", "-fdata-sections"]]) {
      test(`${target} ${sections.join(" ") || "(default sections)"}`, () => {
        const tag = `${target}${sections.length}`;
        const c = compile("clang", [`--target=${target}`, "-c", "-O1", ...sections, "a.c"], `${tag}-a.obj`);
        // -O0 keeps the inline functions out of line, so they are emitted as COMDATs.
        const cpp = compile("clang", [`--target=${target}`, "-c", "-O0", ...sections, "b.cpp"], `${tag}-b.obj`);
        expectObjectRoundTrip(c, `${tag}-a.obj`);
        expectObjectRoundTrip(cpp, `${tag}-b.obj`);
        const obj = readCoffObject(cpp);
        expect(identifyInput(c)).toBe("coff-object");
        // Inline functions become COMDATs with a selection in their section symbol's aux record.
        const comdats = obj.sections().filter((s) => (s.characteristics & IMAGE_SCN.LNK_COMDAT) !== 0);
        expect(comdats.length).toBeGreaterThan(0);
        const selections = obj.symbols().flatMap((s) => s.aux).filter((a): a is AuxSectionDefinition => a.kind === "section-definition").map((a) => a.selection);
        expect(selections).toContain(IMAGE_COMDAT_SELECT.ANY);
        expect(readCoffObject(c).sections().map((s) => s.name)).toContain(".a_very_long_section_name");
      });
    }
  }
});

describe.skipIf(!haveGcc)("mingw gcc", () => {
  test("x86_64 with -Wa,-mbig-obj", () => {
    const bytes = compile("x86_64-w64-mingw32-gcc", ["-c", "-O1", "-ffunction-sections", "-Wa,-mbig-obj", "a.c"], "big.o");
    expect(identifyInput(bytes)).toBe("coff-bigobj");
    const obj = readCoffObject(bytes, { fileName: "big.o" });
    expect(obj.isBigobj).toBe(true);
    expect(obj.symbols().some((s) => s.aux.some((a) => a.kind === "file" && a.fileName === "a.c"))).toBe(true);
    expectObjectRoundTrip(bytes, "big.o");
    const cpp = compile("x86_64-w64-mingw32-g++", ["-c", "-O1", "-Wa,-mbig-obj", "b.cpp"], "bigcpp.o");
    expectObjectRoundTrip(cpp, "bigcpp.o");
  });
});

describe.skipIf(!haveLibTools)("import libraries", () => {
  function checkLibrary(path: string): { imports: number; objects: number } {
    let imports = 0;
    let objects = 0;
    for (const m of arMembers(new Uint8Array(readFileSync(path)))) {
      const kind = identifyInput(m.bytes);
      if (kind === "import-object") {
        imports++;
        const imp = readImportObject(m.bytes, { fileName: m.name });
        expect(Buffer.from(writeImportObject(imp)).equals(Buffer.from(m.bytes)), `${m.name} round trip`).toBe(true);
      } else {
        expect(kind).toBe("coff-object");
        objects++;
        expectObjectRoundTrip(m.bytes, `${path}(${m.name})`);
      }
    }
    return { imports, objects };
  }

  test("llvm-dlltool -m i386:x86-64", () => {
    execFileSync("llvm-dlltool", ["-d", "x.def", "-l", "dlltool.lib", "-m", "i386:x86-64"], { cwd: dir });
    const counts = checkLibrary(join(dir, "dlltool.lib"));
    expect(counts.imports).toBe(4);
    expect(counts.objects).toBeGreaterThan(0);
  });

  // llvm-lib 14 has no /def (LLVM 15 added it); lld-link /def /implib writes the same MSVC-style library.
  test("lld-link /def /implib and llvm-lib", () => {
    execFileSync("clang", ["--target=x86_64-pc-windows-msvc", "-c", "dll.c", "-o", "dll.obj"], { cwd: dir });
    execFileSync("lld-link", ["/dll", "/noentry", "/nodefaultlib", "/def:x.def", "/machine:x64", "/out:x.dll", "/implib:implib.lib", "dll.obj"], { cwd: dir });
    const counts = checkLibrary(join(dir, "implib.lib"));
    expect(counts.imports).toBe(4);
    const names = arMembers(new Uint8Array(readFileSync(join(dir, "implib.lib"))))
      .filter((m) => identifyInput(m.bytes) === "import-object")
      .map((m) => readImportObject(m.bytes))
      .map((imp) => ({ symbol: imp.symbolName, type: imp.importType, nameType: imp.nameType, imported: importedName(imp), ordinal: imp.ordinalOrHint, dll: imp.dllName }));
    expect(names).toContainEqual(expect.objectContaining({ symbol: "data_item", type: "data", dll: "example.dll" }));
    expect(names).toContainEqual(expect.objectContaining({ symbol: "by_ordinal", nameType: "ordinal", imported: undefined, ordinal: 7 }));
    expect(names.find((n) => n.symbol === "plain_function")?.imported).toBe("plain_function");
    expect(names.find((n) => n.symbol === "renamed")).toBeDefined();

    execFileSync("llvm-lib", ["/machine:x64", "/out:objs.lib", "dll.obj", "implib.lib"], { cwd: dir });
    const merged = checkLibrary(join(dir, "objs.lib"));
    expect(merged.objects).toBe(counts.objects + 1);
  });
});
