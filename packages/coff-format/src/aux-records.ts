// Auxiliary symbol records (spec §5.5): which format follows a symbol, how each decodes, and
// how each encodes back into an 18-byte payload.
import { ByteView, decodeText } from "./byte-view.js";
import {
  IMAGE_SYM, IMAGE_SYM_CLASS, IMAGE_SYM_DTYPE_FUNCTION,
} from "./constants.js";
import {
  ImageAuxSymbolClrToken, ImageAuxSymbolFunctionDefinition, ImageAuxSymbolFunctionLines,
  ImageAuxSymbolSectionDefinition, ImageAuxSymbolWeakExternal,
} from "./layouts.js";
import { readStruct, writeStruct } from "./struct.js";

/** Every aux record carries 18 bytes of payload; bigobj pads each record to 20. */
export const AUX_PAYLOAD_SIZE = 18;

export interface AuxFunctionDefinition {
  readonly kind: "function-definition";
  readonly tagIndex: number;
  readonly totalSize: number;
  readonly pointerToLinenumber: number;
  readonly pointerToNextFunction: number;
}

/** `.bf` / `.ef` / `.lf` symbols (storage class FUNCTION). */
export interface AuxFunctionLines {
  readonly kind: "function-lines";
  readonly linenumber: number;
  readonly pointerToNextFunction: number;
}

export interface AuxWeakExternal {
  readonly kind: "weak-external";
  /** Symbol table index of the default (fallback) definition. */
  readonly tagIndex: number;
  /** An IMAGE_WEAK_EXTERN_SEARCH_* mode. */
  readonly characteristics: number;
}

/** The name of a `.file` symbol, spread over all of its aux records. */
export interface AuxFile {
  readonly kind: "file";
  readonly fileName: string;
}

export interface AuxSectionDefinition {
  readonly kind: "section-definition";
  readonly length: number;
  readonly numberOfRelocations: number;
  readonly numberOfLinenumbers: number;
  readonly checkSum: number;
  /** The associated section's number for ASSOCIATIVE COMDATs; in bigobj includes `HighNumber`. */
  readonly number: number;
  /** An IMAGE_COMDAT_SELECT_* value, or 0. */
  readonly selection: number;
}

export interface AuxClrToken {
  readonly kind: "clr-token";
  readonly auxType: number;
  readonly symbolTableIndex: number;
}

/** A record kept as its bytes: unknown formats, or ones whose unused fields are not zero. */
export interface AuxRaw {
  readonly kind: "raw";
  /** 18 bytes (or 20 in bigobj, padding included). */
  readonly bytes: Uint8Array;
}

export type AuxRecord =
  | AuxFunctionDefinition | AuxFunctionLines | AuxWeakExternal | AuxFile | AuxSectionDefinition | AuxClrToken | AuxRaw;

export type AuxFormat = Exclude<AuxRecord["kind"], "raw"> | "none";

/**
 * The aux format a symbol's records use, from its storage class, type and section number,
 * in the order the specification lists them (§5.5.1–5.5.7).
 */
export function auxFormatOf(storageClass: number, type: number, sectionNumber: number, value: number): AuxFormat {
  switch (storageClass) {
    case IMAGE_SYM_CLASS.FILE: return "file";
    case IMAGE_SYM_CLASS.FUNCTION: return "function-lines";
    case IMAGE_SYM_CLASS.WEAK_EXTERNAL: return "weak-external";
    case IMAGE_SYM_CLASS.CLR_TOKEN: return "clr-token";
    case IMAGE_SYM_CLASS.STATIC:
      // As LLVM reads them: any static symbol's aux record is a section definition (GNU as also
      // gives static functions one, all zeros, which reads the same either way).
      return "section-definition";
    case IMAGE_SYM_CLASS.EXTERNAL:
      if (((type >>> 4) & 3) === IMAGE_SYM_DTYPE_FUNCTION && sectionNumber > 0) return "function-definition";
      // Old-style weak externals: an undefined external with value 0 and an aux record.
      if (sectionNumber === IMAGE_SYM.UNDEFINED && value === 0) return "weak-external";
      // C++/CLI appdomain globals: absolute externals followed by a section definition.
      if (sectionNumber === IMAGE_SYM.ABSOLUTE) return "section-definition";
      return "none";
    default: return "none";
  }
}

/** Decodes one (non-file) aux record from its 18-byte payload at `offset`. */
export function decodeAuxRecord(view: ByteView, offset: number, format: AuxFormat, bigobj: boolean): AuxRecord {
  switch (format) {
    case "function-definition": {
      const r = readStruct(view, ImageAuxSymbolFunctionDefinition, offset);
      return { kind: format, tagIndex: r.TagIndex, totalSize: r.TotalSize, pointerToLinenumber: r.PointerToLinenumber, pointerToNextFunction: r.PointerToNextFunction };
    }
    case "function-lines": {
      const r = readStruct(view, ImageAuxSymbolFunctionLines, offset);
      return { kind: format, linenumber: r.Linenumber, pointerToNextFunction: r.PointerToNextFunction };
    }
    case "weak-external": {
      const r = readStruct(view, ImageAuxSymbolWeakExternal, offset);
      return { kind: format, tagIndex: r.TagIndex, characteristics: r.Characteristics };
    }
    case "section-definition": {
      // Read field by field, not through readStruct: every COMDAT section has one, so this is a hot path.
      view.check(offset, ImageAuxSymbolSectionDefinition.size, ImageAuxSymbolSectionDefinition.name);
      const f = ImageAuxSymbolSectionDefinition.offsetOf;
      const b = view.bytes;
      const u16 = (at: number) => b[offset + at]! | (b[offset + at + 1]! << 8);
      const u32 = (at: number) => (u16(at) | (u16(at + 2) << 16)) >>> 0;
      const number = u16(f.Number);
      return {
        kind: format, length: u32(f.Length), numberOfRelocations: u16(f.NumberOfRelocations),
        numberOfLinenumbers: u16(f.NumberOfLinenumbers), checkSum: u32(f.CheckSum),
        // Only bigobj gives HighNumber a meaning; regular objects leave those bytes unused.
        number: bigobj ? number + u16(f.HighNumber) * 0x10000 : number, selection: b[offset + f.Selection]!,
      };
    }
    case "clr-token": {
      const r = readStruct(view, ImageAuxSymbolClrToken, offset);
      return { kind: format, auxType: r.AuxType, symbolTableIndex: r.SymbolTableIndex };
    }
    case "file":
      return { kind: "file", fileName: decodeFileName(view.bytes.subarray(offset, offset + AUX_PAYLOAD_SIZE)) };
    case "none":
      return { kind: "raw", bytes: view.slice(offset, AUX_PAYLOAD_SIZE, "an aux symbol record") };
  }
}

/** A `.file` name: the aux payloads concatenated, trailing NULs dropped (as LLVM reads it). */
export function decodeFileName(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return decodeText(bytes, 0, end);
}

/** Writes one aux record's payload (not the bigobj padding) at `offset`. File names are written by the caller. */
export function encodeAuxRecord(target: Uint8Array, offset: number, record: Exclude<AuxRecord, AuxFile>, bigobj: boolean): void {
  switch (record.kind) {
    case "function-definition":
      writeStruct(target, ImageAuxSymbolFunctionDefinition, offset, {
        TagIndex: record.tagIndex, TotalSize: record.totalSize, PointerToLinenumber: record.pointerToLinenumber,
        PointerToNextFunction: record.pointerToNextFunction,
      });
      return;
    case "function-lines":
      writeStruct(target, ImageAuxSymbolFunctionLines, offset, { Linenumber: record.linenumber, PointerToNextFunction: record.pointerToNextFunction });
      return;
    case "weak-external":
      writeStruct(target, ImageAuxSymbolWeakExternal, offset, { TagIndex: record.tagIndex, Characteristics: record.characteristics });
      return;
    case "section-definition":
      writeStruct(target, ImageAuxSymbolSectionDefinition, offset, {
        Length: record.length, NumberOfRelocations: record.numberOfRelocations,
        NumberOfLinenumbers: record.numberOfLinenumbers, CheckSum: record.checkSum,
        Number: record.number & 0xffff, Selection: record.selection,
        HighNumber: bigobj ? Math.floor(record.number / 0x10000) : 0,
      });
      return;
    case "clr-token":
      writeStruct(target, ImageAuxSymbolClrToken, offset, { AuxType: record.auxType, SymbolTableIndex: record.symbolTableIndex });
      return;
    case "raw":
      target.set(record.bytes, offset);
      return;
  }
}
