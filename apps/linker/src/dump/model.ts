// The plain-data model of a dump: what coffdump prints as text and as JSON. Only strings, numbers,
// booleans, arrays and objects, so that `JSON.stringify` is the JSON output and tests read it directly.

/** Which parts of a file to dump. Parts that do not apply to a file's kind are ignored. */
export interface DumpSelection {
  readonly headers: boolean;
  readonly sections: boolean;
  readonly relocations: boolean;
  readonly symbols: boolean;
  readonly imports: boolean;
  readonly exports: boolean;
  /** "counts": blocks and entries per type; "entries": every block and entry as well. */
  readonly baseRelocs: false | "counts" | "entries";
}

export type DumpModel = ObjectDump | ImportObjectDump | ArchiveDump | ImageDump;

export interface ObjectDump {
  readonly kind: "coff-object";
  readonly file: string;
  readonly header?: ObjectHeaderDump;
  readonly sections?: readonly ObjectSectionDump[];
  readonly symbols?: readonly SymbolDump[];
}

export interface ObjectHeaderDump {
  readonly format: "COFF" | "COFF bigobj";
  readonly machine: string;
  readonly numberOfSections: number;
  readonly timeDateStamp: number;
  readonly pointerToSymbolTable: string;
  /** Symbol table records, aux records included (the header's NumberOfSymbols). */
  readonly numberOfSymbols: number;
  readonly characteristics: readonly string[];
}

export interface ObjectSectionDump {
  /** 1-based, as symbols refer to sections. */
  readonly number: number;
  readonly name: string;
  readonly virtualSize: string;
  readonly virtualAddress: string;
  readonly sizeOfRawData: string;
  readonly pointerToRawData: string;
  readonly pointerToRelocations: string;
  readonly numberOfRelocations: number;
  /** Bytes; 0 when the flags give none. */
  readonly alignment: number;
  readonly characteristics: readonly string[];
  /** Present when relocations were selected. */
  readonly relocations?: readonly RelocationDump[];
}

export interface RelocationDump {
  readonly offset: string;
  /** "IMAGE_REL_AMD64_REL32 (0x4)" */
  readonly type: string;
  readonly symbolIndex: number;
  readonly symbol: string;
}

export interface SymbolDump {
  /** Raw symbol table index (aux records count), as relocations use. */
  readonly index: number;
  readonly name: string;
  readonly value: string;
  readonly sectionNumber: number;
  /** The section's name, or IMAGE_SYM_UNDEFINED / IMAGE_SYM_ABSOLUTE / IMAGE_SYM_DEBUG. */
  readonly section: string;
  readonly type: string;
  readonly storageClass: string;
  readonly aux: readonly AuxDump[];
}

export type AuxDump =
  | { readonly kind: "section-definition"; readonly length: number; readonly numberOfRelocations: number; readonly numberOfLinenumbers: number; readonly checkSum: string; readonly number: number; readonly selection: string }
  | { readonly kind: "function-definition"; readonly tagIndex: number; readonly totalSize: number; readonly pointerToLinenumber: string; readonly pointerToNextFunction: string }
  | { readonly kind: "function-lines"; readonly linenumber: number; readonly pointerToNextFunction: string }
  | { readonly kind: "weak-external"; readonly tagIndex: number; readonly characteristics: string }
  | { readonly kind: "file"; readonly fileName: string }
  | { readonly kind: "clr-token"; readonly auxType: number; readonly symbolTableIndex: number }
  | { readonly kind: "raw"; readonly bytes: string };

export interface ImportObjectDump {
  readonly kind: "import-object";
  readonly file: string;
  readonly machine: string;
  readonly timeDateStamp: number;
  readonly importType: string;
  readonly nameType: string;
  readonly symbolName: string;
  readonly dllName: string;
  /** The name looked up in the DLL; absent for imports by ordinal. */
  readonly importName?: string;
  readonly ordinal?: number;
  readonly hint?: number;
}

export interface ArchiveDump {
  readonly kind: "archive";
  readonly file: string;
  readonly format: "gnu" | "bsd" | "coff";
  readonly thin: boolean;
  readonly symbolCount: number;
  /** The archive's symbol index, when symbols were selected. */
  readonly symbols?: readonly { readonly name: string; readonly member: string }[];
  readonly members: readonly ArchiveMemberDump[];
}

export interface ArchiveMemberDump {
  readonly name: string;
  readonly offset: string;
  readonly size: number;
  /** The member's own dump; absent for thin-archive members (their file lives elsewhere). */
  readonly dump?: DumpModel;
  /** Why the member could not be dumped (the archive's other members still are). */
  readonly error?: string;
}

export interface ImageDump {
  readonly kind: "pe-image";
  readonly file: string;
  readonly headers?: ImageHeadersDump;
  readonly sections?: readonly ImageSectionDump[];
  readonly imports?: readonly ImportedDllDump[];
  readonly delayImports?: readonly ImportedDllDump[];
  /** null when the image exports nothing. */
  readonly exports?: ExportsDump | null;
  readonly baseRelocations?: BaseRelocationsDump;
}

export interface ImageHeadersDump {
  readonly format: "PE32" | "PE32+";
  readonly machine: string;
  readonly numberOfSections: number;
  readonly timeDateStamp: number;
  readonly characteristics: readonly string[];
  readonly linkerVersion: string;
  readonly operatingSystemVersion: string;
  readonly imageVersion: string;
  readonly subsystemVersion: string;
  readonly entryPoint: string;
  readonly baseOfCode: string;
  readonly imageBase: string;
  readonly sectionAlignment: string;
  readonly fileAlignment: string;
  readonly sizeOfImage: string;
  readonly sizeOfHeaders: string;
  readonly checkSum: string;
  readonly subsystem: string;
  readonly dllCharacteristics: readonly string[];
  readonly sizeOfStackReserve: string;
  readonly sizeOfStackCommit: string;
  readonly sizeOfHeapReserve: string;
  readonly sizeOfHeapCommit: string;
  readonly numberOfRvaAndSizes: number;
  /** Non-empty directories only. */
  readonly dataDirectories: readonly { readonly index: number; readonly name: string; readonly rva: string; readonly size: string }[];
}

export interface ImageSectionDump {
  readonly number: number;
  readonly name: string;
  readonly virtualAddress: string;
  readonly virtualSize: string;
  readonly pointerToRawData: string;
  readonly sizeOfRawData: string;
  readonly characteristics: readonly string[];
}

export interface ImportedDllDump {
  readonly dllName: string;
  readonly importLookupTableRva: string;
  readonly importAddressTableRva: string;
  readonly entries: readonly ({ readonly name: string; readonly hint: number; readonly iatRva: string } | { readonly ordinal: number; readonly iatRva: string })[];
}

export interface ExportsDump {
  readonly dllName: string;
  readonly ordinalBase: number;
  readonly numberOfFunctions: number;
  readonly numberOfNames: number;
  readonly entries: readonly { readonly ordinal: number; readonly rva: string; readonly names: readonly string[]; readonly forwarder?: string }[];
}

export interface BaseRelocationsDump {
  readonly blockCount: number;
  /** Patch sites, ABSOLUTE padding excluded. */
  readonly entryCount: number;
  /** Entry counts by IMAGE_REL_BASED_* name, padding included, in type order. */
  readonly byType: Readonly<Record<string, number>>;
  /** Every block with its entries, when base relocations were selected explicitly. */
  readonly blocks?: readonly { readonly pageRva: string; readonly sizeOfBlock: number; readonly entries: readonly { readonly type: string; readonly rva: string }[] }[];
}
