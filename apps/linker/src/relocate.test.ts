import { describe, expect, it } from "vitest";
import { IMAGE_REL_AMD64, IMAGE_REL_BASED, IMAGE_REL_I386 } from "@linkkit/coff-format";
import { applyRelocation, type RelocationTarget } from "./relocate.js";

const target = (rva: number, extra: Partial<RelocationTarget> = {}): RelocationTarget => ({ rva, absolute: false, sectionIndex: 2, sectionRva: 0x2000, ...extra });

function site(bytes: number[]): DataView {
  return new DataView(Uint8Array.from(bytes).buffer);
}

describe("applyRelocation (AMD64)", () => {
  const base = 0x140000000;
  it("ADDR64 adds the image base and the implicit addend, and asks for a DIR64 base relocation", () => {
    const v = site([8, 0, 0, 0, 0, 0, 0, 0]);
    expect(applyRelocation("x64", IMAGE_REL_AMD64.ADDR64, v, 0, 0x1000, target(0x3000), base)).toBe(IMAGE_REL_BASED.DIR64);
    expect(v.getBigUint64(0, true)).toBe(0x140003008n);
  });
  it("ADDR64 handles a negative addend", () => {
    const v = site([0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    applyRelocation("x64", IMAGE_REL_AMD64.ADDR64, v, 0, 0x1000, target(0x3000), base);
    expect(v.getBigUint64(0, true)).toBe(0x140002ff8n);
  });
  it("REL32_n is relative to the end of the instruction", () => {
    for (let k = 0; k <= 5; k++) {
      const v = site([0, 0, 0, 0]);
      expect(applyRelocation("x64", IMAGE_REL_AMD64.REL32 + k, v, 0, 0x1000, target(0x1100), base)).toBe(0);
      expect(v.getInt32(0, true)).toBe(0x1100 - (0x1000 + 4 + k));
    }
  });
  it("ADDR32NB is the RVA, SECREL the offset in the output section, SECTION its index", () => {
    const v = site([4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    applyRelocation("x64", IMAGE_REL_AMD64.ADDR32NB, v, 0, 0, target(0x2010), base);
    expect(v.getUint32(0, true)).toBe(0x2014);
    applyRelocation("x64", IMAGE_REL_AMD64.SECREL, v, 4, 0, target(0x2010), base);
    expect(v.getUint32(4, true)).toBe(0x10);
    applyRelocation("x64", IMAGE_REL_AMD64.SECTION, v, 8, 0, target(0x2010), base);
    expect(v.getUint16(8, true)).toBe(2);
  });
  it("reports ADDR32 out of range above 4 GiB, and unknown types", () => {
    expect(applyRelocation("x64", IMAGE_REL_AMD64.ADDR32, site([0, 0, 0, 0]), 0, 0, target(0x10), base)).toEqual({ kind: "out-of-range", type: 2, value: 0x140000010 });
    expect(applyRelocation("x64", 0x11, site([0, 0, 0, 0]), 0, 0, target(0x10), base)).toEqual({ kind: "unknown-type", type: 0x11 });
  });
  it("no base relocation for absolute symbols", () => {
    expect(applyRelocation("x64", IMAGE_REL_AMD64.ADDR64, site([0, 0, 0, 0, 0, 0, 0, 0]), 0, 0, target(5 - base, { absolute: true }), base)).toBe(0);
  });
});

describe("applyRelocation (I386)", () => {
  it("DIR32 is the VA with a HIGHLOW base relocation; REL32 is relative to the next instruction", () => {
    const v = site([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(applyRelocation("x86", IMAGE_REL_I386.DIR32, v, 0, 0x1000, target(0x3000), 0x400000)).toBe(IMAGE_REL_BASED.HIGHLOW);
    expect(v.getUint32(0, true)).toBe(0x403000);
    expect(applyRelocation("x86", IMAGE_REL_I386.REL32, v, 4, 0x1004, target(0x1000), 0x400000)).toBe(0);
    expect(v.getInt32(4, true)).toBe(0x1000 - 0x1008);
  });
});
