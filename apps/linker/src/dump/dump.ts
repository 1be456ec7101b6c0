// Decides what coffdump shows of a file: identifies it, decodes the selected parts with the format
// packages, and returns them as the plain-data DumpModel that both renderers read.
import { readArchive, ArchiveFormatError, type Archive } from "@linkkit/ar";
import {
  CoffFormatError, IMAGE_COMDAT_SELECT, IMAGE_FILE, IMAGE_FILE_MACHINE, IMAGE_REL_BASED, IMAGE_SCN, IMAGE_SYM,
  IMAGE_SYM_CLASS, IMAGE_WEAK_EXTERN_SEARCH, IMPORT_OBJECT_NAME_TYPE, IMPORT_OBJECT_TYPE, describeValue, flagNames,
  identifyInput, imageSummary, importedName, nameOf, readBaseRelocations, readCoffObject, readDelayImportDirectory,
  readExportDirectory, readImportDirectory, readImportObject, readPeImage, relocationTypesOf,
  type AuxRecord, type CoffObject, type ImportEntry, type PeImage,
} from "@linkkit/coff-format";
import type {
  ArchiveDump, ArchiveMemberDump, AuxDump, BaseRelocationsDump, DumpModel, DumpSelection, ImageDump, ImportObjectDump,
  ImportedDllDump, ObjectDump, ObjectSectionDump, SymbolDump,
} from "./model.js";

/** The input is not something coffdump reads (the format packages' errors cover malformed ones). */
export class DumpInputError extends Error {
  override readonly name = "DumpInputError";
}

export const ALL_PARTS: DumpSelection = {
  headers: true, sections: true, relocations: true, symbols: true, imports: true, exports: true, baseRelocs: "entries",
};

const NOTHING: DumpSelection = {
  headers: false, sections: false, relocations: false, symbols: false, imports: false, exports: false, baseRelocs: false,
};

/** What is shown when no part is asked for, by kind of file. */
export const DEFAULT_PARTS = {
  object: { ...NOTHING, headers: true, sections: true, relocations: true, symbols: true },
  image: { ...NOTHING, headers: true, sections: true, imports: true, exports: true, baseRelocs: "counts" },
  /** Each member of an archive is summarised by its header. */
  archiveMember: { ...NOTHING, headers: true },
} as const satisfies Record<string, DumpSelection>;

/**
 * Dumps one file. `selection` undefined means the default for the file's kind. Throws
 * CoffFormatError, ArchiveFormatError or DumpInputError for input it cannot read.
 */
export function dumpFile(bytes: Uint8Array, name: string, selection?: DumpSelection): DumpModel {
  switch (kindOf(bytes)) {
    case "coff-object":
    case "coff-bigobj":
      return dumpObject(readCoffObject(bytes), name, selection ?? DEFAULT_PARTS.object);
    case "import-object":
      return dumpImportObject(bytes, name);
    case "pe-image":
      return dumpImage(readPeImage(bytes), name, selection ?? DEFAULT_PARTS.image);
    case "ar-archive":
      return dumpArchive(readArchive(bytes, { fileName: name }), name, selection);
    case "llvm-bitcode":
      throw new DumpInputError("LLVM bitcode (an -flto object), not a COFF object: dump it with llvm-dis");
    case "unknown":
      throw new DumpInputError(
        bytes.length === 0
          ? "the file is empty"
          : "not a COFF object, import object, ar archive or PE image (unrecognised magic number)",
      );
  }
}

/** The problem an input error describes, without the file name the CLI puts in front. */
export function problemOf(error: unknown, name: string): string | undefined {
  if (error instanceof ArchiveFormatError || error instanceof CoffFormatError || error instanceof DumpInputError) {
    const prefix = `${name}: `;
    return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  }
  return undefined;
}

function kindOf(bytes: Uint8Array): ReturnType<typeof identifyInput> {
  const kind = identifyInput(bytes);
  // A known machine whose headers do not fit is a truncated object: let the reader say where it ends.
  if (kind === "unknown" && bytes.length >= 2) {
    const machine = bytes[0]! | (bytes[1]! << 8);
    if (machine !== 0 && nameOf(IMAGE_FILE_MACHINE, machine) !== undefined) return "coff-object";
  }
  return kind;
}

// --- COFF objects ---

function dumpObject(obj: CoffObject, file: string, parts: DumpSelection): ObjectDump {
  const model: { -readonly [K in keyof ObjectDump]: ObjectDump[K] } = { kind: "coff-object", file };
  if (parts.headers) {
    model.header = {
      format: obj.isBigobj ? "COFF bigobj" : "COFF",
      machine: describeValue(IMAGE_FILE_MACHINE, obj.machine),
      numberOfSections: obj.sectionCount,
      timeDateStamp: obj.timeDateStamp,
      pointerToSymbolTable: hex(obj.pointerToSymbolTable),
      numberOfSymbols: obj.symbolRecordCount,
      characteristics: flagNames(IMAGE_FILE, obj.characteristics),
    };
  }
  if (parts.sections || parts.relocations) {
    const relocationTypes = relocationTypesOf(obj.machine);
    model.sections = obj.sections().map((s): ObjectSectionDump => {
      const section: ObjectSectionDump = {
        number: s.index + 1,
        name: s.name,
        virtualSize: hex(s.virtualSize),
        virtualAddress: hex(s.virtualAddress),
        sizeOfRawData: hex(s.sizeOfRawData),
        pointerToRawData: hex(s.pointerToRawData),
        pointerToRelocations: hex(s.pointerToRelocations),
        numberOfRelocations: s.relocationCount,
        alignment: s.alignment,
        characteristics: flagNames(IMAGE_SCN, s.characteristics),
      };
      if (!parts.relocations) return section;
      const relocations = obj.relocations(s.index).toArray().map((r) => ({
        offset: hex(r.offset),
        type: relocationTypes === undefined ? hex(r.type) : describeValue(relocationTypes, r.type),
        symbolIndex: r.symbolIndex,
        symbol: obj.symbolName(r.symbolIndex),
      }));
      return { ...section, relocations };
    });
  }
  if (parts.symbols) {
    const symbols: SymbolDump[] = [];
    obj.forEachSymbolIndex((index) => {
      const s = obj.symbol(index);
      symbols.push({
        index,
        name: s.name,
        value: hex(s.value),
        sectionNumber: s.sectionNumber,
        section: sectionLabel(obj, s.sectionNumber),
        type: hex(s.type),
        storageClass: describeValue(IMAGE_SYM_CLASS, s.storageClass),
        aux: s.aux.map(auxDump),
      });
    });
    model.symbols = symbols;
  }
  return model;
}

function sectionLabel(obj: CoffObject, sectionNumber: number): string {
  if (sectionNumber <= 0) return nameOf(IMAGE_SYM, sectionNumber) ?? `section ${sectionNumber}`;
  // Symbols may name a section that does not exist; show that rather than fail the whole dump.
  return sectionNumber <= obj.sectionCount ? obj.sectionName(sectionNumber - 1) : `(no section ${sectionNumber})`;
}

function auxDump(aux: AuxRecord): AuxDump {
  switch (aux.kind) {
    case "section-definition":
      return {
        kind: aux.kind, length: aux.length, numberOfRelocations: aux.numberOfRelocations,
        numberOfLinenumbers: aux.numberOfLinenumbers, checkSum: hex(aux.checkSum), number: aux.number,
        selection: aux.selection === 0 ? "0" : describeValue(IMAGE_COMDAT_SELECT, aux.selection),
      };
    case "function-definition":
      return {
        kind: aux.kind, tagIndex: aux.tagIndex, totalSize: aux.totalSize,
        pointerToLinenumber: hex(aux.pointerToLinenumber), pointerToNextFunction: hex(aux.pointerToNextFunction),
      };
    case "function-lines":
      return { kind: aux.kind, linenumber: aux.linenumber, pointerToNextFunction: hex(aux.pointerToNextFunction) };
    case "weak-external":
      return { kind: aux.kind, tagIndex: aux.tagIndex, characteristics: describeValue(IMAGE_WEAK_EXTERN_SEARCH, aux.characteristics) };
    case "file":
      return { kind: aux.kind, fileName: aux.fileName };
    case "clr-token":
      return { kind: aux.kind, auxType: aux.auxType, symbolTableIndex: aux.symbolTableIndex };
    case "raw":
      return { kind: aux.kind, bytes: Array.from(aux.bytes, (b) => b.toString(16).padStart(2, "0")).join(" ") };
  }
}

// --- Short import objects ---

const importTypeValues = { code: IMPORT_OBJECT_TYPE.CODE, data: IMPORT_OBJECT_TYPE.DATA, const: IMPORT_OBJECT_TYPE.CONST };
const nameTypeValues = {
  ordinal: IMPORT_OBJECT_NAME_TYPE.ORDINAL, name: IMPORT_OBJECT_NAME_TYPE.NAME, noprefix: IMPORT_OBJECT_NAME_TYPE.NAME_NOPREFIX,
  undecorate: IMPORT_OBJECT_NAME_TYPE.NAME_UNDECORATE, exportas: IMPORT_OBJECT_NAME_TYPE.NAME_EXPORTAS,
};

function dumpImportObject(bytes: Uint8Array, file: string): ImportObjectDump {
  const imp = readImportObject(bytes);
  const importName = importedName(imp);
  const byOrdinal = imp.nameType === "ordinal";
  return {
    kind: "import-object",
    file,
    machine: describeValue(IMAGE_FILE_MACHINE, imp.machine),
    timeDateStamp: imp.timeDateStamp,
    importType: describeValue(IMPORT_OBJECT_TYPE, importTypeValues[imp.importType]),
    nameType: describeValue(IMPORT_OBJECT_NAME_TYPE, nameTypeValues[imp.nameType]),
    symbolName: imp.symbolName,
    dllName: imp.dllName,
    ...(importName === undefined ? {} : { importName }),
    ...(byOrdinal ? { ordinal: imp.ordinalOrHint } : { hint: imp.ordinalOrHint }),
  };
}

// --- Archives ---

function dumpArchive(archive: Archive, file: string, selection: DumpSelection | undefined): ArchiveDump {
  const memberParts = selection ?? DEFAULT_PARTS.archiveMember;
  const members: ArchiveMemberDump[] = [];
  const memberNames = new Map<number, string>();
  for (const member of archive.members()) {
    memberNames.set(member.headerOffset, member.name);
    const base = { name: member.name, offset: hex(member.headerOffset), size: member.size };
    if (member.thin) {
      members.push(base);
      continue;
    }
    const memberFile = `${file}(${member.name})`;
    try {
      members.push({ ...base, dump: dumpFile(member.data, memberFile, memberParts) });
    } catch (error) {
      const problem = problemOf(error, memberFile);
      if (problem === undefined) throw error;
      members.push({ ...base, error: problem });
    }
  }
  const model: { -readonly [K in keyof ArchiveDump]: ArchiveDump[K] } = {
    kind: "archive", file, format: archive.format, thin: archive.thin, symbolCount: archive.symbolCount, members,
  };
  if (selection?.symbols === true) {
    model.symbols = Array.from(archive.symbols(), (s) => ({
      name: s.name,
      member: memberNames.get(s.memberOffset) ?? archive.memberAt(s.memberOffset).name,
    }));
  }
  return model;
}

// --- PE images ---

function dumpImage(image: PeImage, file: string, parts: DumpSelection): ImageDump {
  const model: { -readonly [K in keyof ImageDump]: ImageDump[K] } = { kind: "pe-image", file };
  const summary = imageSummary(image);
  if (parts.headers) {
    const { file: _file, sections: _sections, ...headers } = summary;
    model.headers = { ...headers, numberOfSections: image.fileHeader.NumberOfSections };
  }
  if (parts.sections) {
    model.sections = summary.sections.map((s, index) => ({ number: index + 1, ...s }));
  }
  if (parts.imports) {
    model.imports = readImportDirectory(image).map((dll) => importedDllDump(dll.dllName, dll.importLookupTableRva, dll.importAddressTableRva, dll.entries));
    const delayed = readDelayImportDirectory(image);
    if (delayed.length > 0) {
      model.delayImports = delayed.map((dll) => importedDllDump(dll.dllName, dll.importNameTableRva, dll.importAddressTableRva, dll.entries));
    }
  }
  if (parts.exports) {
    const exports = readExportDirectory(image);
    model.exports = exports === undefined ? null : {
      dllName: exports.dllName,
      ordinalBase: exports.ordinalBase,
      numberOfFunctions: exports.numberOfFunctions,
      numberOfNames: exports.numberOfNames,
      entries: exports.entries.map((e) => ({
        ordinal: e.ordinal, rva: hex(e.rva), names: e.names, ...(e.forwarder === undefined ? {} : { forwarder: e.forwarder }),
      })),
    };
  }
  if (parts.baseRelocs !== false) model.baseRelocations = baseRelocationsDump(image, parts.baseRelocs === "entries");
  return model;
}

function importedDllDump(dllName: string, lookupRva: number, iatRva: number, entries: readonly ImportEntry[]): ImportedDllDump {
  return {
    dllName,
    importLookupTableRva: hex(lookupRva),
    importAddressTableRva: hex(iatRva),
    entries: entries.map((e) => e.kind === "name"
      ? { name: e.name, hint: e.hint, iatRva: hex(e.iatRva) }
      : { ordinal: e.ordinal, iatRva: hex(e.iatRva) }),
  };
}

function baseRelocationsDump(image: PeImage, withEntries: boolean): BaseRelocationsDump {
  const relocations = readBaseRelocations(image);
  const counts = new Map<number, number>();
  for (const block of relocations.blocks) for (const e of block.entries) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const byType: Record<string, number> = {};
  for (const type of [...counts.keys()].sort((a, b) => a - b)) byType[nameOf(IMAGE_REL_BASED, type) ?? `type ${type}`] = counts.get(type)!;
  const dump: BaseRelocationsDump = { blockCount: relocations.blocks.length, entryCount: relocations.sorted.length, byType };
  if (!withEntries) return dump;
  return {
    ...dump,
    blocks: relocations.blocks.map((b) => ({
      pageRva: hex(b.pageRva),
      sizeOfBlock: b.sizeOfBlock,
      entries: b.entries.map((e) => ({ type: nameOf(IMAGE_REL_BASED, e.type) ?? `type ${e.type}`, rva: hex(e.rva) })),
    })),
  };
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase()}`;
}
