// @linkkit/ar: the ar archive container (GNU, BSD, Microsoft .lib, thin), read lazily and written deterministically.
export { readArchive, type Archive, type ArchiveMember, type StoredMember, type ThinMember, type ReadArchiveOptions } from "./reader.js";
export { writeArchive, type ArchiveMemberInput, type WriteArchiveOptions } from "./writer.js";
export type { ArchiveSymbol } from "./symbols.js";
export type { ArchiveFormat } from "./format.js";
export { ArchiveFormatError, ArchiveWriteError, ArchiveInternalError, ArchiveUsageError } from "./errors.js";
