// The PE-image half of coff-format: reading images and their directories, writing their headers.
export { readPeImage, PeImage, MAX_RVA_STRING_LENGTH, OPTIONAL_HEADER_CHECKSUM_OFFSET, optionalHeaderFixedSize } from "./pe-image.js";
export type {
  DosHeader, FileHeader, OptionalHeader, OptionalHeader32, OptionalHeader64, DataDirectory, SectionHeader, PeSection,
  ReadPeImageOptions,
} from "./pe-image.js";
export { readImportDirectory, readDelayImportDirectory } from "./imports.js";
export type { ImportEntry, ImportedDll, DelayImportedDll } from "./imports.js";
export { readExportDirectory } from "./exports.js";
export type { ExportDirectory, ExportEntry } from "./exports.js";
export { readBaseRelocations } from "./base-relocations.js";
export type { BaseRelocations, BaseRelocationBlock, BaseRelocationEntry } from "./base-relocations.js";
export { readExceptionTable, readTlsDirectory, readLoadConfigSize, readDebugDirectory } from "./directories.js";
export type { RuntimeFunction, TlsDirectory, DebugDirectoryEntry } from "./directories.js";
export { computePeChecksum, writePeChecksum, checksumFieldOffset } from "./checksum.js";
export {
  DOS_STUB, DOS_HEADER_AND_STUB_SIZE, writeDosHeaderAndStub, writePeHeaders, peHeadersSize, peHeadersOf,
} from "./headers.js";
export type { PeHeadersModel, FileHeaderModel, OptionalHeaderModel, SectionHeaderModel } from "./headers.js";
export { imageSummary } from "./summary.js";
export type { ImageSummary } from "./summary.js";
