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

// Field kinds of a read plan: small integers so the reader's switch is a jump table.
const U8 = 0, U16 = 1, U32 = 2, U64 = 3, I16 = 4, I32 = 5, BYTES = 6;
const kindOf = { u8: U8, u16: U16, u32: U32, u64: U64, i16: I16, i32: I32 } as const;

/** A layout flattened into arrays once, so reading a struct does not walk `fields` by name each time. */
interface ReadPlan {
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  readonly offsets: Uint32Array;
  readonly byteCounts: Uint32Array;
}

const readPlans = new WeakMap<StructLayout<StructFields>, ReadPlan>();

function readPlanOf(layout: StructLayout<StructFields>): ReadPlan {
  let plan = readPlans.get(layout);
  if (plan !== undefined) return plan;
  const names = Object.keys(layout.fields);
  const kinds = new Uint8Array(names.length);
  const offsets = new Uint32Array(names.length);
  const byteCounts = new Uint32Array(names.length);
  let at = 0;
  names.forEach((name, i) => {
    const type = layout.fields[name]!;
    kinds[i] = typeof type === "string" ? kindOf[type] : BYTES;
    offsets[i] = at;
    byteCounts[i] = fieldSize(type);
    at += byteCounts[i]!;
  });
  plan = { names, kinds, offsets, byteCounts };
  readPlans.set(layout, plan);
  return plan;
}

/** Reads a whole struct; bounds-checked once for its full size. Byte arrays are zero-copy windows. */
export function readStruct<F extends StructFields>(view: ByteView, layout: StructLayout<F>, offset: number): StructValue<F> {
  view.check(offset, layout.size, layout.name);
  const plan = readPlanOf(layout);
  const b = view.bytes;
  const out: Record<string, number | bigint | Uint8Array> = {};
  // Plain byte loads: the whole struct is in bounds, so no per-field check or DataView call is needed.
  for (let i = 0; i < plan.names.length; i++) {
    const at = offset + plan.offsets[i]!;
    let value: number | bigint | Uint8Array;
    switch (plan.kinds[i]) {
      case U8: value = b[at]!; break;
      case U16: value = b[at]! | (b[at + 1]! << 8); break;
      case I16: value = ((b[at]! | (b[at + 1]! << 8)) << 16) >> 16; break;
      case U32: value = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0; break;
      case I32: value = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24); break;
      case U64: value = view.u64(at); break;
      default: value = b.subarray(at, at + plan.byteCounts[i]!);
    }
    out[plan.names[i]!] = value;
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
