import { describe, expect, it } from "vitest";
import {
  DuplicateSectionError,
  InvalidAlignmentError,
  InvalidOptionError,
  InvalidSizeError,
  Layout,
  LayoutPhaseError,
  UnknownAtomError,
  UnknownSectionError,
} from "./index.js";

function packedCoff(): { layout: Layout; text: number } {
  const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200, minHoleSize: 16 });
  const text = layout.addSection(".text");
  return { layout, text };
}

describe("placing atoms (packed)", () => {
  it("appends back to back with only alignment padding", () => {
    const { layout, text } = packedCoff();
    const a = layout.placeAtom(text, 10, 1);
    const b = layout.placeAtom(text, 7, 16);
    const c = layout.placeAtom(text, 3, 4);
    expect([a.offset, b.offset, c.offset]).toEqual([0, 16, 24]);
    expect(layout.atom(a.atom).capacity).toBe(16);
    expect(layout.atom(b.atom).capacity).toBe(8);
    expect(layout.atom(c.atom).capacity).toBe(3);
    expect(layout.section(text).usedSize).toBe(27);
    expect(a).toMatchObject({ moved: false, previousAddress: null, previousOffset: null, movedSections: [] });
    expect([a, b, c].map((p) => layout.atomSize(p.atom))).toEqual([10, 7, 3]);
    layout.freeAtom(b.atom);
    expect(() => layout.atomSize(b.atom)).toThrow(/atomSize/);
    layout.verify();
  });

  it("hands out dense ids that are never reused", () => {
    const { layout, text } = packedCoff();
    const ids = [0, 1, 2].map(() => layout.placeAtom(text, 4).atom);
    expect(ids).toEqual([0, 1, 2]);
    layout.freeAtom(1);
    expect(layout.placeAtom(text, 4).atom).toBe(3);
    expect(layout.isLive(1)).toBe(false);
    expect(layout.liveAtomCount).toBe(3);
    expect(layout.atomIdCount).toBe(4);
  });

  it("rejects bad input with typed errors", () => {
    const { layout, text } = packedCoff();
    expect(() => layout.placeAtom(text, 4, 3)).toThrow(InvalidAlignmentError);
    expect(() => layout.placeAtom(text, 4, 0x2000)).toThrow(/alignment must be a power of two from 1 to 0x1000/);
    expect(() => layout.placeAtom(text, -1)).toThrow(InvalidSizeError);
    expect(() => layout.placeAtom(text, 1.5)).toThrow(InvalidSizeError);
    expect(() => layout.placeAtom(9, 4)).toThrow(UnknownSectionError);
    expect(() => layout.freeAtom(42)).toThrow(UnknownAtomError);
    expect(() => layout.addSection(".text")).toThrow(DuplicateSectionError);
    expect(() => layout.sectionId(".nope")).toThrow(UnknownSectionError);
    expect(() => new Layout({ headerSize: 0, growthFactor: 0.5 })).toThrow(InvalidOptionError);
    expect(() => new Layout({ headerSize: 0, capacity: { surplusNumerator: 1, surplusDenominator: 0 } })).toThrow(InvalidOptionError);
  });
});

describe("adding many atoms at once", () => {
  /** Offsets, sizes, capacities and the section's state after placing the atoms one by one, or all at once. */
  const placed = (mode: "packed" | "incremental" | "packed-growable", bulk: boolean, sizes: number[], alignments: number[], order: number[]) => {
    const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200, minHoleSize: 16, mode });
    const text = layout.addSection(".text");
    layout.addAtom(text, 5, 1); // an atom there before
    const ids: number[] = [];
    if (bulk) {
      const first = layout.addAtoms(text, sizes, alignments, order);
      order.forEach((_, k) => ids.push(first + k));
    } else {
      for (const i of order) ids.push(layout.addAtom(text, sizes[i]!, alignments[i]!));
    }
    layout.verify();
    const atoms = ids.map((id) => layout.atom(id));
    return { atoms, section: layout.section(text), freeHoles: layout.assignAddresses().length };
  };

  it("places them exactly as addAtom one by one would, in every mode", () => {
    // Alignment 64 after a 1-byte atom pads more than minHoleSize: a hole the free list must know of.
    const sizes = [10, 0, 7, 1, 300, 3, 64, 0, 9];
    const alignments = [1, 4, 16, 1, 64, 8, 16, 1, 2];
    const order = [3, 0, 4, 1, 2, 8, 5, 7, 6];
    for (const mode of ["packed", "incremental", "packed-growable"] as const) {
      expect(placed(mode, true, sizes, alignments, order), mode).toEqual(placed(mode, false, sizes, alignments, order));
    }
  });

  it("checks every atom before placing any", () => {
    const { layout, text } = packedCoff();
    expect(() => layout.addAtoms(text, [4, -1], [1, 1], [0, 1])).toThrow(InvalidSizeError);
    expect(() => layout.addAtoms(text, [4, 4], [1, 3], [0, 1])).toThrow(InvalidAlignmentError);
    expect(layout.section(text).usedSize).toBe(0);
    expect(layout.section(text).atomCount).toBe(0);
    expect(layout.addAtoms(text, [4, 4], [1, 4], [1, 0])).toBe(0);
    layout.verify();
  });
});

describe("freeing atoms and reusing holes", () => {
  it("gives a freed atom's room to its predecessor and reuses it before the end grows", () => {
    const { layout, text } = packedCoff();
    const [a, b, c] = [100, 100, 100].map((size) => layout.placeAtom(text, size, 4).atom) as [number, number, number];
    const freed = layout.freeAtom(b);
    expect(freed).toEqual({ atom: b, section: text, moved: false, previousOffset: 100, previousAddress: 100, previousSize: 100 });
    expect(layout.atom(a).capacity).toBe(200);
    const reused = layout.placeAtom(text, 60, 8);
    expect(reused.offset).toBe(104); // after a's 100 bytes, aligned to 8
    expect(layout.atom(a).capacity).toBe(104);
    expect(layout.atom(reused.atom).capacity).toBe(96);
    expect(layout.section(text).usedSize).toBe(300);
    expect(layout.atomsInSection(text)).toEqual([a, reused.atom, c]);
    layout.verify();
  });

  it("tells when a section's atoms lie back to back from its start (contiguousSize)", () => {
    const { layout, text } = packedCoff();
    expect(layout.contiguousSize(text, 12)).toBe(0);
    const [, b] = [24, 12, 36].map((size) => layout.placeAtom(text, size, 4).atom) as [number, number, number];
    expect(layout.contiguousSize(text, 12)).toBe(72);
    expect(layout.contiguousSize(text, 8)).toBe(-1); // 12 bytes are no whole number of 8-byte records
    layout.freeAtom(b);
    expect(layout.contiguousSize(text)).toBe(-1); // a hole where b was
    expect(() => layout.contiguousSize(text, 0)).toThrow(InvalidOptionError);
  });

  it("coalesces adjacent freed atoms into one hole", () => {
    const { layout, text } = packedCoff();
    const ids = [40, 40, 40, 40].map((size) => layout.placeAtom(text, size).atom) as [number, number, number, number];
    layout.freeAtom(ids[1]);
    layout.freeAtom(ids[2]);
    expect(layout.atom(ids[0]).capacity).toBe(120);
    expect(layout.placeAtom(text, 80).offset).toBe(40);
    layout.verify();
  });

  it("reuses the gap before the first atom", () => {
    const { layout, text } = packedCoff();
    const [a, b] = [64, 64].map((size) => layout.placeAtom(text, size).atom) as [number, number];
    layout.freeAtom(a);
    expect(layout.atom(b).offset).toBe(64);
    const head = layout.placeAtom(text, 32, 16);
    expect(head.offset).toBe(0);
    expect(head.capacity).toBe(64);
    expect(layout.atomsInSection(text)).toEqual([head.atom, b]);
    layout.verify();
  });

  it("shrinks the used end when the last atom is freed", () => {
    const { layout, text } = packedCoff();
    const a = layout.placeAtom(text, 10).atom;
    const b = layout.placeAtom(text, 50, 16).atom;
    layout.freeAtom(b);
    expect(layout.section(text).usedSize).toBe(10);
    expect(layout.atom(a).capacity).toBe(10);
    layout.freeAtom(a);
    expect(layout.section(text).usedSize).toBe(0);
    expect(layout.placeAtom(text, 8).offset).toBe(0);
  });

  it("picks the lowest fitting hole, and skips holes that are too small or misaligned", () => {
    const { layout, text } = packedCoff();
    const ids = [32, 32, 32, 32, 64, 32].map((size) => layout.placeAtom(text, size).atom);
    layout.freeAtom(ids[1] as number); // hole [32, 64)
    layout.freeAtom(ids[4] as number); // hole [128, 192)
    expect(layout.placeAtom(text, 48).offset).toBe(128); // too big for the first hole
    expect(layout.section(text).usedSize).toBe(224);
    expect(layout.placeAtom(text, 16, 64).offset).toBe(256); // neither hole has room at a multiple of 64
    expect(layout.placeAtom(text, 32).offset).toBe(32);
    layout.verify();
  });
});

describe("resizing atoms", () => {
  it("grows in place within capacity and moves when it no longer fits", () => {
    const { layout, text } = packedCoff();
    const a = layout.placeAtom(text, 10, 16).atom;
    const b = layout.placeAtom(text, 10, 16).atom;
    layout.placeAtom(text, 10, 16);
    const inPlace = layout.resizeAtom(a, 16);
    expect(inPlace).toMatchObject({ offset: 0, moved: false, previousOffset: 0, capacity: 16 });
    const moved = layout.resizeAtom(b, 40);
    expect(moved).toMatchObject({ moved: true, previousOffset: 16, offset: 48, size: 40 });
    expect(layout.atom(a).capacity).toBe(32); // b's old room joined a's
    layout.verify();
  });

  it("grows and shrinks the last atom in place by moving the used end", () => {
    const { layout, text } = packedCoff();
    layout.placeAtom(text, 10);
    const last = layout.placeAtom(text, 10).atom;
    expect(layout.resizeAtom(last, 1000)).toMatchObject({ moved: false, offset: 10, capacity: 1000 });
    expect(layout.section(text).usedSize).toBe(1010);
    layout.resizeAtom(last, 990); // tail of 10 < minHoleSize: not worth giving back
    expect(layout.section(text).usedSize).toBe(1010);
    layout.resizeAtom(last, 100);
    expect(layout.section(text).usedSize).toBe(110);
    layout.verify();
  });

  it("turns a shrunk atom's tail into a hole only when it is worth it", () => {
    const { layout, text } = packedCoff();
    const a = layout.placeAtom(text, 100).atom;
    layout.placeAtom(text, 100);
    layout.resizeAtom(a, 90); // 10-byte tail: below minHoleSize 16
    expect(layout.placeAtom(text, 8).offset).toBe(200);
    layout.resizeAtom(a, 20); // 80-byte tail
    expect(layout.placeAtom(text, 8).offset).toBe(20);
    layout.verify();
  });
});

describe("incremental mode", () => {
  it("pads atoms to ideal capacity (size + size/3) and reserves room to grow", () => {
    const layout = new Layout({ headerSize: 0x400, mode: "incremental", growthFactor: 2 });
    const text = layout.addSection(".text");
    const a = layout.placeAtom(text, 90, 16);
    const b = layout.placeAtom(text, 30, 16);
    expect(a.offset).toBe(0);
    expect(b.offset).toBe(128); // 90 + 30 = 120, aligned to 16
    expect(layout.section(text).usedSize).toBe(168); // 128 + 30 + 10
    const [info] = layout.assignAddresses();
    expect(info).toMatchObject({ address: 0x1000, virtualReserve: 0x1000, fileOffset: 0x400, fileReserve: 0x200 });
    expect(layout.resizeAtom(a.atom, 120)).toMatchObject({ moved: false, capacity: 128 });
    layout.verify();
  });

  it("reserves at least minimumVirtualReserve of address space, and only the growth factor in the file", () => {
    const layout = new Layout({ headerSize: 0x400, mode: "incremental", minimumVirtualReserve: 0x100000 });
    const text = layout.addSection(".text");
    const data = layout.addSection(".data");
    layout.placeAtom(text, 0x300, 16);
    layout.placeAtom(data, 0x20, 8);
    const [t, d] = layout.assignAddresses();
    expect(t).toMatchObject({ address: 0x1000, virtualReserve: 0x100000, fileReserve: 0x600 });
    expect(d!.address).toBe(0x101000);
    // Growing past the file reserve moves the section in the file only: addresses stay.
    const big = layout.placeAtom(text, 0x2000, 16);
    const changes = layout.takeChanges();
    expect(changes.movedSections.map((m) => [m.name, m.oldAddress === m.newAddress])).toEqual([[".text", true]]);
    expect(layout.atomAddress(big.atom)).toBeLessThan(0x101000);
    expect(layout.section(data).address).toBe(0x101000);
    layout.verify();
  });

  it("keeps the predecessor's ideal capacity when placing into a hole", () => {
    const layout = new Layout({ headerSize: 0, mode: "incremental", minHoleSize: 16 });
    const text = layout.addSection(".text");
    const a = layout.placeAtom(text, 30).atom; // ideal 40
    const b = layout.placeAtom(text, 300).atom; // at 40, ideal 400
    layout.placeAtom(text, 30);
    layout.freeAtom(b);
    const c = layout.placeAtom(text, 60); // ideal 80
    expect(c.offset).toBe(40);
    expect(layout.atom(a).capacity).toBe(40);
    expect(c.capacity).toBe(400);
    layout.verify();
  });
});

describe("assigning addresses", () => {
  it("lays out COFF-like sections after the headers; .bss takes no file space", () => {
    const layout = new Layout({ headerSize: 0x2f8, sectionAlignment: 0x1000, fileAlignment: 0x200 });
    const text = layout.addSection(".text");
    const rdata = layout.addSection(".rdata");
    const data = layout.addSection(".data");
    const bss = layout.addSection(".bss", { noBits: true });
    const reloc = layout.addSection(".reloc");
    layout.placeAtom(text, 0x1234, 16);
    layout.placeAtom(rdata, 0x10, 8);
    layout.placeAtom(data, 0x201, 8);
    layout.placeAtom(bss, 0x3000, 16);
    layout.placeAtom(reloc, 0xc, 4);
    const sections = layout.assignAddresses();
    expect(sections.map((s) => [s.name, s.address, s.virtualReserve, s.fileOffset, s.fileReserve])).toEqual([
      [".text", 0x1000, 0x2000, 0x400, 0x1400],
      [".rdata", 0x3000, 0x1000, 0x1800, 0x200],
      [".data", 0x4000, 0x1000, 0x1a00, 0x400],
      [".bss", 0x5000, 0x3000, 0, 0],
      [".reloc", 0x8000, 0x1000, 0x1e00, 0x200],
    ]);
    expect(layout.fileSpace.ranges.map((range) => range.owner)).toEqual(["headers", ".text", ".rdata", ".data", ".reloc"]);
    expect(layout.atomAddress(0)).toBe(0x1000);
    expect(() => layout.assignAddresses()).toThrow(LayoutPhaseError);
    layout.verify();
  });

  it("keeps file ranges reserved before layout and places sections around them", () => {
    const layout = new Layout({ headerSize: 0x400, fileAlignment: 0x200 });
    const text = layout.addSection(".text");
    const data = layout.addSection(".data");
    layout.placeAtom(text, 0x300);
    layout.placeAtom(data, 0x100);
    layout.fileSpace.reserve(0x400, 0x200, "debug directory");
    layout.assignAddresses();
    expect(layout.section(text)).toMatchObject({ fileOffset: 0x600, fileReserve: 0x400 });
    expect(layout.section(data)).toMatchObject({ fileOffset: 0xa00, fileReserve: 0x200 });
    layout.verify();
  });

  it("lays out ELF-like sections with small section alignment and page-aligned file offsets", () => {
    const headerSize = 64 + 56 * 4; // ELF header + 4 program headers
    const layout = new Layout({ headerSize, sectionAlignment: 0x1000, fileAlignment: 0x1000 });
    const text = layout.addSection(".text");
    const rodata = layout.addSection(".rodata", { alignment: 32 });
    const dataRelRo = layout.addSection(".data.rel.ro", { alignment: 8 });
    const bss = layout.addSection(".bss", { noBits: true, alignment: 64 });
    layout.placeAtom(text, 0x50, 16);
    layout.placeAtom(rodata, 0x21, 32);
    layout.placeAtom(dataRelRo, 0x18, 8);
    layout.placeAtom(bss, 0x100, 64);
    const sections = layout.assignAddresses();
    expect(sections.map((s) => [s.name, s.address, s.virtualReserve, s.fileOffset])).toEqual([
      [".text", 0x1000, 0x1000, 0x1000],
      [".rodata", 0x2000, 0x40, 0x2000],
      [".data.rel.ro", 0x2040, 0x18, 0x3000],
      [".bss", 0x2080, 0x100, 0],
    ]);
    layout.verify();
  });
});

describe("growing and moving sections", () => {
  function incrementalImage(): Layout {
    const layout = new Layout({ headerSize: 0x400, mode: "incremental", growthFactor: 1.5, minHoleSize: 16 });
    for (const name of [".text", ".rdata", ".data"]) {
      const id = layout.addSection(name);
      layout.placeAtom(id, 0x600, 16);
    }
    layout.assignAddresses();
    return layout;
  }

  it("shifts the following sections up in virtual space and reports exactly which moved", () => {
    const layout = incrementalImage();
    expect(layout.sections().map((s) => [s.address, s.virtualReserve, s.fileOffset, s.fileReserve])).toEqual([
      [0x1000, 0x1000, 0x400, 0xc00], // used 0x800 (0x600 padded to ideal) x 1.5
      [0x2000, 0x1000, 0x1000, 0xc00],
      [0x3000, 0x1000, 0x1c00, 0xc00],
    ]);
    const placed = layout.placeAtom(0, 0x1000, 16);
    // used = 0x800 + 0x1555 = 0x1d55 > 0x1000; new reserves 1.5x aligned = 0x3000 and 0x2c00
    expect(placed.offset).toBe(0x800);
    expect(placed.address).toBe(0x1800);
    expect(placed.grownSections).toEqual([
      { section: 0, name: ".text", oldVirtualReserve: 0x1000, newVirtualReserve: 0x3000, oldFileReserve: 0xc00, newFileReserve: 0x2c00 },
    ]);
    expect(placed.movedSections).toEqual([
      { section: 0, name: ".text", oldAddress: 0x1000, newAddress: 0x1000, oldFileOffset: 0x400, newFileOffset: 0x2800 },
      { section: 1, name: ".rdata", oldAddress: 0x2000, newAddress: 0x4000, oldFileOffset: 0x1000, newFileOffset: 0x1000 },
      { section: 2, name: ".data", oldAddress: 0x3000, newAddress: 0x5000, oldFileOffset: 0x1c00, newFileOffset: 0x1c00 },
    ]);
    // Atoms of moved sections keep their section-relative offsets.
    expect(layout.atom(1)).toMatchObject({ offset: 0, address: 0x4000 });
    const report = layout.takeChanges();
    expect(report.placedAtoms).toEqual([placed.atom]);
    expect(report.movedAtoms).toEqual([]);
    expect(report.movedSections).toEqual(placed.movedSections);
    expect(report.oldFileSize).toBe(0x2800);
    expect(report.newFileSize).toBe(0x5400);
    expect(layout.fileSpace.isFree(0x400, 0xc00)).toBe(true); // .text's old file room is free again
    expect(layout.takeChanges().movedSections).toEqual([]);
    layout.verify();
  });

  it("extends a section in the file in place when the room after it is free", () => {
    const layout = incrementalImage();
    const data = layout.sectionId(".data");
    const result = layout.placeAtom(data, 0x1000);
    expect(result.movedSections.map((move) => move.name)).toEqual([]);
    expect(layout.section(data)).toMatchObject({ fileOffset: 0x1c00, fileReserve: 0x2c00, address: 0x3000, virtualReserve: 0x3000 });
    layout.verify();
  });

  it("moves a section in the file when another range blocks it, and reuses freed file room", () => {
    const layout = incrementalImage();
    expect(layout.fileSpace.allocate(0x200, 0x200, ".symtab")).toBe(0x2800); // right after .data
    const data = layout.sectionId(".data");
    const grown = layout.growSection(data, { fileReserve: 0x1200 });
    expect(grown.movedSections).toEqual([{ section: data, name: ".data", oldAddress: 0x3000, newAddress: 0x3000, oldFileOffset: 0x1c00, newFileOffset: 0x2a00 }]);
    expect(layout.fileSpace.isFree(0x1c00, 0xc00)).toBe(true);
    layout.verify();
  });

  it("grows virtual reserves explicitly and adds sections after layout", () => {
    const layout = incrementalImage();
    const changes = layout.growSection(1, { virtualReserve: 0x1001 });
    expect(changes.grownSections[0]).toMatchObject({ oldVirtualReserve: 0x1000, newVirtualReserve: 0x2000 });
    expect(changes.movedSections).toEqual([{ section: 2, name: ".data", oldAddress: 0x3000, newAddress: 0x4000, oldFileOffset: 0x1c00, newFileOffset: 0x1c00 }]);
    const tls = layout.addSection(".tls");
    expect(layout.section(tls)).toMatchObject({ address: 0x5000, virtualReserve: 0x1000, fileOffset: 0x2800, fileReserve: 0x200 });
    const report = layout.takeChanges();
    expect(report.addedSections).toEqual([tls]);
    expect(report.movedSections.map((move) => move.name)).toEqual([".data"]);
    layout.verify();
  });

  it("reports a whole update end to end: placed, moved, resized, freed", () => {
    const layout = incrementalImage();
    const text = layout.sectionId(".text");
    const small = layout.placeAtom(text, 0x10, 16).atom;
    const neighbour = layout.placeAtom(text, 0x10, 16).atom;
    layout.takeChanges();
    const oldAddress = layout.atomAddress(small);
    layout.resizeAtom(small, 0x40); // moves past its neighbour
    const temporary = layout.placeAtom(text, 0x10).atom;
    layout.freeAtom(temporary);
    layout.freeAtom(neighbour);
    const report = layout.takeChanges();
    expect(report.placedAtoms).toEqual([]);
    expect(report.freedAtoms).toEqual([neighbour]);
    expect(report.resizedAtoms).toEqual([{ atom: small, oldSize: 0x10, newSize: 0x40 }]);
    expect(report.movedAtoms).toEqual([
      { atom: small, section: text, oldOffset: oldAddress - 0x1000, newOffset: layout.atomOffset(small), oldAddress, newAddress: layout.atomAddress(small) },
    ]);
  });

  it("refuses growSection before addresses exist", () => {
    const layout = new Layout({ headerSize: 0 });
    layout.addSection(".text");
    expect(() => layout.growSection(0, { virtualReserve: 1 })).toThrow(LayoutPhaseError);
  });
});

describe("fast path and phases", () => {
  it("addAtom follows placeAtom's rule and its growth shows up in takeChanges", () => {
    const layout = new Layout({ headerSize: 0x400, minHoleSize: 16 });
    const text = layout.addSection(".text");
    const data = layout.addSection(".data");
    const a = layout.addAtom(text, 0x100, 16);
    const b = layout.addAtom(text, 0x100, 16);
    layout.addAtom(text, 0x100, 16);
    layout.freeAtom(b);
    expect(layout.atomOffset(layout.addAtom(text, 0x80, 16))).toBe(0x100); // reuses b's hole
    layout.addAtom(data, 8);
    layout.assignAddresses();
    layout.addAtom(text, 0x1000, 16); // packed: reserve = used rounded up, so this grows .text
    const report = layout.takeChanges();
    expect(report.grownSections.map((g) => g.name)).toEqual([".text"]);
    expect(report.movedSections.map((m) => [m.name, m.oldAddress, m.newAddress])).toEqual([
      [".text", 0x1000, 0x1000],
      [".data", 0x2000, 0x3000],
    ]);
    expect(layout.atomAddress(a)).toBe(0x1000);
    layout.verify();
  });

  it("grows a noBits section in virtual space only", () => {
    const layout = new Layout({ headerSize: 0x400, mode: "incremental" });
    const bss = layout.addSection(".bss", { noBits: true });
    const after = layout.addSection(".idata");
    layout.assignAddresses();
    const placed = layout.placeAtom(bss, 0x5000, 16); // ideal 0x6aaa, reserve x1.5 -> 0xa000
    expect(placed.grownSections).toEqual([{ section: bss, name: ".bss", oldVirtualReserve: 0x1000, newVirtualReserve: 0xa000, oldFileReserve: 0, newFileReserve: 0 }]);
    expect(placed.movedSections.map((m) => m.section)).toEqual([after]);
    expect(layout.section(bss)).toMatchObject({ fileOffset: 0, fileReserve: 0 });
    layout.verify();
  });

  it("verify names a broken invariant (here in tampered saved state)", () => {
    const layout = new Layout({ headerSize: 0 });
    const text = layout.addSection(".text");
    layout.placeAtom(text, 16);
    layout.placeAtom(text, 24);
    const bytes = layout.serialize();
    const sixteen = new Uint8Array(new Float64Array([16]).buffer);
    const at = bytes.findIndex((_, index) => sixteen.every((byte, k) => bytes[index + k] === byte)); // atom 1's offset
    bytes.set(new Uint8Array(new Float64Array([8]).buffer), at);
    expect(() => Layout.deserialize(bytes)).toThrow(/inconsistent state: layout invariant broken: section .text: atom 0 overlaps the next atom/);
  });
});

describe("empty atoms", () => {
  it("keep their place in order instead of filling the gap before the first atom", () => {
    const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200 });
    const data = layout.addSection(".data");
    const full = layout.addAtom(data, 40, 16);
    const empty = layout.addAtom(data, 0, 16);
    layout.assignAddresses();
    expect(layout.atomOffset(full)).toBe(0);
    expect(layout.atomOffset(empty)).toBe(48);
  });
});

describe("lists laid out as a unit (packed-growable sections, arrangeSection)", () => {
  function listLayout(): { layout: Layout; list: number; data: number; entries: number[] } {
    const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200, mode: "incremental", minimumVirtualReserve: 0x10000 });
    const list = layout.addSection(".CRT", { mode: "packed-growable" });
    const data = layout.addSection(".data");
    const entries = [layout.addAtom(list, 8, 8), layout.addAtom(list, 8, 8), layout.addAtom(list, 8, 8)];
    layout.addAtom(data, 0x40, 16);
    layout.assignAddresses();
    return { layout, list, data, entries };
  }

  it("packs atoms without surplus but reserves room to grow, as an incremental section does", () => {
    const { layout, list, data, entries } = listLayout();
    expect(entries.map((a) => layout.atomOffset(a))).toEqual([0, 8, 16]);
    expect(layout.atom(entries[2]!).capacity).toBe(8);
    expect(layout.section(list)).toMatchObject({ mode: "packed-growable", usedSize: 24, virtualReserve: 0x10000, fileReserve: 0x200 });
    expect(layout.section(data).address).toBe(0x11000);
  });

  it("puts a new entry in the middle and resizes one, moving only what follows, within the reserve", () => {
    const { layout, list, data, entries } = listLayout();
    const [a, b, c] = entries as [number, number, number];
    // A placeholder of size 0 goes to the end without growing anything; its place comes from the order.
    const added = layout.placeAtom(list, 0, 8).atom;
    const changes = layout.arrangeSection(list, [{ atom: a, size: 8 }, { atom: added, size: 16 }, { atom: b, size: 8 }, { atom: c, size: 24 }]);
    expect(changes.movedSections).toEqual([]);
    expect([a, added, b, c].map((x) => layout.atomOffset(x))).toEqual([0, 8, 24, 32]);
    expect(layout.section(list).usedSize).toBe(56);
    const report = layout.takeChanges();
    expect(report.placedAtoms).toEqual([added]);
    expect(report.movedAtoms.map((m) => [m.atom, m.oldOffset, m.newOffset])).toEqual([[b, 8, 24], [c, 16, 32]]);
    expect(report.resizedAtoms.map((r) => [r.atom, r.newSize])).toEqual([[c, 24]]);
    expect(layout.section(data).address).toBe(0x11000);
    layout.verify();
  });

  it("closes the hole an entry leaves, and grows the section when the list outgrows its reserve", () => {
    const { layout, list, data, entries } = listLayout();
    const [a, b, c] = entries as [number, number, number];
    layout.freeAtom(b);
    layout.arrangeSection(list, [{ atom: a, size: 8 }, { atom: c, size: 8 }]);
    expect(layout.atomOffset(c)).toBe(8);
    expect(layout.section(list).usedSize).toBe(16);
    layout.takeChanges();
    const changes = layout.arrangeSection(list, [{ atom: c, size: 0x20000 }, { atom: a, size: 8 }]);
    expect(layout.atomOffset(a)).toBe(0x20000);
    expect(changes.movedSections.map((m) => m.name)).toEqual([".CRT", ".data"]);
    expect(layout.section(data).address).toBeGreaterThan(0x20000);
    layout.verify();
  });

  it("rejects an order that leaves out, repeats or borrows an atom", () => {
    const { layout, list, data, entries } = listLayout();
    const [a, b, c] = entries as [number, number, number];
    const other = layout.atomsInSection(data)[0]!;
    expect(() => layout.arrangeSection(list, [{ atom: a, size: 8 }, { atom: b, size: 8 }])).toThrow(InvalidOptionError);
    expect(() => layout.arrangeSection(list, [{ atom: a, size: 8 }, { atom: a, size: 8 }, { atom: c, size: 8 }])).toThrow(InvalidOptionError);
    expect(() => layout.arrangeSection(list, [{ atom: a, size: 8 }, { atom: b, size: 8 }, { atom: other, size: 8 }])).toThrow(/an atom of \.CRT/);
    expect(() => layout.arrangeSection(list, [{ atom: a, size: -1 }, { atom: b, size: 8 }, { atom: c, size: 8 }])).toThrow(InvalidSizeError);
  });
});

describe("every atom's place at once", () => {
  it("answers what atomAddress and the file offsets say, NaN for freed atoms and for file offsets without file data", () => {
    const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200, minHoleSize: 16 });
    const text = layout.addSection(".text");
    const bss = layout.addSection(".bss", { noBits: true });
    const a = layout.addAtom(text, 10, 16);
    const b = layout.addAtom(text, 20, 16);
    const z = layout.addAtom(bss, 64, 8);
    layout.assignAddresses();
    const c = layout.placeAtom(text, 5, 4).atom;
    layout.freeAtom(b);
    const places = layout.atomPlaces();
    expect(places.address.length).toBe(layout.atomIdCount);
    for (const atom of [a, c, z]) expect(places.address[atom]).toBe(layout.atomAddress(atom));
    for (const atom of [a, c]) expect(places.fileOffset[atom]).toBe(layout.section(text).fileOffset + layout.atomOffset(atom));
    expect(places.fileOffset[z]).toBeNaN();
    expect(places.address[b]).toBeNaN();
    expect(places.fileOffset[b]).toBeNaN();
    // Into arrays of one's own (shared memory, say), which must be long enough.
    const into = { address: new Float64Array(new SharedArrayBuffer(8 * 8)), fileOffset: new Float64Array(8) };
    expect(layout.atomPlaces(into).address).toBe(into.address);
    expect(into.address[c]).toBe(layout.atomAddress(c));
    expect(() => layout.atomPlaces({ address: new Float64Array(1), fileOffset: new Float64Array(1) })).toThrow(InvalidOptionError);
    // Only the atoms asked for (negative ids skipped); the other entries stay as they were.
    const some = { address: new Float64Array(8).fill(-7), fileOffset: new Float64Array(8).fill(-7) };
    layout.atomPlaces(some, [-1, c, z]);
    expect([some.address[c], some.fileOffset[c], some.address[z]]).toEqual([layout.atomAddress(c), places.fileOffset[c], layout.atomAddress(z)]);
    expect(some.fileOffset[z]).toBeNaN();
    expect([some.address[a], some.address[b]]).toEqual([-7, -7]);
  });
});
