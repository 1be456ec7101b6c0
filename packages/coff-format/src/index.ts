export { CoffFormatError, TruncatedInputError, InvalidFieldError } from "./errors.js";
export type { CoffFormatErrorDetails } from "./errors.js";
export { ByteView, decodeText } from "./byte-view.js";
export { defineStruct, readStruct, writeStruct, fieldSize } from "./struct.js";
export type { FieldType, StructFields, StructLayout, StructValue } from "./struct.js";
export * from "./layouts.js";
export * from "./constants.js";
// --- COFF objects and short import objects ---
export { identifyInput } from "./identify.js";
export type { InputKind } from "./identify.js";
export { CoffObject, RelocationTable, readCoffObject, MAX_NUMBER_OF_SECTIONS16, RELOCATION_COUNT_OVERFLOW } from "./object.js";
export type { ReadCoffOptions, CoffSectionHeader, CoffRelocation, CoffSymbol, BigobjHeaderFields } from "./object.js";
export { writeCoffObject, toCoffObjectModel, symbolTableIndices, symbolRecordCount, encodeSymbolAux } from "./object-writer.js";
export type { CoffObjectModel, CoffSectionModel, CoffSymbolModel, AuxFileRecords } from "./object-writer.js";
export { auxFormatOf, decodeAuxRecord, encodeAuxRecord, decodeFileName, AUX_PAYLOAD_SIZE } from "./aux-records.js";
export type {
  AuxRecord, AuxFormat, AuxFunctionDefinition, AuxFunctionLines, AuxWeakExternal, AuxFile, AuxSectionDefinition,
  AuxClrToken, AuxRaw,
} from "./aux-records.js";
export { CoffStringTable, readCoffStringTable, parseLongSectionNameRef, encodeLongSectionNameRef, STRING_TABLE_SIZE_FIELD } from "./string-table.js";
export { readImportObject, writeImportObject, importedName } from "./import-object.js";
export type { ImportObject, ImportType, ImportNameType, ReadImportOptions } from "./import-object.js";
export * from "./image/index.js";
