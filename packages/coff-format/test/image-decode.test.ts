// What the decoders return for the committed fixtures, stated directly (not only "same as readobj").
import { describe, expect, it } from "vitest";
import {
  checksumFieldOffset,
  CoffFormatError,
  computePeChecksum,
  IMAGE_DIRECTORY_ENTRY,
  IMAGE_REL_BASED,
  imageSummary,
  readBaseRelocations,
  readDebugDirectory,
  readDelayImportDirectory,
  readExceptionTable,
  readExportDirectory,
  readImportDirectory,
  readLoadConfigSize,
  readPeImage,
  readTlsDirectory,
  writePeChecksum,
} from "../src/index.js";
import { fixtureBytes } from "./image-fixtures.js";

const image = (name: Parameters<typeof fixtureBytes>[0]) => readPeImage(fixtureBytes(name), { fileName: name });

describe("headers and RVA helpers", () => {
  it("reads PE32+ and PE32 optional headers", () => {
    const x64 = image("x64/app.exe");
    expect(x64.optionalHeader.format).toBe("PE32+");
    expect(x64.imageBase).toBe(0x140000000n);
    expect(x64.imageBaseNumber).toBe(0x140000000);
    expect(x64.pointerSize).toBe(8);
    const x86 = image("x86/app.exe");
    expect(x86.optionalHeader.format).toBe("PE32");
    expect(x86.optionalHeader.ImageBase).toBe(0x400000);
    expect(x86.pointerSize).toBe(4);
    expect(x86.dosStub.length).toBe(x86.peHeaderOffset - 64);
  });

  it("maps RVAs through sections and the headers", () => {
    const img = image("x64/app.exe");
    const text = img.sections.find((s) => s.name === ".text")!;
    expect(img.sectionOfRva(text.VirtualAddress + 1)).toBe(text);
    expect(img.rvaToFileOffset(text.VirtualAddress + 5)).toBe(text.PointerToRawData + 5);
    // Header RVAs map one to one: the PE signature is where e_lfanew says.
    expect([...img.readAtRva(img.peHeaderOffset, 4)]).toEqual([0x50, 0x45, 0, 0]);
    expect(img.readAtRva(text.VirtualAddress, 4).buffer).toBe(img.bytes.buffer); // zero-copy
    expect(() => img.rvaToFileOffset(0x7fff0000)).toThrow(CoffFormatError);
    expect(() => img.readAtRva(text.VirtualAddress, text.SizeOfRawData + 1)).toThrow(CoffFormatError);
    const add = readImportDirectory(img)[0]!.entries[0]!;
    expect(add.kind).toBe("name");
    if (add.kind === "name") expect(img.cStringAtRva(add.hintNameRva + 2)).toBe("add");
  });

  it("reads only the data directories NumberOfRvaAndSizes announces", () => {
    const bytes = fixtureBytes("x64/app.exe");
    const original = readPeImage(bytes);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(original.optionalHeaderOffset + 108, 2, true);
    const img = readPeImage(bytes);
    expect(img.dataDirectories.length).toBe(2);
    expect(img.dataDirectory(IMAGE_DIRECTORY_ENTRY.BASERELOC)).toBeUndefined();
    expect(readBaseRelocations(img)).toEqual({ blocks: [], sorted: [] });
    expect(readImportDirectory(img).map((d) => d.dllName)).toEqual(["testlib.dll", "kernel32.dll"]);
    // Section headers still follow SizeOfOptionalHeader, not the directory count.
    expect(img.sections.map((s) => s.name)).toEqual(original.sections.map((s) => s.name));
  });

  it("resolves MinGW's long section names through the string table", () => {
    const img = image("mingw/hello.exe");
    expect(img.stringTable).toBeDefined();
    const names = img.sections.map((s) => s.name);
    expect(names).toContain(".debug_info");
    expect(names).toContain(".debug_line_str");
    const info = img.sections.find((s) => s.name === ".debug_info")!;
    expect(new TextDecoder().decode(info.Name).replace(/\0+$/, "")).toMatch(/^\/\d+$/);
  });

  it("summarises headers with named flags and hex addresses", () => {
    const summary = imageSummary(image("x64/testlib.dll"));
    expect(summary.format).toBe("PE32+");
    expect(summary.machine).toBe("IMAGE_FILE_MACHINE_AMD64 (0x8664)");
    expect(summary.characteristics).toContain("IMAGE_FILE_DLL");
    expect(summary.dllCharacteristics).toContain("IMAGE_DLL_CHARACTERISTICS_DYNAMIC_BASE");
    expect(summary.imageBase).toBe("0x180000000");
    expect(summary.subsystem).toBe("IMAGE_SUBSYSTEM_WINDOWS_GUI (0x2)");
    expect(summary.dataDirectories.map((d) => d.name)).toContain("IMAGE_DIRECTORY_ENTRY_EXPORT");
    expect(summary.sections[0]).toMatchObject({ name: ".text", characteristics: ["IMAGE_SCN_CNT_CODE", "IMAGE_SCN_MEM_EXECUTE", "IMAGE_SCN_MEM_READ"] });
    expect(() => JSON.stringify(summary)).not.toThrow();
  });
});

describe("imports", () => {
  it("lists DLLs with names, hints, ordinals and IAT slots (x64 and x86)", () => {
    for (const name of ["x64/app.exe", "x86/app.exe"] as const) {
      const img = image(name);
      const dlls = readImportDirectory(img);
      expect(dlls.map((d) => d.dllName)).toEqual(["testlib.dll", "kernel32.dll"]);
      const testlib = dlls[0]!;
      expect(testlib.entries.map((e) => (e.kind === "name" ? e.name : `#${e.ordinal}`))).toEqual(["add", "apply", "mul", "#5", "shared_value"]);
      expect(testlib.entries.find((e) => e.kind === "name" && e.name === "apply")).toMatchObject({ hint: 7 });
      testlib.entries.forEach((e, i) => {
        expect(e.iatRva).toBe(testlib.importAddressTableRva + i * img.pointerSize);
        expect(e.thunkRva).toBe(testlib.importLookupTableRva + i * img.pointerSize);
      });
    }
  });

  it("reads GNU ld's .idata", () => {
    const [kernel32] = readImportDirectory(image("mingw/hello.exe"));
    expect(kernel32!.dllName).toBe("KERNEL32.dll");
    expect(kernel32!.entries.map((e) => e.kind === "name" && e.name)).toEqual(["ExitProcess", "GetStdHandle", "WriteFile"]);
  });

  it("reads the delay-import directory", () => {
    const img = image("x64/app-delay.exe");
    const [testlib] = readDelayImportDirectory(img);
    expect(testlib!.dllName).toBe("testlib.dll");
    expect(testlib!.attributes).toBe(1);
    expect(testlib!.entries.map((e) => (e.kind === "name" ? e.name : `#${e.ordinal}`))).toEqual(["add", "apply", "mul", "#5"]);
    expect(readImportDirectory(img).map((d) => d.dllName)).toEqual(["kernel32.dll"]);
    expect(readDelayImportDirectory(image("x64/app.exe"))).toEqual([]);
  });
});

describe("exports", () => {
  it("decodes names, NONAME ordinals, DATA and forwarders", () => {
    for (const name of ["x64/testlib.dll", "x86/testlib.dll"] as const) {
      const exports = readExportDirectory(image(name))!;
      expect(exports.dllName).toBe("testlib.dll");
      const byName = new Map(exports.entries.flatMap((e) => e.names.map((n) => [n, e] as const)));
      expect([...byName.keys()].sort()).toEqual(["add", "apply", "forwarded", "mul", "shared_value"]);
      expect(byName.get("apply")!.ordinal).toBe(7);
      // lld-link 14 decorates x86 forwarders with the C prefix; the bytes say so, and so do we.
      expect(byName.get("forwarded")!.forwarder).toBe(name === "x86/testlib.dll" ? "_kernel32.ExitProcess" : "kernel32.ExitProcess");
      expect(byName.get("add")!.forwarder).toBeUndefined();
      const noname = exports.entries.find((e) => e.ordinal === 5)!;
      expect(noname.names).toEqual([]);
      expect(noname.forwarder).toBeUndefined();
      // DATA exports are ordinary entries pointing into a data section.
      const img = image(name);
      expect(img.sectionOfRva(byName.get("shared_value")!.rva)!.name).toBe(".data");
    }
    expect(readExportDirectory(image("x64/app.exe"))).toBeUndefined();
  });

  it("gives every name of an ordinal that several names share", () => {
    const bytes = fixtureBytes("x64/testlib.dll");
    const img = readPeImage(bytes);
    const exports = readExportDirectory(img)!;
    const add = exports.entries.find((e) => e.names.includes("add"))!;
    // Point the ordinal-table slot of "mul" (names are sorted: add, apply, forwarded, mul, ...) at add's slot.
    const mulIndex = 3;
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(img.rvaToFileOffset(exports.ordinalTableRva) + mulIndex * 2, add.ordinal - exports.ordinalBase, true);
    const patched = readExportDirectory(readPeImage(bytes))!;
    expect(patched.entries.find((e) => e.ordinal === add.ordinal)!.names).toEqual(["add", "mul"]);
    // mul's own slot is still exported, now by ordinal only.
    expect(patched.entries.filter((e) => e.names.length === 0).length).toBe(2);
  });
});

describe("base relocations", () => {
  it("gives blocks and a flat sorted list without ABSOLUTE padding", () => {
    const x86 = readBaseRelocations(image("x86/app.exe"));
    const flat = x86.blocks.flatMap((b) => b.entries);
    expect(flat.some((e) => e.type === IMAGE_REL_BASED.ABSOLUTE)).toBe(true);
    expect(x86.sorted.every((e) => e.type === IMAGE_REL_BASED.HIGHLOW)).toBe(true);
    expect(x86.sorted.length).toBe(flat.filter((e) => e.type !== IMAGE_REL_BASED.ABSOLUTE).length);
    expect(x86.sorted.map((e) => e.rva)).toEqual([...x86.sorted.map((e) => e.rva)].sort((a, b) => a - b));
    const x64 = readBaseRelocations(image("x64/testlib.dll"));
    expect(x64.sorted.map((e) => e.type)).toEqual([IMAGE_REL_BASED.DIR64, IMAGE_REL_BASED.DIR64]);
    for (const block of x64.blocks) expect(block.pageRva % 0x1000).toBe(0);
  });
});

describe("other directories", () => {
  it("reads the x64 exception table", () => {
    const img = image("x64/app.exe");
    const functions = readExceptionTable(img);
    expect(functions.length).toBe(img.dataDirectory(IMAGE_DIRECTORY_ENTRY.EXCEPTION)!.Size / 12);
    for (const f of functions) {
      expect(f.endAddress).toBeGreaterThan(f.beginAddress);
      expect(img.sectionOfRva(f.beginAddress)!.name).toBe(".text");
    }
    expect(() => readExceptionTable(image("x86/app.exe"))).not.toThrow();
  });

  it("reports absent TLS, load config and debug directories as empty", () => {
    const img = image("x64/app.exe");
    expect(readTlsDirectory(img)).toBeUndefined();
    expect(readLoadConfigSize(img)).toBeUndefined();
    expect(readDebugDirectory(img)).toEqual([]);
  });
});

describe("checksum", () => {
  it("equals the checksum GNU ld wrote", () => {
    const bytes = fixtureBytes("mingw/hello.exe");
    const img = readPeImage(bytes);
    expect(img.optionalHeader.CheckSum).not.toBe(0);
    expect(computePeChecksum(bytes)).toBe(img.optionalHeader.CheckSum);
    expect(checksumFieldOffset(img)).toBe(img.peHeaderOffset + 24 + 64);
  });

  it("ignores the field's own value, and writePeChecksum stores it", () => {
    const bytes = fixtureBytes("x64/app.exe");
    const before = computePeChecksum(bytes);
    const written = writePeChecksum(bytes);
    expect(written).toBe(before);
    expect(readPeImage(bytes).optionalHeader.CheckSum).toBe(before);
    expect(computePeChecksum(bytes)).toBe(before);
    // Odd-length files count their last byte as a word's low half.
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes);
    odd[bytes.length] = 0x12;
    expect(computePeChecksum(odd)).toBe(((before - bytes.length + 0x12) % 0xffff) + odd.length);
  });
});

describe("malformed input gives typed errors naming the file and offset", () => {
  const patched = (name: Parameters<typeof fixtureBytes>[0], edit: (view: DataView, img: ReturnType<typeof readPeImage>) => void) => {
    const bytes = fixtureBytes(name);
    edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), readPeImage(bytes));
    return bytes;
  };

  it("e_lfanew past the end", () => {
    const bytes = patched("x64/app.exe", (v) => v.setUint32(0x3c, 0x10000000, true));
    expect(() => readPeImage(bytes, { fileName: "bad.exe" })).toThrow(expect.objectContaining({ name: "InvalidFieldError", file: "bad.exe", offset: 0x3c }));
  });

  it("an export directory claiming 2^32-1 functions", () => {
    const bytes = patched("x64/testlib.dll", (v, img) => {
      v.setUint32(img.rvaToFileOffset(img.dataDirectory(IMAGE_DIRECTORY_ENTRY.EXPORT)!.VirtualAddress) + 20, 0xffffffff, true);
    });
    expect(() => readExportDirectory(readPeImage(bytes, { fileName: "bad.dll" }))).toThrow(expect.objectContaining({ name: "InvalidFieldError", file: "bad.dll" }));
  });

  it("a base-relocation block of size 0 (would loop forever)", () => {
    const bytes = patched("x64/app.exe", (v, img) => {
      v.setUint32(img.rvaToFileOffset(img.dataDirectory(IMAGE_DIRECTORY_ENTRY.BASERELOC)!.VirtualAddress) + 4, 0, true);
    });
    expect(() => readBaseRelocations(readPeImage(bytes))).toThrow(/SizeOfBlock 0/);
  });

  it("an import directory pointing into the zero-filled tail of a section", () => {
    const bytes = patched("x64/app.exe", (v, img) => {
      const rdata = img.sections.find((s) => s.name === ".rdata")!;
      const dirOffset = img.optionalHeaderOffset + 112 + IMAGE_DIRECTORY_ENTRY.IMPORT * 8;
      v.setUint32(img.sectionTableOffset + rdata.index * 40 + 8, 0x10000, true); // VirtualSize
      v.setUint32(dirOffset, rdata.VirtualAddress + 0x8000, true);
    });
    expect(() => readImportDirectory(readPeImage(bytes))).toThrow(/zero-filled part of section \.rdata/);
  });

  it("import names that never end", () => {
    const bytes = patched("x64/app.exe", (v, img) => {
      const dll = readImportDirectory(img)[0]!;
      const entry = dll.entries[0]!;
      if (entry.kind !== "name") throw new Error("fixture changed");
      const rdata = img.sectionOfRva(entry.hintNameRva)!;
      // Fill from the name to the end of the section's raw data with non-NUL bytes.
      const start = img.rvaToFileOffset(entry.hintNameRva + 2);
      for (let o = start; o < rdata.PointerToRawData + rdata.SizeOfRawData; o++) v.setUint8(o, 0x41);
    });
    expect(() => readImportDirectory(readPeImage(bytes))).toThrow(/not NUL-terminated/);
  });
});
