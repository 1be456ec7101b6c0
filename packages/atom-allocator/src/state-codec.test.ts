import { describe, expect, it } from "vitest";
import { InternalError, Layout, StateFormatError } from "./index.js";

function sampleLayout(): Layout {
  const layout = new Layout({ headerSize: 0x400, mode: "incremental", growthFactor: 2, minHoleSize: 32 });
  const text = layout.addSection(".text");
  const data = layout.addSection(".data", { mode: "packed" });
  layout.addSection(".bss", { noBits: true });
  for (let index = 0; index < 50; index++) layout.placeAtom(index % 3 === 0 ? data : text, 20 + index * 7, 2 ** (index % 5));
  layout.assignAddresses();
  layout.freeAtom(4);
  layout.freeAtom(5);
  layout.resizeAtom(7, 900);
  layout.fileSpace.allocate(0x300, 0x200, ".symtab");
  return layout;
}

describe("state codec", () => {
  it("round-trips sections, atoms, holes and file space", () => {
    const layout = sampleLayout();
    const bytes = layout.serialize();
    const restored = Layout.deserialize(bytes);
    expect(restored.sections()).toEqual(layout.sections());
    expect(restored.options).toEqual(layout.options);
    expect(restored.fileSpace.ranges).toEqual(layout.fileSpace.ranges);
    expect(restored.atomIdCount).toBe(layout.atomIdCount);
    for (let atom = 0; atom < layout.atomIdCount; atom++) {
      expect(restored.isLive(atom)).toBe(layout.isLive(atom));
      if (layout.isLive(atom)) expect(restored.atom(atom)).toEqual(layout.atom(atom));
    }
    // Restored free lists behave the same: the next placement lands in the same hole.
    expect(restored.placeAtom(0, 24, 8)).toEqual(layout.placeAtom(0, 24, 8));
    expect(restored.serialize()).toEqual(layout.serialize());
    // Roughly 21 bytes per atom plus a few hundred of header.
    expect(bytes.length).toBeLessThan(50 * 21 + 400);
  });

  it("rejects foreign, truncated, trailing and inconsistent bytes with StateFormatError", () => {
    const bytes = sampleLayout().serialize();
    expect(() => Layout.deserialize(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not an atom-allocator state/);
    expect(() => Layout.deserialize(bytes.subarray(0, bytes.length - 3))).toThrow(StateFormatError);
    expect(() => Layout.deserialize(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    // Bytes that parse but describe an impossible layout: the cause names the broken invariant.
    const overlapping = new Layout({ headerSize: 0 });
    overlapping.addSection(".data", { alignment: 16 });
    overlapping.placeAtom(0, 8);
    const used = overlapping.serialize();
    used[used.length - 2] = 0x5f; // top byte of the only atom's f64 size (8.0): now far past 2^53
    try {
      Layout.deserialize(used);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StateFormatError);
      expect((error as StateFormatError).byteOffset).toBeNull();
      expect((error as Error).cause).toBeInstanceOf(InternalError);
    }
    const wrongVersion = bytes.slice();
    wrongVersion[4] = 9;
    expect(() => Layout.deserialize(wrongVersion)).toThrow(/version 9/);
    // Corrupt every byte in turn: each result either loads and verifies, or fails with StateFormatError.
    for (let index = 0; index < bytes.length; index++) {
      const corrupt = bytes.slice();
      corrupt[index] = (corrupt[index] as number) ^ 0x5a;
      try {
        Layout.deserialize(corrupt).verify();
      } catch (error) {
        expect(error).toBeInstanceOf(StateFormatError);
      }
    }
  });

  it("saves a layout before addresses are assigned", () => {
    const layout = new Layout({ headerSize: 0x200, sectionAlignment: 0x1000, fileAlignment: 0x1000 });
    const text = layout.addSection(".text", { alignment: 16 });
    layout.addAtom(text, 10, 16);
    const restored = Layout.deserialize(layout.serialize());
    expect(restored.addressesAssigned).toBe(false);
    expect(restored.assignAddresses()).toEqual(layout.assignAddresses());
  });
});
