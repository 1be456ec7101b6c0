// Saves a layout to compact bytes and restores it, for the incremental linker's state file.
//
// Format (little-endian), version 1:
//   "LKAA" u32:version
//   options: f64 headerSize, f64 sectionAlignment, f64 fileAlignment, u8 mode, f64 surplusNumerator,
//            f64 surplusDenominator, f64 growthFactor, f64 minHoleSize
//   u8 addressesAssigned, u32 atomIdCount
//   u32 fileRangeCount, then per range: f64 offset, f64 size, str owner
//   u32 sectionCount, then per section: str name, u8 mode, u8 noBits, f64 alignment, f64 address,
//       f64 virtualReserve, f64 fileOffset, f64 fileReserve, f64 used, u32 atomCount,
//       then atomCount × u32 id, atomCount × f64 offset, atomCount × f64 size, atomCount × u8 alignLog2
//   (str = u32 byte length + UTF-8). Free lists are not stored: they follow from capacities.

import { NONE } from "./atom-table.js";
import { AtomAllocatorError, StateFormatError } from "./errors.js";
import { Layout } from "./layout.js";
import type { SectionMode } from "./types.js";

const MAGIC = 0x41414b4c; // "LKAA" read as little-endian u32
const VERSION = 1;
// Atom ids live in Int32 columns.
const MAX_ATOM_IDS = 0x7fffffff;
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

function modeCode(mode: SectionMode): number {
  return MODES.indexOf(mode);
}

/** Saves the whole allocator state (options, file space, sections, atoms) as compact bytes. */
export function serializeLayout(layout: Layout): Uint8Array {
  const out = new ByteWriter();
  const options = layout.options;
  out.u32(MAGIC);
  out.u32(VERSION);
  out.f64(options.headerSize);
  out.f64(options.sectionAlignment);
  out.f64(options.fileAlignment);
  out.u8(modeCode(options.mode));
  out.f64(options.capacity.surplusNumerator);
  out.f64(options.capacity.surplusDenominator);
  out.f64(options.growthFactor);
  out.f64(options.minHoleSize);
  out.u8(layout.addressesAssigned ? 1 : 0);
  const atoms = layout.internalAtoms;
  out.u32(atoms.count);
  const ranges = layout.fileSpace.ranges;
  out.u32(ranges.length);
  for (const range of ranges) {
    out.f64(range.offset);
    out.f64(range.size);
    out.str(range.owner);
  }
  const sections = layout.internalSections;
  out.u32(sections.length);
  for (const section of sections) {
    out.str(section.name);
    out.u8(modeCode(section.mode));
    out.u8(section.noBits ? 1 : 0);
    out.f64(section.alignment);
    out.f64(section.address);
    out.f64(section.virtualReserve);
    out.f64(section.fileOffset);
    out.f64(section.fileReserve);
    out.f64(section.used);
    out.u32(section.atomCount);
    for (let atom = section.first; atom !== NONE; atom = atoms.next[atom] as number) out.u32(atom);
    for (let atom = section.first; atom !== NONE; atom = atoms.next[atom] as number) out.f64(atoms.offset[atom] as number);
    for (let atom = section.first; atom !== NONE; atom = atoms.next[atom] as number) out.f64(atoms.size[atom] as number);
    for (let atom = section.first; atom !== NONE; atom = atoms.next[atom] as number) out.u8(atoms.alignLog2[atom] as number);
  }
  return out.finish();
}

/**
 * Restores a layout saved by `serializeLayout`. Truncated, foreign or inconsistent bytes throw
 * `StateFormatError` (the caller then links from scratch); the restored layout is fully verified.
 */
export function deserializeLayout(bytes: Uint8Array): Layout {
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
  let layout: Layout;
  try {
    layout = new Layout({
      headerSize: input.f64("headerSize"),
      sectionAlignment: input.f64("sectionAlignment"),
      fileAlignment: input.f64("fileAlignment"),
      mode: mode("layout mode"),
      capacity: { surplusNumerator: input.f64("surplusNumerator"), surplusDenominator: input.f64("surplusDenominator") },
      growthFactor: input.f64("growthFactor"),
      minHoleSize: input.f64("minHoleSize"),
    });
  } catch (error) {
    if (error instanceof StateFormatError) throw error;
    throw new StateFormatError("invalid options", input.position, { cause: error });
  }
  const addressesAssigned = input.u8("addressesAssigned") === 1;
  const atomIdCount = input.u32("atomIdCount");
  if (atomIdCount > MAX_ATOM_IDS) throw new StateFormatError(`atom id count ${String(atomIdCount)} exceeds ${String(MAX_ATOM_IDS)}`, input.position - 4);
  const atoms = layout.internalAtoms;
  // Columns grow to the highest live id only; freed ids above it cost nothing.
  atoms.count = atomIdCount;
  try {
    const rangeCount = input.u32("file range count");
    for (let index = 0; index < rangeCount; index++) {
      const offset = input.f64("file range offset");
      const size = input.f64("file range size");
      layout.fileSpace.reserve(offset, size, input.str("file range owner"));
    }
    const sectionCount = input.u32("section count");
    let liveAtoms = 0;
    for (let index = 0; index < sectionCount; index++) {
      const name = input.str("section name");
      const id = layout.addSection(name, { mode: mode(`section ${name} mode`), noBits: input.u8("noBits") === 1, alignment: input.f64("alignment") });
      const section = layout.internalSections[id];
      if (section === undefined) throw new StateFormatError(`section ${name} was not created`, input.position);
      section.address = input.f64("address");
      section.virtualReserve = input.f64("virtualReserve");
      section.fileOffset = input.f64("fileOffset");
      section.fileReserve = input.f64("fileReserve");
      section.used = input.f64("used");
      const count = input.u32("atom count");
      const listStart = input.position;
      if (count * BYTES_PER_ATOM > bytes.length - listStart) {
        throw new StateFormatError(`section ${name}: ${String(count)} atoms need more bytes than remain`, listStart - 4);
      }
      const ids: number[] = new Array<number>(count);
      for (let slot = 0; slot < count; slot++) {
        const atom = input.u32("atom id");
        if (atom < atomIdCount) atoms.ensureCapacity(atom + 1);
        if (atom >= atomIdCount || (atoms.section[atom] as number) !== NONE) {
          throw new StateFormatError(`section ${name}: atom id ${String(atom)} is out of range or listed twice`, listStart + slot * 4);
        }
        atoms.section[atom] = id;
        atoms.prev[atom] = slot === 0 ? NONE : (ids[slot - 1] as number);
        atoms.next[atom] = NONE;
        if (slot > 0) atoms.next[ids[slot - 1] as number] = atom;
        ids[slot] = atom;
      }
      for (const atom of ids) atoms.offset[atom] = input.f64("atom offset");
      for (const atom of ids) atoms.size[atom] = input.f64("atom size");
      for (const atom of ids) {
        const at = input.position;
        const alignLog2 = input.u8("atom alignment");
        if (2 ** alignLog2 > section.alignment) throw new StateFormatError(`atom ${String(atom)} alignment exceeds section ${name}`, at);
        atoms.alignLog2[atom] = alignLog2;
      }
      section.first = ids[0] ?? NONE;
      section.last = ids[count - 1] ?? NONE;
      section.atomCount = count;
      liveAtoms += count;
    }
    if (input.position !== bytes.length) throw new StateFormatError(`${String(bytes.length - input.position)} trailing bytes`, input.position);
    for (const section of layout.internalSections) {
      for (const value of [section.address, section.virtualReserve, section.fileOffset, section.fileReserve, section.used]) {
        if (!Number.isSafeInteger(value) || value < 0) throw new StateFormatError(`section ${section.name}: bad address or size ${String(value)}`, input.position);
      }
    }
    layout.restoreInternals(addressesAssigned, liveAtoms);
    layout.rebuildFreeLists();
    layout.verify();
  } catch (error) {
    if (error instanceof StateFormatError) throw error;
    if (error instanceof AtomAllocatorError) throw new StateFormatError(`inconsistent state: ${error.message}`, input.position, { cause: error });
    throw error;
  }
  return layout;
}
