// A DLL built by pe-writer (exports by name, by ordinal only, and a forwarder) loaded by an exe built by
// pe-writer that imports by name and by ordinal: run under wine.
import { describe, expect, it } from "vitest";
import { IMAGE_DLLCHARACTERISTICS, IMAGE_FILE_MACHINE, IMAGE_REL_BASED, IMAGE_SUBSYSTEM } from "@linkkit/coff-format";
import {
  buildBaseRelocations, dataDirectories, fileOffsetOfRva, imageCharacteristics, locateImageHeaders, planExportTable, planImportTables, writeExportTable, writeImage,
  writeImportTables,
} from "./index.js";
import { Code, DATA, layOut, RDATA, RELOC, sectionRva, TEXT } from "../test/program-builder.js";
import { hasTool, hasWine, readobj, runWine, tempDir, writeTemp } from "../test/toolchain.js";

const AMD64 = IMAGE_FILE_MACHINE.AMD64;

function buildMathDll(): Uint8Array {
  const textRva = sectionRva(0);
  const code = new Code(textRva);
  const dllMain = code.here;
  code.bytes(0xb8).u32(1).bytes(0xc3, ...new Array(10).fill(0xcc)); // mov eax, 1; ret (DllMain: TRUE)
  const add = code.here;
  code.bytes(0x8d, 0x04, 0x11, 0xc3, ...new Array(12).fill(0xcc)); // lea eax, [rcx+rdx]; ret
  // times_two multiplies by a factor it reaches through an absolute pointer in .data: that pointer is only
  // right if the loader applied the DIR64 base relocation (the DLL's preferred base is the exe's, so it moves).
  const dataRva = sectionRva(2);
  const timesTwo = code.here;
  code.bytes(0x48, 0x8b, 0x05).rel32(dataRva); // mov rax, [factor pointer]
  code.bytes(0x8b, 0x00, 0x0f, 0xaf, 0xc1, 0xc3); // mov eax, [rax]; imul eax, ecx; ret
  const imageBase = 0x1_4000_0000n;
  const data = new Uint8Array(12);
  new DataView(data.buffer).setBigUint64(0, imageBase + BigInt(dataRva + 8), true);
  new DataView(data.buffer).setUint32(8, 2, true);
  const relocs = buildBaseRelocations([{ rva: dataRva, type: IMAGE_REL_BASED.DIR64 }]);
  const plan = planExportTable({
    dllName: "mathlib.dll",
    exports: [
      { name: "add", rva: add },
      { name: "times_two", ordinal: 5, noname: true, rva: timesTwo },
      { name: "quit", forwarder: "KERNEL32.ExitProcess" },
    ],
  });
  const exportsRva = sectionRva(1);
  const table = writeExportTable(plan, exportsRva);
  return writeImage({
    machine: AMD64, characteristics: imageCharacteristics({ machine: AMD64, dll: true }), imageBase,
    dllCharacteristics: IMAGE_DLLCHARACTERISTICS.DYNAMIC_BASE,
    sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: dllMain, subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
    dataDirectories: dataDirectories({ EXPORT: table.exportDirectory, BASERELOC: { rva: sectionRva(3), size: relocs.length } }),
    sections: layOut("pe32+", [
      { name: ".text", characteristics: TEXT, contents: code.toBytes() },
      { name: ".edata", characteristics: RDATA, contents: table.bytes },
      { name: ".data", characteristics: DATA, contents: data },
      { name: ".reloc", characteristics: RELOC, contents: relocs },
    ]),
  });
}

function buildCaller(): Uint8Array {
  const imports = planImportTables([
    { dllName: "mathlib.dll", imports: [{ name: "add" }, { ordinal: 5 }, { name: "quit" }] },
  ], { is64: true });
  const tables = writeImportTables(imports, sectionRva(1));
  const [add, timesTwo, quit] = tables.iatSlotRvas[0]!;
  const code = new Code(sectionRva(0));
  code.bytes(0x48, 0x83, 0xec, 0x28); // sub rsp, 40
  code.bytes(0xb9).u32(20).bytes(0xba).u32(1); // mov ecx, 20; mov edx, 1
  code.bytes(0xff, 0x15).rel32(add!); // add(20, 1) = 21, by name
  code.bytes(0x89, 0xc1); // mov ecx, eax
  code.bytes(0xff, 0x15).rel32(timesTwo!); // times_two(21) = 42, by ordinal
  code.bytes(0x89, 0xc1); // mov ecx, eax
  code.bytes(0xff, 0x15).rel32(quit!); // quit(42): forwarded to ExitProcess
  code.bytes(0xcc);
  return writeImage({
    machine: AMD64, characteristics: imageCharacteristics({ machine: AMD64 }), imageBase: 0x1_4000_0000n,
    sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: sectionRva(0), subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
    dataDirectories: dataDirectories({ IMPORT: tables.importDirectory, IAT: tables.iat }),
    sections: layOut("pe32+", [
      { name: ".text", characteristics: TEXT, contents: code.toBytes() },
      { name: ".idata", characteristics: RDATA, contents: tables.bytes },
    ]),
  });
}

describe("DLL with exports, loaded by an exe", () => {
  const dir = tempDir("dll");
  const dllImage = buildMathDll();
  const dll = writeTemp(dir, "mathlib.dll", dllImage);
  const exe = writeTemp(dir, "caller.exe", buildCaller());

  it.skipIf(!hasTool("llvm-readobj"))("exports read back with llvm-readobj", () => {
    const dump = readobj(dll, "--file-headers", "--coff-exports");
    expect(dump).toMatch(/IMAGE_FILE_DLL/);
    expect(dump).toMatch(/Ordinal: 1\s+Name: add\s+RVA: 0x1010/);
    // llvm-readobj 14 prints a forwarder as its RVA: it must point at the string, inside the export directory.
    const forwarderRva = Number(/Ordinal: 2\s+Name: quit\s+RVA: (0x[0-9A-F]+)/.exec(dump)?.[1]);
    const at = fileOffsetOfRva(locateImageHeaders(dllImage), forwarderRva, 21)!;
    expect(new TextDecoder().decode(dllImage.subarray(at, at + 21))).toBe("KERNEL32.ExitProcess\0");
    expect(dump).toMatch(/Ordinal: 5\s+Name: \s+RVA: 0x1020/);
    expect(dump).not.toMatch(/times_two/);
    const imports = readobj(exe, "--coff-imports");
    expect(imports).toMatch(/Name: mathlib\.dll/);
    expect(imports).toMatch(/Symbol: add/);
    expect(imports).toMatch(/Symbol: add \(0\)\s+Symbol:  \(5\)\s+Symbol: quit \(0\)/);
  });

  it.skipIf(!hasWine())("runs under wine: add by name, times_two by ordinal (through a relocated pointer), quit forwarded", () => {
    const r = runWine(exe, dir);
    expect(r.stderr).not.toMatch(/err:|not found/i);
    expect(r.status).toBe(42);
  });
});
