import { describe, expect, it } from "vitest";
import { FileSpace, FileSpaceCollisionError, InvalidAlignmentError, InvalidSizeError, UnknownFileRangeError } from "./index.js";

describe("FileSpace", () => {
  it("reserves exact ranges and reports collisions with their owner", () => {
    const space = new FileSpace();
    space.reserve(0, 0x400, "headers");
    space.reserve(0x1000, 0x200, ".symtab");
    expect(space.end).toBe(0x1200);
    expect(space.isFree(0x400, 0xc00)).toBe(true);
    expect(space.collisions(0x300, 0x1000).map((range) => range.owner)).toEqual(["headers", ".symtab"]);
    const error = (() => {
      try {
        space.reserve(0x3ff, 0x10, ".text");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FileSpaceCollisionError);
    expect((error as FileSpaceCollisionError).collidesWith.owner).toBe("headers");
    expect((error as Error).message).toContain("headers");
  });

  it("allocates the lowest aligned gap that fits, else at the end", () => {
    const space = new FileSpace();
    space.reserve(0, 0x400, "headers");
    space.reserve(0x1000, 0x200, "a");
    expect(space.allocate(0x200, 0x200, "fits-in-gap")).toBe(0x400);
    expect(space.allocate(0x1000, 0x200, "too-big-for-gap")).toBe(0x1200);
    expect(space.allocate(0x10, 0x1000, "page-aligned")).toBe(0x3000);
    expect(space.ranges.map((range) => range.offset)).toEqual([0, 0x400, 0x1000, 0x1200, 0x3000]);
  });

  it("resizes in place only into free room, and frees ranges", () => {
    const space = new FileSpace();
    space.reserve(0x400, 0x200, "a");
    space.reserve(0x800, 0x200, "b");
    expect(space.tryResize(0x400, 0x400)).toBe(true);
    expect(space.tryResize(0x400, 0x600)).toBe(false);
    expect(space.tryResize(0x800, 0x10000)).toBe(true);
    expect(space.end).toBe(0x10800);
    space.free(0x800);
    expect(space.end).toBe(0x800);
    expect(() => space.free(0x800)).toThrow(UnknownFileRangeError);
  });

  it("rejects bad sizes and alignments", () => {
    const space = new FileSpace();
    expect(() => space.allocate(0, 16, "empty")).toThrow(InvalidSizeError);
    expect(() => space.allocate(16, 3, "odd")).toThrow(InvalidAlignmentError);
    expect(() => space.reserve(-1, 16, "negative")).toThrow(InvalidSizeError);
  });
});
