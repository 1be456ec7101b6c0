// Named constants of the PE/COFF specification, as name → value tables that also serve dumps:
// `describeValue(IMAGE_FILE_MACHINE, 0x8664)` → "IMAGE_FILE_MACHINE_AMD64 (0x8664)".

/** A table of named constants; its `prefix` turns a key into the specification's full name. */
export interface ConstantTable<K extends string = string> {
  readonly prefix: string;
  readonly values: Readonly<Record<K, number>>;
}

function table<const T extends Record<string, number>>(prefix: string, values: T): ConstantTable<Extract<keyof T, string>> & T {
  return Object.freeze({ prefix, values, ...values });
}

export const IMAGE_FILE_MACHINE = table("IMAGE_FILE_MACHINE_", {
  UNKNOWN: 0x0, I386: 0x14c, R4000: 0x166, WCEMIPSV2: 0x169, SH3: 0x1a2, SH4: 0x1a6, ARM: 0x1c0, THUMB: 0x1c2,
  ARMNT: 0x1c4, POWERPC: 0x1f0, IA64: 0x200, EBC: 0xebc, AMD64: 0x8664, ARM64: 0xaa64, ARM64EC: 0xa641,
  ARM64X: 0xa64e, RISCV32: 0x5032, RISCV64: 0x5064, LOONGARCH64: 0x6264,
});

export const IMAGE_REL_AMD64 = table("IMAGE_REL_AMD64_", {
  ABSOLUTE: 0x0, ADDR64: 0x1, ADDR32: 0x2, ADDR32NB: 0x3, REL32: 0x4, REL32_1: 0x5, REL32_2: 0x6, REL32_3: 0x7,
  REL32_4: 0x8, REL32_5: 0x9, SECTION: 0xa, SECREL: 0xb, SECREL7: 0xc, TOKEN: 0xd, SREL32: 0xe, PAIR: 0xf,
  SSPAN32: 0x10,
});

export const IMAGE_REL_I386 = table("IMAGE_REL_I386_", {
  ABSOLUTE: 0x0, DIR16: 0x1, REL16: 0x2, DIR32: 0x6, DIR32NB: 0x7, SEG12: 0x9, SECTION: 0xa, SECREL: 0xb,
  TOKEN: 0xc, SECREL7: 0xd, REL32: 0x14,
});

export const IMAGE_REL_ARM = table("IMAGE_REL_ARM_", {
  ABSOLUTE: 0x0, ADDR32: 0x1, ADDR32NB: 0x2, BRANCH24: 0x3, BRANCH11: 0x4, REL32: 0xa, SECTION: 0xe, SECREL: 0xf,
  MOV32: 0x10, THUMB_MOV32: 0x11, THUMB_BRANCH20: 0x12, THUMB_BRANCH24: 0x14, THUMB_BLX23: 0x15, PAIR: 0x16,
});

export const IMAGE_REL_ARM64 = table("IMAGE_REL_ARM64_", {
  ABSOLUTE: 0x0, ADDR32: 0x1, ADDR32NB: 0x2, BRANCH26: 0x3, PAGEBASE_REL21: 0x4, REL21: 0x5, PAGEOFFSET_12A: 0x6,
  PAGEOFFSET_12L: 0x7, SECREL: 0x8, SECREL_LOW12A: 0x9, SECREL_HIGH12A: 0xa, SECREL_LOW12L: 0xb, TOKEN: 0xc,
  SECTION: 0xd, ADDR64: 0xe, BRANCH19: 0xf, BRANCH14: 0x10, REL32: 0x11,
});

/** The relocation table that applies to objects of a machine (ARM64EC and ARM64X use ARM64's). */
export function relocationTypesOf(machine: number): ConstantTable | undefined {
  switch (machine) {
    case IMAGE_FILE_MACHINE.AMD64: return IMAGE_REL_AMD64;
    case IMAGE_FILE_MACHINE.I386: return IMAGE_REL_I386;
    case IMAGE_FILE_MACHINE.ARMNT: case IMAGE_FILE_MACHINE.ARM: case IMAGE_FILE_MACHINE.THUMB: return IMAGE_REL_ARM;
    case IMAGE_FILE_MACHINE.ARM64: case IMAGE_FILE_MACHINE.ARM64EC: case IMAGE_FILE_MACHINE.ARM64X: return IMAGE_REL_ARM64;
    default: return undefined;
  }
}

export const IMAGE_FILE = table("IMAGE_FILE_", {
  RELOCS_STRIPPED: 0x1, EXECUTABLE_IMAGE: 0x2, LINE_NUMS_STRIPPED: 0x4, LOCAL_SYMS_STRIPPED: 0x8,
  AGGRESSIVE_WS_TRIM: 0x10, LARGE_ADDRESS_AWARE: 0x20, BYTES_REVERSED_LO: 0x80, "32BIT_MACHINE": 0x100,
  DEBUG_STRIPPED: 0x200, REMOVABLE_RUN_FROM_SWAP: 0x400, NET_RUN_FROM_SWAP: 0x800, SYSTEM: 0x1000, DLL: 0x2000,
  UP_SYSTEM_ONLY: 0x4000, BYTES_REVERSED_HI: 0x8000,
});

export const IMAGE_DLLCHARACTERISTICS = table("IMAGE_DLL_CHARACTERISTICS_", {
  HIGH_ENTROPY_VA: 0x20, DYNAMIC_BASE: 0x40, FORCE_INTEGRITY: 0x80, NX_COMPAT: 0x100, NO_ISOLATION: 0x200,
  NO_SEH: 0x400, NO_BIND: 0x800, APPCONTAINER: 0x1000, WDM_DRIVER: 0x2000, GUARD_CF: 0x4000,
  TERMINAL_SERVER_AWARE: 0x8000,
});

export const IMAGE_SUBSYSTEM = table("IMAGE_SUBSYSTEM_", {
  UNKNOWN: 0, NATIVE: 1, WINDOWS_GUI: 2, WINDOWS_CUI: 3, OS2_CUI: 5, POSIX_CUI: 7, NATIVE_WINDOWS: 8,
  WINDOWS_CE_GUI: 9, EFI_APPLICATION: 10, EFI_BOOT_SERVICE_DRIVER: 11, EFI_RUNTIME_DRIVER: 12, EFI_ROM: 13,
  XBOX: 14, WINDOWS_BOOT_APPLICATION: 16,
});

/** Section flags. The 4-bit alignment field (bits 20-23) is decoded by `sectionAlignment`. */
export const IMAGE_SCN = table("IMAGE_SCN_", {
  TYPE_NO_PAD: 0x8, CNT_CODE: 0x20, CNT_INITIALIZED_DATA: 0x40, CNT_UNINITIALIZED_DATA: 0x80, LNK_OTHER: 0x100,
  LNK_INFO: 0x200, LNK_REMOVE: 0x800, LNK_COMDAT: 0x1000, GPREL: 0x8000, MEM_PURGEABLE: 0x20000,
  MEM_LOCKED: 0x40000, MEM_PRELOAD: 0x80000,
  ALIGN_1BYTES: 0x100000, ALIGN_2BYTES: 0x200000, ALIGN_4BYTES: 0x300000, ALIGN_8BYTES: 0x400000,
  ALIGN_16BYTES: 0x500000, ALIGN_32BYTES: 0x600000, ALIGN_64BYTES: 0x700000, ALIGN_128BYTES: 0x800000,
  ALIGN_256BYTES: 0x900000, ALIGN_512BYTES: 0xa00000, ALIGN_1024BYTES: 0xb00000, ALIGN_2048BYTES: 0xc00000,
  ALIGN_4096BYTES: 0xd00000, ALIGN_8192BYTES: 0xe00000,
  LNK_NRELOC_OVFL: 0x1000000, MEM_DISCARDABLE: 0x2000000, MEM_NOT_CACHED: 0x4000000, MEM_NOT_PAGED: 0x8000000,
  MEM_SHARED: 0x10000000, MEM_EXECUTE: 0x20000000, MEM_READ: 0x40000000, MEM_WRITE: 0x80000000,
});
export const IMAGE_SCN_ALIGN_MASK = 0x00f00000;

/** Alignment in bytes encoded in section flags; 0 when the flags carry none (objects then default to 16). */
export function sectionAlignment(characteristics: number): number {
  const code = (characteristics & IMAGE_SCN_ALIGN_MASK) >>> 20;
  return code === 0 || code > 14 ? 0 : 1 << (code - 1);
}

/** The IMAGE_SCN_ALIGN_* flag for a power-of-two alignment from 1 to 8192. */
export function alignmentFlag(alignment: number): number {
  const log2 = Math.log2(alignment);
  if (!Number.isInteger(log2) || log2 < 0 || log2 > 13) {
    throw new RangeErrorFree(`section alignment must be a power of two from 1 to 8192, got ${alignment}`);
  }
  return (log2 + 1) << 20;
}

/** Programming mistakes in constant helpers are not input errors; they still must not be RangeErrors. */
class RangeErrorFree extends Error {
  override name = "InvalidArgumentError";
}

export const IMAGE_SYM_CLASS = table("IMAGE_SYM_CLASS_", {
  END_OF_FUNCTION: 0xff, NULL: 0, AUTOMATIC: 1, EXTERNAL: 2, STATIC: 3, REGISTER: 4, EXTERNAL_DEF: 5, LABEL: 6,
  UNDEFINED_LABEL: 7, MEMBER_OF_STRUCT: 8, ARGUMENT: 9, STRUCT_TAG: 10, MEMBER_OF_UNION: 11, UNION_TAG: 12,
  TYPE_DEFINITION: 13, UNDEFINED_STATIC: 14, ENUM_TAG: 15, MEMBER_OF_ENUM: 16, REGISTER_PARAM: 17, BIT_FIELD: 18,
  BLOCK: 100, FUNCTION: 101, END_OF_STRUCT: 102, FILE: 103, SECTION: 104, WEAK_EXTERNAL: 105, CLR_TOKEN: 107,
});

/** Special values of a symbol's section number. */
export const IMAGE_SYM = table("IMAGE_SYM_", { UNDEFINED: 0, ABSOLUTE: -1, DEBUG: -2 });

/** Symbol `Type`: the complex type sits in bits 4-7; functions have 0x20. */
export const IMAGE_SYM_DTYPE_FUNCTION = 2;
export const IMAGE_SYM_TYPE_FUNCTION = IMAGE_SYM_DTYPE_FUNCTION << 4;

export const IMAGE_COMDAT_SELECT = table("IMAGE_COMDAT_SELECT_", {
  NODUPLICATES: 1, ANY: 2, SAME_SIZE: 3, EXACT_MATCH: 4, ASSOCIATIVE: 5, LARGEST: 6, NEWEST: 7,
});

export const IMAGE_WEAK_EXTERN_SEARCH = table("IMAGE_WEAK_EXTERN_SEARCH_", {
  NOLIBRARY: 1, LIBRARY: 2, ALIAS: 3, ANTI_DEPENDENCY: 4,
});

/** Short import objects: what the import is (bits 0-1 of `Type`). */
export const IMPORT_OBJECT_TYPE = table("IMPORT_OBJECT_", { CODE: 0, DATA: 1, CONST: 2 });

/** Short import objects: how the imported name is derived from the symbol name (bits 2-4 of `Type`). */
export const IMPORT_OBJECT_NAME_TYPE = table("IMPORT_OBJECT_", {
  ORDINAL: 0, NAME: 1, NAME_NOPREFIX: 2, NAME_UNDECORATE: 3, NAME_EXPORTAS: 4,
});

/** Indices of the 16 data directories in the optional header. */
export const IMAGE_DIRECTORY_ENTRY = table("IMAGE_DIRECTORY_ENTRY_", {
  EXPORT: 0, IMPORT: 1, RESOURCE: 2, EXCEPTION: 3, SECURITY: 4, BASERELOC: 5, DEBUG: 6, ARCHITECTURE: 7,
  GLOBALPTR: 8, TLS: 9, LOAD_CONFIG: 10, BOUND_IMPORT: 11, IAT: 12, DELAY_IMPORT: 13, COM_DESCRIPTOR: 14,
  RESERVED: 15,
});

/** Base-relocation entry types (upper 4 bits of each u16 entry). */
export const IMAGE_REL_BASED = table("IMAGE_REL_BASED_", {
  ABSOLUTE: 0, HIGH: 1, LOW: 2, HIGHLOW: 3, HIGHADJ: 4, ARM_MOV32: 5, RESERVED: 6, THUMB_MOV32: 7,
  MIPS_JMPADDR16: 9, DIR64: 10,
});

export const IMAGE_DEBUG_TYPE = table("IMAGE_DEBUG_TYPE_", {
  UNKNOWN: 0, COFF: 1, CODEVIEW: 2, FPO: 3, MISC: 4, EXCEPTION: 5, FIXUP: 6, BORLAND: 9, CLSID: 11, REPRO: 16,
  EX_DLLCHARACTERISTICS: 20,
});

/** The full specification name of `value` in `t`, or undefined. */
export function nameOf(t: ConstantTable, value: number): string | undefined {
  for (const [key, v] of Object.entries(t.values)) if (v === value) return t.prefix + key;
  return undefined;
}

/** "IMAGE_FILE_MACHINE_AMD64 (0x8664)", or "0x1234" for values the table does not name. */
export function describeValue(t: ConstantTable, value: number): string {
  const name = nameOf(t, value);
  const hex = `0x${value.toString(16).toUpperCase()}`;
  return name === undefined ? hex : `${name} (${hex})`;
}

/**
 * The names of the flags set in `value`, in table order; bits no name covers come last as hex.
 * For section flags the alignment field is named as one value, not as overlapping bits.
 */
export function flagNames(t: ConstantTable, value: number): string[] {
  const names: string[] = [];
  let rest = value >>> 0;
  if (t === (IMAGE_SCN as ConstantTable)) {
    const align = rest & IMAGE_SCN_ALIGN_MASK;
    if (align !== 0) {
      names.push(nameOf(t, align) ?? `IMAGE_SCN_ALIGN(0x${align.toString(16)})`);
      rest &= ~IMAGE_SCN_ALIGN_MASK;
    }
  }
  for (const [key, v] of Object.entries(t.values)) {
    if (t === (IMAGE_SCN as ConstantTable) && (v & IMAGE_SCN_ALIGN_MASK) !== 0) continue;
    if (v !== 0 && (rest & v) >>> 0 === v) {
      names.push(t.prefix + key);
      rest = (rest & ~v) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16).toUpperCase()}`);
  return names;
}
