import { describe, expect, it } from "vitest";
import { Elf64_Ehdr, Elf64_Shdr, writeStruct } from "./elf-format.js";
import { ElfFormatError } from "./errors.js";
import { parseObject } from "./object.js";

/** A minimal relocatable: null section and .shstrtab. */
function tinyObject(): Uint8Array {
  const names = new TextEncoder().encode("\0.shstrtab\0");
  const shoff = 64 + 16;
  const bytes = new Uint8Array(shoff + 2 * Elf64_Shdr.size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  writeStruct(view, Elf64_Ehdr, 0, { e_type: 1, e_machine: 62, e_version: 1, e_shoff: shoff, e_ehsize: 64, e_shentsize: 64, e_shnum: 2, e_shstrndx: 1 });
  bytes.set(names, 64);
  writeStruct(view, Elf64_Shdr, shoff + 64, { sh_name: 1, sh_type: 3, sh_offset: 64, sh_size: names.length, sh_addralign: 1 });
  return bytes;
}

describe("parseObject", () => {
  it("reads a minimal object", () => {
    const o = parseObject(tinyObject(), "tiny.o");
    expect(o.sections[1]?.name).toBe(".shstrtab");
    expect(o.symbols).toEqual([]);
  });

  it("names the file and offset of what is wrong", () => {
    const wrongMachine = tinyObject();
    wrongMachine[18] = 3;
    expect(() => parseObject(wrongMachine, "x86.o")).toThrow(/x86\.o: machine 3 is not EM_X86_64 \(62\) \(at offset 0x12\)/);
    const truncated = tinyObject().subarray(0, 100);
    expect(() => parseObject(truncated, "cut.o")).toThrow(ElfFormatError);
    expect(() => parseObject(new Uint8Array(10), "zero.o")).toThrow(/not an ELF file/);
  });

  it("never fails with anything but ElfFormatError on mutated input", () => {
    const base = tinyObject();
    for (let i = 0; i < base.length; i++) {
      for (const value of [0x00, 0xff, 0x80]) {
        const bytes = base.slice();
        bytes[i] = value;
        try {
          parseObject(bytes, "m.o");
        } catch (error) {
          expect(error).toBeInstanceOf(ElfFormatError);
        }
      }
    }
  });
});
