import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ByteView, IMAGE_FILE, IMAGE_FILE_MACHINE, IMAGE_NUMBEROF_DIRECTORY_ENTRIES, IMAGE_SCN, IMAGE_SUBSYSTEM,
  ImageDataDirectory, ImageFileHeader, ImageOptionalHeader32, ImageOptionalHeader64, readStruct,
} from "@linkkit/coff-format";
import {
  computeHeaderSize, computePeChecksum, dataDirectories, deriveHeaderFields, encodeSectionName, headerLayout,
  imageCharacteristics, locateImageHeaders, PeWriterError, writeChecksum, writeImage, writeImageHeaders,
} from "./index.js";
import type { DataDirectoryEntry, ImageModel, ImageSectionModel } from "./index.js";
import { hasTool, readobj, run, tempDir, writeTemp } from "../test/toolchain.js";

const AMD64 = IMAGE_FILE_MACHINE.AMD64;

const baseModel = {
  machine: AMD64, characteristics: imageCharacteristics({ machine: AMD64 }), imageBase: 0x1_4000_0000n,
  sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: 0x1000, subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
};

describe("header layout", () => {
  it("computes SizeOfHeaders for PE32+ and PE32", () => {
    // 0x80 DOS + 4 + 20 + 240 (PE32+) or 224 (PE32) + 40 per section
    expect(headerLayout("pe32+", 3).end).toBe(0x80 + 4 + 20 + 240 + 120);
    expect(headerLayout("pe32", 3).end).toBe(0x80 + 4 + 20 + 224 + 120);
    expect(computeHeaderSize({ format: "pe32+", sectionCount: 3, fileAlignment: 0x200 })).toBe(0x200);
    expect(computeHeaderSize({ format: "pe32+", sectionCount: 4, fileAlignment: 0x200 })).toBe(0x400);
    expect(computeHeaderSize({ format: "pe32", sectionCount: 3, fileAlignment: 0x200 })).toBe(0x200);
  });

  it("sets the characteristics lld-link sets", () => {
    expect(imageCharacteristics({ machine: AMD64 })).toBe(IMAGE_FILE.EXECUTABLE_IMAGE | IMAGE_FILE.LARGE_ADDRESS_AWARE);
    expect(imageCharacteristics({ machine: IMAGE_FILE_MACHINE.I386, dll: true, fixed: true })).toBe(
      IMAGE_FILE.EXECUTABLE_IMAGE | IMAGE_FILE["32BIT_MACHINE"] | IMAGE_FILE.DLL | IMAGE_FILE.RELOCS_STRIPPED,
    );
  });

  it("truncates long section names or writes /offset for MinGW", () => {
    expect(new TextDecoder().decode(encodeSectionName({ name: ".debug_info" }))).toBe(".debug_i");
    expect(new TextDecoder().decode(encodeSectionName({ name: ".debug_info", nameStringTableOffset: 4 }))).toBe("/4");
    expect(() => encodeSectionName({ name: ".x", nameStringTableOffset: 123456789 })).toThrow(PeWriterError);
  });

  it("derives sizes and bases from the section table", () => {
    const d = deriveHeaderFields([
      { name: ".text", virtualAddress: 0x1000, virtualSize: 0x1234, pointerToRawData: 0x400, sizeOfRawData: 0x1400, characteristics: IMAGE_SCN.CNT_CODE },
      { name: ".rdata", virtualAddress: 0x3000, virtualSize: 0x10, pointerToRawData: 0x1800, sizeOfRawData: 0x200, characteristics: IMAGE_SCN.CNT_INITIALIZED_DATA },
      { name: ".bss", virtualAddress: 0x4000, virtualSize: 0x2001, pointerToRawData: 0, sizeOfRawData: 0, characteristics: IMAGE_SCN.CNT_UNINITIALIZED_DATA },
    ], 0x400, 0x1000, 0x200);
    expect(d).toEqual({
      sizeOfCode: 0x1400, sizeOfInitializedData: 0x200, sizeOfUninitializedData: 0x2200, baseOfCode: 0x1000,
      baseOfData: 0x3000, sizeOfImage: 0x7000,
    });
  });

  it("writes the headers that locateImageHeaders reads back", () => {
    const buffer = new Uint8Array(0x400);
    const sections = [{ name: ".text", virtualAddress: 0x1000, virtualSize: 0x10, pointerToRawData: 0x400, sizeOfRawData: 0x200, characteristics: IMAGE_SCN.CNT_CODE }];
    writeImageHeaders(buffer, { ...baseModel, sections, sizeOfHeaders: 0x400, timeDateStamp: 0x12345678 });
    const view = new ByteView(buffer);
    const loc = locateImageHeaders(buffer);
    expect(loc.layout).toEqual(headerLayout("pe32+", 1));
    expect(loc.sections[0]).toMatchObject(sections[0]!);
    const fh = readStruct(view, ImageFileHeader, loc.layout.fileHeaderOffset);
    expect(fh).toMatchObject({ Machine: AMD64, NumberOfSections: 1, TimeDateStamp: 0x12345678, SizeOfOptionalHeader: 240 });
    const oh = readStruct(view, ImageOptionalHeader64, loc.layout.optionalHeaderOffset);
    expect(oh).toMatchObject({
      Magic: 0x20b, MajorLinkerVersion: 14, MinorLinkerVersion: 0, SizeOfCode: 0x200, BaseOfCode: 0x1000,
      ImageBase: 0x1_4000_0000n, SizeOfImage: 0x2000, SizeOfHeaders: 0x400, CheckSum: 0, NumberOfRvaAndSizes: 16,
      SizeOfStackReserve: 0x100000n, SizeOfStackCommit: 0x1000n, MajorSubsystemVersion: 6,
    });
  });

  it("rejects values a PE32 image cannot hold and bad alignments, with PeWriterError", () => {
    const buffer = new Uint8Array(0x1000);
    const pe32 = { ...baseModel, machine: IMAGE_FILE_MACHINE.I386, sections: [] };
    expect(() => writeImageHeaders(buffer, pe32)).toThrow(/ImageBase 0x140000000 does not fit a PE32 image/);
    expect(() => writeImageHeaders(buffer, { ...baseModel, sections: [], fileAlignment: 0x300 })).toThrow(PeWriterError);
    expect(() => writeImageHeaders(buffer, { ...baseModel, sections: [], sectionAlignment: 0x100 })).toThrow(PeWriterError);
    expect(() => writeImageHeaders(buffer, { ...baseModel, sections: [], sizeOfHeaders: 0x100 })).toThrow(/SizeOfHeaders/);
    expect(() => writeImageHeaders(new Uint8Array(0x100), { ...baseModel, sections: [] })).toThrow(/cannot hold/);
  });
});

describe("PE checksum", () => {
  /** The algorithm as usually written: fold the carry after every 16-bit word. */
  function referenceChecksum(bytes: Uint8Array, skip: number): number {
    let sum = 0;
    for (let i = 0; i < bytes.length; i += 2) {
      if (i === skip || i === skip + 2) continue;
      sum += bytes[i]! | ((bytes[i + 1] ?? 0) << 8);
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return sum + bytes.length;
  }

  it("matches the word-by-word algorithm on any contents", () => {
    const image = new Uint8Array(0x400);
    writeImageHeaders(image, { ...baseModel, sections: [] });
    const skip = locateImageHeaders(image).layout.optionalHeaderOffset + 64;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer(), (tail, stored) => {
      const bytes = new Uint8Array(0x400 + tail.length);
      bytes.set(image);
      bytes.set(tail, 0x400);
      new DataView(bytes.buffer).setInt32(skip, stored, true); // the stored value must not count
      expect(computePeChecksum(bytes)).toBe(referenceChecksum(bytes, skip));
    }));
  });

  it.skipIf(!hasTool("x86_64-w64-mingw32-ld") || !hasTool("clang"))("matches GNU ld's checksum (odd-length file)", () => {
    const dir = tempDir("checksum");
    const src = writeTemp(dir, "s.c", new TextEncoder().encode("int start(void) { return 3; }\n"));
    expect(run("clang", ["--target=x86_64-w64-mingw32", "-c", src, "-o", join(dir, "s.o")]).status).toBe(0);
    expect(run("x86_64-w64-mingw32-ld", ["-e", "start", "--subsystem", "console", join(dir, "s.o"), "-o", join(dir, "s.exe")]).status).toBe(0);
    const bytes = new Uint8Array(readFileSync(join(dir, "s.exe")));
    const loc = locateImageHeaders(bytes);
    const stored = new DataView(bytes.buffer).getUint32(loc.layout.optionalHeaderOffset + 64, true);
    expect(stored).not.toBe(0);
    expect(computePeChecksum(bytes)).toBe(stored);
    new DataView(bytes.buffer).setUint32(loc.layout.optionalHeaderOffset + 64, 0, true);
    expect(writeChecksum(bytes)).toEqual({ offset: loc.layout.optionalHeaderOffset + 64, length: 4 });
    expect(new DataView(bytes.buffer).getUint32(loc.layout.optionalHeaderOffset + 64, true)).toBe(stored);
  });
});

/** Rebuilds an lld-link output from its own layout with writeImage: the dumps must agree field for field. */
function rebuildFromImage(bytes: Uint8Array): Uint8Array {
  const loc = locateImageHeaders(bytes);
  const view = new ByteView(bytes);
  const fh = readStruct(view, ImageFileHeader, loc.layout.fileHeaderOffset);
  const is64 = loc.layout.format === "pe32+";
  const oh = is64
    ? readStruct(view, ImageOptionalHeader64, loc.layout.optionalHeaderOffset)
    : readStruct(view, ImageOptionalHeader32, loc.layout.optionalHeaderOffset);
  const dirs: DataDirectoryEntry[] = [];
  for (let i = 0; i < IMAGE_NUMBEROF_DIRECTORY_ENTRIES; i++) {
    const d = readStruct(view, ImageDataDirectory, loc.layout.dataDirectoryOffset + i * 8);
    dirs.push({ rva: d.VirtualAddress, size: d.Size });
  }
  const sections: ImageSectionModel[] = loc.sections.map((s) => ({
    ...s, contents: bytes.subarray(s.pointerToRawData, s.pointerToRawData + Math.min(s.sizeOfRawData, s.virtualSize)),
  }));
  const model: ImageModel = {
    machine: fh.Machine, characteristics: fh.Characteristics, timeDateStamp: fh.TimeDateStamp,
    imageBase: oh.ImageBase, sectionAlignment: oh.SectionAlignment, fileAlignment: oh.FileAlignment,
    entryPointRva: oh.AddressOfEntryPoint, subsystem: oh.Subsystem,
    subsystemVersion: { major: oh.MajorSubsystemVersion, minor: oh.MinorSubsystemVersion },
    osVersion: { major: oh.MajorOperatingSystemVersion, minor: oh.MinorOperatingSystemVersion },
    imageVersion: { major: oh.MajorImageVersion, minor: oh.MinorImageVersion },
    dllCharacteristics: oh.DllCharacteristics, stackReserve: oh.SizeOfStackReserve, stackCommit: oh.SizeOfStackCommit,
    heapReserve: oh.SizeOfHeapReserve, heapCommit: oh.SizeOfHeapCommit, dataDirectories: dirs, sections,
    sizeOfHeaders: oh.SizeOfHeaders, fileSize: bytes.length,
  };
  return writeImage(model);
}

/**
 * The dump without what legitimately differs: the file name, the DOS stub length (lld's is 8 bytes shorter),
 * and PE32 BaseOfData, which lld leaves 0 while link.exe (and pe-writer) set it to the first data section.
 */
function comparableDump(path: string): string {
  return readobj(path, "--file-headers", "--sections", "--coff-basereloc", "--coff-imports")
    .split("\n").filter((l) => !/^File:|AddressOfNewExeHeader|UsedBytesInTheLastPage|BaseOfData/.test(l)).join("\n");
}

describe("agreement with lld-link", () => {
  const haveTools = hasTool("lld-link") && hasTool("clang") && hasTool("llvm-readobj");
  const program = `
    int value = 5; int *pointer = &value; const char *text = "hi";
    __declspec(dllimport) void __stdcall ExitProcess(unsigned);
    void start(void) { ExitProcess(*pointer + text[0]); }
  `;

  for (const [target, machine] of [["x86_64-pc-windows-msvc", "x64"], ["i686-pc-windows-msvc", "x86"]] as const) {
    it.skipIf(!haveTools)(`derives the same header fields as lld-link for ${machine}`, () => {
      const dir = tempDir(`lld-${machine}`);
      const src = writeTemp(dir, "p.c", new TextEncoder().encode(program));
      expect(run("clang", [`--target=${target}`, "-O1", "-c", src, "-o", join(dir, "p.obj")]).status).toBe(0);
      const exported = machine === "x64" ? "ExitProcess" : "ExitProcess@4"; // x86 stdcall names carry the argument size
      writeTemp(dir, "kernel32.def", new TextEncoder().encode(`LIBRARY kernel32.dll\nEXPORTS\n${exported}\n`));
      const dlltool = run("llvm-dlltool", ["-d", join(dir, "kernel32.def"), "-l", join(dir, "kernel32.lib"), "-m", machine === "x64" ? "i386:x86-64" : "i386"]);
      expect(dlltool.status, dlltool.stderr).toBe(0);
      const link = run("lld-link", ["/nodefaultlib", "/entry:start", "/subsystem:console", `/out:${join(dir, "lld.exe")}`, join(dir, "p.obj"), join(dir, "kernel32.lib")]);
      expect(link.status, link.stderr).toBe(0);
      const original = new Uint8Array(readFileSync(join(dir, "lld.exe")));
      const rebuilt = writeTemp(dir, "rebuilt.exe", rebuildFromImage(original));
      expect(comparableDump(rebuilt)).toBe(comparableDump(join(dir, "lld.exe")));
    });
  }
});
