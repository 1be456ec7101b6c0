// The ELF64 structures and constants linkkit-elf reads and writes, as data (System V gABI, x86-64 psABI).

/** A struct layout: field name → byte width (1, 2, 4 or 8), in file order; offsets follow from the widths. */
export type FieldWidths = Readonly<Record<string, 1 | 2 | 4 | 8>>;

export interface StructLayout<F extends FieldWidths> {
  readonly name: string;
  readonly size: number;
  readonly offsets: { readonly [K in keyof F]: number };
  readonly widths: F;
}

function struct<F extends FieldWidths>(name: string, widths: F): StructLayout<F> {
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const [field, width] of Object.entries(widths)) {
    offsets[field] = at;
    at += width;
  }
  return { name, size: at, offsets: offsets as { [K in keyof F]: number }, widths };
}

/** gABI "ELF Header" (e_ident is 16 bytes, read separately). */
export const Elf64_Ehdr = struct("Elf64_Ehdr", {
  e_ident0: 8, e_ident8: 8, e_type: 2, e_machine: 2, e_version: 4, e_entry: 8, e_phoff: 8, e_shoff: 8,
  e_flags: 4, e_ehsize: 2, e_phentsize: 2, e_phnum: 2, e_shentsize: 2, e_shnum: 2, e_shstrndx: 2,
});
/** gABI "Section Header". */
export const Elf64_Shdr = struct("Elf64_Shdr", {
  sh_name: 4, sh_type: 4, sh_flags: 8, sh_addr: 8, sh_offset: 8, sh_size: 8, sh_link: 4, sh_info: 4, sh_addralign: 8, sh_entsize: 8,
});
/** gABI "Symbol Table Entry". */
export const Elf64_Sym = struct("Elf64_Sym", { st_name: 4, st_info: 1, st_other: 1, st_shndx: 2, st_value: 8, st_size: 8 });
/** gABI "Relocation Entries" (with addend). */
export const Elf64_Rela = struct("Elf64_Rela", { r_offset: 8, r_info: 8, r_addend: 8 });
/** gABI "Program Header". */
export const Elf64_Phdr = struct("Elf64_Phdr", {
  p_type: 4, p_flags: 4, p_offset: 8, p_vaddr: 8, p_paddr: 8, p_filesz: 8, p_memsz: 8, p_align: 8,
});

export type Fields<L> = L extends StructLayout<infer F> ? { [K in keyof F]: number } : never;

/**
 * Reads one struct at `at`. 8-byte fields must fit a safe integer unless listed in `signed`
 * (read as signed 64-bit, e.g. r_addend); the caller has checked that the struct lies inside `view`.
 */
export function readStruct<F extends FieldWidths>(view: DataView, layout: StructLayout<F>, at: number, signed: readonly (keyof F)[] = []): { [K in keyof F]: number } {
  const out: Record<string, number> = {};
  for (const field in layout.widths) {
    const off = at + layout.offsets[field];
    switch (layout.widths[field]) {
      case 1: out[field] = view.getUint8(off); break;
      case 2: out[field] = view.getUint16(off, true); break;
      case 4: out[field] = view.getUint32(off, true); break;
      default: {
        const big = signed.includes(field) ? view.getBigInt64(off, true) : view.getBigUint64(off, true);
        // Beyond 2^53 a number loses bits; such values never occur in the objects we link, except r_info.
        out[field] = Number(big);
      }
    }
  }
  return out as { [K in keyof F]: number };
}

/** Writes one struct at `at`; fields left out are not touched. Negative values in 8-byte fields are written as two's complement. */
export function writeStruct<F extends FieldWidths>(view: DataView, layout: StructLayout<F>, at: number, values: Partial<{ [K in keyof F]: number }>): void {
  for (const field in layout.widths) {
    const off = at + layout.offsets[field];
    const v = values[field];
    if (v === undefined) continue;
    switch (layout.widths[field]) {
      case 1: view.setUint8(off, v); break;
      case 2: view.setUint16(off, v, true); break;
      case 4: view.setUint32(off, v >>> 0, true); break;
      default: view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    }
  }
}

export const ELFMAG = [0x7f, 0x45, 0x4c, 0x46] as const;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const EM_X86_64 = 62;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const SHT = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9,
  INIT_ARRAY: 14, FINI_ARRAY: 15, PREINIT_ARRAY: 16, GROUP: 17, SYMTAB_SHNDX: 18,
  X86_64_UNWIND: 0x70000001, LLVM_ADDRSIG: 0x6fff4c03, GNU_ATTRIBUTES: 0x6ffffff5,
} as const;

export const SHF = {
  WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, MERGE: 0x10, STRINGS: 0x20, INFO_LINK: 0x40, GROUP: 0x200, TLS: 0x400,
  EXCLUDE: 0x80000000,
} as const;

export const GRP_COMDAT = 1;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 } as const;

export const PT = { NULL: 0, LOAD: 1, GNU_STACK: 0x6474e551 } as const;
export const PF = { X: 1, W: 2, R: 4 } as const;

/** x86-64 psABI relocation types linkkit-elf applies, and their names for messages. */
export const R_X86_64 = {
  NONE: 0, _64: 1, PC32: 2, PLT32: 4, GOTPCREL: 9, _32: 10, _32S: 11, PC64: 24, GOTPCRELX: 41, REX_GOTPCRELX: 42,
} as const;

export const RELOCATION_NAMES: Readonly<Record<number, string>> = {
  0: "R_X86_64_NONE", 1: "R_X86_64_64", 2: "R_X86_64_PC32", 3: "R_X86_64_GOT32", 4: "R_X86_64_PLT32", 5: "R_X86_64_COPY",
  6: "R_X86_64_GLOB_DAT", 7: "R_X86_64_JUMP_SLOT", 8: "R_X86_64_RELATIVE", 9: "R_X86_64_GOTPCREL", 10: "R_X86_64_32",
  11: "R_X86_64_32S", 12: "R_X86_64_16", 13: "R_X86_64_PC16", 14: "R_X86_64_8", 15: "R_X86_64_PC8",
  16: "R_X86_64_DTPMOD64", 17: "R_X86_64_DTPOFF64", 18: "R_X86_64_TPOFF64", 19: "R_X86_64_TLSGD", 20: "R_X86_64_TLSLD",
  21: "R_X86_64_DTPOFF32", 22: "R_X86_64_GOTTPOFF", 23: "R_X86_64_TPOFF32", 24: "R_X86_64_PC64", 25: "R_X86_64_GOTOFF64",
  26: "R_X86_64_GOTPC32", 41: "R_X86_64_GOTPCRELX", 42: "R_X86_64_REX_GOTPCRELX",
};

export function relocationName(type: number): string {
  return RELOCATION_NAMES[type] ?? `unknown relocation type ${type}`;
}

export const PAGE_SIZE = 0x1000;
/** Where ET_EXEC images start, as GNU ld and ld.lld place them on x86-64. */
export const IMAGE_BASE = 0x400000;
