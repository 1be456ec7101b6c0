// Unit tests on the committed fixtures (no toolchain needed): decoded facts and round trips.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  IMAGE_COMDAT_SELECT, IMAGE_FILE_MACHINE, IMAGE_REL_AMD64, IMAGE_SCN, IMAGE_SYM_CLASS, IMAGE_WEAK_EXTERN_SEARCH,
  identifyInput, importedName, readCoffObject, readImportObject, toCoffObjectModel, writeCoffObject, writeImportObject,
} from "../src/index.js";
import { arMembers } from "./helpers.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", name)));

describe("x64.obj (clang, -ffunction-sections)", () => {
  const bytes = fixture("x64.obj");
  const obj = readCoffObject(bytes, { fileName: "x64.obj" });

  test("header", () => {
    expect(identifyInput(bytes)).toBe("coff-object");
    expect(obj.machine).toBe(IMAGE_FILE_MACHINE.AMD64);
    expect(obj.isBigobj).toBe(false);
  });

  test("sections: long names, alignment, COMDAT", () => {
    const sections = obj.sections();
    const long = sections.find((s) => s.name === ".a_very_long_section_name");
    expect(long?.nameOffset).toBeGreaterThanOrEqual(4);
    expect(long?.alignment).toBe(4);
    expect(sections.some((s) => (s.characteristics & IMAGE_SCN.LNK_COMDAT) !== 0)).toBe(true);
    const text = sections.find((s) => s.name === ".text" && s.relocationCount > 0)!;
    expect(obj.sectionData(text.index).length).toBe(text.sizeOfRawData);
  });

  test("symbols and aux records", () => {
    const symbols = obj.symbols();
    const weak = symbols.find((s) => s.name === "weak_function")!;
    expect(weak.storageClass).toBe(IMAGE_SYM_CLASS.WEAK_EXTERNAL);
    const aux = weak.aux[0];
    expect(aux?.kind === "weak-external" && aux.characteristics).toBe(IMAGE_WEAK_EXTERN_SEARCH.ALIAS);
    if (aux?.kind === "weak-external") expect(obj.symbolName(aux.tagIndex)).toBe(".weak.weak_function.default.in_long_section");
    const selections = symbols.flatMap((s) => s.aux).flatMap((a) => (a.kind === "section-definition" ? [a.selection] : []));
    expect(selections).toContain(IMAGE_COMDAT_SELECT.ANY);
    // Index accessors agree with the decoded forms.
    for (const s of symbols) {
      expect(obj.symbolName(s.index)).toBe(s.name);
      expect(obj.symbolSectionNumber(s.index)).toBe(s.sectionNumber);
      const def = s.aux[0];
      if (def?.kind !== "section-definition") continue;
      expect([obj.sectionDefinitionSelection(s.index), obj.sectionDefinitionNumber(s.index), obj.sectionDefinitionCheckSum(s.index)])
        .toEqual([def.selection, def.number, def.checkSum]);
    }
    const plain = symbols.find((s) => s.numberOfAuxSymbols === 0)!;
    expect(() => obj.sectionDefinitionSelection(plain.index)).toThrow(/no aux record/);
  });

  test("relocations", () => {
    const text = obj.sections().find((s) => s.name === ".text" && s.relocationCount > 0)!;
    expect([obj.relocationOffsetOf(text.index), obj.relocationCountOf(text.index)]).toEqual([text.pointerToRelocations, text.relocationCount]);
    expect([obj.relocationColumns.start[text.index], obj.relocationColumns.count[text.index]]).toEqual([text.pointerToRelocations, text.relocationCount]);
    expect(obj.sectionDataOffset(text.index)).toBe(text.pointerToRawData);
    const relocations = obj.relocations(text.index);
    expect(relocations.length).toBe(text.relocationCount);
    const targets = relocations.toArray().map((r) => obj.symbolName(r.symbolIndex));
    expect(targets).toContain("selected");
    expect(relocations.toArray().every((r) => r.type === IMAGE_REL_AMD64.REL32)).toBe(true);
  });

  test("round trip", () => {
    expect(Buffer.from(writeCoffObject(toCoffObjectModel(obj))).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("x86.obj and bigobj.o", () => {
  test("x86: decorated names, round trip", () => {
    const bytes = fixture("x86.obj");
    const obj = readCoffObject(bytes);
    expect(obj.machine).toBe(IMAGE_FILE_MACHINE.I386);
    expect(obj.symbols().map((s) => s.name)).toContain("_use");
    expect(Buffer.from(writeCoffObject(toCoffObjectModel(obj))).equals(Buffer.from(bytes))).toBe(true);
  });

  test("bigobj: header, .file record, round trip", () => {
    const bytes = fixture("bigobj.o");
    expect(identifyInput(bytes)).toBe("coff-bigobj");
    const obj = readCoffObject(bytes);
    expect(obj.isBigobj).toBe(true);
    expect(obj.symbolRecordSize).toBe(20);
    const file = obj.symbols().find((s) => s.storageClass === IMAGE_SYM_CLASS.FILE)!;
    expect(file.aux).toEqual([{ kind: "file", fileName: "a.c" }]);
    expect(obj.sections().map((s) => s.name)).toContain(".a_very_long_section_name");
    expect(Buffer.from(writeCoffObject(toCoffObjectModel(obj))).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("example.lib (llvm-dlltool)", () => {
  const members = arMembers(fixture("example.lib"));

  test("short import objects decode and round-trip", () => {
    const imports = members.filter((m) => identifyInput(m.bytes) === "import-object").map((m) => readImportObject(m.bytes, { fileName: m.name }));
    expect(imports.map((i) => i.symbolName).sort()).toEqual(["by_ordinal", "data_item", "plain_function"]);
    for (const m of members) {
      const kind = identifyInput(m.bytes);
      const back = kind === "import-object" ? writeImportObject(readImportObject(m.bytes)) : writeCoffObject(toCoffObjectModel(readCoffObject(m.bytes)));
      expect(Buffer.from(back).equals(Buffer.from(m.bytes))).toBe(true);
    }
    const byOrdinal = imports.find((i) => i.symbolName === "by_ordinal")!;
    expect(byOrdinal).toMatchObject({ nameType: "ordinal", ordinalOrHint: 7, dllName: "example.dll", importType: "code" });
    expect(importedName(byOrdinal)).toBeUndefined();
    expect(imports.find((i) => i.symbolName === "data_item")?.importType).toBe("data");
  });
});
