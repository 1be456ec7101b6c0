// Mutated real inputs (truncated, bit-flipped, counts and offsets set to huge values) either
// decode fully or raise a CoffFormatError: never a RangeError, a hang or a huge allocation.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  CoffFormatError, identifyInput, readCoffObject, readImportObject, toCoffObjectModel, writeCoffObject, writeImportObject,
} from "../src/index.js";
import { arMembers, decodeFully } from "./helpers.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", name)));
const seeds: Uint8Array[] = [
  fixture("x64.obj"), fixture("x86.obj"), fixture("bigobj.o"),
  ...arMembers(fixture("example.lib")).map((m) => m.bytes),
];

/** Everything a consumer might do with an input: decode all of it, then write it back. */
function exercise(bytes: Uint8Array): void {
  const kind = identifyInput(bytes);
  decodeFully(bytes, "fuzzed.obj");
  if (kind === "coff-object" || kind === "coff-bigobj") writeCoffObject(toCoffObjectModel(readCoffObject(bytes)));
  if (kind === "import-object") writeImportObject(readImportObject(bytes));
  // Reading as an object whatever identifyInput says must fail cleanly too.
  readCoffObject(bytes);
}

function expectOnlyFormatErrors(bytes: Uint8Array): void {
  try {
    exercise(bytes);
  } catch (e) {
    if (!(e instanceof CoffFormatError)) throw e;
  }
  // A hang is caught by the test's timeout; speed is pnpm bench's business, not a unit test's.
}

const seed = fc.constantFrom(...seeds.keys());

describe("fuzzing mutations of real inputs", () => {
  test("truncation at any point", () => {
    fc.assert(fc.property(seed, fc.double({ min: 0, max: 1, noNaN: true }), (i, at) => {
      const bytes = seeds[i]!;
      expectOnlyFormatErrors(bytes.slice(0, Math.floor(at * bytes.length)));
    }), { numRuns: 400 });
  });

  test("random bit flips", () => {
    fc.assert(fc.property(seed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), (i, flips) => {
      const bytes = seeds[i]!.slice();
      for (const [at, bit] of flips) bytes[at % bytes.length]! ^= 1 << bit;
      expectOnlyFormatErrors(bytes);
    }), { numRuns: 600 });
  });

  test("count and offset fields set to huge values", () => {
    const huge = fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 0xfffe, 0x10000, 0x1000000);
    fc.assert(fc.property(seed, fc.nat(), huge, fc.constantFrom(2, 4), (i, where, value, width) => {
      const bytes = seeds[i]!.slice();
      // Aim at headers and tables more than at section contents: the first 512 bytes hold them.
      const at = where % Math.min(bytes.length - width, 512);
      for (let k = 0; k < width; k++) bytes[at + k] = (value >>> (8 * k)) & 0xff;
      expectOnlyFormatErrors(bytes);
    }), { numRuns: 800 });
  });

  test("every header field of every seed at 0xFFFFFFFF", () => {
    for (const bytes of seeds) {
      for (let at = 0; at + 4 <= Math.min(bytes.length, 400); at += 2) {
        const mutated = bytes.slice();
        mutated.fill(0xff, at, at + 4);
        expectOnlyFormatErrors(mutated);
      }
    }
  });

  test("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => expectOnlyFormatErrors(bytes)), { numRuns: 300 });
  });
});
