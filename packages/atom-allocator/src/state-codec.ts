// Encodes allocator state as compact bytes and back; checks the bytes, not the layout they describe.
//
// Format (little-endian), version 2:
//   "LKAA" u32:version
//   options: f64 headerSize, f64 sectionAlignment, f64 fileAlignment, u8 mode, f64 surplusNumerator,
//            f64 surplusDenominator, f64 growthFactor, f64 minimumVirtualReserve, f64 minHoleSize
//   u8 addressesAssigned, u32 atomIdCount
//   u32 fileRangeCount, then per range: f64 offset, f64 size, str owner
//   u32 sectionCount, then per section: str name, u8 mode, u8 noBits, f64 alignment, f64 address,
//       f64 virtualReserve, f64 fileOffset, f64 fileReserve, f64 used, u32 atomCount,
//       then atomCount × u32 id, atomCount × f64 offset, atomCount × f64 size, atomCount × u8 alignLog2
//   (str = u32 byte length + UTF-8). Free lists are not stored: they follow from capacities.

import { StateFormatError } from "./errors.js";
import type { FileRange } from "./file-space.js";
import type { SectionMode } from "./types.js";

const MAGIC = 0x41414b4c; // "LKAA" read as little-endian u32
const VERSION = 2;
// u32 id + f64 offset + f64 size + u8 alignment.
const BYTES_PER_ATOM = 21;

class ByteWriter {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  u32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  str(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.u32(encoded.length);
    this.ensure(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

class ByteReader {
  private readonly view: DataView;
  position = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(count: number, what: string): void {
    if (this.position + count > this.bytes.length) {
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
}

const MODES: readonly SectionMode[] = ["packed", "incremental"];

/** Atoms of one section in address order, as parallel columns. */
export interface SectionAtomsState {
  readonly ids: Uint32Array;
  readonly offsets: Float64Array;
  readonly sizes: Float64Array;
  readonly alignLog2: Uint8Array;
}

export interface SectionState {
  readonly name: string;
  readonly mode: SectionMode;
  readonly noBits: boolean;
  readonly alignment: number;
  readonly address: number;
  readonly virtualReserve: number;
  readonly fileOffset: number;
  readonly fileReserve: number;
  readonly used: number;
  readonly atoms: SectionAtomsState;
}

/** Everything a layout needs to be rebuilt; free lists are not part of it, they follow from capacities. */
export interface LayoutState {
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
  readonly fileRanges: readonly FileRange[];
  readonly sections: readonly SectionState[];
}

export function encodeState(state: LayoutState): Uint8Array {
  const out = new ByteWriter();
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
  out.u32(state.fileRanges.length);
  for (const range of state.fileRanges) {
    out.f64(range.offset);
    out.f64(range.size);
    out.str(range.owner);
  }
  out.u32(state.sections.length);
  for (const section of state.sections) {
    out.str(section.name);
    out.u8(MODES.indexOf(section.mode));
    out.u8(section.noBits ? 1 : 0);
    out.f64(section.alignment);
    out.f64(section.address);
    out.f64(section.virtualReserve);
    out.f64(section.fileOffset);
    out.f64(section.fileReserve);
    out.f64(section.used);
    const { ids, offsets, sizes, alignLog2 } = section.atoms;
    out.u32(ids.length);
    for (const id of ids) out.u32(id);
    for (const offset of offsets) out.f64(offset);
    for (const size of sizes) out.f64(size);
    for (const log2 of alignLog2) out.u8(log2);
  }
  return out.finish();
}

/** Parses bytes written by `encodeState`; truncated or foreign bytes throw `StateFormatError`. */
export function decodeState(bytes: Uint8Array): LayoutState {
  const input = new ByteReader(bytes);
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
  const addressesAssigned = input.u8("addressesAssigned") === 1;
  const atomIdCount = input.u32("atomIdCount");
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
    const noBits = input.u8("noBits") === 1;
    const alignment = input.f64("alignment");
    const address = input.f64("address");
    const virtualReserve = input.f64("virtualReserve");
    const fileOffset = input.f64("fileOffset");
    const fileReserve = input.f64("fileReserve");
    const used = input.f64("used");
    const count = input.u32("atom count");
    if (count * BYTES_PER_ATOM > bytes.length - input.position) {
      throw new StateFormatError(`section ${name}: ${String(count)} atoms need more bytes than remain`, input.position - 4);
    }
    const atoms: SectionAtomsState = {
      ids: new Uint32Array(count),
      offsets: new Float64Array(count),
      sizes: new Float64Array(count),
      alignLog2: new Uint8Array(count),
    };
    for (let slot = 0; slot < count; slot++) atoms.ids[slot] = input.u32("atom id");
    for (let slot = 0; slot < count; slot++) atoms.offsets[slot] = input.f64("atom offset");
    for (let slot = 0; slot < count; slot++) atoms.sizes[slot] = input.f64("atom size");
    for (let slot = 0; slot < count; slot++) atoms.alignLog2[slot] = input.u8("atom alignment");
    sections.push({ name, mode: sectionMode, noBits, alignment, address, virtualReserve, fileOffset, fileReserve, used, atoms });
  }
  if (input.position !== bytes.length) throw new StateFormatError(`${String(bytes.length - input.position)} trailing bytes`, input.position);
  return { options, addressesAssigned, atomIdCount, fileRanges, sections };
}
