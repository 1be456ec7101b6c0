import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { IMAGE_DIRECTORY_ENTRY, IMAGE_FILE_MACHINE, IMAGE_SUBSYSTEM } from "@linkkit/coff-format";
import {
  appendSection, DirtyRanges, imageCharacteristics, loadConfigDirectoryEntry, locateImageHeaders, mergeRanges,
  NotAnImageError, patchBytesAtRva, patchDataDirectory, patchOptionalHeaderField, patchSectionHeader, PeWriterError,
  sortRuntimeFunctions, tlsDirectoryEntry, writeImage,
} from "./index.js";
import type { DataDirectoryEntry, ImageModel, ImageSectionModel } from "./index.js";
import { DATA, TEXT } from "../test/program-builder.js";
import { hasTool, readobj, tempDir, writeTemp } from "../test/toolchain.js";

const AMD64 = IMAGE_FILE_MACHINE.AMD64;

function model(sections: ImageSectionModel[], extra: Partial<ImageModel> = {}): ImageModel {
  return {
    machine: AMD64, characteristics: imageCharacteristics({ machine: AMD64 }), imageBase: 0x1_4000_0000n,
    sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: 0x1000, subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
    sections, ...extra,
  };
}

const text = (extra: Partial<ImageSectionModel> = {}): ImageSectionModel => ({
  name: ".text", virtualAddress: 0x1000, virtualSize: 4, pointerToRawData: 0x400, sizeOfRawData: 0x200,
  characteristics: TEXT, contents: Uint8Array.of(0xb8, 1, 0, 0), ...extra,
});
const data = (extra: Partial<ImageSectionModel> = {}): ImageSectionModel => ({
  name: ".data", virtualAddress: 0x2000, virtualSize: 8, pointerToRawData: 0x600, sizeOfRawData: 0x200,
  characteristics: DATA, contents: new Uint8Array(8).fill(0xaa), ...extra,
});

describe("writeImage", () => {
  it("places contents at their file offsets and zero-fills the rest", () => {
    const image = writeImage(model([text(), data()], { sizeOfHeaders: 0x400 }));
    expect(image.length).toBe(0x800);
    expect(Array.from(image.subarray(0x400, 0x405))).toEqual([0xb8, 1, 0, 0, 0]);
    expect(image.subarray(0x404, 0x600).every((b) => b === 0)).toBe(true);
    expect(Array.from(image.subarray(0x600, 0x609))).toEqual([...new Array(8).fill(0xaa), 0]);
  });

  it("fails at once on sizes that are off by one or ranges that overlap", () => {
    const headers = { sizeOfHeaders: 0x400 };
    expect(() => writeImage(model([text({ contents: new Uint8Array(0x201), virtualSize: 0x201 })], headers))).toThrow(/overrun SizeOfRawData/);
    expect(() => writeImage(model([text({ contents: new Uint8Array(5) })], headers))).toThrow(/overrun VirtualSize/);
    expect(() => writeImage(model([text(), data({ pointerToRawData: 0x400 })], headers))).toThrow(/overlaps section 0/);
    expect(() => writeImage(model([text({ fileReserve: 0x400 }), data()], headers))).toThrow(/section 1 \(\.data\).*overlaps/);
    expect(() => writeImage(model([text({ virtualSize: 0x1001 }), data()], headers))).toThrow(/starts inside section 0/);
    expect(() => writeImage(model([text({ virtualReserve: 0x2000 }), data()], headers))).toThrow(/starts inside/);
    expect(() => writeImage(model([text({ pointerToRawData: 0x200 })], headers))).toThrow(/overlaps headers/);
    expect(() => writeImage(model([text({ virtualAddress: 0x1800 })], headers))).toThrow(/not aligned/);
    expect(() => writeImage(model([text()], { ...headers, entryPointRva: 0x5000 }))).toThrow(/entry point/);
    expect(() => writeImage(model([text()], { ...headers, fileSize: 0x500 }))).toThrow(/cuts off/);
    const dirs: DataDirectoryEntry[] = [];
    dirs[IMAGE_DIRECTORY_ENTRY.IMPORT] = { rva: 0x1f00, size: 0x200 };
    expect(() => writeImage(model([text()], { ...headers, dataDirectories: dirs }))).toThrow(/runs past SizeOfImage/);
    try {
      writeImage(model([text(), data({ pointerToRawData: 0x400 })], headers));
    } catch (e) {
      expect(e).toBeInstanceOf(PeWriterError);
      expect((e as PeWriterError).offset).toBe(0x400);
    }
  });

  it("accepts reserves that leave the next section room", () => {
    const sections = [text({ fileReserve: 0x400, virtualReserve: 0x2000 }), data({ virtualAddress: 0x3000, pointerToRawData: 0x800 })];
    const image = writeImage(model(sections, { sizeOfHeaders: 0x400, allowVirtualGaps: true }));
    expect(locateImageHeaders(image).sections.map((s) => s.virtualAddress)).toEqual([0x1000, 0x3000]);
    // Windows refuses the gap; the portable way to reserve address space is a larger VirtualSize.
    expect(() => writeImage(model(sections, { sizeOfHeaders: 0x400 }))).toThrow(/leaves a gap after section 0/);
    const covered = [text({ virtualSize: 0x2000 }), data({ virtualAddress: 0x3000, pointerToRawData: 0x600 })];
    expect(locateImageHeaders(writeImage(model(covered, { sizeOfHeaders: 0x400 }))).sections[0]!.virtualSize).toBe(0x2000);
  });
});

describe("MinGW long section names", () => {
  it.skipIf(!hasTool("llvm-readobj"))("writes /offset names that readers resolve through the string table", () => {
    const name = ".debug_info";
    const strings = new TextEncoder().encode(`....${name}\0`);
    new DataView(strings.buffer).setUint32(0, strings.length, true); // the COFF string table starts with its size
    const image = writeImage(model([
      text(),
      { name, nameStringTableOffset: 4, virtualAddress: 0x2000, virtualSize: 4, pointerToRawData: 0x600, sizeOfRawData: 0x200,
        characteristics: DATA, contents: Uint8Array.of(1, 2, 3, 4) },
    ], { sizeOfHeaders: 0x400, pointerToSymbolTable: 0x800, numberOfSymbols: 0, blobs: [{ what: "string table", offset: 0x800, bytes: strings }] }));
    expect(new TextDecoder().decode(locateImageHeaders(image).sections[1]!.rawName)).toBe("/4\0\0\0\0\0\0");
    const dump = readobj(writeTemp(tempDir("longname"), "long.exe", image), "--sections");
    expect(dump).toContain(`Name: ${name} (2F 34 00 00 00 00 00 00)`);
  });
});

describe("patching", () => {
  const build = (): Uint8Array => writeImage(model([text(), data()], { sizeOfHeaders: 0x400 }));

  it("patchBytesAtRva maps the RVA through the section table and refuses bytes outside file data", () => {
    const image = build();
    expect(patchBytesAtRva(image, 0x2004, Uint8Array.of(1, 2))).toEqual({ offset: 0x604, length: 2 });
    expect(image[0x604]).toBe(1);
    expect(() => patchBytesAtRva(image, 0x2007, Uint8Array.of(1, 2))).toThrow(PeWriterError); // past VirtualSize
    expect(() => patchBytesAtRva(image, 0x5000, Uint8Array.of(1))).toThrow(/no section/);
    expect(() => patchBytesAtRva(new Uint8Array(10), 0, Uint8Array.of(1))).toThrow(NotAnImageError);
  });

  it("patches data directories, optional header fields and section headers", () => {
    const image = build();
    const loc = locateImageHeaders(image);
    expect(patchDataDirectory(image, IMAGE_DIRECTORY_ENTRY.BASERELOC, 0x2000, 8)).toEqual({ offset: loc.layout.dataDirectoryOffset + 40, length: 8 });
    expect(patchOptionalHeaderField(image, "AddressOfEntryPoint", 0x1002)).toEqual({ offset: loc.layout.optionalHeaderOffset + 16, length: 4 });
    expect(patchOptionalHeaderField(image, "ImageBase", 0x1_8000_0000n).length).toBe(8);
    expect(() => patchOptionalHeaderField(image, "BaseOfData", 0)).toThrow(/no BaseOfData/);
    expect(() => patchOptionalHeaderField(image, "SizeOfImage", 2 ** 32)).toThrow(/does not fit/);
    expect(() => patchDataDirectory(image, 16, 0, 0)).toThrow(PeWriterError);
    const grown = { ...data(), virtualSize: 0x100 };
    expect(patchSectionHeader(image, 1, grown)).toEqual({ offset: loc.layout.sectionTableOffset + 40, length: 40 });
    expect(locateImageHeaders(image).sections[1]!.virtualSize).toBe(0x100);
    expect(() => patchSectionHeader(image, 2, grown)).toThrow(/no section header 2/);
    expect(() => patchSectionHeader(image, 1, { ...grown, virtualSize: -1 })).toThrow(PeWriterError);
    expect(() => patchDataDirectory(image, 1, 2 ** 32, 0)).toThrow(PeWriterError);
  });

  it("appends a section into the room reserved in the headers", () => {
    // 3 sections' worth of headers reserved, 2 used.
    const image = writeImage(model([text(), data()], { sizeOfHeaders: 0x400 }));
    const added = appendSection(image, {
      name: ".new", virtualAddress: 0x3000, virtualSize: 3, pointerToRawData: 0x800, sizeOfRawData: 0x200,
      characteristics: DATA, contents: Uint8Array.of(1, 2, 3),
    });
    expect(added.index).toBe(2);
    expect(added.image.length).toBe(0xa00);
    const loc = locateImageHeaders(added.image);
    expect(loc.sections.map((s) => s.name)).toEqual([".text", ".data", ".new"]);
    const dirty = new DirtyRanges().addAll(added.dirty);
    expect(dirty.ranges().at(-1)).toEqual({ offset: 0x800, length: 0x200 });
    if (hasTool("llvm-readobj")) {
      const dump = readobj(writeTemp(tempDir("append"), "a.exe", added.image), "--file-headers", "--sections");
      expect(dump).toMatch(/SectionCount: 3/);
      expect(dump).toMatch(/SizeOfImage: 16384/);
      expect(dump).toMatch(/SizeOfInitializedData: 1024/);
    }
    expect(() => appendSection(added.image, { ...data(), name: ".late", virtualAddress: 0x2000, pointerToRawData: 0xa00 })).toThrow(/must start at 0x4000/);
  });

  it("refuses to append when the headers have no room", () => {
    // 3 PE32+ section headers end exactly at 0x200 = SizeOfHeaders.
    const sections = [0, 1, 2].map((i) => text({ name: `.s${i}`, virtualAddress: 0x1000 * (i + 1), pointerToRawData: 0x200 + 0x200 * i }));
    const image = writeImage(model(sections));
    expect(locateImageHeaders(image).sizeOfHeaders).toBe(0x200);
    expect(() => appendSection(image, data({ virtualAddress: 0x4000, pointerToRawData: 0x800 }))).toThrow(/no room for another section header/);
  });
});

describe("DirtyRanges", () => {
  it("merges overlapping and adjacent ranges", () => {
    const d = new DirtyRanges().add(10, 5).add(0, 4).add(4, 2).add(12, 10).add(30, 0).add(40, 1);
    expect(d.ranges()).toEqual([{ offset: 0, length: 6 }, { offset: 10, length: 12 }, { offset: 40, length: 1 }]);
    expect(d.totalBytes).toBe(19);
  });

  it("bridges gaps up to a limit when asked (fewer writes of a mirrored buffer)", () => {
    const d = new DirtyRanges().add(0, 4).add(10, 2).add(100, 1);
    expect(d.coalesced(6)).toEqual([{ offset: 0, length: 12 }, { offset: 100, length: 1 }]);
    expect(d.coalesced(0)).toEqual(d.ranges());
    expect(d.coalesced(1000)).toEqual([{ offset: 0, length: 101 }]);
  });

  it("covers exactly the union of what was added", () => {
    fc.assert(fc.property(fc.array(fc.record({ offset: fc.nat(200), length: fc.nat(20) }), { maxLength: 40 }), (ranges) => {
      const covered = new Set<number>();
      for (const r of ranges) for (let i = r.offset; i < r.offset + r.length; i++) covered.add(i);
      const merged = mergeRanges(ranges);
      const fromMerged = new Set<number>();
      merged.forEach((r, i) => {
        if (i > 0) expect(r.offset).toBeGreaterThan(merged[i - 1]!.offset + merged[i - 1]!.length); // disjoint, not touching
        for (let b = r.offset; b < r.offset + r.length; b++) fromMerged.add(b);
      });
      expect([...fromMerged].sort((a, b) => a - b)).toEqual([...covered].sort((a, b) => a - b));
    }));
  });
});

describe("exception, TLS and load-config directories", () => {
  it("sorts RUNTIME_FUNCTION entries by BeginAddress in place", () => {
    const begins = [0x3000, 0x1000, 0x2000, 0x1800];
    const buffer = new Uint8Array(4 + begins.length * 12);
    const view = new DataView(buffer.buffer);
    begins.forEach((b, i) => {
      view.setUint32(4 + i * 12, b, true);
      view.setUint32(8 + i * 12, b + 0x10, true);
      view.setUint32(12 + i * 12, b + 0x5000, true);
    });
    expect(sortRuntimeFunctions(buffer, 4, begins.length * 12)).toEqual({ offset: 4, length: 48 });
    const sorted = [...begins].sort((a, b) => a - b);
    sorted.forEach((b, i) => {
      expect(view.getUint32(4 + i * 12, true)).toBe(b);
      expect(view.getUint32(8 + i * 12, true)).toBe(b + 0x10);
      expect(view.getUint32(12 + i * 12, true)).toBe(b + 0x5000);
    });
    expect(() => sortRuntimeFunctions(buffer, 4, 13)).toThrow(PeWriterError);
  });

  it("fills the TLS and load-config entries", () => {
    expect(tlsDirectoryEntry(0x4000, "pe32+")).toEqual({ rva: 0x4000, size: 40 });
    expect(tlsDirectoryEntry(0x4000, "pe32")).toEqual({ rva: 0x4000, size: 24 });
    const loadConfig = new Uint8Array(0x140);
    new DataView(loadConfig.buffer).setUint32(0, 0x138, true);
    expect(loadConfigDirectoryEntry(0x5000, loadConfig)).toEqual({ rva: 0x5000, size: 0x138 });
    expect(() => loadConfigDirectoryEntry(0x5000, loadConfig.subarray(0, 0x100))).toThrow(/says it is 0x138 bytes/);
  });
});
