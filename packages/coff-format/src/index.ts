export { CoffFormatError, TruncatedInputError, InvalidFieldError } from "./errors.js";
export type { CoffFormatErrorDetails } from "./errors.js";
export { ByteView, decodeText } from "./byte-view.js";
export { defineStruct, readStruct, writeStruct, fieldSize } from "./struct.js";
export type { FieldType, StructFields, StructLayout, StructValue } from "./struct.js";
export * from "./layouts.js";
export * from "./constants.js";
