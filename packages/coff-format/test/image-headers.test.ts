// Header writing: the DOS stub, byte-exact re-serialisation of real images' headers, and a
// property-based round trip (model → bytes → readPeImage → the same model).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  computePeChecksum,
  DOS_HEADER_AND_STUB_SIZE,
  DOS_STUB,
  ImageFileHeader,
  ImageOptionalHeader32,
  ImageOptionalHeader64,
  ImageSectionHeader,
  InvalidFieldError,
  peHeadersOf,
  peHeadersSize,
  readPeImage,
  writeDosHeaderAndStub,
  writePeHeaders,
} from "../src/index.js";
import type { DataDirectory, PeHeadersModel, SectionHeaderModel, StructLayout, StructFields } from "../src/index.js";
import { fixtureBytes, IMAGE_FIXTURES } from "./image-fixtures.js";
import { buildMinimalImage } from "./minimal-image.js";

describe("writeDosHeaderAndStub", () => {
  it("writes MZ, e_lfanew and the standard stub whose code points at its message", () => {
    const out = new Uint8Array(0x100).fill(0xcc);
    expect(writeDosHeaderAndStub(out, { lfanew: 0x80 })).toBe(0x80);
    expect(out[0]).toBe(0x4d);
    expect(out[1]).toBe(0x5a);
    expect(new DataView(out.buffer).getUint32(0x3c, true)).toBe(0x80);
    expect(DOS_HEADER_AND_STUB_SIZE).toBe(0x80);
    expect(out.subarray(0x40, 0x80)).toEqual(DOS_STUB);
    // `mov dx, imm16` (BA lo hi) at stub offset 2 names where the '$'-terminated message starts.
    const messageOffset = DOS_STUB[3]! | (DOS_STUB[4]! << 8);
    const message = new TextDecoder().decode(DOS_STUB.subarray(messageOffset, DOS_STUB.indexOf(0x24) + 1));
    expect(message).toBe("This program cannot be run in DOS mode.\r\r\n$");
    expect(out[0xcc]).toBe(0xcc); // nothing written past lfanew
  });

  it("zeroes the gap up to e_lfanew and refuses impossible offsets", () => {
    const out = new Uint8Array(0x100).fill(0xcc);
    writeDosHeaderAndStub(out, { lfanew: 0xc0 });
    expect(out.subarray(0x80, 0xc0).every((b) => b === 0)).toBe(true);
    expect(() => writeDosHeaderAndStub(out, { lfanew: 0x78 })).toThrow(InvalidFieldError);
    expect(() => writeDosHeaderAndStub(out, { lfanew: 0x84 })).toThrow(InvalidFieldError);
    expect(() => writeDosHeaderAndStub(out, { lfanew: 0x200 })).toThrow(InvalidFieldError);
  });
});

describe("writePeHeaders", () => {
  for (const name of IMAGE_FIXTURES) {
    it(`reproduces the headers of ${name} byte for byte`, () => {
      const original = fixtureBytes(name);
      const model = peHeadersOf(readPeImage(original));
      const start = model.peHeaderOffset;
      const end = start + peHeadersSize(model);
      const copy = original.slice();
      copy.fill(0xee, start, end);
      expect(writePeHeaders(copy, model)).toBe(end);
      expect(copy).toEqual(original);
    });
  }

  it("refuses models that contradict themselves", () => {
    const model = peHeadersOf(readPeImage(fixtureBytes("x64/app.exe")));
    const out = new Uint8Array(0x1000);
    expect(() => writePeHeaders(out, { ...model, fileHeader: { ...model.fileHeader, NumberOfSections: 1 } })).toThrow(InvalidFieldError);
    expect(() => writePeHeaders(out, { ...model, optionalHeader: { ...model.optionalHeader, Magic: 0x10b } })).toThrow(InvalidFieldError);
    expect(() => writePeHeaders(out, { ...model, fileHeader: { ...model.fileHeader, SizeOfOptionalHeader: 100 } })).toThrow(InvalidFieldError);
    const longName: SectionHeaderModel = { ...model.sections[0]!, Name: undefined, name: ".text$verylong" };
    expect(() => writePeHeaders(out, { ...model, sections: [longName] , fileHeader: { ...model.fileHeader, NumberOfSections: undefined } })).toThrow(InvalidFieldError);
    expect(() => writePeHeaders(new Uint8Array(0x100), model)).toThrow(InvalidFieldError);
  });
});

describe("an image built with the writers alone", () => {
  for (const format of ["PE32", "PE32+"] as const) {
    it(`${format}: reads back with its entry point, section and checksum`, () => {
      const bytes = buildMinimalImage(format, 42);
      const image = readPeImage(bytes);
      expect(image.optionalHeader.format).toBe(format);
      expect(image.dosStub.subarray(0, DOS_STUB.length)).toEqual(DOS_STUB);
      expect(image.sections.map((s) => s.name)).toEqual([".text"]);
      expect([...image.readAtRva(image.optionalHeader.AddressOfEntryPoint, 6)]).toEqual([0xb8, 42, 0, 0, 0, 0xc3]);
      expect(image.optionalHeader.CheckSum).toBe(computePeChecksum(bytes));
      expect(image.optionalHeader.CheckSum).not.toBe(0);
    });
  }
});

/** Random values for every field of a layout (bigint for u64, bytes for arrays). */
function arbStruct<F extends StructFields>(layout: StructLayout<F>): fc.Arbitrary<Record<string, number | bigint | Uint8Array>> {
  const fields: Record<string, fc.Arbitrary<number | bigint | Uint8Array>> = {};
  for (const [field, type] of Object.entries(layout.fields)) {
    fields[field] =
      type === "u8" ? fc.integer({ min: 0, max: 0xff })
      : type === "u16" ? fc.integer({ min: 0, max: 0xffff })
      : type === "u32" ? fc.integer({ min: 0, max: 0xffffffff })
      : type === "i16" ? fc.integer({ min: -0x8000, max: 0x7fff })
      : type === "i32" ? fc.integer({ min: -0x80000000, max: 0x7fffffff })
      : type === "u64" ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
      : fc.uint8Array({ minLength: type.bytes, maxLength: type.bytes });
  }
  return fc.record(fields);
}

const arbDirectory: fc.Arbitrary<DataDirectory> = fc.record({
  VirtualAddress: fc.integer({ min: 0, max: 0xffffffff }), Size: fc.integer({ min: 0, max: 0xffffffff }),
});
const arbSectionName = fc.stringMatching(/^[.A-Za-z_$][A-Za-z0-9_$.]{0,7}$/);
const arbSection = fc.tuple(arbStruct(ImageSectionHeader), arbSectionName).map(([header, name]) => {
  const { Name: _raw, ...rest } = header;
  return { ...rest, name } as unknown as SectionHeaderModel;
});

const arbModel: fc.Arbitrary<PeHeadersModel> = fc
  .record({
    peHeaderOffset: fc.integer({ min: 0x10, max: 0x40 }).map((n) => n * 8),
    format: fc.constantFrom("PE32" as const, "PE32+" as const),
    fileHeader: arbStruct(ImageFileHeader),
    optional32: arbStruct(ImageOptionalHeader32),
    optional64: arbStruct(ImageOptionalHeader64),
    dataDirectories: fc.array(arbDirectory, { maxLength: 16 }),
    // Either a NumberOfRvaAndSizes above the directories given (the loader reads no more than fit),
    // or padding after them in SizeOfOptionalHeader.
    extraDirectoryCount: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    padding: fc.integer({ min: 0, max: 64 }),
    sections: fc.array(arbSection, { maxLength: 12 }),
  })
  .map((r) => {
    const { NumberOfSections: _n, SizeOfOptionalHeader: _s, ...fileHeader } = r.fileHeader;
    const fixed = r.format === "PE32" ? ImageOptionalHeader32.size : ImageOptionalHeader64.size;
    const { Magic: _m, NumberOfRvaAndSizes: _c, ...optional } = r.format === "PE32" ? r.optional32 : r.optional64;
    const countGiven = r.extraDirectoryCount !== undefined;
    return {
      peHeaderOffset: r.peHeaderOffset,
      fileHeader: {
        ...fileHeader,
        // No symbol table: a random one could hold a string table that renames "/N" sections.
        PointerToSymbolTable: 0,
        SizeOfOptionalHeader: fixed + r.dataDirectories.length * 8 + (countGiven ? 0 : r.padding),
      },
      optionalHeader: {
        format: r.format, ...optional,
        NumberOfRvaAndSizes: countGiven ? r.dataDirectories.length + r.extraDirectoryCount! : undefined,
      },
      dataDirectories: r.dataDirectories,
      sections: r.sections,
    } as unknown as PeHeadersModel;
  });

describe("header round trip", () => {
  it("readPeImage gives back the model writePeHeaders wrote", () => {
    fc.assert(
      fc.property(arbModel, (model) => {
        const size = model.peHeaderOffset + peHeadersSize(model);
        const bytes = new Uint8Array(size);
        writeDosHeaderAndStub(bytes, { lfanew: model.peHeaderOffset });
        writePeHeaders(bytes, model);
        const back = peHeadersOf(readPeImage(bytes));
        expect(back.peHeaderOffset).toBe(model.peHeaderOffset);
        expect(back.fileHeader).toEqual({ ...model.fileHeader, NumberOfSections: model.sections.length });
        expect(back.optionalHeader).toEqual({
          ...model.optionalHeader,
          Magic: model.optionalHeader.format === "PE32" ? 0x10b : 0x20b,
          NumberOfRvaAndSizes: model.optionalHeader.NumberOfRvaAndSizes ?? model.dataDirectories.length,
        });
        expect(back.dataDirectories).toEqual(model.dataDirectories);
        expect(back.sections.length).toBe(model.sections.length);
        back.sections.forEach((s, i) => {
          const { Name, ...rest } = s;
          const expectedName = new Uint8Array(8);
          expectedName.set(new TextEncoder().encode(model.sections[i]!.name));
          expect(Name).toEqual(expectedName);
          expect(rest).toEqual(model.sections[i]);
        });
        // And the bytes are stable: writing the read model again changes nothing.
        const again = bytes.slice();
        writePeHeaders(again, back);
        expect(again).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
