// The fixed parts of the ar format shared by every variant.

export const MAGIC = "!<arch>\n";
export const THIN_MAGIC = "!<thin>\n";
export const MAGIC_SIZE = 8;
export const HEADER_SIZE = 60;

/** Field positions in the 60-byte member header: [start, length]. */
export const FIELD = {
  name: [0, 16],
  date: [16, 12],
  uid: [28, 6],
  gid: [34, 6],
  mode: [40, 8],
  size: [48, 10],
  fmag: [58, 2],
} as const;

/** The variants: GNU/SysV, BSD (and Darwin), Microsoft `.lib` ("coff"). */
export type ArchiveFormat = "gnu" | "bsd" | "coff";

export const BSD_SYMDEF_NAMES = new Set(["__.SYMDEF", "__.SYMDEF SORTED", "__.SYMDEF_64", "__.SYMDEF_64 SORTED"]);
