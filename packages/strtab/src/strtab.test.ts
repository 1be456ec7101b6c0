import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StringTable, StringTableError, readStringTable, type StringTableFlavour } from "./index.js";

const flavours: StringTableFlavour[] = ["coff", "elf", "macho", "macho32"];
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

function storable(s: string): boolean {
  if (s.includes("\0")) return false;
  try {
    encodeURIComponent(s); // throws on lone surrogates
    return true;
  } catch {
    return false;
  }
}

// Few letters (some multi-byte) so that suffixes and duplicates are common.
const name = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", "_", "é", "\u{1F600}"), maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 20 }).filter(storable),
);
const names = fc.array(name, { maxLength: 40 });

describe("layout of each flavour", () => {
  it("COFF: empty table is its own size, first string at 4", () => {
    expect(hex(new StringTable("coff").serialize())).toBe("04 00 00 00");
    const t = new StringTable("coff");
    expect(t.add("long_symbol_name")).toBe(4);
    expect(t.add("x")).toBe(21);
    expect(hex(t.serialize().subarray(0, 4))).toBe("17 00 00 00");
    expect(t.size).toBe(23);
  });

  it("ELF: leading NUL, offset 0 is the empty string", () => {
    const t = new StringTable("elf");
    expect(t.add("")).toBe(0);
    expect(t.add("main")).toBe(1);
    expect(hex(t.serialize())).toBe("00 6d 61 69 6e 00");
  });

  it("Mach-O: ld64's \" \\0\" start, padded to 8 (64-bit) or 4 (32-bit)", () => {
    const t64 = new StringTable("macho");
    expect(t64.offsetOf(" ")).toBe(0);
    expect(t64.add("")).toBe(1);
    expect(t64.add("_main")).toBe(2);
    expect(hex(t64.serialize())).toBe("20 00 5f 6d 61 69 6e 00");
    t64.add("_f");
    expect(t64.size).toBe(16);
    expect(hex(t64.serialize().subarray(8))).toBe("5f 66 00 00 00 00 00 00");
    const t32 = StringTable.from(["_f"], "macho32");
    expect(hex(t32.serialize())).toBe("20 00 5f 66 00 00 00 00");
    expect(hex(new StringTable("macho32").serialize())).toBe("20 00 00 00");
  });

  it("tail merging serves \"bar\" from inside \"foobar\" (ELF)", () => {
    const t = StringTable.from(["bar", "foobar", "ar", "baz"], "elf", { tailMerge: true });
    const foobar = t.offsetOf("foobar")!;
    expect(t.offsetOf("bar")).toBe(foobar + 3);
    expect(t.offsetOf("ar")).toBe(foobar + 4);
    expect(t.size).toBe(1 + 7 + 4);
  });

  it("tail merging of multi-byte text shares UTF-8 bytes (COFF)", () => {
    const t = StringTable.from(["naïve_café", "café", "é"], "coff", { tailMerge: true });
    const bytes = t.serialize();
    expect(t.size).toBe(4 + new TextEncoder().encode("naïve_café").length + 1);
    const r = readStringTable(bytes, "coff");
    for (const s of ["naïve_café", "café", "é"]) expect(r.getString(t.offsetOf(s)!)).toBe(s);
  });
});

describe("invalid strings and tables", () => {
  it("rejects NUL and lone surrogates with StringTableError", () => {
    const t = new StringTable("elf");
    expect(() => t.add("a\0b")).toThrow(StringTableError);
    expect(() => t.add("x\uD800")).toThrow(/lone surrogate/);
    expect(() => StringTable.from(["\0"], "coff", { tailMerge: true })).toThrow(StringTableError);
    expect(t.size).toBe(1); // nothing half-added
  });

  it("reports the offset and what was wrong", () => {
    const catchErr = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as StringTableError;
      }
      throw new Error("no error");
    };
    let e = catchErr(() => readStringTable(new Uint8Array([9, 0, 0, 0, 0x41, 0]), "coff"));
    expect(e.code).toBe("size-prefix-too-large");
    e = catchErr(() => readStringTable(new Uint8Array([6, 0]), "coff"));
    expect(e.code).toBe("truncated-size-prefix");
    const coff = readStringTable(new Uint8Array([7, 0, 0, 0, 0x41, 0x42, 0x43, 0xff]), "coff");
    e = catchErr(() => coff.getString(4));
    expect([e.code, e.offset]).toEqual(["missing-terminator", 4]);
    e = catchErr(() => coff.getString(2));
    expect([e.code, e.offset]).toEqual(["offset-in-header", 2]);
    e = catchErr(() => coff.getString(7));
    expect([e.code, e.offset]).toEqual(["offset-out-of-range", 7]);
    e = catchErr(() => readStringTable(new Uint8Array([0, 0x41, 0]), "elf").getString(1.5));
    expect(e.code).toBe("offset-out-of-range");
    e = catchErr(() => StringTable.load(new Uint8Array([1, 0]), "elf"));
    expect(e.code).toBe("bad-header");
    e = catchErr(() => new StringTable("pe" as StringTableFlavour));
    expect(e.code).toBe("unknown-flavour");
  });

  it("reads a COFF table whose size prefix is 0 as empty (cvtres does that)", () => {
    expect(readStringTable(new Uint8Array([0, 0, 0, 0]), "coff").size).toBe(4);
  });
});

describe("properties", () => {
  it("every added string reads back at its offset, in all flavours, with and without tail merging", () => {
    fc.assert(
      fc.property(names, fc.constantFrom(...flavours), fc.boolean(), (list, flavour, tailMerge) => {
        const t = StringTable.from(list, flavour, { tailMerge });
        const bytes = t.serialize();
        expect(bytes.length).toBe(t.size);
        const r = readStringTable(bytes, flavour);
        for (const s of list) {
          const offset = t.offsetOf(s)!;
          expect(r.getString(offset)).toBe(s);
          expect(t.getString(offset)).toBe(s);
        }
      }),
    );
  });

  it("dedupes: one offset per distinct string, tail merging never makes the table bigger", () => {
    fc.assert(
      fc.property(names, fc.constantFrom(...flavours), (list, flavour) => {
        const plain = new StringTable(flavour);
        const offsets = list.map((s) => plain.add(s));
        list.forEach((s, i) => expect(plain.add(s)).toBe(offsets[i]));
        const distinct = new Set(list);
        expect(new Set(offsets).size).toBe(distinct.size);
        const merged = StringTable.from(list, flavour, { tailMerge: true });
        expect(merged.size).toBeLessThanOrEqual(plain.size);
        // The merged layout depends on the set only.
        expect(hex(StringTable.from([...list].reverse(), flavour, { tailMerge: true }).serialize())).toBe(hex(merged.serialize()));
      }),
    );
  });

  it("appending never changes earlier offsets, before or after reloading from bytes", () => {
    fc.assert(
      fc.property(names, names, fc.constantFrom(...flavours), fc.boolean(), (first, later, flavour, tailMerge) => {
        const t = StringTable.from(first, flavour, { tailMerge });
        const before = new Map(first.map((s) => [s, t.offsetOf(s)!]));
        const bytesBefore = t.serialize();
        const reloaded = StringTable.load(bytesBefore, flavour);
        for (const s of later) {
          t.add(s);
          reloaded.add(s);
        }
        for (const table of [t, reloaded]) {
          const r = readStringTable(table.serialize(), flavour);
          for (const [s, offset] of before) {
            // A reloaded table finds strings that start after a NUL; tail-merged suffixes it appends anew.
            if (table === t || !tailMerge) expect(table.offsetOf(s)).toBe(offset);
            expect(r.getString(offset)).toBe(s);
          }
          for (const s of later) expect(r.getString(table.offsetOf(s)!)).toBe(s);
        }
      }),
    );
  });

  it("the reader throws nothing but StringTableError on arbitrary bytes and offsets", () => {
    const offset = fc.oneof(fc.integer({ min: -5, max: 80 }), fc.double(), fc.constant(Number.NaN), fc.constant(2 ** 40));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(offset, { maxLength: 8 }), fc.constantFrom(...flavours), (bytes, offsets, flavour) => {
        const attempt = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(StringTableError);
          }
        };
        attempt(() => {
          const r = readStringTable(bytes, flavour);
          for (const o of offsets) attempt(() => r.getString(o));
        });
        attempt(() => StringTable.load(bytes, flavour).add("x"));
      }),
    );
  });
});

// Speed is measured by `pnpm bench` (bench/micro.mjs), not asserted here: this checks the same workload's result.
describe("scale", () => {
  it("adds, tail-merges, serializes and reads 120k names", () => {
    const list = Array.from({ length: 120_000 }, (_, i) => `?function_${i}@@YAXH@Z`);
    const t = new StringTable("coff");
    for (const s of list) t.add(s);
    const r = readStringTable(t.serialize(), "coff");
    const wrong = list.filter((s) => r.getString(t.offsetOf(s)!) !== s);
    expect(wrong).toEqual([]);
    const merged = StringTable.from(list, "elf", { tailMerge: true });
    expect(merged.count).toBe(list.length + 1);
  });
});
