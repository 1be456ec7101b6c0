// A short import object (what llvm-dlltool, llvm-lib and link.exe put in import libraries): it defines
// `__imp_<name>` (the IAT slot) and, for code, `<name>` (a jump thunk to call through the slot).
import { importedName, type ImportObject } from "@linkkit/coff-format";
import type { InputId, SymbolTable } from "@linkkit/symbol-resolver";

/** Payload of import symbols in the resolver: which part of the import they name. */
export const IMPORT_SLOT = 1;
export const IMPORT_THUNK = 2;

export class ImportFile {
  readonly kind = "import";
  readonly input: InputId;
  /** `kernel32.lib(kernel32.dll)`-style name for messages. */
  readonly name: string;
  /** Library base name, for map files: `kernel32`. */
  readonly libraryName: string;
  readonly object: ImportObject;
  readonly dllName: string;
  /** Name in the DLL's export table, or undefined when importing by ordinal. */
  readonly importName: string | undefined;
  readonly ordinal: number | undefined;
  readonly hint: number;
  readonly isCode: boolean;
  /** Set by liveness: something refers to the IAT slot (or to the thunk, which uses it). */
  slotUsed = false;
  /** Set by liveness: something calls `<name>` directly, so it needs a jump thunk. */
  thunkUsed = false;

  constructor(input: InputId, name: string, libraryName: string, object: ImportObject) {
    this.input = input;
    this.name = name;
    this.libraryName = libraryName;
    this.object = object;
    this.dllName = object.dllName;
    this.isCode = object.importType === "code";
    if (object.nameType === "ordinal") {
      this.ordinal = object.ordinalOrHint;
      this.importName = undefined;
      this.hint = 0;
    } else {
      this.ordinal = undefined;
      this.importName = importedName(object);
      this.hint = object.ordinalOrHint;
    }
  }

  register(symbols: SymbolTable): void {
    symbols.defineSynthetic(this.input, `__imp_${this.object.symbolName}`, IMPORT_SLOT, 0);
    if (this.isCode) symbols.defineSynthetic(this.input, this.object.symbolName, IMPORT_THUNK, 0);
  }
}
