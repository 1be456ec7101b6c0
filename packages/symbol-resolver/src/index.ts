// @linkkit/symbol-resolver: a linker's global symbol table, format-agnostic.
export { SymbolTable } from "./symbol-table.js";
export type {
  ChangeReport,
  ComdatDiscard,
  ComdatId,
  InputId,
  Resolution,
  SymbolId,
  SymbolRef,
  SymbolTableOptions,
  SymbolTableState,
  TableCapacity,
} from "./symbol-table.js";
export {
  COMDAT_SELECTION_NAMES,
  ComdatSelection,
  PRECEDENCE,
  RefFlags,
  SYMBOL_KIND_NAMES,
  SymbolKind,
  kindName,
} from "./kinds.js";
export type { PrecedenceRow, SymbolKindName, TieRule } from "./kinds.js";
export { MAX_LISTED_REFERENCES } from "./diagnostics.js";
export type {
  ComdatMismatchDiagnostic,
  DefinitionSite,
  Diagnostic,
  DuplicateDiagnostic,
  ReferenceSite,
  Severity,
  UndefinedDiagnostic,
} from "./diagnostics.js";
export { InternalError, ResolverError, SymbolTableUsageError } from "./errors.js";
