// Every PE/COFF structure a linker touches, declared once (Microsoft PE/COFF specification names).
// Sizes are checked against the specification when the module loads.
import { defineStruct } from "./struct.js";

// --- Images: DOS header, PE signature, optional headers (spec §3, §3.4) ---

export const ImageDosHeader = defineStruct("IMAGE_DOS_HEADER", {
  e_magic: "u16", e_cblp: "u16", e_cp: "u16", e_crlc: "u16", e_cparhdr: "u16", e_minalloc: "u16",
  e_maxalloc: "u16", e_ss: "u16", e_sp: "u16", e_csum: "u16", e_ip: "u16", e_cs: "u16", e_lfarlc: "u16",
  e_ovno: "u16", e_res: { bytes: 8 }, e_oemid: "u16", e_oeminfo: "u16", e_res2: { bytes: 20 }, e_lfanew: "u32",
}, 64);

export const ImageFileHeader = defineStruct("IMAGE_FILE_HEADER", {
  Machine: "u16", NumberOfSections: "u16", TimeDateStamp: "u32", PointerToSymbolTable: "u32",
  NumberOfSymbols: "u32", SizeOfOptionalHeader: "u16", Characteristics: "u16",
}, 20);

/** `/bigobj` objects (more than 65279 sections): Sig1 = 0, Sig2 = 0xFFFF, Version >= 2, then the class id. */
export const AnonObjectHeaderBigobj = defineStruct("ANON_OBJECT_HEADER_BIGOBJ", {
  Sig1: "u16", Sig2: "u16", Version: "u16", Machine: "u16", TimeDateStamp: "u32", ClassID: { bytes: 16 },
  SizeOfData: "u32", Flags: "u32", MetaDataSize: "u32", MetaDataOffset: "u32", NumberOfSections: "u32",
  PointerToSymbolTable: "u32", NumberOfSymbols: "u32",
}, 56);

/** Optional header of PE32 images, without the data directories that follow it. */
export const ImageOptionalHeader32 = defineStruct("IMAGE_OPTIONAL_HEADER32", {
  Magic: "u16", MajorLinkerVersion: "u8", MinorLinkerVersion: "u8", SizeOfCode: "u32",
  SizeOfInitializedData: "u32", SizeOfUninitializedData: "u32", AddressOfEntryPoint: "u32", BaseOfCode: "u32",
  BaseOfData: "u32", ImageBase: "u32", SectionAlignment: "u32", FileAlignment: "u32",
  MajorOperatingSystemVersion: "u16", MinorOperatingSystemVersion: "u16", MajorImageVersion: "u16",
  MinorImageVersion: "u16", MajorSubsystemVersion: "u16", MinorSubsystemVersion: "u16", Win32VersionValue: "u32",
  SizeOfImage: "u32", SizeOfHeaders: "u32", CheckSum: "u32", Subsystem: "u16", DllCharacteristics: "u16",
  SizeOfStackReserve: "u32", SizeOfStackCommit: "u32", SizeOfHeapReserve: "u32", SizeOfHeapCommit: "u32",
  LoaderFlags: "u32", NumberOfRvaAndSizes: "u32",
}, 96);

/** Optional header of PE32+ (64-bit) images: no BaseOfData, 64-bit image base, stack and heap sizes. */
export const ImageOptionalHeader64 = defineStruct("IMAGE_OPTIONAL_HEADER64", {
  Magic: "u16", MajorLinkerVersion: "u8", MinorLinkerVersion: "u8", SizeOfCode: "u32",
  SizeOfInitializedData: "u32", SizeOfUninitializedData: "u32", AddressOfEntryPoint: "u32", BaseOfCode: "u32",
  ImageBase: "u64", SectionAlignment: "u32", FileAlignment: "u32",
  MajorOperatingSystemVersion: "u16", MinorOperatingSystemVersion: "u16", MajorImageVersion: "u16",
  MinorImageVersion: "u16", MajorSubsystemVersion: "u16", MinorSubsystemVersion: "u16", Win32VersionValue: "u32",
  SizeOfImage: "u32", SizeOfHeaders: "u32", CheckSum: "u32", Subsystem: "u16", DllCharacteristics: "u16",
  SizeOfStackReserve: "u64", SizeOfStackCommit: "u64", SizeOfHeapReserve: "u64", SizeOfHeapCommit: "u64",
  LoaderFlags: "u32", NumberOfRvaAndSizes: "u32",
}, 112);

export const ImageDataDirectory = defineStruct("IMAGE_DATA_DIRECTORY", { VirtualAddress: "u32", Size: "u32" }, 8);

// --- Objects and images: section table, symbols, relocations (spec §4, §5.2, §5.4) ---

export const ImageSectionHeader = defineStruct("IMAGE_SECTION_HEADER", {
  Name: { bytes: 8 }, VirtualSize: "u32", VirtualAddress: "u32", SizeOfRawData: "u32", PointerToRawData: "u32",
  PointerToRelocations: "u32", PointerToLinenumbers: "u32", NumberOfRelocations: "u16",
  NumberOfLinenumbers: "u16", Characteristics: "u32",
}, 40);

/** A symbol record. `Name` is either 8 inline bytes or (4 zero bytes, u32 string-table offset). */
export const ImageSymbol = defineStruct("IMAGE_SYMBOL", {
  Name: { bytes: 8 }, Value: "u32", SectionNumber: "i16", Type: "u16", StorageClass: "u8", NumberOfAuxSymbols: "u8",
}, 18);

/** The bigobj symbol record: a 32-bit section number, so 20 bytes; aux records are padded to 20 too. */
export const ImageSymbolEx = defineStruct("IMAGE_SYMBOL_EX", {
  Name: { bytes: 8 }, Value: "u32", SectionNumber: "i32", Type: "u16", StorageClass: "u8", NumberOfAuxSymbols: "u8",
}, 20);

export const ImageAuxSymbolFunctionDefinition = defineStruct("IMAGE_AUX_SYMBOL_FUNCTION_DEFINITION", {
  TagIndex: "u32", TotalSize: "u32", PointerToLinenumber: "u32", PointerToNextFunction: "u32", Unused: "u16",
}, 18);

/** Aux record of `.bf` and `.ef` symbols. */
export const ImageAuxSymbolFunctionLines = defineStruct("IMAGE_AUX_SYMBOL_BF_EF", {
  Unused1: "u32", Linenumber: "u16", Unused2: { bytes: 6 }, PointerToNextFunction: "u32", Unused3: "u16",
}, 18);

export const ImageAuxSymbolWeakExternal = defineStruct("IMAGE_AUX_SYMBOL_WEAK_EXTERNAL", {
  TagIndex: "u32", Characteristics: "u32", Unused: { bytes: 10 },
}, 18);

/** Aux records of a `.file` symbol: the file name, NUL-padded, continued over as many records as needed. */
export const ImageAuxSymbolFile = defineStruct("IMAGE_AUX_SYMBOL_FILE", { FileName: { bytes: 18 } }, 18);

/** Aux record of a section symbol; bigobj keeps the high 16 bits of `Number` in `HighNumber`. */
export const ImageAuxSymbolSectionDefinition = defineStruct("IMAGE_AUX_SYMBOL_SECTION_DEFINITION", {
  Length: "u32", NumberOfRelocations: "u16", NumberOfLinenumbers: "u16", CheckSum: "u32", Number: "u16",
  Selection: "u8", Unused: "u8", HighNumber: "u16",
}, 18);

export const ImageAuxSymbolClrToken = defineStruct("IMAGE_AUX_SYMBOL_TOKEN_DEF", {
  AuxType: "u8", Reserved: "u8", SymbolTableIndex: "u32", Reserved2: { bytes: 12 },
}, 18);

export const ImageRelocation = defineStruct("IMAGE_RELOCATION", {
  VirtualAddress: "u32", SymbolTableIndex: "u32", Type: "u16",
}, 10);

/** Short import object (spec §8): `Type` packs the import type (bits 0-1) and the name type (bits 2-4). */
export const ImportObjectHeader = defineStruct("IMPORT_OBJECT_HEADER", {
  Sig1: "u16", Sig2: "u16", Version: "u16", Machine: "u16", TimeDateStamp: "u32", SizeOfData: "u32",
  OrdinalOrHint: "u16", Type: "u16",
}, 20);

// --- Image tables (spec §6) ---

export const ImageImportDescriptor = defineStruct("IMAGE_IMPORT_DESCRIPTOR", {
  OriginalFirstThunk: "u32", TimeDateStamp: "u32", ForwarderChain: "u32", Name: "u32", FirstThunk: "u32",
}, 20);

export const ImageDelayloadDescriptor = defineStruct("IMAGE_DELAYLOAD_DESCRIPTOR", {
  Attributes: "u32", DllNameRVA: "u32", ModuleHandleRVA: "u32", ImportAddressTableRVA: "u32",
  ImportNameTableRVA: "u32", BoundImportAddressTableRVA: "u32", UnloadInformationTableRVA: "u32",
  TimeDateStamp: "u32",
}, 32);

export const ImageExportDirectory = defineStruct("IMAGE_EXPORT_DIRECTORY", {
  Characteristics: "u32", TimeDateStamp: "u32", MajorVersion: "u16", MinorVersion: "u16", Name: "u32", Base: "u32",
  NumberOfFunctions: "u32", NumberOfNames: "u32", AddressOfFunctions: "u32", AddressOfNames: "u32",
  AddressOfNameOrdinals: "u32",
}, 40);

/** Header of one base-relocation block; u16 entries (type << 12 | page offset) follow. */
export const ImageBaseRelocation = defineStruct("IMAGE_BASE_RELOCATION", { VirtualAddress: "u32", SizeOfBlock: "u32" }, 8);

export const ImageTlsDirectory32 = defineStruct("IMAGE_TLS_DIRECTORY32", {
  StartAddressOfRawData: "u32", EndAddressOfRawData: "u32", AddressOfIndex: "u32", AddressOfCallBacks: "u32",
  SizeOfZeroFill: "u32", Characteristics: "u32",
}, 24);

export const ImageTlsDirectory64 = defineStruct("IMAGE_TLS_DIRECTORY64", {
  StartAddressOfRawData: "u64", EndAddressOfRawData: "u64", AddressOfIndex: "u64", AddressOfCallBacks: "u64",
  SizeOfZeroFill: "u32", Characteristics: "u32",
}, 40);

/** x64 `.pdata` entry; the exception directory is a sorted array of these. */
export const ImageRuntimeFunctionEntry = defineStruct("IMAGE_RUNTIME_FUNCTION_ENTRY", {
  BeginAddress: "u32", EndAddress: "u32", UnwindInfoAddress: "u32",
}, 12);

export const ImageDebugDirectory = defineStruct("IMAGE_DEBUG_DIRECTORY", {
  Characteristics: "u32", TimeDateStamp: "u32", MajorVersion: "u16", MinorVersion: "u16", Type: "u32",
  SizeOfData: "u32", AddressOfRawData: "u32", PointerToRawData: "u32",
}, 28);

/** The load configuration's first field is its own size; the linker only needs that to fill the directory. */
export const ImageLoadConfigPrefix = defineStruct("IMAGE_LOAD_CONFIG_DIRECTORY (Size)", { Size: "u32" }, 4);

/** `PE\0\0` after the DOS stub, at `e_lfanew`. */
export const PE_SIGNATURE = 0x00004550;
export const PE_SIGNATURE_SIZE = 4;
/** 'MZ' */
export const IMAGE_DOS_SIGNATURE = 0x5a4d;
export const IMAGE_NT_OPTIONAL_HDR32_MAGIC = 0x10b;
export const IMAGE_NT_OPTIONAL_HDR64_MAGIC = 0x20b;
export const IMAGE_NUMBEROF_DIRECTORY_ENTRIES = 16;
/** Section names longer than this go to the string table (objects) or are truncated (images). */
export const IMAGE_SIZEOF_SHORT_NAME = 8;
/** bigobj class id {D1BAA1C7-BAEE-4BA9-AF20-FAF66AA4DCB8}, as stored (GUID byte order). */
export const BIGOBJ_CLASS_ID = Uint8Array.of(
  0xc7, 0xa1, 0xba, 0xd1, 0xee, 0xba, 0xa9, 0x4b, 0xaf, 0x20, 0xfa, 0xf6, 0x6a, 0xa4, 0xdc, 0xb8,
);
