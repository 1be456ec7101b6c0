// Builds a complete, runnable PE image with nothing but coff-format's writers: DOS header and
// stub, PE headers, one .text section whose entry point returns an exit code, and the checksum.
import {
  IMAGE_DLLCHARACTERISTICS,
  IMAGE_FILE,
  IMAGE_FILE_MACHINE,
  IMAGE_SCN,
  IMAGE_SUBSYSTEM,
  writeDosHeaderAndStub,
  writePeChecksum,
  writePeHeaders,
} from "../src/index.js";
import type { PeHeadersModel } from "../src/index.js";

export function buildMinimalImage(format: "PE32" | "PE32+", exitCode: number): Uint8Array {
  const fileAlignment = 0x200;
  const sectionAlignment = 0x1000;
  // mov eax, imm32; ret — the same bytes in 32- and 64-bit mode; the loader exits with eax.
  const code = Uint8Array.of(0xb8, exitCode & 0xff, (exitCode >> 8) & 0xff, (exitCode >> 16) & 0xff, exitCode >>> 24, 0xc3);
  const textRva = sectionAlignment;
  const textOffset = fileAlignment;
  const common = {
    MajorLinkerVersion: 14, MinorLinkerVersion: 0, SizeOfCode: fileAlignment, SizeOfInitializedData: 0,
    SizeOfUninitializedData: 0, AddressOfEntryPoint: textRva, BaseOfCode: textRva,
    SectionAlignment: sectionAlignment, FileAlignment: fileAlignment,
    MajorOperatingSystemVersion: 6, MinorOperatingSystemVersion: 0, MajorImageVersion: 0, MinorImageVersion: 0,
    MajorSubsystemVersion: 6, MinorSubsystemVersion: 0, Win32VersionValue: 0,
    SizeOfImage: 2 * sectionAlignment, SizeOfHeaders: fileAlignment, CheckSum: 0,
    Subsystem: IMAGE_SUBSYSTEM.WINDOWS_CUI,
    // Fixed base, no .reloc: not DYNAMIC_BASE, and the file header says relocations are stripped.
    DllCharacteristics: IMAGE_DLLCHARACTERISTICS.NX_COMPAT | IMAGE_DLLCHARACTERISTICS.TERMINAL_SERVER_AWARE,
    LoaderFlags: 0,
  };
  const model: PeHeadersModel = {
    peHeaderOffset: 0x80,
    fileHeader: {
      Machine: format === "PE32" ? IMAGE_FILE_MACHINE.I386 : IMAGE_FILE_MACHINE.AMD64,
      TimeDateStamp: 0, PointerToSymbolTable: 0, NumberOfSymbols: 0,
      Characteristics: IMAGE_FILE.EXECUTABLE_IMAGE | IMAGE_FILE.RELOCS_STRIPPED
        | (format === "PE32" ? IMAGE_FILE["32BIT_MACHINE"] : IMAGE_FILE.LARGE_ADDRESS_AWARE),
    },
    optionalHeader: format === "PE32"
      ? { format, ...common, BaseOfData: 0, ImageBase: 0x400000, SizeOfStackReserve: 0x100000, SizeOfStackCommit: 0x1000, SizeOfHeapReserve: 0x100000, SizeOfHeapCommit: 0x1000 }
      : { format, ...common, ImageBase: 0x140000000n, SizeOfStackReserve: 0x100000n, SizeOfStackCommit: 0x1000n, SizeOfHeapReserve: 0x100000n, SizeOfHeapCommit: 0x1000n },
    dataDirectories: Array.from({ length: 16 }, () => ({ VirtualAddress: 0, Size: 0 })),
    sections: [{
      name: ".text", VirtualSize: code.length, VirtualAddress: textRva, SizeOfRawData: fileAlignment,
      PointerToRawData: textOffset, PointerToRelocations: 0, PointerToLinenumbers: 0, NumberOfRelocations: 0,
      NumberOfLinenumbers: 0, Characteristics: IMAGE_SCN.CNT_CODE | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ,
    }],
  };
  const bytes = new Uint8Array(textOffset + fileAlignment);
  writeDosHeaderAndStub(bytes, { lfanew: model.peHeaderOffset });
  writePeHeaders(bytes, model);
  bytes.set(code, textOffset);
  writePeChecksum(bytes);
  return bytes;
}
