// Struct layouts as data: each PE/COFF structure is declared once as an ordered list of
// typed fields; offsets, the size, the reader and the writer all derive from that one table.
import type { ByteView } from "./byte-view.js";
import { InvalidFieldError } from "./errors.js";

export type FieldType =
  | "u8" | "u16" | "u32" | "u64" | "i16" | "i32"
  /** A fixed-size byte array (names, reserved blocks, GUIDs). */
  | { readonly bytes: number };

type FieldValue<T extends FieldType> = T extends "u64" ? bigint : T extends { bytes: number } ? Uint8Array : number;

export type StructFields = Readonly<Record<string, FieldType>>;

/** The decoded value of a struct: plain numbers, bigint for 64-bit fields, byte windows for arrays. */
export type StructValue<F extends StructFields> = { -readonly [K in keyof F]: FieldValue<F[K]> };

export interface StructLayout<F extends StructFields> {
  /** The specification's name, e.g. `IMAGE_SECTION_HEADER`. */
  readonly name: string;
  readonly size: number;
  readonly fields: F;
  /** Offset of each field from the start of the struct, for hot paths that read one field. */
  readonly offsetOf: { readonly [K in keyof F]: number };
}

const primitiveSize = { u8: 1, u16: 2, u32: 4, u64: 8, i16: 2, i32: 4 } as const;

export function fieldSize(type: FieldType): number {
  return typeof type === "string" ? primitiveSize[type] : type.bytes;
}

export function defineStruct<F extends StructFields>(name: string, fields: F, expectedSize?: number): StructLayout<F> {
  const offsetOf: Record<string, number> = {};
  let size = 0;
  for (const [field, type] of Object.entries(fields)) {
    offsetOf[field] = size;
    size += fieldSize(type);
  }
  // A layout that disagrees with the size the spec gives is a bug in this table, caught at load time.
  if (expectedSize !== undefined && size !== expectedSize) {
    throw new Error(`internal: ${name} is ${size} bytes, the specification says ${expectedSize}`);
  }
  return Object.freeze({ name, size, fields, offsetOf: offsetOf as { [K in keyof F]: number } });
}

/** Reads a whole struct; bounds-checked once for its full size. Byte arrays are zero-copy windows. */
export function readStruct<F extends StructFields>(view: ByteView, layout: StructLayout<F>, offset: number): StructValue<F> {
  view.check(offset, layout.size, layout.name);
  const out: Record<string, number | bigint | Uint8Array> = {};
  let at = offset;
  for (const field in layout.fields) {
    const type = layout.fields[field]!;
    switch (type) {
      case "u8": out[field] = view.u8(at); break;
      case "u16": out[field] = view.u16(at); break;
      case "u32": out[field] = view.u32(at); break;
      case "u64": out[field] = view.u64(at); break;
      case "i16": out[field] = view.i16(at); break;
      case "i32": out[field] = view.i32(at); break;
      default: out[field] = view.bytes.subarray(at, at + type.bytes);
    }
    at += fieldSize(type);
  }
  return out as StructValue<F>;
}

/** Writes a struct into `target` at `offset`. Missing fields are written as zero. */
export function writeStruct<F extends StructFields>(
  target: Uint8Array,
  layout: StructLayout<F>,
  offset: number,
  value: Partial<StructValue<F>>,
): void {
  if (offset < 0 || offset + layout.size > target.length) {
    throw new InvalidFieldError(`no room to write ${layout.name} (${layout.size} bytes) at 0x${offset.toString(16)} in a buffer of ${target.length}`);
  }
  let at = offset;
  const values = value as Record<string, number | bigint | Uint8Array | undefined>;
  // Plain byte stores: a DataView per call costs more than the struct itself on hot paths.
  for (const field in layout.fields) {
    const type = layout.fields[field]!;
    const v = values[field];
    switch (type) {
      case "u8": target[at] = checkedInt(layout, field, v, 0, 0xff); break;
      case "u16": storeLE(target, at, checkedInt(layout, field, v, 0, 0xffff), 2); break;
      case "u32": storeLE(target, at, checkedInt(layout, field, v, 0, 0xffffffff), 4); break;
      case "i16": storeLE(target, at, checkedInt(layout, field, v, -0x8000, 0x7fff) & 0xffff, 2); break;
      case "i32": storeLE(target, at, checkedInt(layout, field, v, -0x80000000, 0x7fffffff) >>> 0, 4); break;
      case "u64": {
        const big = BigInt.asUintN(64, typeof v === "bigint" ? v : BigInt((v as number | undefined) ?? 0));
        storeLE(target, at, Number(big & 0xffffffffn), 4);
        storeLE(target, at + 4, Number(big >> 32n), 4);
        break;
      }
      default: {
        const bytes = (v as Uint8Array | undefined) ?? EMPTY;
        if (bytes.length > type.bytes) {
          throw new InvalidFieldError(`${layout.name}.${field} holds ${type.bytes} bytes, got ${bytes.length}`);
        }
        for (let i = 0; i < type.bytes; i++) target[at + i] = i < bytes.length ? bytes[i]! : 0;
      }
    }
    at += fieldSize(type);
  }
}

const EMPTY = new Uint8Array(0);

function storeLE(target: Uint8Array, at: number, value: number, size: 2 | 4): void {
  target[at] = value & 0xff;
  target[at + 1] = (value >>> 8) & 0xff;
  if (size === 4) {
    target[at + 2] = (value >>> 16) & 0xff;
    target[at + 3] = (value >>> 24) & 0xff;
  }
}

function checkedInt(layout: StructLayout<StructFields>, field: string, v: unknown, min: number, max: number): number {
  const n = v === undefined ? 0 : typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidFieldError(`${layout.name}.${field} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return n;
}
