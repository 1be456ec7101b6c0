import { describe, expect, it } from "vitest";
import { Elf64_Ehdr, Elf64_Phdr, Elf64_Rela, Elf64_Shdr, Elf64_Sym, readStruct, writeStruct } from "./elf-format.js";

describe("ELF64 struct layouts", () => {
  it("have the gABI sizes and offsets", () => {
    expect([Elf64_Ehdr.size, Elf64_Shdr.size, Elf64_Sym.size, Elf64_Rela.size, Elf64_Phdr.size]).toEqual([64, 64, 24, 24, 56]);
    expect(Elf64_Ehdr.offsets.e_entry).toBe(24);
    expect(Elf64_Ehdr.offsets.e_shstrndx).toBe(62);
    expect(Elf64_Shdr.offsets.sh_addralign).toBe(48);
    expect(Elf64_Sym.offsets.st_shndx).toBe(6);
    expect(Elf64_Phdr.offsets.p_align).toBe(48);
  });

  it("read back what they write, signed 64-bit fields included", () => {
    const view = new DataView(new ArrayBuffer(24));
    writeStruct(view, Elf64_Rela, 0, { r_offset: 0x1234, r_info: (5 * 2 ** 32) + 2, r_addend: -4 });
    expect(readStruct(view, Elf64_Rela, 0, ["r_addend"])).toEqual({ r_offset: 0x1234, r_info: 5 * 2 ** 32 + 2, r_addend: -4 });
  });
});
