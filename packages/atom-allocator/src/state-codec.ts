// Encodes allocator state as compact bytes and back; checks the bytes, not the layout they describe.
//
// Format (little-endian), version 3:
//   "LKAA" u32:version
//   options: f64 headerSize, f64 sectionAlignment, f64 fileAlignment, u8 mode, f64 surplusNumerator,
//            f64 surplusDenominator, f64 growthFactor, f64 minimumVirtualReserve, f64 minHoleSize
//   u8 addressesAssigned, u32 atomIdCount, u32 columnCount (highest live atom id + 1, 0 when none)
//   u32 fileRangeCount, then per range: f64 offset, f64 size, str owner
//   u32 sectionCount, then per section: str name, u8 mode, u8 noBits, f64 alignment, f64 address,
//       f64 virtualReserve, f64 fileOffset, f64 fileReserve, f64 used, u32 atomCount,
//       zero bytes up to a multiple of 8 (counted from the first byte of the state), then the atom
//       columns in address order: atomCount × f64 offset, atomCount × f64 size, atomCount × u32 id,
//       atomCount × u8 alignLog2
//   (str = u32 byte length + UTF-8). Free lists are not stored: they follow from capacities.
//
// The columns are whole little-endian typed arrays, each at its own alignment (f64 at 8, u32 at 4). On a
// little-endian host the output is sized exactly up front and each column is written in place through a
// typed-array view of it (or copied there with one `set`), and decoding takes typed-array views of the
// input (one copy per column when the input itself sits at an odd address); a big-endian host moves the
// same bytes element by element.

import { InternalError, StateFormatError } from "./errors.js";
import type { FileRange } from "./file-space.js";
import type { SectionMode } from "./types.js";

const MAGIC = 0x41414b4c; // "LKAA" read as little-endian u32
const VERSION = 3;
// f64 offset + f64 size + u32 id + u8 alignment.
const BYTES_PER_ATOM = 21;
// magic, version; the options; addressesAssigned, atomIdCount, columnCount.
const HEADER_BYTES = 4 + 4 + (8 * 8 + 1) + (1 + 4 + 4);
// f64 offset, f64 size, u32 owner length.
const RANGE_FIXED_BYTES = 8 + 8 + 4;
// u32 name length; u8 mode, u8 noBits, 6 × f64, u32 atomCount.
const SECTION_FIXED_BYTES = 4 + (1 + 1 + 6 * 8 + 4);

/** Whether typed arrays on this host are little-endian, as the format is: then columns move in bulk. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const MODES: readonly SectionMode[] = ["packed", "incremental", "packed-growable"];

/** Atoms of one section in address order, as parallel columns. */
export interface SectionAtomsState {
  readonly ids: Uint32Array;
  readonly offsets: Float64Array;
  readonly sizes: Float64Array;
  readonly alignLog2: Uint8Array;
}

/** A section as saved, apart from its atoms. */
export interface SectionHeaderState {
  readonly name: string;
  readonly mode: SectionMode;
  readonly noBits: boolean;
  readonly alignment: number;
  readonly address: number;
  readonly virtualReserve: number;
  readonly fileOffset: number;
  readonly fileReserve: number;
  readonly used: number;
}

export interface SectionState extends SectionHeaderState {
  readonly atoms: SectionAtomsState;
}

/** The layout as saved, apart from its sections. */
export interface LayoutHeaderState {
  readonly options: {
    readonly headerSize: number;
    readonly sectionAlignment: number;
    readonly fileAlignment: number;
    readonly mode: SectionMode;
    readonly capacity: { readonly surplusNumerator: number; readonly surplusDenominator: number };
    readonly growthFactor: number;
    readonly minimumVirtualReserve: number;
    readonly minHoleSize: number;
  };
  readonly addressesAssigned: boolean;
  readonly atomIdCount: number;
  /** Highest live atom id + 1 (0 when no atom is live): how far restored atom columns reach. */
  readonly columnCount: number;
  readonly fileRanges: readonly FileRange[];
}

/** Everything a layout needs to be rebuilt; free lists are not part of it, they follow from capacities. */
export interface LayoutState extends LayoutHeaderState {
  readonly sections: readonly SectionState[];
}

/** What `encodeStateWith` needs of a section: its header and how many atoms `fillAtoms` will write. */
export interface SectionToEncode extends SectionHeaderState {
  readonly atomCount: number;
}

/** Writes section `index`'s atoms in address order into `columns`, each exactly `atomCount` long. */
export type FillAtoms = (index: number, columns: SectionAtomsState) => void;

function padTo8(position: number): number {
  return (8 - (position & 7)) & 7;
}

/** Writes into a buffer sized exactly beforehand: no growth. */
class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  position = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(value: number): void {
    this.view.setUint8(this.position, value);
    this.position += 1;
  }

  u32(value: number): void {
    this.view.setUint32(this.position, value, true);
    this.position += 4;
  }

  f64(value: number): void {
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  str(encoded: Uint8Array): void {
    this.u32(encoded.length);
    this.bytes.set(encoded, this.position);
    this.position += encoded.length;
  }

  /** Skips to the next multiple of 8; the buffer is zeroed, so the padding is zero bytes. */
  align8(): void {
    this.position += padTo8(this.position);
  }
}

class ByteReader {
  private readonly view: DataView;
  position = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly bulk: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  need(count: number, what: string): void {
    if (count > this.bytes.length - this.position) {
      throw new StateFormatError(`truncated: ${what} needs ${String(count)} bytes, ${String(this.bytes.length - this.position)} left`, this.position);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.position++);
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  str(what: string): string {
    const length = this.u32(`${what} length`);
    this.need(length, what);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.position, this.position + length));
    } catch (error) {
      throw new StateFormatError(`${what} is not valid UTF-8`, this.position, { cause: error });
    }
    this.position += length;
    return text;
  }

  /** Skips the zero bytes up to the next multiple of 8; anything else there is corruption. */
  align8(what: string): void {
    const count = padTo8(this.position);
    this.need(count, what);
    for (let index = 0; index < count; index++) {
      if (this.bytes[this.position + index] !== 0) throw new StateFormatError(`${what} is not zero`, this.position + index);
    }
    this.position += count;
  }

  // Columns: the caller has checked that the bytes are there. On a little-endian host a column at its own
  // alignment in the underlying buffer is a view of the input; otherwise one copy of its bytes.

  f64s(count: number): Float64Array {
    const start = this.position;
    this.position += count * 8;
    if (!this.bulk) {
      const column = new Float64Array(count);
      for (let index = 0; index < count; index++) column[index] = this.view.getFloat64(start + index * 8, true);
      return column;
    }
    const at = this.bytes.byteOffset + start;
    if ((at & 7) === 0) return new Float64Array(this.bytes.buffer, at, count);
    const column = new Float64Array(count);
    new Uint8Array(column.buffer).set(this.bytes.subarray(start, this.position));
    return column;
  }

  u32s(count: number): Uint32Array {
    const start = this.position;
    this.position += count * 4;
    if (!this.bulk) {
      const column = new Uint32Array(count);
      for (let index = 0; index < count; index++) column[index] = this.view.getUint32(start + index * 4, true);
      return column;
    }
    const at = this.bytes.byteOffset + start;
    if ((at & 3) === 0) return new Uint32Array(this.bytes.buffer, at, count);
    const column = new Uint32Array(count);
    new Uint8Array(column.buffer).set(this.bytes.subarray(start, this.position));
    return column;
  }

  /** A view of the input, as u8 columns need no alignment. */
  u8s(count: number): Uint8Array {
    const start = this.position;
    this.position += count;
    return this.bytes.subarray(start, this.position);
  }
}

/**
 * Encodes `state` into a buffer of exactly the needed size. `bulk` (default: on little-endian hosts) copies
 * each column with one `set`; off, columns go element by element (what a big-endian host must do).
 */
export function encodeState(state: LayoutState, bulk = HOST_LITTLE_ENDIAN): Uint8Array {
  const sections = state.sections.map((section) => ({ ...section, atomCount: section.atoms.ids.length }));
  return encodeStateWith({ ...state, sections }, (index, columns) => {
    const atoms = (state.sections[index] as SectionState).atoms;
    if (atoms.offsets.length !== columns.ids.length || atoms.sizes.length !== columns.ids.length || atoms.alignLog2.length !== columns.ids.length) {
      throw new InternalError(`state encoder: section ${(state.sections[index] as SectionState).name}: atom columns differ in length`);
    }
    columns.ids.set(atoms.ids);
    columns.offsets.set(atoms.offsets);
    columns.sizes.set(atoms.sizes);
    columns.alignLog2.set(atoms.alignLog2);
  }, bulk);
}

/**
 * `encodeState` for a caller that produces atom columns as it goes (a layout walking its atom lists):
 * `fillAtoms` writes each section's columns, on a little-endian host straight into the output (they are
 * views of it at their aligned places), so no column is built and copied.
 */
export function encodeStateWith(state: LayoutHeaderState & { readonly sections: readonly SectionToEncode[] }, fillAtoms: FillAtoms, bulk = HOST_LITTLE_ENDIAN): Uint8Array {
  const encoder = new TextEncoder();
  const owners = state.fileRanges.map((range) => encoder.encode(range.owner));
  const names = state.sections.map((section) => encoder.encode(section.name));
  let length = HEADER_BYTES + 4;
  for (const owner of owners) length += RANGE_FIXED_BYTES + owner.length;
  length += 4;
  state.sections.forEach((section, index) => {
    length += SECTION_FIXED_BYTES + (names[index] as Uint8Array).length;
    length += padTo8(length) + section.atomCount * BYTES_PER_ATOM;
  });

  const out = new ByteWriter(length);
  const options = state.options;
  out.u32(MAGIC);
  out.u32(VERSION);
  out.f64(options.headerSize);
  out.f64(options.sectionAlignment);
  out.f64(options.fileAlignment);
  out.u8(MODES.indexOf(options.mode));
  out.f64(options.capacity.surplusNumerator);
  out.f64(options.capacity.surplusDenominator);
  out.f64(options.growthFactor);
  out.f64(options.minimumVirtualReserve);
  out.f64(options.minHoleSize);
  out.u8(state.addressesAssigned ? 1 : 0);
  out.u32(state.atomIdCount);
  out.u32(state.columnCount);
  out.u32(state.fileRanges.length);
  state.fileRanges.forEach((range, index) => {
    out.f64(range.offset);
    out.f64(range.size);
    out.str(owners[index] as Uint8Array);
  });
  out.u32(state.sections.length);
  state.sections.forEach((section, index) => {
    const count = section.atomCount;
    out.str(names[index] as Uint8Array);
    out.u8(MODES.indexOf(section.mode));
    out.u8(section.noBits ? 1 : 0);
    out.f64(section.alignment);
    out.f64(section.address);
    out.f64(section.virtualReserve);
    out.f64(section.fileOffset);
    out.f64(section.fileReserve);
    out.f64(section.used);
    out.u32(count);
    out.align8();
    const at = out.position;
    if (bulk) {
      // The output starts at byte 0 of its own buffer, so `at` (a multiple of 8) aligns every column.
      const buffer = out.bytes.buffer;
      fillAtoms(index, {
        offsets: new Float64Array(buffer, at, count),
        sizes: new Float64Array(buffer, at + 8 * count, count),
        ids: new Uint32Array(buffer, at + 16 * count, count),
        alignLog2: new Uint8Array(buffer, at + 20 * count, count),
      });
      out.position += count * BYTES_PER_ATOM;
    } else {
      const columns = { ids: new Uint32Array(count), offsets: new Float64Array(count), sizes: new Float64Array(count), alignLog2: new Uint8Array(count) };
      fillAtoms(index, columns);
      for (const offset of columns.offsets) out.f64(offset);
      for (const size of columns.sizes) out.f64(size);
      for (const id of columns.ids) out.u32(id);
      out.bytes.set(columns.alignLog2, out.position);
      out.position += count;
    }
  });
  if (out.position !== length) throw new InternalError(`state encoder wrote ${String(out.position)} bytes, sized ${String(length)}`);
  return out.bytes;
}

/**
 * Parses bytes written by `encodeState`; truncated or foreign bytes throw `StateFormatError`. The atom
 * columns of the result may be views of `bytes`: use them before `bytes` changes.
 */
export function decodeState(bytes: Uint8Array, bulk = HOST_LITTLE_ENDIAN): LayoutState {
  const input = new ByteReader(bytes, bulk);
  const magic = input.u32("magic");
  if (magic !== MAGIC) throw new StateFormatError(`not an atom-allocator state (magic 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)} "LKAA")`, 0);
  const version = input.u32("version");
  if (version !== VERSION) throw new StateFormatError(`version ${String(version)} is not supported (expected ${String(VERSION)})`, 4);
  const mode = (what: string): SectionMode => {
    const at = input.position;
    const value = MODES[input.u8(what)];
    if (value === undefined) throw new StateFormatError(`${what}: unknown mode`, at);
    return value;
  };
  const flag = (what: string): boolean => {
    const at = input.position;
    const value = input.u8(what);
    if (value > 1) throw new StateFormatError(`${what}: ${String(value)} is not 0 or 1`, at);
    return value === 1;
  };
  const options = {
    headerSize: input.f64("headerSize"),
    sectionAlignment: input.f64("sectionAlignment"),
    fileAlignment: input.f64("fileAlignment"),
    mode: mode("layout mode"),
    capacity: { surplusNumerator: input.f64("surplusNumerator"), surplusDenominator: input.f64("surplusDenominator") },
    growthFactor: input.f64("growthFactor"),
    minimumVirtualReserve: input.f64("minimumVirtualReserve"),
    minHoleSize: input.f64("minHoleSize"),
  };
  const addressesAssigned = flag("addressesAssigned");
  const atomIdCount = input.u32("atomIdCount");
  const columnCount = input.u32("columnCount");
  const fileRanges: FileRange[] = [];
  const rangeCount = input.u32("file range count");
  for (let index = 0; index < rangeCount; index++) {
    fileRanges.push({ offset: input.f64("file range offset"), size: input.f64("file range size"), owner: input.str("file range owner") });
  }
  const sections: SectionState[] = [];
  const sectionCount = input.u32("section count");
  for (let index = 0; index < sectionCount; index++) {
    const name = input.str("section name");
    const sectionMode = mode(`section ${name} mode`);
    const noBits = flag(`section ${name} noBits`);
    const alignment = input.f64("alignment");
    const address = input.f64("address");
    const virtualReserve = input.f64("virtualReserve");
    const fileOffset = input.f64("fileOffset");
    const fileReserve = input.f64("fileReserve");
    const used = input.f64("used");
    const count = input.u32("atom count");
    input.align8(`section ${name} padding`);
    if (count * BYTES_PER_ATOM > input.remaining) {
      throw new StateFormatError(`section ${name}: ${String(count)} atoms need ${String(count * BYTES_PER_ATOM)} bytes, ${String(input.remaining)} left`, input.position);
    }
    const offsets = input.f64s(count);
    const sizes = input.f64s(count);
    const ids = input.u32s(count);
    const alignLog2 = input.u8s(count);
    sections.push({ name, mode: sectionMode, noBits, alignment, address, virtualReserve, fileOffset, fileReserve, used, atoms: { ids, offsets, sizes, alignLog2 } });
  }
  if (input.position !== bytes.length) throw new StateFormatError(`${String(bytes.length - input.position)} trailing bytes`, input.position);
  return { options, addressesAssigned, atomIdCount, columnCount, fileRanges, sections };
}
