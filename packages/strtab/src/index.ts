// @linkkit/strtab: string tables for object files (COFF, ELF, Mach-O), append-stable and tail-mergeable.
export { StringTable, type StringTableFromOptions } from "./table.js";
export { readStringTable, type StringTableReader } from "./reader.js";
export { StringTableError, type StringTableErrorCode } from "./errors.js";
export type { StringTableFlavour } from "./flavour.js";
