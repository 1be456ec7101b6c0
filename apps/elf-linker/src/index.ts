// @linkkit/elf-linker: linkkit-elf, a static x86-64 ELF linker on the generic linkkit packages.
export { ElfLinker, OUTPUT_SECTIONS, outputSectionOf, type InputFile, type LinkerOptions, type LinkOutput } from "./linker.js";
export { ElfSession, diffRanges, type ElfSessionOptions, type UpdateReport } from "./session.js";
export { parseArgs, USAGE, type ElfLinkOptions, type InputSpec } from "./args.js";
export { parseObject, type ObjectFile, type InputSection, type ElfSymbol, type Relocation, type SectionGroup } from "./object.js";
export { runLinkkitElf } from "./driver.js";
export { ElfFormatError, ElfLinkError, InternalError } from "./errors.js";
