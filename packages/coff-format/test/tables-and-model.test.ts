// Name tables, layout sizes, import name rules, and objects synthesised from a plain model.
import { describe, expect, test } from "vitest";
import {
  AnonObjectHeaderBigobj, IMAGE_COMDAT_SELECT, IMAGE_FILE_MACHINE, IMAGE_REL_AMD64, IMAGE_SCN, IMAGE_SYM_CLASS,
  IMAGE_WEAK_EXTERN_SEARCH, ImageAuxSymbolSectionDefinition, ImageAuxSymbolWeakExternal, ImageFileHeader,
  ImageRelocation, ImageSectionHeader, ImageSymbol, ImageSymbolEx, ImportObjectHeader, TruncatedInputError,
  alignmentFlag, describeValue, encodeLongSectionNameRef, flagNames, identifyInput, importedName, parseLongSectionNameRef,
  readCoffObject, readImportObject, sectionAlignment, symbolTableIndices, writeCoffObject, writeImportObject,
  type CoffObjectModel, type ImportObject,
} from "../src/index.js";

describe("name tables", () => {
  test("describeValue", () => {
    expect(describeValue(IMAGE_FILE_MACHINE, 0x8664)).toBe("IMAGE_FILE_MACHINE_AMD64 (0x8664)");
    expect(describeValue(IMAGE_REL_AMD64, 4)).toBe("IMAGE_REL_AMD64_REL32 (0x4)");
    expect(describeValue(IMAGE_FILE_MACHINE, 0x1234)).toBe("0x1234");
  });
  test("flagNames names the alignment field once, then the flags, then unknown bits", () => {
    expect(flagNames(IMAGE_SCN, 0x60500020)).toEqual([
      "IMAGE_SCN_ALIGN_16BYTES", "IMAGE_SCN_CNT_CODE", "IMAGE_SCN_MEM_EXECUTE", "IMAGE_SCN_MEM_READ",
    ]);
    expect(flagNames(IMAGE_SCN, 0xc0000040 | 0x4)).toEqual([
      "IMAGE_SCN_CNT_INITIALIZED_DATA", "IMAGE_SCN_MEM_READ", "IMAGE_SCN_MEM_WRITE", "0x4",
    ]);
  });
  test("section alignment", () => {
    expect(sectionAlignment(0x00500000)).toBe(16);
    expect(sectionAlignment(0)).toBe(0);
    expect(alignmentFlag(4096)).toBe(IMAGE_SCN.ALIGN_4096BYTES);
  });
});

test("layout sizes match the specification", () => {
  expect([ImageFileHeader.size, AnonObjectHeaderBigobj.size, ImageSectionHeader.size, ImageSymbol.size, ImageSymbolEx.size,
    ImageRelocation.size, ImportObjectHeader.size, ImageAuxSymbolSectionDefinition.size, ImageAuxSymbolWeakExternal.size])
    .toEqual([20, 56, 40, 18, 20, 10, 20, 18, 18]);
});

test("long section name references: decimal and base 64", () => {
  expect(parseLongSectionNameRef(encodeLongSectionNameRef(1234))).toBe(1234);
  expect(parseLongSectionNameRef(encodeLongSectionNameRef(12_345_678))).toBe(12_345_678);
  expect(new TextDecoder().decode(encodeLongSectionNameRef(12_345_678))).toMatch(/^\/\/[A-Za-z0-9+/]{6}$/);
  expect(parseLongSectionNameRef(new TextEncoder().encode(".text\0\0\0"))).toBeUndefined();
});

describe("import objects", () => {
  const base: ImportObject = {
    machine: IMAGE_FILE_MACHINE.I386, timeDateStamp: 0, ordinalOrHint: 3, importType: "code", nameType: "name",
    symbolName: "_Foo@8", dllName: "foo.dll",
  };
  test.each([
    ["name", "_Foo@8"], ["noprefix", "Foo@8"], ["undecorate", "Foo"], ["ordinal", undefined],
  ] as const)("name type %s gives %s", (nameType, expected) => {
    expect(importedName({ ...base, nameType })).toBe(expected);
  });
  test("noprefix drops one of ? @ _ only", () => {
    expect(importedName({ ...base, nameType: "noprefix", symbolName: "?x" })).toBe("x");
    expect(importedName({ ...base, nameType: "noprefix", symbolName: "@x" })).toBe("x");
    expect(importedName({ ...base, nameType: "noprefix", symbolName: "__x" })).toBe("_x");
    expect(importedName({ ...base, nameType: "undecorate", symbolName: "@fast@8" })).toBe("fast");
  });
  test("exportas round-trips with its third name", () => {
    const obj: ImportObject = { ...base, nameType: "exportas", exportName: "RealName", importType: "data" };
    const bytes = writeImportObject(obj);
    expect(identifyInput(bytes)).toBe("import-object");
    const back = readImportObject(bytes);
    expect(back).toMatchObject({ nameType: "exportas", exportName: "RealName", importType: "data", symbolName: "_Foo@8" });
    expect(importedName(back)).toBe("RealName");
    expect(Buffer.from(writeImportObject(back)).equals(Buffer.from(bytes))).toBe(true);
  });
  test("a truncated name is a typed error", () => {
    expect(() => readImportObject(writeImportObject(base).slice(0, 25))).toThrow(TruncatedInputError);
  });
});

describe("objects synthesised from a model", () => {
  function model(bigobj: boolean, relocationCount: number): CoffObjectModel {
    const symbols = [
      { name: ".text$mn", value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS.STATIC,
        aux: [{ kind: "section-definition" as const, length: 16, numberOfRelocations: 0, numberOfLinenumbers: 0, checkSum: 0, number: 0, selection: IMAGE_COMDAT_SELECT.ANY }] },
      { name: "a_function_with_a_long_name", value: 0, sectionNumber: 1, type: 0x20, storageClass: IMAGE_SYM_CLASS.EXTERNAL },
      { name: ".xdata", value: 0, sectionNumber: 2, storageClass: IMAGE_SYM_CLASS.STATIC,
        aux: [{ kind: "section-definition" as const, length: 0, numberOfRelocations: 0, numberOfLinenumbers: 0, checkSum: 0, number: 0x12345 & (bigobj ? 0xfffff : 0xffff), selection: IMAGE_COMDAT_SELECT.ASSOCIATIVE }] },
      { name: "weak", value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS.WEAK_EXTERNAL,
        aux: [{ kind: "weak-external" as const, tagIndex: 2, characteristics: IMAGE_WEAK_EXTERN_SEARCH.ALIAS }] },
      { name: ".file", value: 0, sectionNumber: -2, storageClass: IMAGE_SYM_CLASS.FILE,
        aux: [{ kind: "file" as const, fileName: "a/rather/long/path/to/source.c" }] },
    ];
    const target = symbolTableIndices(symbols, bigobj)[1]!;
    const relocations = Array.from({ length: relocationCount }, (_, i) => ({ offset: i % 16, symbolIndex: target, type: IMAGE_REL_AMD64.ADDR64 }));
    return {
      bigobj, machine: IMAGE_FILE_MACHINE.AMD64, symbols,
      sections: [
        { name: ".text$mn", characteristics: IMAGE_SCN.CNT_CODE | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ | IMAGE_SCN.LNK_COMDAT | alignmentFlag(16), data: new Uint8Array(16).fill(0xcc), relocations },
        { name: ".a_section_name_longer_than_eight", characteristics: IMAGE_SCN.CNT_UNINITIALIZED_DATA, sizeOfRawData: 64 },
      ],
    };
  }

  test.each([false, true])("bigobj %s: reads back what was written, and rewrites identically", (bigobj) => {
    const bytes = writeCoffObject(model(bigobj, 3));
    expect(identifyInput(bytes)).toBe(bigobj ? "coff-bigobj" : "coff-object");
    const obj = readCoffObject(bytes);
    expect(obj.sections().map((s) => [s.name, s.alignment, s.sizeOfRawData])).toEqual([[".text$mn", 16, 16], [".a_section_name_longer_than_eight", 0, 64]]);
    expect(obj.sectionData(1).length).toBe(0);
    const symbols = obj.symbols();
    expect(symbols.map((s) => s.name)).toEqual([".text$mn", "a_function_with_a_long_name", ".xdata", "weak", ".file"]);
    expect(symbols[2]!.aux[0]).toMatchObject({ kind: "section-definition", number: bigobj ? 0x12345 : 0x2345, selection: IMAGE_COMDAT_SELECT.ASSOCIATIVE });
    expect(symbols[4]!.aux).toEqual([{ kind: "file", fileName: "a/rather/long/path/to/source.c" }]);
    expect(symbols[4]!.numberOfAuxSymbols).toBe(2);
    expect(obj.relocations(0).toArray().map((r) => obj.symbolName(r.symbolIndex))).toEqual(Array(3).fill("a_function_with_a_long_name"));
  });

  test("more than 0xFFFF relocations use IMAGE_SCN_LNK_NRELOC_OVFL", () => {
    const bytes = writeCoffObject(model(false, 70_000));
    const obj = readCoffObject(bytes);
    const text = obj.section(0);
    expect(text.numberOfRelocations).toBe(0xffff);
    expect(text.characteristics & IMAGE_SCN.LNK_NRELOC_OVFL).not.toBe(0);
    expect(obj.relocations(0).length).toBe(70_000);
    expect(obj.relocations(0).offset(69_999)).toBe(69_999 % 16);
    // The columns answer what the per-section methods do: the real count, past the record that holds it.
    const columns = obj.relocationColumns;
    expect([columns.start[0], columns.count[0]]).toEqual([obj.relocationOffsetOf(0), obj.relocationCountOf(0)]);
    expect(columns.count[0]).toBe(70_000);
  });
});
