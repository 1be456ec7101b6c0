import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { IMAGE_FILE_MACHINE, IMAGE_REL_BASED } from "@linkkit/coff-format";
import {
  buildBaseRelocations, buildBaseRelocationsFromArrays, planExportTable, planImportTables, PeWriterError,
  readBaseRelocations, thunkSize, writeExportTable, writeImportTables, writeImportThunk,
} from "./index.js";

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A little-endian byte image built field by field, to spell out expected tables. */
class Expected {
  readonly bytes: Uint8Array;
  private readonly data: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.data = new DataView(this.bytes.buffer);
  }
  u16(at: number, v: number): this { this.data.setUint16(at, v, true); return this; }
  u32(at: number, v: number): this { this.data.setUint32(at, v, true); return this; }
  u64(at: number, v: bigint): this { this.data.setBigUint64(at, v, true); return this; }
  str(at: number, s: string): this { for (let i = 0; i < s.length; i++) this.bytes[at + i] = s.charCodeAt(i); return this; }
}

describe("import tables", () => {
  const dlls = [
    { dllName: "a.dll", imports: [{ name: "foo", hint: 1 }, { ordinal: 7 }] },
    { dllName: "b.dll", imports: [{ name: "bar" }, { name: "baz", hint: 2 }] },
  ];

  it("lays out 2 DLLs x 2 imports (one by ordinal) for PE32+ byte for byte", () => {
    const plan = planImportTables(dlls, { is64: true });
    const rva = 0x3000;
    const out = writeImportTables(plan, rva);
    // directory 3*20 = 60 -> ILTs from 64 (8-aligned), IAT 112..160, hint/names 160.., DLL names 178..
    const e = new Expected(192);
    e.u32(0, rva + 64).u32(12, rva + 178).u32(16, rva + 112); // a.dll descriptor
    e.u32(20, rva + 88).u32(32, rva + 184).u32(36, rva + 136); // b.dll descriptor
    for (const table of [64, 112]) {
      e.u64(table, BigInt(rva + 160)).u64(table + 8, 0x8000_0000_0000_0007n); // foo, #7, null
      e.u64(table + 24, BigInt(rva + 166)).u64(table + 32, BigInt(rva + 172)); // bar, baz, null
    }
    e.u16(160, 1).str(162, "foo").u16(166, 0).str(168, "bar").u16(172, 2).str(174, "baz");
    e.str(178, "a.dll").str(184, "b.dll");
    expect(hexBytes(out.bytes)).toBe(hexBytes(e.bytes));
    expect(out.iatSlotRvas).toEqual([[rva + 112, rva + 120], [rva + 136, rva + 144]]);
    expect(out.importDirectory).toEqual({ rva, size: 60 });
    expect(out.iat).toEqual({ rva: rva + 112, size: 48 });
  });

  it("uses 4-byte entries and bit 31 for ordinals in PE32", () => {
    const plan = planImportTables(dlls, { is64: false });
    const out = writeImportTables(plan, 0x2000);
    const data = new DataView(out.bytes.buffer);
    expect(plan.lookupTableOffsets).toEqual([60, 72]);
    expect(plan.iatOffset).toBe(84);
    expect(data.getUint32(plan.iatOffset + 4, true)).toBe(0x8000_0007);
    expect(out.iat).toEqual({ rva: 0x2000 + 84, size: 24 });
  });

  it("is empty without DLLs and rejects bad input with a PeWriterError", () => {
    const plan = planImportTables([], { is64: true });
    expect(writeImportTables(plan, 0x1000).importDirectory).toEqual({ rva: 0, size: 0 });
    expect(() => planImportTables([{ dllName: "x.dll", imports: [{ ordinal: 70000 }] }], { is64: true })).toThrow(PeWriterError);
    expect(() => planImportTables([{ dllName: "", imports: [] }], { is64: true })).toThrow(/DLL name/);
  });
});

describe("import thunks", () => {
  it("x64: jmp [rip+disp32] relative to the end of the thunk", () => {
    const buf = new Uint8Array(thunkSize(IMAGE_FILE_MACHINE.AMD64));
    const { baseRelocations } = writeImportThunk(buf, IMAGE_FILE_MACHINE.AMD64, 0x1000, 0x2008, 0x140000000n);
    expect(hexBytes(buf)).toBe("ff 25 02 10 00 00"); // 0x2008 - 0x1006
    expect(baseRelocations).toEqual([]);
  });

  it("x86: jmp [abs32] with a HIGHLOW base relocation on the address", () => {
    const buf = new Uint8Array(6);
    const { baseRelocations } = writeImportThunk(buf, IMAGE_FILE_MACHINE.I386, 0x1000, 0x2008, 0x400000);
    expect(hexBytes(buf)).toBe("ff 25 08 20 40 00");
    expect(baseRelocations).toEqual([{ rva: 0x1002, type: IMAGE_REL_BASED.HIGHLOW }]);
  });

  it("ARM64: adrp/ldr/br through x16", () => {
    const buf = new Uint8Array(thunkSize(IMAGE_FILE_MACHINE.ARM64));
    writeImportThunk(buf, IMAGE_FILE_MACHINE.ARM64, 0x1000, 0x3010, 0);
    // adrp x16, #0x2000 (2 pages): immlo=2 -> 0xd0000010; ldr x16, [x16, #0x10]: imm12 = 2
    expect(hexBytes(buf)).toBe("10 00 00 d0 10 0a 40 f9 00 02 1f d6");
  });

  it("rejects machines without a thunk", () => {
    expect(() => thunkSize(IMAGE_FILE_MACHINE.IA64)).toThrow(PeWriterError);
  });
});

describe("base relocations", () => {
  it("groups by page, sorts, and pads blocks to 4 bytes with ABSOLUTE", () => {
    const DIR64 = IMAGE_REL_BASED.DIR64;
    const table = buildBaseRelocations([
      { rva: 0x5030, type: DIR64 }, { rva: 0x1008, type: DIR64 }, { rva: 0x2ff8, type: DIR64 },
      { rva: 0x5010, type: DIR64 }, { rva: 0x1000, type: DIR64 }, { rva: 0x5020, type: DIR64 },
      { rva: 0x1008, type: DIR64 }, // a duplicate is one relocation
    ]);
    expect(hexBytes(table)).toBe([
      "00 10 00 00 0c 00 00 00 00 a0 08 a0", // page 0x1000: 2 entries, no padding
      "00 20 00 00 0c 00 00 00 f8 af 00 00", // page 0x2000: 1 entry + padding
      "00 50 00 00 10 00 00 00 10 a0 20 a0 30 a0 00 00", // page 0x5000: 3 entries + padding
    ].join(" "));
    expect(readBaseRelocations(table).map((e) => e.rva)).toEqual([0x1000, 0x1008, 0x2ff8, 0x5010, 0x5020, 0x5030]);
  });

  it("rejects two types at one address and unsupported types", () => {
    expect(() => buildBaseRelocations([{ rva: 0x10, type: 3 }, { rva: 0x10, type: 10 }])).toThrow(/different types/);
    expect(() => buildBaseRelocations([{ rva: 0x10, type: 10 }, { rva: 0x10, type: 3 }])).toThrow(/different types/);
    expect(() => buildBaseRelocationsFromArrays(Uint32Array.of(0x10, 0x20), Uint8Array.of(10, 0))).toThrow(/type 0 is not supported/);
    expect(() => buildBaseRelocations([{ rva: 0x10, type: IMAGE_REL_BASED.HIGHADJ }])).toThrow(PeWriterError);
  });

  it("round-trips any set of entries", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 0x7fff_fff8 }), { maxLength: 300 }), (rvas) => {
      const table = buildBaseRelocationsFromArrays(Uint32Array.from(rvas), IMAGE_REL_BASED.HIGHLOW);
      expect(table.length % 4).toBe(0);
      expect(readBaseRelocations(table)).toEqual([...rvas].sort((a, b) => a - b).map((rva) => ({ rva, type: 3 })));
    }));
  });

  it("round-trips entries of their own types, in any order, duplicates listed once", () => {
    const entry = fc.record({ rva: fc.integer({ min: 0, max: 0x7fff_fff8 }), type: fc.constantFrom(IMAGE_REL_BASED.HIGHLOW, IMAGE_REL_BASED.DIR64) });
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.rva, maxLength: 300 }), fc.nat(), (entries, repeat) => {
      const listed = entries.length > 0 ? [...entries, entries[repeat % entries.length]!] : entries;
      const table = buildBaseRelocationsFromArrays(Uint32Array.from(listed, (e) => e.rva), Uint8Array.from(listed, (e) => e.type));
      expect(readBaseRelocations(table)).toEqual([...entries].sort((a, b) => a.rva - b.rva));
      expect(table).toEqual(buildBaseRelocations(listed));
    }));
  });

  it("builds a table of 100k entries (speed: pnpm bench)", () => {
    const rvas = new Uint32Array(100_000);
    for (let i = 0; i < rvas.length; i++) rvas[i] = (i * 7919 * 8) % 0x4000_0000;
    const table = buildBaseRelocationsFromArrays(rvas, IMAGE_REL_BASED.DIR64);
    const types = new Uint8Array(rvas.length).fill(IMAGE_REL_BASED.DIR64);
    expect(buildBaseRelocationsFromArrays(rvas, types)).toEqual(table);
    expect(readBaseRelocations(table).length).toBe(new Set(rvas).size);
  });
});

describe("export table", () => {
  const input = {
    dllName: "x.dll",
    exports: [
      { name: "zeta", rva: 0x1010 },
      { name: "alpha", rva: 0x1000 },
      { name: "hidden", ordinal: 5, noname: true, rva: 0x1020 },
      { name: "gvar", rva: 0x3000, data: true },
      { name: "fwd", forwarder: "KERNEL32.ExitProcess" },
    ],
  };

  it("assigns ordinals from the base in name order around explicit ones", () => {
    const plan = planExportTable(input);
    expect(plan.exports.map((e) => [e.name, e.ordinal])).toEqual([["alpha", 1], ["fwd", 2], ["gvar", 3], ["zeta", 4], ["hidden", 5]]);
    expect(plan.namedExports.map((e) => e.name)).toEqual(["alpha", "fwd", "gvar", "zeta"]);
    expect(plan.importLibraryEntries).toEqual([
      { name: "alpha", ordinal: 1, noname: false, data: false },
      { name: "fwd", ordinal: 2, noname: false, data: false },
      { name: "gvar", ordinal: 3, noname: false, data: true },
      { name: "hidden", ordinal: 5, noname: true, data: false },
      { name: "zeta", ordinal: 4, noname: false, data: false },
    ]);
  });

  it("writes the directory, address, name and ordinal tables byte for byte", () => {
    const rva = 0x4000;
    const out = writeExportTable(planExportTable(input), rva);
    // dir 40, EAT 5*4 @40, names 4*4 @60, ordinals 4*2 @76, "x.dll" @84, names @90, forwarder @110
    const e = new Expected(132);
    e.u32(12, rva + 84).u32(16, 1).u32(20, 5).u32(24, 4).u32(28, rva + 40).u32(32, rva + 60).u32(36, rva + 76);
    e.u32(40, 0x1000).u32(44, rva + 110).u32(48, 0x3000).u32(52, 0x1010).u32(56, 0x1020);
    e.u32(60, rva + 90).u32(64, rva + 96).u32(68, rva + 100).u32(72, rva + 105);
    e.u16(76, 0).u16(78, 1).u16(80, 2).u16(82, 3);
    e.str(84, "x.dll").str(90, "alpha").str(96, "fwd").str(100, "gvar").str(105, "zeta");
    e.str(110, "KERNEL32.ExitProcess");
    expect(hexBytes(out.bytes)).toBe(hexBytes(e.bytes));
    expect(out.exportDirectory).toEqual({ rva, size: 132 });
  });

  it("rejects duplicate names and ordinals, and exports with neither rva nor forwarder", () => {
    expect(() => planExportTable({ dllName: "d", exports: [{ name: "a", rva: 1 }, { name: "a", rva: 2 }] })).toThrow(/duplicate/);
    expect(() => planExportTable({ dllName: "d", exports: [{ name: "a", ordinal: 2, rva: 1 }, { name: "b", ordinal: 2, rva: 2 }] })).toThrow(/ordinal 2/);
    expect(() => planExportTable({ dllName: "d", exports: [{ name: "a" }] })).toThrow(PeWriterError);
  });

  it("can assign ordinals after the highest explicit one, as lld-link does", () => {
    const plan = planExportTable({ dllName: "d", ordinalAssignment: "after-max", exports: [{ name: "b", rva: 1 }, { name: "a", ordinal: 3, rva: 2 }, { name: "c", rva: 3 }] });
    expect(plan.exports.map((e) => [e.name, e.ordinal])).toEqual([["a", 3], ["b", 4], ["c", 5]]);
    expect(plan.numberOfFunctions).toBe(5);
  });

  it("refuses tables that do not fit below 4 GiB", () => {
    expect(() => writeExportTable(planExportTable(input), 0xffff_fff0)).toThrow(PeWriterError);
    expect(() => writeImportTables(planImportTables([{ dllName: "a.dll", imports: [{ name: "f" }] }], { is64: true }), -1)).toThrow(PeWriterError);
  });

  it("sorts names byte-wise (uppercase before lowercase, as strcmp)", () => {
    const plan = planExportTable({ dllName: "d", exports: [{ name: "b", rva: 1 }, { name: "B", rva: 2 }, { name: "a_", rva: 3 }, { name: "a", rva: 4 }] });
    expect(plan.namedExports.map((e) => e.name)).toEqual(["B", "a", "a_", "b"]);
  });
});
