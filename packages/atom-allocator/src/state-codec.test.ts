import { describe, expect, it } from "vitest";
import { InternalError, Layout, StateFormatError } from "./index.js";
import type { AtomId } from "./index.js";
import { decodeState, encodeState } from "./state-codec.js";

function sampleLayout(): Layout {
  const layout = new Layout({ headerSize: 0x400, mode: "incremental", growthFactor: 2, minHoleSize: 32 });
  const text = layout.addSection(".text");
  const data = layout.addSection(".data", { mode: "packed" });
  layout.addSection(".bss", { noBits: true });
  const list = layout.addSection(".CRT", { mode: "packed-growable" });
  for (let index = 0; index < 50; index++) layout.placeAtom(index % 3 === 0 ? data : text, 20 + index * 7, 2 ** (index % 5));
  for (let index = 0; index < 4; index++) layout.placeAtom(list, 8, 8);
  layout.assignAddresses();
  layout.freeAtom(4);
  layout.freeAtom(5);
  layout.resizeAtom(7, 900);
  layout.fileSpace.allocate(0x300, 0x200, ".symtab");
  return layout;
}

/** A deterministic pseudo-random source (tests must not depend on Math.random). */
function randomSource(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return Math.floor((state / 2 ** 32) * limit);
  };
}

/**
 * Thousands of atoms in incremental and packed sections, then frees (holes in the free lists), resizes
 * that move atoms, and freed ids at the top of the id range.
 */
function largeLayout(): Layout {
  const random = randomSource(7);
  const layout = new Layout({ headerSize: 0x400, mode: "incremental", minimumVirtualReserve: 0x10000 });
  const sections = [layout.addSection(".text", { alignment: 0x1000 }), layout.addSection(".rdata"), layout.addSection(".data", { mode: "packed" })];
  for (let index = 0; index < 3000; index++) layout.addAtom(sections[index % 3] as number, 16 + random(385), 2 ** random(5));
  layout.assignAddresses();
  for (let index = 0; index < 400; index++) {
    const atom = random(layout.atomIdCount);
    if (layout.isLive(atom)) layout.freeAtom(atom);
  }
  for (let index = 0; index < 200; index++) {
    const atom = random(layout.atomIdCount);
    if (layout.isLive(atom)) layout.resizeAtom(atom, 16 + random(800));
  }
  for (let atom = layout.atomIdCount - 5; atom < layout.atomIdCount; atom++) if (layout.isLive(atom)) layout.freeAtom(atom);
  layout.takeChanges();
  return layout;
}

/** Applies the same random operation to both layouts and returns what each said (or threw). */
function sameStep(random: (limit: number) => number, layouts: readonly Layout[]): unknown[] {
  const first = layouts[0] as Layout;
  const kind = random(10);
  const section = random(first.sectionCount);
  const size = random(4) === 0 ? random(4000) : random(500);
  const atom: AtomId = random(first.atomIdCount + 2);
  const alignment = 2 ** random(5);
  return layouts.map((layout) => {
    try {
      if (kind < 4) return layout.placeAtom(section, size, alignment);
      if (kind < 7) return layout.isLive(atom) ? layout.resizeAtom(atom, size) : null;
      if (kind < 9) return layout.isLive(atom) ? layout.freeAtom(atom) : null;
      return layout.growSection(section, { virtualReserve: layout.section(section).virtualReserve + size * 64 });
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  });
}

/** Byte equality with the first difference in the message (toEqual walks typed arrays slowly). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  let differsAt = actual.length === expected.length ? -1 : Math.min(actual.length, expected.length);
  for (let index = 0; differsAt === -1 && index < expected.length; index++) if (actual[index] !== expected[index]) differsAt = index;
  expect(differsAt, `lengths ${String(actual.length)} and ${String(expected.length)}`).toBe(-1);
}

function expectSameLayout(restored: Layout, original: Layout): void {
  expect(restored.sections()).toEqual(original.sections());
  expect(restored.options).toEqual(original.options);
  expect(restored.fileSpace.ranges).toEqual(original.fileSpace.ranges);
  expect(restored.atomIdCount).toBe(original.atomIdCount);
  expect(restored.liveAtomCount).toBe(original.liveAtomCount);
  const atoms = (layout: Layout): unknown[] => Array.from({ length: layout.atomIdCount + 1 }, (_, atom) => (layout.isLive(atom) ? layout.atom(atom) : null));
  expect(atoms(restored)).toEqual(atoms(original));
}

/** The layout of `sectionState` bytes for one section named `.t` and no file ranges (see state-codec.ts). */
const HEADER_END = 4 + 4 + 65 + 1 + 4 + 4; // magic, version, options, addressesAssigned, atomIdCount, columnCount
const AT = {
  atomIdCount: 4 + 4 + 65 + 1,
  columnCount: 4 + 4 + 65 + 1 + 4,
  // range count, section count, name length + ".t", mode, noBits, 6 × f64
  atomCount: HEADER_END + 4 + 4 + 4 + 2 + 1 + 1 + 48,
  // 150: two zero bytes up to 152, where the columns start
  padding: HEADER_END + 4 + 4 + 4 + 2 + 1 + 1 + 48 + 4,
  columns: HEADER_END + 4 + 4 + 4 + 2 + 1 + 1 + 48 + 4 + 2,
};

function oneSectionBytes(atoms: readonly number[]): Uint8Array {
  const layout = new Layout({ headerSize: 0 });
  const section = layout.addSection(".t", { alignment: 16 });
  for (const size of atoms) layout.placeAtom(section, size);
  return layout.serialize();
}

function expectStateFormatError(bytes: Uint8Array, message?: RegExp): StateFormatError {
  try {
    Layout.deserialize(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(StateFormatError);
    if (message) expect((error as Error).message).toMatch(message);
    return error as StateFormatError;
  }
  return expect.unreachable("deserialize accepted the bytes");
}

describe("state codec", () => {
  it("round-trips sections, atoms, holes and file space", () => {
    const layout = sampleLayout();
    const bytes = layout.serialize();
    const restored = Layout.deserialize(bytes);
    expectSameLayout(restored, layout);
    restored.verify();
    // Restored free lists behave the same: the next placement lands in the same hole.
    expect(restored.placeAtom(0, 24, 8)).toEqual(layout.placeAtom(0, 24, 8));
    expect(restored.serialize()).toEqual(layout.serialize());
    // 21 bytes per atom plus a header of a few hundred bytes (and at most 7 bytes of padding per section).
    expect(bytes.length).toBeLessThan(54 * 21 + 500);
  });

  it("restores a layout with holes that then answers every operation as the original does", () => {
    const original = largeLayout();
    const bytes = original.serialize();
    const restored = Layout.deserialize(bytes);
    restored.verify();
    expectSameLayout(restored, original);
    expectSameBytes(restored.serialize(), bytes);
    const random = randomSource(11);
    let holesReused = 0;
    for (let step = 0; step < 1500; step++) {
      const used = original.sections().map((section) => section.usedSize);
      const [fromOriginal, fromRestored] = sameStep(random, [original, restored]);
      expect(fromRestored).toEqual(fromOriginal);
      // A placement that left the used end alone went into a hole from the free list.
      const placed = fromOriginal as { atom?: number; section?: number; previousOffset?: number | null } | null;
      if (placed?.previousOffset === null && original.section(placed.section as number).usedSize === used[placed.section as number]) holesReused++;
    }
    expect(holesReused).toBeGreaterThan(10);
    expect(restored.takeChanges()).toEqual(original.takeChanges());
    restored.verify();
    expectSameBytes(restored.serialize(), original.serialize());
  });

  it("writes the same bytes element by element (a big-endian host) and reads them back the same way", () => {
    const bytes = largeLayout().serialize();
    const bulk = decodeState(bytes);
    const portable = decodeState(bytes, false);
    expect(portable).toEqual(bulk);
    expectSameBytes(encodeState(bulk, false), bytes);
    expectSameBytes(encodeState(portable, true), bytes);
  });

  it("reads bytes that sit at any address, and does not keep or change them", () => {
    const layout = largeLayout();
    const bytes = layout.serialize();
    for (let shift = 0; shift < 8; shift++) {
      const buffer = new Uint8Array(bytes.length + 8);
      buffer.set(bytes, shift);
      const input = buffer.subarray(shift, shift + bytes.length);
      const restored = Layout.deserialize(input);
      expectSameBytes(input, bytes);
      buffer.fill(0xee);
      expectSameBytes(restored.serialize(), bytes);
    }
    expectSameLayout(Layout.deserialize(bytes), layout);
  });

  it("rejects foreign, truncated, trailing and inconsistent bytes with StateFormatError", () => {
    const bytes = sampleLayout().serialize();
    expect(() => Layout.deserialize(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not an atom-allocator state/);
    expect(() => Layout.deserialize(bytes.subarray(0, bytes.length - 3))).toThrow(StateFormatError);
    expect(() => Layout.deserialize(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    // Bytes that parse but describe an impossible layout: the cause names the broken invariant.
    const used = oneSectionBytes([8]);
    used[used.length - 1 - 1 - 4] = 0x5f; // top byte of the only atom's f64 size (8.0), before its u32 id and u8 alignment: now far past 2^53
    const error = expectStateFormatError(used, /has size/);
    expect(error.byteOffset).toBeNull();
    expect(error.cause).toBeInstanceOf(InternalError);
  });

  it("rejects every truncation, and other versions, with StateFormatError", () => {
    const bytes = sampleLayout().serialize();
    for (let length = 0; length < bytes.length; length++) expectStateFormatError(bytes.subarray(0, length));
    for (const version of [1, 2, 4, 0xffffffff]) {
      const other = bytes.slice();
      new DataView(other.buffer).setUint32(4, version, true);
      expectStateFormatError(other, new RegExp(`version ${String(version)} is not supported \\(expected 3\\)`));
    }
  });

  it("rejects corrupt bytes anywhere with StateFormatError; whatever loads is consistent", () => {
    const bytes = sampleLayout().serialize();
    // Corrupt every byte in turn: each result either loads and verifies, or fails with StateFormatError.
    for (const pattern of [0x5a, 0xff, 0x01, 0x80]) {
      for (let index = 0; index < bytes.length; index++) {
        const corrupt = bytes.slice();
        corrupt[index] = (corrupt[index] as number) ^ pattern;
        let restored: Layout;
        try {
          restored = Layout.deserialize(corrupt);
        } catch (error) {
          expect(error).toBeInstanceOf(StateFormatError);
          continue;
        }
        restored.verify();
      }
    }
  });

  it("checks the section padding, atom counts and the id columns", () => {
    const bytes = oneSectionBytes([8, 24, 40]);
    expect(Layout.deserialize(bytes).atomsInSection(0)).toEqual([0, 1, 2]);
    const view = (copy: Uint8Array): DataView => new DataView(copy.buffer);

    expect(AT.columns % 8).toBe(0);
    const padded = bytes.slice();
    padded[AT.padding] = 1;
    expectStateFormatError(padded, /padding is not zero/);

    const counted = bytes.slice();
    view(counted).setUint32(AT.atomCount, 0xffffffff, true);
    expectStateFormatError(counted, /4294967295 atoms need 90194313195 bytes/);

    const tooHigh = bytes.slice();
    view(tooHigh).setUint32(AT.columnCount, 4, true);
    expectStateFormatError(tooHigh, /highest live atom id 3 is out of range \(3 ids\)/);
    const belowIds = bytes.slice();
    view(belowIds).setUint32(AT.columnCount, 2, true);
    expectStateFormatError(belowIds, /atom id 2 is above the highest live id 1/);
    const aboveIds = oneSectionBytes([8, 24, 40]);
    view(aboveIds).setUint32(AT.atomIdCount, 9, true);
    view(aboveIds).setUint32(AT.columnCount, 9, true);
    expectStateFormatError(aboveIds, /highest live atom id 8 is not in any section/);

    // The id column follows the two f64 columns; list atom 0 twice.
    const idsAt = AT.columns + 3 * 16;
    const twice = bytes.slice();
    view(twice).setUint32(idsAt + 4, 0, true);
    expectStateFormatError(twice, /atom id 0 is listed twice/);
  });

  it("saves a layout before addresses are assigned", () => {
    const layout = new Layout({ headerSize: 0x200, sectionAlignment: 0x1000, fileAlignment: 0x1000 });
    const text = layout.addSection(".text", { alignment: 16 });
    layout.addAtom(text, 10, 16);
    const restored = Layout.deserialize(layout.serialize());
    expect(restored.addressesAssigned).toBe(false);
    expect(restored.assignAddresses()).toEqual(layout.assignAddresses());
  });

  it("saves an empty layout and one whose atoms are all freed", () => {
    const empty = new Layout({ headerSize: 0x400 });
    expect(Layout.deserialize(empty.serialize()).sections()).toEqual([]);
    const freed = new Layout({ headerSize: 0x400, mode: "incremental" });
    const text = freed.addSection(".text");
    const atoms = [freed.addAtom(text, 30), freed.addAtom(text, 50)];
    freed.assignAddresses();
    for (const atom of atoms) freed.freeAtom(atom);
    freed.takeChanges();
    const restored = Layout.deserialize(freed.serialize());
    restored.verify();
    expect(restored.atomIdCount).toBe(2);
    expect(restored.isLive(1)).toBe(false);
    expect(restored.placeAtom(text, 10)).toEqual(freed.placeAtom(text, 10));
  });
});
