import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderByKey } from "./index.js";

/** The reference: a comparison sort of the indexes, ties by index. */
function referenceOrder(keys: Uint32Array): number[] {
  return [...keys.keys()].sort((a, b) => keys[a]! - keys[b]! || a - b);
}

describe("orderByKey", () => {
  it("orders indexes by key, equal keys in index order, at every size and key width", () => {
    // Sizes on both sides of the comparison-sort cutoff; keys narrow (many ties, one radix pass) to full 32-bit.
    const keyArrays = fc.integer({ min: 1, max: 32 }).chain((bits) =>
      fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { minLength: 0, maxLength: 3000 }));
    fc.assert(fc.property(keyArrays, (list) => {
      const keys = Uint32Array.from(list);
      expect([...orderByKey(keys)]).toEqual(referenceOrder(keys));
    }), { numRuns: 200 });
  });

  it("sorts a large table of addresses with runs and duplicates", () => {
    const n = 100_000;
    const keys = new Uint32Array(n);
    let x = 7;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      keys[i] = i % 3 === 0 ? 0xffff_fff0 : (i * 8 + (x & 0xfff)) >>> 0;
    }
    expect([...orderByKey(keys)]).toEqual(referenceOrder(keys));
  });
});
