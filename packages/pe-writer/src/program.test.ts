// Whole programs built by pe-writer alone, from hand-assembled machine code, then dumped with llvm-readobj
// and run under wine: the proof that the headers and tables are what the Windows loader expects.
import { describe, expect, it } from "vitest";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { IMAGE_DLLCHARACTERISTICS as DLLC, IMAGE_FILE_MACHINE, IMAGE_REL_BASED, IMAGE_SUBSYSTEM } from "@linkkit/coff-format";
import {
  buildBaseRelocations, computePeChecksum, dataDirectories, DirtyRanges, imageCharacteristics, locateImageHeaders,
  patchBytesAtRva, planImportTables, writeChecksum, writeImage, writeImportTables, writeImportThunk,
} from "./index.js";
import type { ImageModel } from "./index.js";
import { Code, concat, DATA, layOut, RDATA, RELOC, sectionRva, TEXT } from "../test/program-builder.js";
import { hasTool, hasWine, readobj, runWine, tempDir, writeTemp } from "../test/toolchain.js";

const haveReadobj = hasTool("llvm-readobj");
const haveWine = hasWine();
const MESSAGE = "hello from pe-writer\n";

/**
 * x64 console program: prints MESSAGE through WriteFile, exits with 42 through an import thunk. The message
 * pointer it prints from lives in .data with a DIR64 base relocation; the program exits with 99 if that
 * pointer disagrees with the rip-relative address of the message (a base relocation applied wrongly).
 */
function buildHelloX64(imageBase = 0x1_4000_0000n): { image: Uint8Array; exitCodeRva: number } {
  const imports = planImportTables([
    { dllName: "KERNEL32.dll", imports: [{ name: "ExitProcess" }, { name: "GetStdHandle" }, { name: "WriteFile" }] },
  ], { is64: true });
  const rdataRva = sectionRva(1);
  const tables = writeImportTables(imports, rdataRva);
  const [exitProcess, getStdHandle, writeFile] = tables.iatSlotRvas[0]!;
  const messageRva = rdataRva + Math.ceil(imports.size / 8) * 8;
  const message = new TextEncoder().encode(MESSAGE);
  const rdata = concat(tables.bytes, new Uint8Array(messageRva - rdataRva - tables.bytes.length), message);

  const dataRva = sectionRva(2);
  // .data holds one absolute pointer to the message: the loader adjusts it through the DIR64 base relocation.
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigUint64(0, imageBase + BigInt(messageRva), true);

  const textRva = sectionRva(0);
  const thunk = new Uint8Array(6);
  writeImportThunk(thunk, IMAGE_FILE_MACHINE.AMD64, textRva, exitProcess!, imageBase);
  const code = new Code(textRva).bytes(...thunk, ...new Array(10).fill(0xcc)); // thunk, then entry at +0x10
  const entry = code.here;
  code.bytes(0x48, 0x83, 0xec, 0x38); // sub rsp, 56 (shadow space + 5th argument, keeps rsp 16-aligned)
  code.bytes(0xb9).u32(-11); // mov ecx, STD_OUTPUT_HANDLE
  code.bytes(0xff, 0x15).rel32(getStdHandle!); // call [GetStdHandle]
  code.bytes(0x48, 0x89, 0xc1); // mov rcx, rax
  code.bytes(0x48, 0x8b, 0x15).rel32(dataRva); // mov rdx, [message pointer]
  code.bytes(0x48, 0x8d, 0x05).rel32(messageRva); // lea rax, [message]
  code.bytes(0x48, 0x39, 0xc2, 0x74, 0x0a); // cmp rdx, rax; je +10
  code.bytes(0xb9).u32(99).bytes(0xe8).rel32(textRva); // mov ecx, 99; call the ExitProcess thunk
  code.bytes(0x41, 0xb8).u32(message.length); // mov r8d, length
  code.bytes(0x4c, 0x8d, 0x4c, 0x24, 0x28); // lea r9, [rsp+40] (bytes written)
  code.bytes(0x48, 0xc7, 0x44, 0x24, 0x20).u32(0); // mov qword [rsp+32], 0 (no OVERLAPPED)
  code.bytes(0xff, 0x15).rel32(writeFile!); // call [WriteFile]
  const exitCodeRva = code.here + 1;
  code.bytes(0xb9).u32(42); // mov ecx, 42
  code.bytes(0xe8).rel32(textRva); // call the ExitProcess thunk
  code.bytes(0xcc);

  const relocs = buildBaseRelocations([{ rva: dataRva, type: IMAGE_REL_BASED.DIR64 }]);
  const sections = layOut("pe32+", [
    { name: ".text", characteristics: TEXT, contents: code.toBytes() },
    { name: ".rdata", characteristics: RDATA, contents: rdata },
    { name: ".data", characteristics: DATA, contents: data },
    { name: ".reloc", characteristics: RELOC, contents: relocs },
  ]);
  const model: ImageModel = {
    machine: IMAGE_FILE_MACHINE.AMD64,
    characteristics: imageCharacteristics({ machine: IMAGE_FILE_MACHINE.AMD64 }),
    imageBase, sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: entry,
    subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
    dllCharacteristics: DLLC.HIGH_ENTROPY_VA | DLLC.DYNAMIC_BASE | DLLC.NX_COMPAT | DLLC.TERMINAL_SERVER_AWARE,
    dataDirectories: dataDirectories({
      IMPORT: tables.importDirectory, IAT: tables.iat, BASERELOC: { rva: sectionRva(3), size: relocs.length },
    }),
    sections, computeChecksum: true,
  };
  return { image: writeImage(model), exitCodeRva };
}

describe("hand-assembled x64 program", () => {
  const { image, exitCodeRva } = buildHelloX64();
  const dir = tempDir("x64");
  const exe = writeTemp(dir, "hello.exe", image);

  it.skipIf(!haveReadobj)("reads cleanly with llvm-readobj", () => {
    const dump = readobj(exe, "--file-headers", "--sections", "--coff-imports", "--coff-basereloc");
    expect(dump).toMatch(/Machine: IMAGE_FILE_MACHINE_AMD64 \(0x8664\)/);
    expect(dump).toMatch(/SectionCount: 4/);
    expect(dump).toMatch(/Magic: 0x20B/);
    expect(dump).toMatch(/MajorLinkerVersion: 14\s+MinorLinkerVersion: 0/);
    expect(dump).toMatch(/ImportTableRVA: 0x2000\s+ImportTableSize: 0x28/);
    expect(dump).toMatch(/IATRVA: 0x2048\s+IATSize: 0x20/);
    expect(dump).toMatch(/AddressOfEntryPoint: 0x1010/);
    expect(dump).toMatch(/ImageBase: 0x140000000/);
    expect(dump).toMatch(/SizeOfImage: 20480/);
    expect(dump).toMatch(/SizeOfHeaders: 1024/);
    expect(dump).toMatch(/SizeOfCode: 512/);
    expect(dump).toMatch(/SizeOfInitializedData: 1536/);
    expect(dump).toMatch(/Name: kernel32\.dll/i);
    for (const f of ["ExitProcess", "GetStdHandle", "WriteFile"]) expect(dump).toContain(`Symbol: ${f}`);
    expect(dump).toMatch(/Type: DIR64\s+Address: 0x3000/);
    expect(dump).not.toMatch(/warning|error/i);
    expect(computePeChecksum(image)).toBe(new DataView(image.buffer).getUint32(locateImageHeaders(image).layout.optionalHeaderOffset + 64, true));
  });

  it.skipIf(!haveWine)("runs under wine: prints and exits with 42", () => {
    const r = runWine(exe, dir);
    expect(r.stdout).toBe(MESSAGE);
    expect(r.status).toBe(42);
  });

  it.skipIf(!haveWine)("patched in place: only the dirty ranges are written, the new exit code shows", () => {
    const patched = image.slice();
    const dirty = new DirtyRanges();
    dirty.add(patchBytesAtRva(patched, exitCodeRva, Uint8Array.of(7, 0, 0, 0)));
    dirty.add(writeChecksum(patched));
    expect(dirty.ranges().length).toBe(2);
    expect(dirty.totalBytes).toBe(8);

    // Copy the old file, then write only the dirty ranges, as the linker's pwrite path does.
    const copy = writeTemp(dir, "patched.exe", readFileSync(exe));
    const fd = openSync(copy, "r+");
    for (const r of dirty.ranges()) writeSync(fd, patched, r.offset, r.length, r.offset);
    closeSync(fd);
    const written = new Uint8Array(readFileSync(copy));
    expect(written).toEqual(patched);
    expect(computePeChecksum(written)).not.toBe(computePeChecksum(image));
    expect(new DataView(written.buffer).getUint32(dirty.ranges()[0]!.offset, true)).toBe(computePeChecksum(written));
    const r = runWine(copy, dir);
    expect(r.stdout).toBe(MESSAGE);
    expect(r.status).toBe(7);
  });
});

describe("x86 (PE32) program", () => {
  it.skipIf(!haveReadobj)("reads cleanly with llvm-readobj", () => {
    const imports = planImportTables([{ dllName: "KERNEL32.dll", imports: [{ name: "ExitProcess", hint: 0 }] }], { is64: false });
    const tables = writeImportTables(imports, sectionRva(1));
    const imageBase = 0x40_0000;
    const textRva = sectionRva(0);
    const thunk = new Uint8Array(6);
    const { baseRelocations } = writeImportThunk(thunk, IMAGE_FILE_MACHINE.I386, textRva, tables.iatSlotRvas[0]![0]!, imageBase);
    const code = new Code(textRva).bytes(...thunk, 0xcc, 0xcc);
    const entry = code.here;
    code.bytes(0x6a, 42); // push 42
    code.bytes(0xe8).rel32(textRva); // call the thunk
    const relocs = buildBaseRelocations(baseRelocations);
    const sections = layOut("pe32", [
      { name: ".text", characteristics: TEXT, contents: code.toBytes() },
      { name: ".rdata", characteristics: RDATA, contents: tables.bytes },
      { name: ".reloc", characteristics: RELOC, contents: relocs },
    ]);
    const image = writeImage({
      machine: IMAGE_FILE_MACHINE.I386, characteristics: imageCharacteristics({ machine: IMAGE_FILE_MACHINE.I386 }),
      imageBase, sectionAlignment: 0x1000, fileAlignment: 0x200, entryPointRva: entry, subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
      dllCharacteristics: DLLC.DYNAMIC_BASE | DLLC.NX_COMPAT,
      dataDirectories: dataDirectories({ IMPORT: tables.importDirectory, IAT: tables.iat, BASERELOC: { rva: sectionRva(2), size: relocs.length } }),
      sections,
    });
    const exe = writeTemp(tempDir("x86"), "hello32.exe", image);
    const dump = readobj(exe, "--file-headers", "--sections", "--coff-imports", "--coff-basereloc");
    expect(dump).toMatch(/Machine: IMAGE_FILE_MACHINE_I386 \(0x14C\)/);
    expect(dump).toMatch(/Magic: 0x10B/);
    expect(dump).toMatch(/IMAGE_FILE_32BIT_MACHINE/);
    expect(dump).toMatch(/ImageBase: 0x400000/);
    expect(dump).toMatch(/BaseOfData: 0x2000/);
    expect(dump).toMatch(/AddressOfEntryPoint: 0x1008/);
    expect(dump).toContain("Symbol: ExitProcess");
    expect(dump).toMatch(/Type: HIGHLOW\s+Address: 0x1002/);
    expect(dump).not.toMatch(/warning|error/i);
    expect(image.length).toBe(0x200 + 3 * 0x200);
    // The thunk's absolute operand is image base + IAT slot.
    const thunkOperand = new DataView(image.buffer).getUint32(0x200 + 2, true);
    expect(thunkOperand).toBe(imageBase + tables.iat.rva);
  });
});
