// coffdump: the dump model of committed fixtures (values checked against llvm-readobj), the
// command line on text and JSON, exit codes and the one-line error on bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PARTS, DumpInputError, dumpFile } from "../src/dump/dump.js";
import { renderText } from "../src/dump/text.js";
import type { ArchiveDump, DumpModel, ImageDump, ImportObjectDump, ObjectDump } from "../src/dump/model.js";
import { describeWithTools, makeTempDir, run, tools } from "./harness/toolchain.js";

const root = join(__dirname, "..", "..", "..");
const appDir = join(root, "apps", "linker");
const fixtures = join(root, "packages", "coff-format", "test", "fixtures");
const samples = join(root, "samples");
const coffdumpJs = join(appDir, "dist", "bin", "coffdump.js");

function dump(path: string, selection = ALL_PARTS): DumpModel {
  return dumpFile(readFileSync(path), path, selection);
}
function asObject(m: DumpModel): ObjectDump {
  if (m.kind !== "coff-object") throw new Error(`expected an object dump, got ${m.kind}`);
  return m;
}
function asImage(m: DumpModel): ImageDump {
  if (m.kind !== "pe-image") throw new Error(`expected an image dump, got ${m.kind}`);
  return m;
}
function asArchive(m: DumpModel): ArchiveDump {
  if (m.kind !== "archive") throw new Error(`expected an archive dump, got ${m.kind}`);
  return m;
}

describe("dump model of objects", () => {
  it("samples/hello.obj: header, sections, relocations and symbols as llvm-readobj shows them", () => {
    const m = asObject(dump(join(samples, "hello.obj")));
    expect(m.header).toMatchObject({ format: "COFF", machine: "IMAGE_FILE_MACHINE_AMD64 (0x8664)", numberOfSections: 6, numberOfSymbols: 22, pointerToSymbolTable: "0x211" });
    expect(m.sections?.map((s) => s.name)).toEqual([".text", ".data", ".bss", ".xdata", ".pdata", ".llvm_addrsig"]);
    const text = m.sections![0]!;
    expect(text.characteristics).toEqual(["IMAGE_SCN_ALIGN_16BYTES", "IMAGE_SCN_CNT_CODE", "IMAGE_SCN_MEM_EXECUTE", "IMAGE_SCN_MEM_READ"]);
    expect(text.relocations?.map((r) => [r.offset, r.type, r.symbol])).toEqual([
      ["0x7", "IMAGE_REL_AMD64_REL32 (0x4)", "greeting"],
      ["0x30", "IMAGE_REL_AMD64_REL32 (0x4)", "__imp_GetStdHandle"],
      ["0x4D", "IMAGE_REL_AMD64_REL32 (0x4)", "__imp_WriteFile"],
      ["0x54", "IMAGE_REL_AMD64_REL32 (0x4)", "numbers"],
      ["0x5E", "IMAGE_REL_AMD64_REL32 (0x4)", "add_all"],
      ["0x66", "IMAGE_REL_AMD64_REL32 (0x4)", "__imp_ExitProcess"],
    ]);
    expect(m.sections![4]!.relocations?.map((r) => r.type)).toEqual(Array(3).fill("IMAGE_REL_AMD64_ADDR32NB (0x3)"));
    const byName = new Map(m.symbols!.map((s) => [s.name, s]));
    expect(byName.get("mainCRTStartup")).toMatchObject({ index: 13, sectionNumber: 1, section: ".text", type: "0x20", storageClass: "IMAGE_SYM_CLASS_EXTERNAL (0x2)" });
    expect(byName.get("greeting")).toMatchObject({ sectionNumber: 0, section: "IMAGE_SYM_UNDEFINED" });
    expect(byName.get("@feat.00")).toMatchObject({ section: "IMAGE_SYM_ABSOLUTE", storageClass: "IMAGE_SYM_CLASS_STATIC (0x3)" });
    expect(byName.get(".file")?.aux).toEqual([{ kind: "file", fileName: "hello.c" }]);
    expect(byName.get(".text")?.aux[0]).toMatchObject({ kind: "section-definition", length: 114, numberOfRelocations: 6 });
  });

  it("x86.obj: I386 relocation names and decorated symbols", () => {
    const m = asObject(dump(join(fixtures, "x86.obj")));
    expect(m.header?.machine).toBe("IMAGE_FILE_MACHINE_I386 (0x14C)");
    // llvm-readobj --relocations: 0x13 DIR32 _counter (18), ..., 0x30 REL32 _weak_function (14)
    expect(m.sections![0]!.relocations?.map((r) => `${r.offset} ${r.type} ${r.symbol} (${r.symbolIndex})`)).toEqual([
      "0x13 IMAGE_REL_I386_DIR32 (0x6) _counter (18)",
      "0x1B IMAGE_REL_I386_DIR32 (0x6) _counter (18)",
      "0x25 IMAGE_REL_I386_DIR32 (0x6) _in_long_section (19)",
      "0x2B IMAGE_REL_I386_DIR32 (0x6) _selected (10)",
      "0x30 IMAGE_REL_I386_REL32 (0x14) _weak_function (14)",
    ]);
  });

  it("x64.obj: COMDAT selections, a weak external and a long section name", () => {
    const m = asObject(dump(join(fixtures, "x64.obj")));
    expect(m.sections?.map((s) => s.name)).toContain(".a_very_long_section_name");
    const weak = m.symbols!.find((s) => s.name === "weak_function")!;
    expect(weak.storageClass).toBe("IMAGE_SYM_CLASS_WEAK_EXTERNAL (0x69)");
    expect(weak.aux).toEqual([{ kind: "weak-external", tagIndex: 25, characteristics: "IMAGE_WEAK_EXTERN_SEARCH_ALIAS (0x3)" }]);
    const selections = m.symbols!.flatMap((s) => s.aux.flatMap((a) => (a.kind === "section-definition" && a.selection !== "0" ? [a.selection] : [])));
    expect(selections).toContain("IMAGE_COMDAT_SELECT_ANY (0x2)");
    expect(selections).toContain("IMAGE_COMDAT_SELECT_ASSOCIATIVE (0x5)");
  });

  it("bigobj.o: the bigobj header and 20-byte symbol records", () => {
    const m = asObject(dump(join(fixtures, "bigobj.o")));
    expect(m.header).toMatchObject({ format: "COFF bigobj", machine: "IMAGE_FILE_MACHINE_AMD64 (0x8664)", numberOfSections: 8, numberOfSymbols: 27 });
    expect(m.symbols!.find((s) => s.name === ".file")?.aux[0]).toEqual({ kind: "file", fileName: "a.c" });
  });

  it("the default selection for objects is header, sections with relocations, symbols", () => {
    const m = asObject(dumpFile(readFileSync(join(samples, "hello.obj")), "hello.obj"));
    expect(m.header).toBeDefined();
    expect(m.sections?.[0]?.relocations).toHaveLength(6);
    expect(m.symbols).toHaveLength(15);
  });
});

describe("dump model of archives and import objects", () => {
  it("samples/kernel32.lib: members, symbol index, import objects as import objects", () => {
    const m = asArchive(dump(join(samples, "kernel32.lib")));
    expect(m.symbolCount).toBe(9);
    expect(m.members).toHaveLength(6);
    expect(m.members.map((x) => x.dump?.kind)).toEqual(["coff-object", "coff-object", "coff-object", "import-object", "import-object", "import-object"]);
    const imports = m.members.slice(3).map((x) => x.dump as ImportObjectDump);
    expect(imports.map((i) => i.symbolName)).toEqual(["GetStdHandle", "WriteFile", "ExitProcess"]);
    expect(imports[0]).toMatchObject({
      kind: "import-object", file: `${join(samples, "kernel32.lib")}(kernel32.dll)`, dllName: "kernel32.dll", importName: "GetStdHandle",
      importType: "IMPORT_OBJECT_CODE (0x0)", nameType: "IMPORT_OBJECT_NAME (0x1)", machine: "IMAGE_FILE_MACHINE_AMD64 (0x8664)",
    });
    // llvm-nm: the descriptor member defines __IMPORT_DESCRIPTOR_kernel32; each import object its two names.
    const index = new Map(m.symbols!.map((s) => [s.name, s.member]));
    expect(index.get("__IMPORT_DESCRIPTOR_kernel32")).toBe("kernel32.dll");
    expect([...index.keys()].sort()).toEqual([
      "ExitProcess", "GetStdHandle", "WriteFile", "__IMPORT_DESCRIPTOR_kernel32", "__NULL_IMPORT_DESCRIPTOR",
      "__imp_ExitProcess", "__imp_GetStdHandle", "__imp_WriteFile",
      // llvm-dlltool starts this name with DEL so that no C identifier can clash with it.
      "\x7fkernel32_NULL_THUNK_DATA",
    ]);
    expect(asObject(m.members[0]!.dump!).sections?.map((s) => s.name)).toEqual([".idata$2", ".idata$6"]);
  });

  it("the default for archives summarises each member by its header, without the symbol index", () => {
    const m = asArchive(dumpFile(readFileSync(join(fixtures, "example.lib")), "example.lib"));
    expect(m.symbols).toBeUndefined();
    for (const member of m.members) {
      expect(member.dump).toBeDefined();
      if (member.dump?.kind === "coff-object") {
        expect(member.dump.header).toBeDefined();
        expect(member.dump.sections).toBeUndefined();
      }
    }
    expect(renderText(m)).toContain("Members (");
  });

  it("a short import object on its own", () => {
    const lib = asArchive(dump(join(samples, "kernel32.lib")));
    const bytes = readFileSync(join(samples, "kernel32.lib"));
    const member = lib.members[3]!;
    const start = Number(member.offset) + 60;
    const m = dumpFile(bytes.subarray(start, start + member.size), "GetStdHandle.obj");
    expect(m).toEqual({
      kind: "import-object", file: "GetStdHandle.obj", machine: "IMAGE_FILE_MACHINE_AMD64 (0x8664)", timeDateStamp: 0,
      importType: "IMPORT_OBJECT_CODE (0x0)", nameType: "IMPORT_OBJECT_NAME (0x1)", symbolName: "GetStdHandle",
      dllName: "kernel32.dll", importName: "GetStdHandle", hint: 0,
    });
  });
});

describe("dump model of images", () => {
  it("samples/hello-lld.exe: headers, sections, imports, base relocations", () => {
    const m = asImage(dump(join(samples, "hello-lld.exe")));
    expect(m.headers).toMatchObject({
      format: "PE32+", machine: "IMAGE_FILE_MACHINE_AMD64 (0x8664)", entryPoint: "0x1000", imageBase: "0x140000000",
      subsystem: "IMAGE_SUBSYSTEM_WINDOWS_CUI (0x3)", numberOfSections: 5,
    });
    expect(m.headers?.dataDirectories.map((d) => d.name)).toEqual([
      "IMAGE_DIRECTORY_ENTRY_IMPORT", "IMAGE_DIRECTORY_ENTRY_EXCEPTION", "IMAGE_DIRECTORY_ENTRY_BASERELOC", "IMAGE_DIRECTORY_ENTRY_IAT",
    ]);
    expect(m.sections?.map((s) => s.name)).toEqual([".text", ".rdata", ".data", ".pdata", ".reloc"]);
    expect(m.imports?.map((d) => [d.dllName, d.entries.map((e) => ("name" in e ? e.name : e.ordinal))])).toEqual([
      ["kernel32.dll", ["ExitProcess", "GetStdHandle", "WriteFile"]],
    ]);
    expect(m.exports).toBeNull();
    // llvm-readobj --coff-basereloc: DIR64 at 0x2000 and 0x2008.
    expect(m.baseRelocations).toMatchObject({ blockCount: 1, entryCount: 2, byType: { IMAGE_REL_BASED_DIR64: 2 } });
    expect(m.baseRelocations?.blocks?.[0]?.entries.filter((e) => e.type === "IMAGE_REL_BASED_DIR64").map((e) => e.rva)).toEqual(["0x2000", "0x2008"]);
  });

  it("testlib.dll: exports by name, by ordinal only, and forwarded", () => {
    const m = asImage(dump(join(fixtures, "images", "x64", "testlib.dll")));
    // llvm-readobj --coff-exports lists the same used ordinals (it also shows the empty slots).
    expect(m.exports?.entries.map((e) => [e.ordinal, e.names.join(","), e.rva, e.forwarder ?? ""])).toEqual([
      [5, "", "0x1020", ""],
      [7, "apply", "0x1050", ""],
      [8, "add", "0x1000", ""],
      [9, "forwarded", "0x20B7", "kernel32.ExitProcess"],
      [10, "mul", "0x1010", ""],
      [11, "shared_value", "0x3000", ""],
    ]);
    expect(m.exports?.dllName).toBe("testlib.dll");
  });

  it("app-delay.exe: delay imports by name and by ordinal", () => {
    const m = asImage(dump(join(fixtures, "images", "x64", "app-delay.exe")));
    expect(m.delayImports?.map((d) => [d.dllName, d.entries.map((e) => ("name" in e ? e.name : `#${e.ordinal}`))])).toEqual([
      ["testlib.dll", ["add", "apply", "mul", "#5"]],
    ]);
  });

  it("the default for images counts base relocations without listing them", () => {
    const m = asImage(dumpFile(readFileSync(join(samples, "hello-lld.exe")), "hello-lld.exe"));
    expect(m.baseRelocations?.entryCount).toBe(2);
    expect(m.baseRelocations?.blocks).toBeUndefined();
    expect(m.headers).toBeDefined();
    expect(m.imports).toHaveLength(1);
  });
});

describe("dump model of bad input", () => {
  it("refuses garbage, empty and truncated input with format errors", () => {
    expect(() => dumpFile(new TextEncoder().encode("garbage\n"), "g")).toThrow(DumpInputError);
    expect(() => dumpFile(new Uint8Array(0), "e")).toThrow(/empty/);
    const obj = readFileSync(join(samples, "hello.obj"));
    expect(() => dumpFile(obj.subarray(0, 300), "t.obj")).toThrow(/symbol table/);
    expect(() => dumpFile(obj.subarray(0, 10), "t.obj")).toThrow(/past the end/);
    const exe = readFileSync(join(samples, "hello-lld.exe"));
    expect(() => dumpFile(exe.subarray(0, 700), "t.exe")).toThrow(/past the end/);
  });

  it("the same input always gives the same model and text", () => {
    const bytes = readFileSync(join(samples, "kernel32.lib"));
    const a = dumpFile(bytes, "k.lib", ALL_PARTS);
    const b = dumpFile(bytes, "k.lib", ALL_PARTS);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(renderText(a)).toBe(renderText(b));
  });
});

function builtIsCurrent(): boolean {
  if (!existsSync(coffdumpJs)) return false;
  const built = statSync(coffdumpJs).mtimeMs;
  const sources = [join(appDir, "src", "bin", "coffdump.ts"), ...readdirSync(join(appDir, "src", "dump")).map((f) => join(appDir, "src", "dump", f))];
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

describe("coffdump command", () => {
  beforeAll(() => {
    // The command runs from dist. `pnpm test` builds first; when iterating, rebuild only if coffdump's
    // sources are newer, since other test files spawn the linker from the same dist meanwhile.
    if (!builtIsCurrent()) {
      // Type errors elsewhere in the tree still emit; what matters is that coffdump is there.
      run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(appDir, "tsconfig.build.json")], { cwd: appDir });
    }
    if (!existsSync(coffdumpJs)) throw new Error(`the build did not produce ${coffdumpJs}`);
  });
  const coffdump = (...args: string[]) => run(process.execPath, [coffdumpJs, ...args], { cwd: root });

  it("prints the default text dump of an object and an image", () => {
    const r = coffdump("samples/hello.obj", "samples/hello-lld.exe");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("File: samples/hello.obj");
    expect(r.stdout).toContain("Machine:              IMAGE_FILE_MACHINE_AMD64 (0x8664)");
    expect(r.stdout).toMatch(/0x30 +IMAGE_REL_AMD64_REL32 \(0x4\) +15 +__imp_GetStdHandle/);
    expect(r.stdout).toContain("File: samples/hello-lld.exe");
    expect(r.stdout).toContain("kernel32.dll (lookup table");
    expect(r.stdout).toContain("Base relocations: 2 in 1 blocks (DIR64 2)");
  });

  it("--json prints one document: the model itself, an array for several files", () => {
    const one = coffdump("--json", "samples/hello.obj");
    expect(one.status).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual(JSON.parse(JSON.stringify(dumpFile(readFileSync(join(samples, "hello.obj")), "samples/hello.obj"))));
    const two = coffdump("--json", "--imports", "samples/hello-lld.exe", "samples/kernel32.lib");
    expect(two.status).toBe(0);
    const doc = JSON.parse(two.stdout) as DumpModel[];
    expect(doc.map((d) => d.kind)).toEqual(["pe-image", "archive"]);
    expect((doc[0] as ImageDump).headers).toBeUndefined();
    expect((doc[0] as ImageDump).imports?.[0]?.dllName).toBe("kernel32.dll");
  });

  it("selection flags choose the parts", () => {
    const r = coffdump("--exports", "packages/coff-format/test/fixtures/images/x64/testlib.dll");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("forwarded -> kernel32.ExitProcess");
    expect(r.stdout).not.toContain("Headers:");
    const all = coffdump("--all", "samples/kernel32.lib");
    expect(all.stdout).toContain("Symbol index (9):");
    expect(all.stdout).toContain(".idata$2");
    // Control characters in names are escaped in text (they stay as they are in JSON).
    expect(all.stdout).toContain("\\x7Fkernel32_NULL_THUNK_DATA");
  });

  it("a truncated file: one error line, exit code 1, and the other files still dump", () => {
    const dir = makeTempDir("coffdump");
    const truncated = join(dir, "truncated.obj");
    writeFileSync(truncated, readFileSync(join(samples, "hello.obj")).subarray(0, 300));
    const r = coffdump(truncated, "samples/hello.obj");
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^coffdump: error: ${truncated.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*symbol table.*past the end`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toContain("File: samples/hello.obj");
  });

  it("garbage, a missing file and an unknown option fail with one line", () => {
    const dir = makeTempDir("coffdump");
    const garbage = join(dir, "garbage.bin");
    writeFileSync(garbage, "not an object at all\n");
    const bad = coffdump(garbage);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`coffdump: error: ${garbage}: not a COFF object, import object, ar archive or PE image (unrecognised magic number)\n`);
    const missing = coffdump("no-such-file.obj");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("coffdump: error: no-such-file.obj: no such file\n");
    const option = coffdump("--bogus", "samples/hello.obj");
    expect(option.status).toBe(1);
    expect(option.stderr.split("\n")[0]).toBe("coffdump: error: unknown option --bogus");
  });
});

describeWithTools("coffdump against the toolchain", ["readobj"], () => {
  const readobj = (args: string[]) => {
    const r = run(tools.readobj, args);
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  };

  for (const file of ["samples/hello.obj", "samples/util.obj", "packages/coff-format/test/fixtures/x64.obj", "packages/coff-format/test/fixtures/x86.obj", "packages/coff-format/test/fixtures/bigobj.o"]) {
    it(`${file}: section names, symbol names and relocations match llvm-readobj`, () => {
      const m = asObject(dump(join(root, file)));
      const sections = [...readobj(["--sections", join(root, file)]).matchAll(/^ {4}Name: (\S+)/gm)].map((x) => x[1]);
      expect(m.sections?.map((s) => s.name)).toEqual(sections);
      const symbols = [...readobj(["--symbols", join(root, file)]).matchAll(/^ {4}Name: (.*)$/gm)].map((x) => x[1]);
      expect(m.symbols?.map((s) => s.name)).toEqual(symbols);
      // "0x13 IMAGE_REL_I386_DIR32 _counter (18)": offset, type name and symbol, in section order.
      const relocations = [...readobj(["--relocations", join(root, file)]).matchAll(/^ {4}(0x[0-9A-F]+) (\S+) (.*) \((\d+)\)$/gm)]
        .map((x) => `${x[1]} ${x[2]} ${x[3]} ${x[4]}`);
      const ours = m.sections!.flatMap((s) => s.relocations!.map((r) => `${r.offset} ${r.type.replace(/ \(0x[0-9A-F]+\)$/, "")} ${r.symbol} ${r.symbolIndex}`));
      expect(ours).toEqual(relocations);
    });
  }

  it("the mingw-w64 libkernel32.a dumps without error, every member decoded", () => {
    const path = "/usr/x86_64-w64-mingw32/lib/libkernel32.a";
    if (!existsSync(path)) throw new Error(`${path} is missing (mingw-w64 is part of the toolchain)`);
    const m = asArchive(dump(path));
    expect(m.members.length).toBeGreaterThan(100);
    expect(m.members.filter((x) => x.error !== undefined)).toEqual([]);
    expect(m.symbols!.some((s) => s.name === "__imp_ExitProcess")).toBe(true);
    const text = renderText(m);
    expect(text).toContain("Kind: ar archive (GNU)");
  });
});
