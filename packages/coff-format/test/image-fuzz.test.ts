// Mutated real images (truncations, bit flips, huge counts and RVAs in the directories) must make
// every decoder either succeed or throw a CoffFormatError: no RangeError, no hang, no huge allocation.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CoffFormatError,
  computePeChecksum,
  ImageExportDirectory,
  ImageFileHeader,
  ImageImportDescriptor,
  ImageOptionalHeader64,
  ImageSectionHeader,
  IMAGE_DIRECTORY_ENTRY,
  imageSummary,
  peHeadersOf,
  peHeadersSize,
  readBaseRelocations,
  readDebugDirectory,
  readDelayImportDirectory,
  readExceptionTable,
  readExportDirectory,
  readImportDirectory,
  readLoadConfigSize,
  readPeImage,
  readTlsDirectory,
  writePeHeaders,
} from "../src/index.js";
import type { PeImage } from "../src/index.js";
import { fixtureBytes, IMAGE_FIXTURES } from "./image-fixtures.js";

/** Runs one decoder; anything thrown must be a CoffFormatError. Returns the result size for bounds checks. */
const errorCounts = new Map<string, number>();

function attempt(what: string, run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    const key = `${what}: ${(error as Error).name}`;
    errorCounts.set(key, (errorCounts.get(key) ?? 0) + 1);
    if (!(error instanceof CoffFormatError)) {
      throw new Error(`${what} threw ${String(error)} instead of a CoffFormatError`, { cause: error });
    }
    return undefined;
  }
}

function decodeEverything(bytes: Uint8Array): void {
  attempt("computePeChecksum", () => computePeChecksum(bytes));
  const image = attempt("readPeImage", () => readPeImage(bytes, { fileName: "fuzzed.exe" })) as PeImage | undefined;
  if (image === undefined) return;
  const imports = attempt("readImportDirectory", () => readImportDirectory(image)) as ReturnType<typeof readImportDirectory> | undefined;
  // Results stay proportional to the input, whatever the counts in it say.
  if (imports !== undefined) expect(imports.reduce((n, d) => n + d.entries.length, 0)).toBeLessThanOrEqual(bytes.length);
  attempt("readDelayImportDirectory", () => readDelayImportDirectory(image));
  const exports = attempt("readExportDirectory", () => readExportDirectory(image)) as ReturnType<typeof readExportDirectory>;
  if (exports !== undefined) expect(exports.entries.length).toBeLessThanOrEqual(bytes.length);
  attempt("readBaseRelocations", () => readBaseRelocations(image));
  attempt("readExceptionTable", () => readExceptionTable(image));
  attempt("readTlsDirectory", () => readTlsDirectory(image));
  attempt("readLoadConfigSize", () => readLoadConfigSize(image));
  attempt("readDebugDirectory", () => readDebugDirectory(image));
  attempt("imageSummary", () => JSON.stringify(imageSummary(image)));
  attempt("cStringAtRva", () => image.cStringAtRva(image.optionalHeader.AddressOfEntryPoint));
  attempt("writePeHeaders", () => {
    const model = peHeadersOf(image);
    writePeHeaders(new Uint8Array(model.peHeaderOffset + peHeadersSize(model)), model);
  });
}

/** File offsets of the fields whose damage hurts most: counts, RVAs and sizes the decoders follow. */
function interestingOffsets(bytes: Uint8Array): number[] {
  const image = readPeImage(bytes);
  const offsets = [0x3c];
  const fh = image.peHeaderOffset + 4;
  for (const f of ["NumberOfSections", "PointerToSymbolTable", "NumberOfSymbols", "SizeOfOptionalHeader"] as const) {
    offsets.push(fh + ImageFileHeader.offsetOf[f]);
  }
  const oh = image.optionalHeaderOffset;
  offsets.push(oh, oh + ImageOptionalHeader64.offsetOf.SizeOfHeaders);
  offsets.push(oh + (image.is64 ? ImageOptionalHeader64.offsetOf.NumberOfRvaAndSizes : 92));
  const dirs = oh + (image.is64 ? 112 : 96);
  for (let i = 0; i < image.dataDirectories.length; i++) offsets.push(dirs + i * 8, dirs + i * 8 + 4);
  image.sections.forEach((_, i) => {
    const at = image.sectionTableOffset + i * ImageSectionHeader.size;
    for (const f of ["VirtualSize", "VirtualAddress", "SizeOfRawData", "PointerToRawData"] as const) offsets.push(at + ImageSectionHeader.offsetOf[f]);
  });
  const importDir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.IMPORT);
  if (importDir !== undefined) {
    const at = image.rvaToFileOffset(importDir.VirtualAddress);
    for (let d = 0; d < 3; d++) for (let f = 0; f < ImageImportDescriptor.size; f += 4) offsets.push(at + d * ImageImportDescriptor.size + f);
    for (const dll of readImportDirectory(image)) {
      offsets.push(image.rvaToFileOffset(dll.importLookupTableRva), image.rvaToFileOffset(dll.importLookupTableRva) + 4);
    }
  }
  const exportDir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.EXPORT);
  if (exportDir !== undefined) {
    const at = image.rvaToFileOffset(exportDir.VirtualAddress);
    for (let f = 12; f < ImageExportDirectory.size; f += 4) offsets.push(at + f);
  }
  for (const index of [IMAGE_DIRECTORY_ENTRY.BASERELOC, IMAGE_DIRECTORY_ENTRY.DELAY_IMPORT]) {
    const dir = image.dataDirectory(index);
    if (dir !== undefined) {
      const at = image.rvaToFileOffset(dir.VirtualAddress);
      for (let f = 0; f < 32; f += 4) offsets.push(at + f);
    }
  }
  return offsets.filter((o) => o + 4 <= bytes.length);
}

const nastyValues = fc.oneof(
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 0x10000, 0xffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);

type Mutation =
  | { kind: "truncate"; at: number }
  | { kind: "flip"; bits: number[] }
  | { kind: "field"; writes: { pick: number; value: number }[] };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("flip" as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 16 }) }),
  fc.record({
    kind: fc.constant("field" as const),
    writes: fc.array(fc.record({ pick: fc.nat(), value: nastyValues }), { minLength: 1, maxLength: 4 }),
  }),
);

function mutate(original: Uint8Array, offsets: number[], m: Mutation): Uint8Array {
  switch (m.kind) {
    case "truncate":
      return original.slice(0, Math.floor(m.at * original.length));
    case "flip": {
      const out = original.slice();
      for (const bit of m.bits) out[(bit >>> 3) % out.length]! ^= 1 << (bit & 7);
      return out;
    }
    case "field": {
      const out = original.slice();
      const view = new DataView(out.buffer);
      for (const w of m.writes) view.setUint32(offsets[w.pick % offsets.length]!, w.value, true);
      return out;
    }
  }
}

describe("decoders on mutated images", () => {
  for (const name of IMAGE_FIXTURES) {
    it(`${name}: only CoffFormatErrors, in bounded time`, () => {
      const original = fixtureBytes(name);
      const offsets = interestingOffsets(original);
      fc.assert(
        fc.property(arbMutation, (m) => decodeEverything(mutate(original, offsets, m))),
        { numRuns: 400 },
      );
    });
  }

  it("reached the decoders' error paths", () => {
    // A fuzz run that never got past readPeImage would prove little.
    const reached = [...errorCounts.keys()].filter((k) => !k.startsWith("readPeImage") && !k.startsWith("computePeChecksum"));
    expect(reached.length).toBeGreaterThan(5);
    if (process.env.LINKKIT_FUZZ_REPORT) console.log(errorCounts);
  });

  it("survives inputs that are not images at all", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const withMz = bytes.length >= 2 ? Uint8Array.from(bytes, (b, i) => (i === 0 ? 0x4d : i === 1 ? 0x5a : b)) : bytes;
      decodeEverything(bytes);
      decodeEverything(withMz);
    }), { numRuns: 500 });
  });
});
