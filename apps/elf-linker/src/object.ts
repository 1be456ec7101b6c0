// Reads an x86-64 ELF relocatable object into sections, symbols, relocations and COMDAT groups (zero-copy views).
import { readStringTable } from "@linkkit/strtab";
import {
  ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_REL, Elf64_Ehdr, Elf64_Rela, Elf64_Shdr, Elf64_Sym, GRP_COMDAT,
  SHN_LORESERVE, SHN_XINDEX, SHT, readStruct,
} from "./elf-format.js";
import { ElfFormatError } from "./errors.js";

export interface InputSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly size: number;
  readonly alignment: number;
  readonly entsize: number;
  readonly link: number;
  readonly info: number;
  /** The section's bytes (empty for SHT_NOBITS). */
  readonly data: Uint8Array;
  /** Relocations that apply to this section (from its SHT_RELA section). */
  relocations: readonly Relocation[];
}

export interface Relocation {
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
  readonly addend: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly bind: number;
  readonly type: number;
  readonly other: number;
  /** Section index, SHN_XINDEX already resolved. */
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface SectionGroup {
  readonly signature: string;
  readonly comdat: boolean;
  readonly members: readonly number[];
}

export interface ObjectFile {
  readonly name: string;
  /** Indexed by section index; index 0 and sections that are not in the file's table are undefined. */
  readonly sections: readonly (InputSection | undefined)[];
  /** Index 0 is the null symbol. */
  readonly symbols: readonly ElfSymbol[];
  /** Index of the first non-local symbol (the symbol table's sh_info). */
  readonly firstGlobal: number;
  readonly groups: readonly SectionGroup[];
}

export function isElfObject(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELFMAG.every((b, i) => bytes[i] === b);
}

/** Parses `bytes` as an x86-64 ELF relocatable; throws ElfFormatError naming `name` and the offset. */
export function parseObject(bytes: Uint8Array, name: string): ObjectFile {
  const fail = (offset: number, detail: string): never => {
    throw new ElfFormatError(name, offset, detail);
  };
  if (!isElfObject(bytes)) fail(0, "not an ELF file: expected magic 7f 45 4c 46");
  if (bytes.length < Elf64_Ehdr.size) fail(0, `truncated ELF header: ${bytes.length} bytes, expected at least ${Elf64_Ehdr.size}`);
  if (bytes[4] !== ELFCLASS64) fail(4, `ELF class ${String(bytes[4])} is not ELFCLASS64 (2): only 64-bit objects are supported`);
  if (bytes[5] !== ELFDATA2LSB) fail(5, `ELF data encoding ${String(bytes[5])} is not little-endian (1)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eh = readStruct(view, Elf64_Ehdr, 0);
  if (eh.e_type !== ET_REL) fail(16, `ELF type ${eh.e_type} is not ET_REL (1): linkkit-elf links relocatable objects only`);
  if (eh.e_machine !== EM_X86_64) fail(18, `machine ${eh.e_machine} is not EM_X86_64 (62)`);
  if (eh.e_shentsize !== Elf64_Shdr.size) fail(58, `e_shentsize ${eh.e_shentsize}, expected ${Elf64_Shdr.size}`);

  const shdrAt = (i: number) => eh.e_shoff + i * Elf64_Shdr.size;
  const checkRange = (offset: number, size: number, what: string) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > bytes.length) {
      fail(offset, `${what} [0x${offset.toString(16)}, +0x${size.toString(16)}) runs past the end of the file (${bytes.length} bytes)`);
    }
  };
  checkRange(eh.e_shoff, Elf64_Shdr.size, "section header table");
  const shdr0 = readStruct(view, Elf64_Shdr, eh.e_shoff);
  // gABI "Extended Section Header Table": counts that do not fit 16 bits live in section 0.
  const shnum = eh.e_shnum === 0 ? shdr0.sh_size : eh.e_shnum;
  const shstrndx = eh.e_shstrndx === SHN_XINDEX ? shdr0.sh_link : eh.e_shstrndx;
  checkRange(eh.e_shoff, shnum * Elf64_Shdr.size, "section header table");
  const headers = Array.from({ length: shnum }, (_, i) => readStruct(view, Elf64_Shdr, shdrAt(i)));
  const dataOf = (i: number): Uint8Array => {
    const h = headers[i]!;
    if (h.sh_type === SHT.NOBITS) return new Uint8Array(0);
    checkRange(h.sh_offset, h.sh_size, `section ${i}`);
    return bytes.subarray(h.sh_offset, h.sh_offset + h.sh_size);
  };
  if (shstrndx >= shnum) fail(62, `e_shstrndx ${shstrndx} is not a section (there are ${shnum})`);
  const shstrtab = readStringTable(dataOf(shstrndx), "elf");
  const nameAt = (table: ReturnType<typeof readStringTable>, offset: number, where: number) => {
    try {
      return table.getString(offset);
    } catch (cause) {
      throw new ElfFormatError(name, where, `bad string table offset ${offset}`, { cause });
    }
  };

  const sections: (InputSection | undefined)[] = [];
  let symtabIndex = -1;
  for (let i = 1; i < shnum; i++) {
    const h = headers[i]!;
    if (h.sh_type === SHT.SYMTAB) {
      if (symtabIndex >= 0) fail(shdrAt(i), "more than one SHT_SYMTAB section");
      symtabIndex = i;
    }
    const alignment = h.sh_addralign === 0 ? 1 : h.sh_addralign;
    if ((alignment & (alignment - 1)) !== 0) fail(shdrAt(i) + Elf64_Shdr.offsets.sh_addralign, `section ${i} alignment ${alignment} is not a power of two`);
    sections[i] = {
      index: i, name: nameAt(shstrtab, h.sh_name, shdrAt(i)), type: h.sh_type, flags: h.sh_flags, size: h.sh_size,
      alignment, entsize: h.sh_entsize, link: h.sh_link, info: h.sh_info, data: dataOf(i), relocations: [],
    };
  }

  // Symbols, with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX.
  const symbols: ElfSymbol[] = [];
  let firstGlobal = 0;
  if (symtabIndex >= 0) {
    const st = headers[symtabIndex]!;
    if (st.sh_entsize !== Elf64_Sym.size) fail(shdrAt(symtabIndex), `symbol table entry size ${st.sh_entsize}, expected ${Elf64_Sym.size}`);
    checkRange(st.sh_offset, st.sh_size, "symbol table");
    if (st.sh_link >= shnum) fail(shdrAt(symtabIndex), `symbol table links to section ${st.sh_link}, which does not exist`);
    const strtab = readStringTable(dataOf(st.sh_link), "elf");
    const shndxSection = sections.find((s) => s?.type === SHT.SYMTAB_SHNDX && s.link === symtabIndex);
    const count = Math.floor(st.sh_size / Elf64_Sym.size);
    firstGlobal = st.sh_info;
    for (let i = 0; i < count; i++) {
      const at = st.sh_offset + i * Elf64_Sym.size;
      const s = readStruct(view, Elf64_Sym, at);
      let shndx = s.st_shndx;
      if (shndx === SHN_XINDEX) {
        if (shndxSection === undefined || shndxSection.data.length < (i + 1) * 4) fail(at, `symbol ${i} has SHN_XINDEX but no SHT_SYMTAB_SHNDX entry`);
        shndx = new DataView(shndxSection!.data.buffer, shndxSection!.data.byteOffset).getUint32(i * 4, true);
      }
      if (shndx !== 0 && shndx < SHN_LORESERVE && sections[shndx] === undefined) fail(at, `symbol ${i} is in section ${shndx}, which does not exist`);
      symbols.push({
        name: nameAt(strtab, s.st_name, at), bind: s.st_info >> 4, type: s.st_info & 0xf, other: s.st_other, shndx, value: s.st_value, size: s.st_size,
      });
    }
  }

  // Relocations (SHT_RELA; SHT_REL is not used on x86-64) and section groups.
  const groups: SectionGroup[] = [];
  for (const section of sections) {
    if (section === undefined) continue;
    if (section.type === SHT.REL) fail(shdrAt(section.index), `section ${section.name} is SHT_REL: x86-64 objects use SHT_RELA`);
    if (section.type === SHT.RELA) {
      const target = sections[section.info];
      if (target === undefined) fail(shdrAt(section.index), `relocation section ${section.name} applies to section ${section.info}, which does not exist`);
      const relocations: Relocation[] = [];
      const rview = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
      for (let at = 0; at + Elf64_Rela.size <= section.data.length; at += Elf64_Rela.size) {
        const offset = Number(rview.getBigUint64(at, true));
        const info = rview.getBigUint64(at + 8, true);
        const addend = Number(rview.getBigInt64(at + 16, true));
        const symbol = Number(info >> 32n);
        const type = Number(info & 0xffffffffn);
        const fileAt = headers[section.index]!.sh_offset + at;
        if (symbol >= symbols.length) fail(fileAt, `relocation in ${section.name} refers to symbol ${symbol}, but there are ${symbols.length}`);
        if (offset + 4 > target!.size && type !== 0) fail(fileAt, `relocation in ${section.name} at 0x${offset.toString(16)} is outside ${target!.name} (0x${target!.size.toString(16)} bytes)`);
        relocations.push({ offset, type, symbol, addend });
      }
      target!.relocations = relocations;
    } else if (section.type === SHT.GROUP) {
      if (section.data.length < 4 || section.data.length % 4 !== 0) fail(shdrAt(section.index), `section group ${section.name} has size ${section.data.length}, expected a multiple of 4`);
      const g = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
      const members: number[] = [];
      for (let at = 4; at < section.data.length; at += 4) members.push(g.getUint32(at, true));
      const signature = symbols[section.info];
      if (signature === undefined) fail(shdrAt(section.index), `section group ${section.name} names signature symbol ${section.info}, which does not exist`);
      groups.push({ signature: signature!.name, comdat: (g.getUint32(0, true) & GRP_COMDAT) !== 0, members });
    }
  }
  return { name, sections, symbols, firstGlobal, groups };
}
