// Writes the executable's headers, program headers, .symtab/.strtab/.shstrtab and section headers around
// section contents placed by the layout. Two phases, as gimli's writers: reserve every range, then fill it.
import { StringTable } from "@linkkit/strtab";
import {
  ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_EXEC, EV_CURRENT, Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr, Elf64_Sym,
  IMAGE_BASE, PAGE_SIZE, PF, PT, SHF, SHT, STB, writeStruct,
} from "./elf-format.js";
import { InternalError } from "./errors.js";

export interface OutputSection {
  readonly name: string;
  readonly flags: number;
  readonly noBits: boolean;
  /** Virtual address (image base included). */
  readonly address: number;
  readonly fileOffset: number;
  /** Bytes up to the end of the last atom. */
  readonly size: number;
  readonly alignment: number;
}

export interface OutputSymbol {
  readonly name: string;
  readonly info: number;
  readonly other: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface ExecutableSpec {
  readonly entry: number;
  /** Every output section, empty ones included (they get neither a section nor a program header). */
  readonly sections: readonly OutputSection[];
  /** Locals first; undefined writes no .symtab (`--strip-all`). */
  readonly symbols: readonly OutputSymbol[] | undefined;
  readonly maxProgramHeaders: number;
  /** Where section contents end in the file; the tables go after. */
  readonly contentEnd: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** Lays out and writes everything but the section contents, which the caller copies in afterwards. */
export function writeExecutable(spec: ExecutableSpec): { bytes: Uint8Array } {
  const present = spec.sections.filter((s) => s.size > 0);

  // Phase 1: reserve. Program headers: the headers' own read-only segment, one PT_LOAD per section, GNU_STACK.
  const headerEnd = Elf64_Ehdr.size + spec.maxProgramHeaders * Elf64_Phdr.size;
  const phdrs: Parameters<typeof writeStruct<typeof Elf64_Phdr.widths>>[3][] = [
    { p_type: PT.LOAD, p_flags: PF.R, p_offset: 0, p_vaddr: IMAGE_BASE, p_paddr: IMAGE_BASE, p_filesz: headerEnd, p_memsz: headerEnd, p_align: PAGE_SIZE },
  ];
  for (const s of present) {
    const flags = PF.R | ((s.flags & SHF.WRITE) !== 0 ? PF.W : 0) | ((s.flags & SHF.EXECINSTR) !== 0 ? PF.X : 0);
    phdrs.push({
      p_type: PT.LOAD, p_flags: flags, p_offset: s.noBits ? 0 : s.fileOffset, p_vaddr: s.address, p_paddr: s.address,
      p_filesz: s.noBits ? 0 : s.size, p_memsz: s.size, p_align: PAGE_SIZE,
    });
  }
  phdrs.push({ p_type: PT.GNU_STACK, p_flags: PF.R | PF.W, p_align: 16 });
  if (phdrs.length > spec.maxProgramHeaders) throw new InternalError(`${phdrs.length} program headers, room for ${spec.maxProgramHeaders}`);

  const shstrtab = StringTable.from([...present.map((s) => s.name), ...(spec.symbols ? [".symtab", ".strtab"] : []), ".shstrtab"], "elf", { tailMerge: true });
  const strtab = spec.symbols ? StringTable.from(spec.symbols.map((s) => s.name), "elf", { tailMerge: true }) : undefined;
  let cursor = align(spec.contentEnd, 8);
  const symtabOffset = cursor;
  const symtabSize = spec.symbols ? (spec.symbols.length + 1) * Elf64_Sym.size : 0;
  cursor += symtabSize;
  const strtabOffset = cursor;
  cursor += strtab?.size ?? 0;
  const shstrtabOffset = cursor;
  cursor += shstrtab.size;
  const shoff = align(cursor, 8);
  const shnum = 1 + present.length + (spec.symbols ? 2 : 0) + 1;
  const fileSize = shoff + shnum * Elf64_Shdr.size;

  // Phase 2: write.
  const bytes = new Uint8Array(fileSize);
  const view = new DataView(bytes.buffer);
  bytes.set(ELFMAG, 0);
  bytes[4] = ELFCLASS64;
  bytes[5] = ELFDATA2LSB;
  bytes[6] = EV_CURRENT;
  writeStruct(view, Elf64_Ehdr, 0, {
    e_type: ET_EXEC, e_machine: EM_X86_64, e_version: EV_CURRENT, e_entry: spec.entry,
    e_phoff: Elf64_Ehdr.size, e_shoff: shoff, e_ehsize: Elf64_Ehdr.size, e_phentsize: Elf64_Phdr.size, e_phnum: phdrs.length,
    e_shentsize: Elf64_Shdr.size, e_shnum: shnum, e_shstrndx: shnum - 1,
  });
  phdrs.forEach((p, i) => writeStruct(view, Elf64_Phdr, Elf64_Ehdr.size + i * Elf64_Phdr.size, p));

  let firstGlobal = 1;
  if (spec.symbols && strtab) {
    spec.symbols.forEach((s, i) => {
      if (s.info >> 4 === STB.LOCAL) firstGlobal = i + 2;
      writeStruct(view, Elf64_Sym, symtabOffset + (i + 1) * Elf64_Sym.size, {
        st_name: strtab.offsetOf(s.name)!, st_info: s.info, st_other: s.other, st_shndx: s.shndx, st_value: s.value, st_size: s.size,
      });
    });
    strtab.writeTo(bytes, strtabOffset);
  }
  shstrtab.writeTo(bytes, shstrtabOffset);

  let index = 1;
  const header = (values: Parameters<typeof writeStruct<typeof Elf64_Shdr.widths>>[3]) => writeStruct(view, Elf64_Shdr, shoff + index++ * Elf64_Shdr.size, values);
  let lastFileEnd = 0;
  for (const s of present) {
    // A NOBITS section's offset is where it would start in the file, as GNU ld writes it.
    const offset = s.noBits ? lastFileEnd : s.fileOffset;
    if (!s.noBits) lastFileEnd = s.fileOffset + s.size;
    header({
      sh_name: shstrtab.offsetOf(s.name)!, sh_type: s.noBits ? SHT.NOBITS : SHT.PROGBITS, sh_flags: s.flags, sh_addr: s.address,
      sh_offset: offset, sh_size: s.size, sh_addralign: s.alignment,
    });
  }
  if (spec.symbols && strtab) {
    header({ sh_name: shstrtab.offsetOf(".symtab")!, sh_type: SHT.SYMTAB, sh_offset: symtabOffset, sh_size: symtabSize, sh_link: index + 1, sh_info: firstGlobal, sh_addralign: 8, sh_entsize: Elf64_Sym.size });
    header({ sh_name: shstrtab.offsetOf(".strtab")!, sh_type: SHT.STRTAB, sh_offset: strtabOffset, sh_size: strtab.size, sh_addralign: 1 });
  }
  header({ sh_name: shstrtab.offsetOf(".shstrtab")!, sh_type: SHT.STRTAB, sh_offset: shstrtabOffset, sh_size: shstrtab.size, sh_addralign: 1 });
  if (index !== shnum) throw new InternalError(`wrote ${index} section headers, reserved ${shnum}`);
  return { bytes };
}
