// Decoders for the smaller data directories a linker writes: exception (.pdata), TLS,
// load configuration (its size only) and debug.
import { InvalidFieldError } from "../errors.js";
import { IMAGE_DEBUG_TYPE, IMAGE_DIRECTORY_ENTRY, IMAGE_FILE_MACHINE } from "../constants.js";
import { ImageDebugDirectory, ImageRuntimeFunctionEntry, ImageTlsDirectory32, ImageTlsDirectory64 } from "../layouts.js";
import { readStruct } from "../struct.js";
import { ByteView, decodeText } from "../byte-view.js";
import type { PeImage } from "./pe-image.js";

/** One x64 `.pdata` entry: a function's range and its unwind information. */
export interface RuntimeFunction {
  readonly beginAddress: number;
  readonly endAddress: number;
  readonly unwindInfoAddress: number;
}

/** The x64 exception table; empty when the image has none. Other machines' `.pdata` formats are refused. */
export function readExceptionTable(image: PeImage): RuntimeFunction[] {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.EXCEPTION);
  if (dir === undefined || dir.VirtualAddress === 0 || dir.Size === 0) return [];
  if (image.fileHeader.Machine !== IMAGE_FILE_MACHINE.AMD64) {
    throw new InvalidFieldError(`exception tables are decoded for x64 images only, this one is for machine 0x${image.fileHeader.Machine.toString(16)}`, {
      file: image.fileName, expected: "IMAGE_FILE_MACHINE_AMD64",
    });
  }
  // A Size that is not a multiple of 12 is tolerated: the trailing bytes are ignored.
  const count = Math.floor(dir.Size / ImageRuntimeFunctionEntry.size);
  const view = new ByteView(image.readAtRva(dir.VirtualAddress, count * ImageRuntimeFunctionEntry.size, "the exception table"), image.fileName);
  const out: RuntimeFunction[] = [];
  for (let i = 0; i < count; i++) {
    const e = readStruct(view, ImageRuntimeFunctionEntry, i * ImageRuntimeFunctionEntry.size);
    out.push({ beginAddress: e.BeginAddress, endAddress: e.EndAddress, unwindInfoAddress: e.UnwindInfoAddress });
  }
  return out;
}

/** The TLS directory with its virtual addresses widened to bigint, and the callback list it points to. */
export interface TlsDirectory {
  readonly startAddressOfRawData: bigint;
  readonly endAddressOfRawData: bigint;
  readonly addressOfIndex: bigint;
  readonly addressOfCallBacks: bigint;
  readonly sizeOfZeroFill: number;
  readonly characteristics: number;
  /** Virtual addresses of the callbacks, up to the null entry. */
  readonly callbacks: readonly bigint[];
}

export function readTlsDirectory(image: PeImage): TlsDirectory | undefined {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.TLS);
  if (dir === undefined || dir.VirtualAddress === 0) return undefined;
  const size = image.is64 ? ImageTlsDirectory64.size : ImageTlsDirectory32.size;
  const bytes = new ByteView(image.readAtRva(dir.VirtualAddress, size, "the TLS directory"), image.fileName);
  const raw = image.is64 ? readStruct(bytes, ImageTlsDirectory64, 0) : readStruct(bytes, ImageTlsDirectory32, 0);
  const addressOfCallBacks = BigInt(raw.AddressOfCallBacks);
  const callbacks: bigint[] = [];
  if (addressOfCallBacks !== 0n) {
    const rva = image.vaToRva(addressOfCallBacks, "the TLS callback array address");
    const size = image.pointerSize;
    // The array is null-terminated; its length is bounded by the section that holds it.
    const table = new ByteView(image.readAtRva(rva, image.bytesAvailableAtRva(rva, "the TLS callbacks"), "the TLS callbacks"), image.fileName);
    for (let at = 0; ; at += size) {
      if (at + size > table.length) {
        throw new InvalidFieldError("the TLS callback array has no null entry before the end of its section", {
          file: image.fileName, offset: image.rvaToFileOffset(rva) + at,
        });
      }
      const va = size === 8 ? table.u64(at) : BigInt(table.u32(at));
      if (va === 0n) break;
      callbacks.push(va);
    }
  }
  return {
    startAddressOfRawData: BigInt(raw.StartAddressOfRawData),
    endAddressOfRawData: BigInt(raw.EndAddressOfRawData),
    addressOfIndex: BigInt(raw.AddressOfIndex),
    addressOfCallBacks,
    sizeOfZeroFill: raw.SizeOfZeroFill,
    characteristics: raw.Characteristics,
    callbacks,
  };
}

/** The load configuration's own `Size` field (its first u32), or undefined when the image has none. */
export function readLoadConfigSize(image: PeImage): number | undefined {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.LOAD_CONFIG);
  if (dir === undefined || dir.VirtualAddress === 0) return undefined;
  const bytes = image.readAtRva(dir.VirtualAddress, 4, "the load configuration's Size");
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}

export interface DebugDirectoryEntry {
  readonly characteristics: number;
  readonly timeDateStamp: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** IMAGE_DEBUG_TYPE_* */
  readonly type: number;
  readonly sizeOfData: number;
  readonly addressOfRawData: number;
  readonly pointerToRawData: number;
  /** For CODEVIEW entries in the RSDS form: the PDB's identity, as link.exe and lld-link write it. */
  readonly codeView?: { readonly signature: Uint8Array; readonly age: number; readonly pdbPath: string };
}

const RSDS = 0x53445352;

export function readDebugDirectory(image: PeImage): DebugDirectoryEntry[] {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.DEBUG);
  if (dir === undefined || dir.VirtualAddress === 0 || dir.Size === 0) return [];
  const count = Math.floor(dir.Size / ImageDebugDirectory.size);
  const view = new ByteView(image.readAtRva(dir.VirtualAddress, count * ImageDebugDirectory.size, "the debug directory"), image.fileName);
  const out: DebugDirectoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    const d = readStruct(view, ImageDebugDirectory, i * ImageDebugDirectory.size);
    const entry: DebugDirectoryEntry = {
      characteristics: d.Characteristics, timeDateStamp: d.TimeDateStamp, majorVersion: d.MajorVersion,
      minorVersion: d.MinorVersion, type: d.Type, sizeOfData: d.SizeOfData, addressOfRawData: d.AddressOfRawData,
      pointerToRawData: d.PointerToRawData,
    };
    out.push(d.Type === IMAGE_DEBUG_TYPE.CODEVIEW && d.SizeOfData >= 24 ? { ...entry, codeView: readCodeView(image, d.PointerToRawData, d.SizeOfData) } : entry);
  }
  return out;
}

/** RSDS record: signature, 16-byte GUID, age, NUL-terminated PDB path (located by file offset). */
function readCodeView(image: PeImage, offset: number, size: number): DebugDirectoryEntry["codeView"] {
  const record = image.view.slice(offset, size, "a CodeView debug record");
  const view = new ByteView(record, image.fileName);
  if (view.u32(0) !== RSDS) return undefined;
  const pathBytes = record.subarray(24);
  const nul = pathBytes.indexOf(0);
  return {
    signature: record.subarray(4, 20),
    age: view.u32(20),
    pdbPath: decodeText(pathBytes, 0, nul < 0 ? pathBytes.length : nul),
  };
}
