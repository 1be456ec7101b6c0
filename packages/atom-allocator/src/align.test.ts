// alignUp: the masked remainder below 2^31 and the plain `%` above it give the same answers.
import { expect, test } from "vitest";
import { alignUp } from "./align.js";

test("alignUp rounds up to the alignment on both sides of 2^31 and of 2^32", () => {
  const reference = (value: number, alignment: number) => Math.ceil(value / alignment) * alignment;
  const values = [0, 1, 15, 16, 17, 0x7fffffef, 0x7ffffff0, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000001, 2 ** 40 + 3];
  for (const alignment of [1, 2, 16, 4096, 0x40000000, 2 ** 31, 2 ** 33]) {
    for (const value of values) expect(alignUp(value, alignment)).toBe(reference(value, alignment));
  }
});
