// @linkkit/pe-writer: builds and patches PE images (PE32 and PE32+).
export { PeWriterError, NotAnImageError } from "./errors.js";
export type { PeWriterErrorDetails } from "./errors.js";
export { DOS_STUB_SIZE, writeDosStub } from "./dos-stub.js";
export {
  computeHeaderSize, dataDirectories, deriveHeaderFields, encodeSectionName, formatOf, headerLayout,
  imageCharacteristics, is64BitMachine, writeImageHeaders, writeSectionHeader,
} from "./headers.js";
export type {
  DataDirectoryEntry, DataDirectoryName, DerivedHeaderFields, HeaderLayout, ImageHeaderModel, PeFormat,
  SectionHeaderModel, Version,
} from "./headers.js";
export { checksumOffset, computePeChecksum, writeChecksum } from "./checksum.js";
export { DirtyRanges, mergeRanges } from "./dirty-ranges.js";
export { orderByKey } from "./key-order.js";
export type { DirtyRange } from "./dirty-ranges.js";
export { fileOffsetOfRva, locateImageHeaders } from "./image-view.js";
export type { ImageHeaderLocation, StoredSectionHeader } from "./image-view.js";
export { planImportTables, thunkSize, writeImportTables, writeImportThunk } from "./imports.js";
export type { ImportByName, ImportByOrdinal, ImportedDll, ImportedSymbol, ImportTablePlan, WrittenImportTables } from "./imports.js";
export { baseRelocationType, buildBaseRelocations, buildBaseRelocationsFromArrays, readBaseRelocations } from "./base-relocations.js";
export type { BaseRelocationEntry } from "./base-relocations.js";
export { planExportTable, writeExportTable } from "./exports.js";
export type {
  AssignedExport, ExportedSymbol, ExportTableInput, ExportTablePlan, ImportLibraryEntry, WrittenExportTable,
} from "./exports.js";
export { loadConfigDirectoryEntry, runtimeFunctionOrder, sortRuntimeFunctions, tlsDirectoryEntry } from "./directories.js";
export { validateImageLayout, writeImage } from "./image.js";
export type { ImageBlob, ImageModel, ImageSectionModel } from "./image.js";
export {
  appendSection, patchBytesAtRva, patchDataDirectory, patchOptionalHeaderField, patchSectionHeader,
  refreshDerivedHeaderFields,
} from "./patch.js";
export type { AppendedSection, OptionalHeaderField } from "./patch.js";
