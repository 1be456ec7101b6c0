// Short import objects (spec §8): a 20-byte header, the symbol name, the DLL name and, for
// IMPORT_OBJECT_NAME_EXPORTAS, the exported name; and the rule deriving the name the DLL exports.
import { ByteView, decodeText } from "./byte-view.js";
import { IMPORT_OBJECT_TYPE } from "./constants.js";
import { InvalidFieldError, TruncatedInputError } from "./errors.js";
import { ImportObjectHeader } from "./layouts.js";
import { readStruct, writeStruct } from "./struct.js";

export type ImportType = "code" | "data" | "const";
export type ImportNameType = "ordinal" | "name" | "noprefix" | "undecorate" | "exportas";

const importTypes: readonly ImportType[] = ["code", "data", "const"];
const nameTypes: readonly ImportNameType[] = ["ordinal", "name", "noprefix", "undecorate", "exportas"];

export interface ImportObject {
  readonly machine: number;
  readonly timeDateStamp: number;
  /** The ordinal for `nameType: "ordinal"`, otherwise a hint into the DLL's export name table. */
  readonly ordinalOrHint: number;
  readonly importType: ImportType;
  readonly nameType: ImportNameType;
  /** The symbol the object defines (`__imp_` + it too, and a thunk for code). */
  readonly symbolName: string;
  readonly dllName: string;
  /** The name the DLL exports, stored only with `nameType: "exportas"`. */
  readonly exportName?: string | undefined;
  /** `Type` bits above the name type (bits 5-15), reserved; kept so they round-trip. */
  readonly reservedTypeBits?: number | undefined;
  /** Header version (0 in every known producer). */
  readonly version?: number | undefined;
  /** Bytes after the last name inside SizeOfData (normally none). */
  readonly padding?: Uint8Array | undefined;
}

export interface ReadImportOptions {
  readonly fileName?: string;
}

export function readImportObject(bytes: Uint8Array, options: ReadImportOptions = {}): ImportObject {
  const view = new ByteView(bytes, options.fileName);
  const h = readStruct(view, ImportObjectHeader, 0);
  const fail = (problem: string, offset: number, expected: string): never => {
    throw new InvalidFieldError(problem, { file: options.fileName, offset, expected });
  };
  if (h.Sig1 !== 0 || h.Sig2 !== 0xffff) fail("not a short import object", 0, "Sig1 = 0 and Sig2 = 0xFFFF");
  if (h.Version !== 0) fail(`import object header version ${h.Version}`, 4, "version 0");
  const end = ImportObjectHeader.size + h.SizeOfData;
  view.check(ImportObjectHeader.size, h.SizeOfData, "the names of an import object");
  const importType = importTypes[h.Type & 3];
  if (importType === undefined) fail(`import type ${h.Type & 3}`, ImportObjectHeader.offsetOf.Type, "code (0), data (1) or const (2)");
  const nameType = nameTypes[(h.Type >>> 2) & 7];
  if (nameType === undefined) fail(`import name type ${(h.Type >>> 2) & 7}`, ImportObjectHeader.offsetOf.Type, "a name type from 0 to 4");

  let at = ImportObjectHeader.size;
  const nextName = (what: string): string => {
    const stop = bytes.indexOf(0, at);
    if (stop < 0 || stop >= end) {
      throw new TruncatedInputError(`the ${what} of an import object is not NUL-terminated`, {
        file: options.fileName, offset: at, expected: `a NUL before offset 0x${end.toString(16)}`,
      });
    }
    const name = decodeText(bytes, at, stop);
    at = stop + 1;
    return name;
  };
  const symbolName = nextName("symbol name");
  const dllName = nextName("DLL name");
  const exportName = nameType === "exportas" ? nextName("export name") : undefined;
  return {
    machine: h.Machine,
    timeDateStamp: h.TimeDateStamp,
    ordinalOrHint: h.OrdinalOrHint,
    importType: importType!,
    nameType: nameType!,
    symbolName,
    dllName,
    exportName,
    reservedTypeBits: h.Type >>> 5,
    version: h.Version,
    padding: at < end ? bytes.subarray(at, end) : undefined,
  };
}

const utf8 = new TextEncoder();

export function writeImportObject(obj: ImportObject): Uint8Array {
  const names = [obj.symbolName, obj.dllName];
  if (obj.nameType === "exportas") {
    if (obj.exportName === undefined) {
      throw new InvalidFieldError(`import object for ${JSON.stringify(obj.symbolName)} has name type exportas but no export name`, { expected: "an exportName" });
    }
    names.push(obj.exportName);
  }
  const encoded = names.map((n) => utf8.encode(n));
  const padding = obj.padding ?? new Uint8Array(0);
  const sizeOfData = encoded.reduce((sum, e) => sum + e.length + 1, 0) + padding.length;
  const out = new Uint8Array(ImportObjectHeader.size + sizeOfData);
  writeStruct(out, ImportObjectHeader, 0, {
    Sig1: 0, Sig2: 0xffff, Version: obj.version ?? 0, Machine: obj.machine, TimeDateStamp: obj.timeDateStamp,
    SizeOfData: sizeOfData, OrdinalOrHint: obj.ordinalOrHint,
    Type: IMPORT_OBJECT_TYPE.values[importTypeKey(obj.importType)] | (nameTypeValue(obj.nameType) << 2) | ((obj.reservedTypeBits ?? 0) << 5),
  });
  let at = ImportObjectHeader.size;
  for (const e of encoded) {
    out.set(e, at);
    at += e.length + 1;
  }
  out.set(padding, at);
  return out;
}

/**
 * The name the DLL exports, as link.exe derives it (spec §8.3): undefined for imports by ordinal;
 * NOPREFIX drops one leading `?`, `@` or `_`; UNDECORATE also cuts at the first `@` after that.
 */
export function importedName(obj: ImportObject): string | undefined {
  switch (obj.nameType) {
    case "ordinal": return undefined;
    case "name": return obj.symbolName;
    case "noprefix": return dropPrefix(obj.symbolName);
    case "undecorate": {
      const name = dropPrefix(obj.symbolName);
      const at = name.indexOf("@");
      return at < 0 ? name : name.slice(0, at);
    }
    case "exportas": return obj.exportName;
  }
}

function dropPrefix(name: string): string {
  const c = name[0];
  return c === "?" || c === "@" || c === "_" ? name.slice(1) : name;
}

function importTypeKey(t: ImportType): "CODE" | "DATA" | "CONST" {
  return t === "code" ? "CODE" : t === "data" ? "DATA" : "CONST";
}

function nameTypeValue(t: ImportNameType): number {
  const v = nameTypes.indexOf(t);
  if (v < 0) throw new InvalidFieldError(`unknown import name type ${JSON.stringify(t)}`, { expected: nameTypes.join(", ") });
  return v;
}
