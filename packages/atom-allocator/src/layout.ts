// Decides where every atom and section lives: atom offsets inside sections, section addresses and file
// offsets, and how sections grow and move when an incremental update needs more room.
//
// Holes and capacity (the Zig linker's model): an atom's capacity runs from its start to the next atom's
// start (or to the section's used end for the last atom), so free room is never a separate object: it is
// the surplus of the atom before it (or the gap before a section's first atom). Freeing an atom hands its
// room to its predecessor, which coalesces neighbouring holes for free. An atom whose surplus beyond its
// ideal capacity is at least `minHoleSize` sits in its section's free list; new atoms and atoms that must
// move take the lowest-addressed hole that fits them (keeping the predecessor's ideal capacity) before
// the section's used end grows.

import { alignUp, isPowerOfTwo, log2OfPowerOfTwo, powerOfTwo } from "./align.js";
import { AtomTable, NONE } from "./atom-table.js";
import {
  AtomAllocatorError,
  DuplicateSectionError,
  InternalError,
  InvalidAlignmentError,
  InvalidOptionError,
  InvalidSizeError,
  LayoutPhaseError,
  StateFormatError,
  UnknownAtomError,
  UnknownSectionError,
} from "./errors.js";
import { FileSpace } from "./file-space.js";
import { decodeState, encodeStateWith } from "./state-codec.js";
import type { LayoutState, SectionAtomsState } from "./state-codec.js";
import type {
  ArrangedAtom,
  AtomId,
  AtomInfo,
  AtomMove,
  AtomPlacement,
  AtomRelease,
  AtomResize,
  CapacityPolicy,
  ChangeReport,
  LayoutOptions,
  SectionChanges,
  SectionGrowth,
  SectionId,
  SectionInfo,
  SectionMode,
  SectionMove,
  SectionOptions,
} from "./types.js";

const MAX_ALIGNMENT = 2 ** 30;
// Atom ids live in Int32 columns.
const MAX_ATOM_IDS = 0x7fffffff;
const NO_CHANGES: SectionChanges = Object.freeze({
  movedSections: Object.freeze([]) as readonly SectionMove[],
  grownSections: Object.freeze([]) as readonly SectionGrowth[],
});
// Marks "no hole fits: append at the used end" in placement search.
const APPEND = -2;
const SECTION_MODES_EXPECTED = '"packed", "incremental" or "packed-growable"';

function isSectionMode(mode: unknown): mode is SectionMode {
  return mode === "packed" || mode === "incremental" || mode === "packed-growable";
}

/** Mutable per-section state; few sections, so a plain object each. */
interface SectionRecord {
  readonly id: number;
  readonly name: string;
  readonly mode: SectionMode;
  readonly noBits: boolean;
  readonly alignment: number;
  /** Surplus numerator for pad-to-ideal; 0 in packed sections, where ideal capacity = size. */
  readonly surplusNumerator: number;
  readonly surplusDenominator: number;
  address: number;
  virtualReserve: number;
  fileOffset: number;
  fileReserve: number;
  used: number;
  first: number;
  last: number;
  atomCount: number;
  /** Atoms whose surplus is a hole worth reusing; order is irrelevant (search takes the lowest fit). */
  freeList: number[];
  /**
   * At least the largest surplus in the free list: exact after a search that found nothing, raised when a
   * hole grows. An atom bigger than this cannot fit, so the search is skipped (many moves stay O(1) each).
   */
  holeBound: number;
}

interface AtomSnapshot {
  readonly section: number;
  readonly offset: number;
  readonly size: number;
}

interface SectionSnapshot {
  readonly address: number;
  readonly fileOffset: number;
  readonly virtualReserve: number;
  readonly fileReserve: number;
}

/** Layout options with every default filled in. */
export interface ResolvedOptions {
  readonly headerSize: number;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly mode: SectionMode;
  readonly capacity: CapacityPolicy;
  readonly growthFactor: number;
  readonly minimumVirtualReserve: number;
  readonly minHoleSize: number;
}

function resolveOptions(options: LayoutOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    headerSize: options.headerSize,
    sectionAlignment: options.sectionAlignment ?? 0x1000,
    fileAlignment: options.fileAlignment ?? 0x200,
    mode: options.mode ?? "packed",
    capacity: Object.freeze({ ...(options.capacity ?? { surplusNumerator: 1, surplusDenominator: 3 }) }),
    growthFactor: options.growthFactor ?? 1.5,
    minimumVirtualReserve: options.minimumVirtualReserve ?? 0,
    minHoleSize: options.minHoleSize ?? 64,
  };
  checkSize("headerSize", resolved.headerSize);
  checkAlignment("sectionAlignment", resolved.sectionAlignment, MAX_ALIGNMENT);
  checkAlignment("fileAlignment", resolved.fileAlignment, MAX_ALIGNMENT);
  if (!isSectionMode(resolved.mode)) {
    throw new InvalidOptionError("mode", SECTION_MODES_EXPECTED, resolved.mode);
  }
  const { surplusNumerator, surplusDenominator } = resolved.capacity;
  if (!Number.isSafeInteger(surplusNumerator) || surplusNumerator < 0 || !Number.isSafeInteger(surplusDenominator) || surplusDenominator <= 0) {
    throw new InvalidOptionError("capacity", "{ surplusNumerator: integer >= 0, surplusDenominator: integer > 0 }, e.g. 1/3", resolved.capacity);
  }
  if (!Number.isFinite(resolved.growthFactor) || resolved.growthFactor < 1) {
    throw new InvalidOptionError("growthFactor", "a finite number >= 1, e.g. 1.5", resolved.growthFactor);
  }
  checkSize("minHoleSize", resolved.minHoleSize);
  checkSize("minimumVirtualReserve", resolved.minimumVirtualReserve);
  return Object.freeze(resolved);
}

function checkSize(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidSizeError(what, value);
}

function checkAlignment(what: string, alignment: number, maximum: number): void {
  if (!isPowerOfTwo(alignment) || alignment > maximum) throw new InvalidAlignmentError(what, alignment, maximum);
}

/**
 * The ordered sections of one output image and the atoms in them. A full link adds sections, places
 * atoms (packed, O(1) appends) and calls `assignAddresses`; an incremental update then places, resizes
 * and frees atoms, and sections grow and move as needed, each operation saying what it did and
 * `takeChanges` summing up a whole update.
 */
export class Layout {
  /** The output file's allocated ranges; reserve headers-like extras (a symbol table) here too. */
  readonly fileSpace: FileSpace;
  readonly options: ResolvedOptions;
  private readonly atoms: AtomTable;
  private readonly sectionList: SectionRecord[] = [];
  private readonly sectionIdByName = new Map<string, number>();
  private laidOut = false;
  private liveAtoms = 0;
  // Change tracking, active once addresses are assigned: the state of everything touched at its first touch.
  private readonly atomsBefore = new Map<number, AtomSnapshot | null>();
  private readonly sectionsBefore = new Map<number, SectionSnapshot | null>();
  private fileSizeBefore = 0;

  constructor(options: LayoutOptions, initialAtomCapacity = 1024) {
    this.options = resolveOptions(options);
    this.atoms = new AtomTable(initialAtomCapacity);
    this.fileSpace = new FileSpace();
  }

  // ---------------------------------------------------------------- sections

  /** Appends a section in virtual-address order. After `assignAddresses` it gets room at the end at once. */
  addSection(name: string, options: SectionOptions = {}): SectionId {
    if (this.sectionIdByName.has(name)) throw new DuplicateSectionError(name);
    const mode = options.mode ?? this.options.mode;
    if (!isSectionMode(mode)) throw new InvalidOptionError("section mode", SECTION_MODES_EXPECTED, mode);
    const alignment = options.alignment ?? this.options.sectionAlignment;
    checkAlignment(`section ${name}`, alignment, MAX_ALIGNMENT);
    const incremental = mode === "incremental";
    const record: SectionRecord = {
      id: this.sectionList.length,
      name,
      mode,
      noBits: options.noBits ?? false,
      alignment,
      surplusNumerator: incremental ? this.options.capacity.surplusNumerator : 0,
      surplusDenominator: incremental ? this.options.capacity.surplusDenominator : 1,
      address: 0,
      virtualReserve: 0,
      fileOffset: 0,
      fileReserve: 0,
      used: 0,
      first: NONE,
      last: NONE,
      atomCount: 0,
      freeList: [],
      holeBound: 0,
    };
    this.sectionList.push(record);
    this.sectionIdByName.set(name, record.id);
    if (this.laidOut) {
      this.sectionsBefore.set(record.id, null);
      const previous = this.sectionList[record.id - 1];
      const virtualEnd = previous === undefined ? this.options.headerSize : previous.address + previous.virtualReserve;
      record.address = alignUp(virtualEnd, alignment);
      record.virtualReserve = this.initialReserve(record, alignment, this.options.minimumVirtualReserve);
      if (!record.noBits) {
        record.fileReserve = this.initialReserve(record, this.options.fileAlignment);
        if (record.fileReserve > 0) record.fileOffset = this.fileSpace.allocate(record.fileReserve, this.options.fileAlignment, name);
      }
    }
    return record.id;
  }

  get sectionCount(): number {
    return this.sectionList.length;
  }

  sectionId(name: string): SectionId {
    const id = this.sectionIdByName.get(name);
    if (id === undefined) throw new UnknownSectionError(name, "sectionId");
    return id;
  }

  section(id: SectionId): SectionInfo {
    return this.sectionInfo(this.sectionRecord(id, "section"));
  }

  sections(): SectionInfo[] {
    return this.sectionList.map((record) => this.sectionInfo(record));
  }

  /** Live atoms of a section in address order. */
  atomsInSection(id: SectionId): AtomId[] {
    const section = this.sectionRecord(id, "atomsInSection");
    const result: AtomId[] = [];
    for (let atom = section.first; atom !== NONE; atom = this.atoms.next[atom] as number) result.push(atom);
    return result;
  }

  /**
   * The size of section `id`'s atoms when, in order, they lie back to back from offset 0 and each size is
   * a multiple of `unit`; else -1. A linker can then take the section's bytes as one array of `unit`-byte
   * records (an exception table, a list of pointers) without asking about each atom.
   */
  contiguousSize(id: SectionId, unit = 1): number {
    const section = this.sectionRecord(id, "contiguousSize");
    if (!Number.isSafeInteger(unit) || unit < 1) throw new InvalidOptionError("contiguousSize unit", "a positive safe integer", unit);
    const { next, offset, size } = this.atoms;
    let end = 0;
    for (let atom = section.first; atom !== NONE; atom = next[atom] as number) {
      const length = size[atom] as number;
      if (offset[atom] !== end || length % unit !== 0) return -1;
      end += length;
    }
    return end;
  }

  /**
   * Full link: gives every section its address and file offset, section after section from the end of
   * the headers, each aligned; `noBits` sections take virtual space only. Incremental sections reserve
   * `used × growthFactor`. File ranges reserved in `fileSpace` beforehand are kept; a section that would
   * overlap one goes to the lowest free room instead. From here on, operations grow and move sections and
   * changes are tracked.
   */
  assignAddresses(): SectionInfo[] {
    if (this.laidOut) throw new LayoutPhaseError("assignAddresses: addresses are already assigned; grow sections through atom operations or growSection");
    const { headerSize, fileAlignment } = this.options;
    let virtualCursor = headerSize;
    let fileCursor = alignUp(headerSize, fileAlignment);
    if (fileCursor > 0) this.fileSpace.reserve(0, fileCursor, "headers");
    for (const section of this.sectionList) {
      section.address = alignUp(virtualCursor, section.alignment);
      section.virtualReserve = this.initialReserve(section, section.alignment, this.options.minimumVirtualReserve);
      virtualCursor = section.address + section.virtualReserve;
      if (section.noBits) continue;
      section.fileOffset = alignUp(fileCursor, fileAlignment);
      section.fileReserve = this.initialReserve(section, fileAlignment);
      if (section.fileReserve > 0) {
        // Ranges the caller reserved beforehand stay put; a section that would collide goes to free room.
        if (this.fileSpace.isFree(section.fileOffset, section.fileReserve)) this.fileSpace.reserve(section.fileOffset, section.fileReserve, section.name);
        else section.fileOffset = this.fileSpace.allocate(section.fileReserve, fileAlignment, section.name);
      }
      fileCursor = Math.max(fileCursor, section.fileOffset + section.fileReserve);
    }
    this.laidOut = true;
    this.fileSizeBefore = this.fileSpace.end;
    return this.sections();
  }

  get addressesAssigned(): boolean {
    return this.laidOut;
  }

  /** Grows a section's reserves to at least the given sizes (aligned), moving what must move. */
  growSection(id: SectionId, minimum: { readonly virtualReserve?: number; readonly fileReserve?: number }): SectionChanges {
    const section = this.sectionRecord(id, "growSection");
    if (!this.laidOut) throw new LayoutPhaseError("growSection: call assignAddresses first; before it sections have no reserves");
    const virtualTarget = minimum.virtualReserve ?? 0;
    const fileTarget = section.noBits ? 0 : (minimum.fileReserve ?? 0);
    checkSize(`growSection ${section.name} virtualReserve`, virtualTarget);
    checkSize(`growSection ${section.name} fileReserve`, fileTarget);
    return this.growTo(
      section,
      virtualTarget > section.virtualReserve ? alignUp(virtualTarget, section.alignment) : 0,
      fileTarget > section.fileReserve ? alignUp(fileTarget, this.options.fileAlignment) : 0,
    );
  }

  // ---------------------------------------------------------------- atoms

  /**
   * Places a new atom: in the lowest free-list hole that fits its size (ideal capacity in incremental
   * sections) at its alignment, else at the section's used end. O(1) when the section has no holes.
   */
  placeAtom(sectionId: SectionId, size: number, alignment = 1): AtomPlacement {
    const section = this.sectionRecord(sectionId, "placeAtom");
    const atom = this.newAtom(section, size, alignment, "placeAtom");
    return this.placement(section, atom, null, null, this.growIfNeeded(section));
  }

  /**
   * `placeAtom` without the result object, for full links placing many atoms: same placement rule, O(1)
   * per atom while the section has no holes. Any section growth shows up in `takeChanges`.
   */
  addAtom(sectionId: SectionId, size: number, alignment = 1): AtomId {
    const section = this.sectionRecord(sectionId, "addAtom");
    const atom = this.newAtom(section, size, alignment, "addAtom");
    if (this.laidOut) this.growIfNeeded(section);
    return atom;
  }

  /**
   * `addAtom` for many atoms of one section, in `order` (indices into `sizes` and `alignments`): the k-th
   * gets id `first + k`, and `first` is returned. All are checked before any is placed. A packed section
   * without holes, before addresses are assigned (a full link), takes one tight loop: a call chain per atom
   * was ~60 ms of a 240,000-atom link.
   */
  addAtoms(sectionId: SectionId, sizes: ArrayLike<number>, alignments: ArrayLike<number>, order: ArrayLike<number>): AtomId {
    const section = this.sectionRecord(sectionId, "addAtoms");
    const n = order.length;
    checkAtoms(section, sizes, alignments, order);
    const atoms = this.atoms;
    const first = atoms.count;
    if (this.laidOut || section.mode !== "packed" || section.freeList.length > 0) {
      for (let k = 0; k < n; k++) this.addAtom(sectionId, sizes[order[k] as number] as number, alignments[order[k] as number] as number);
      return first;
    }
    atoms.ensureCapacity(first + n);
    const minHoleSize = this.options.minHoleSize;
    let used = section.used;
    let last = section.last;
    let k = 0;
    for (; k < n && section.freeList.length === 0; k++) {
      const i = order[k] as number;
      const size = sizes[i] as number, alignment = alignments[i] as number;
      const atom = first + k;
      const offset = alignUp(used, alignment);
      atoms.offset[atom] = offset;
      atoms.size[atom] = size;
      atoms.alignLog2[atom] = log2OfPowerOfTwo(alignment);
      atoms.section[atom] = section.id;
      atoms.prev[atom] = last;
      atoms.next[atom] = NONE;
      atoms.freeSlot[atom] = NONE;
      if (last === NONE) section.first = atom;
      else atoms.next[last] = atom;
      // Padding joins the previous atom's capacity; as in `append`, a large one is a hole to track.
      if (last !== NONE && offset - used >= minHoleSize) this.refreshFreeList(section, last);
      last = atom;
      used = offset + size;
    }
    atoms.count = first + k;
    section.last = last;
    section.used = used;
    section.atomCount += k;
    this.liveAtoms += k;
    // Padding made a hole: later atoms may go into it, which the one-by-one placement decides.
    for (; k < n; k++) this.addAtom(sectionId, sizes[order[k] as number] as number, alignments[order[k] as number] as number);
    return first;
  }

  /**
   * Changes an atom's size. The last atom of a section grows or shrinks in place by moving the used end;
   * any other atom grows in place while its capacity allows, else moves (its room goes to its predecessor,
   * then it is placed anew). Shrinking keeps the atom in place; the tail becomes a reusable hole only when
   * it is at least `minHoleSize` beyond the atom's ideal capacity.
   */
  resizeAtom(atom: AtomId, newSize: number): AtomPlacement {
    const section = this.liveSection(atom, "resizeAtom");
    if (!Number.isSafeInteger(newSize) || newSize < 0) throw new InvalidSizeError(`resizeAtom ${String(atom)} in ${section.name}: size`, newSize);
    this.touchAtom(atom);
    const atoms = this.atoms;
    const oldOffset = atoms.offset[atom] as number;
    const oldAddress = section.address + oldOffset;
    const next = atoms.next[atom] as number;
    if (next === NONE) {
      atoms.size[atom] = newSize;
      const idealEnd = oldOffset + this.ideal(section, newSize);
      if (idealEnd > section.used || section.used - idealEnd >= this.options.minHoleSize) section.used = idealEnd;
      this.refreshFreeList(section, atom);
    } else if (newSize <= (atoms.offset[next] as number) - oldOffset) {
      atoms.size[atom] = newSize;
      this.refreshFreeList(section, atom);
    } else {
      const alignLog2 = atoms.alignLog2[atom] as number;
      this.unlink(section, atom);
      this.insert(section, atom, newSize, alignLog2);
    }
    return this.placement(section, atom, oldOffset, oldAddress, this.growIfNeeded(section));
  }

  /**
   * Lays a section out again as a unit: every live atom of the section, each listed once, in the given
   * order and at the given size, from offset 0, each at its alignment with its ideal capacity (so back to
   * back in a packed section). For lists the program walks from one marker to another, where an entry
   * joining, leaving or changing size in the middle must move what follows rather than leave a hole or go
   * to the end. Atoms that changed place show up in `takeChanges`; the section grows when they no longer fit.
   */
  arrangeSection(id: SectionId, order: readonly ArrangedAtom[]): SectionChanges {
    const section = this.sectionRecord(id, "arrangeSection");
    const atoms = this.atoms;
    const listed = new Set<number>();
    for (const { atom, size } of order) {
      if (this.liveSection(atom, "arrangeSection") !== section) throw new InvalidOptionError(`arrangeSection ${section.name} atom ${String(atom)}`, `an atom of ${section.name}`, `an atom of section ${String(atoms.section[atom])}`);
      if (listed.has(atom)) throw new InvalidOptionError(`arrangeSection ${section.name} order`, "each atom once", `atom ${String(atom)} twice`);
      if (!Number.isSafeInteger(size) || size < 0) throw new InvalidSizeError(`arrangeSection ${section.name} atom ${String(atom)}: size`, size);
      listed.add(atom);
    }
    if (listed.size !== section.atomCount) throw new InvalidOptionError(`arrangeSection ${section.name} order`, `all ${String(section.atomCount)} live atoms`, `${String(listed.size)} atoms`);
    for (const atom of section.freeList) atoms.freeSlot[atom] = NONE;
    section.freeList.length = 0;
    section.holeBound = 0;
    section.first = NONE;
    section.last = NONE;
    section.used = 0;
    for (const { atom, size } of order) {
      this.touchAtom(atom);
      atoms.size[atom] = size;
      this.append(section, atom, size, powerOfTwo(atoms.alignLog2[atom] as number));
    }
    return this.growIfNeeded(section);
  }

  /** Frees an atom: its room joins its predecessor's surplus; freeing the last atom shrinks the used end. */
  freeAtom(atom: AtomId): AtomRelease {
    const section = this.liveSection(atom, "freeAtom");
    this.touchAtom(atom);
    const previousOffset = this.atoms.offset[atom] as number;
    const previousSize = this.atoms.size[atom] as number;
    this.unlink(section, atom);
    this.atoms.section[atom] = NONE;
    this.liveAtoms--;
    return {
      atom,
      section: section.id,
      moved: false,
      previousOffset,
      previousAddress: section.address + previousOffset,
      previousSize,
    };
  }

  isLive(atom: AtomId): boolean {
    return this.atoms.isLive(atom);
  }

  /** Ids handed out so far (live and freed). */
  get atomIdCount(): number {
    return this.atoms.count;
  }

  get liveAtomCount(): number {
    return this.liveAtoms;
  }

  atom(atom: AtomId): AtomInfo {
    const section = this.liveSection(atom, "atom");
    const offset = this.atoms.offset[atom] as number;
    return {
      id: atom,
      section: section.id,
      offset,
      address: section.address + offset,
      size: this.atoms.size[atom] as number,
      alignment: powerOfTwo(this.atoms.alignLog2[atom] as number),
      capacity: this.capacityEnd(section, atom) - offset,
    };
  }

  /** Section address + offset of a live atom (no allocation: for hot loops applying relocations). */
  atomAddress(atom: AtomId): number {
    const section = this.liveSection(atom, "atomAddress");
    return section.address + (this.atoms.offset[atom] as number);
  }

  atomOffset(atom: AtomId): number {
    this.liveSection(atom, "atomOffset");
    return this.atoms.offset[atom] as number;
  }

  /** The atom's size (what `atom(id).size` says, without making the record: for loops over many atoms). */
  atomSize(atom: AtomId): number {
    this.liveSection(atom, "atomSize");
    return this.atoms.size[atom] as number;
  }

  /**
   * Every atom's address and file offset at once, indexed by atom id (`atomIdCount` entries): NaN for a
   * freed atom, and for the file offset of one in a section with no file data. For loops over many atoms
   * (a linker relocating all of them). Into `into` when given; with `atoms`, only those entries (negative
   * ids skipped): a caller that relocates a few objects keeps one pair of arrays and fills in their atoms.
   */
  atomPlaces(into?: { readonly address: Float64Array; readonly fileOffset: Float64Array }, atoms?: ArrayLike<number>): { readonly address: Float64Array; readonly fileOffset: Float64Array } {
    const n = this.atoms.count;
    const address = into?.address ?? new Float64Array(n);
    const fileOffset = into?.fileOffset ?? new Float64Array(n);
    if (address.length < n || fileOffset.length < n) throw new InvalidOptionError("atomPlaces into", `arrays of at least ${n} entries`, Math.min(address.length, fileOffset.length));
    // Each section's address and file offset by section id + 1, NaN at 0 for a freed atom's NONE (-1) and
    // as the file offset of a section with no file data: the loop then reads no section record and calls
    // nothing per atom (it runs once over 330,000 atoms in a large link, much of it before V8 optimises it).
    const sectionAddress = new Float64Array(this.sectionList.length + 1).fill(NaN);
    const sectionFileOffset = new Float64Array(this.sectionList.length + 1).fill(NaN);
    for (const section of this.sectionList) {
      sectionAddress[section.id + 1] = section.address;
      if (!section.noBits) sectionFileOffset[section.id + 1] = section.fileOffset;
    }
    const sectionOf = this.atoms.section;
    const offsetOf = this.atoms.offset;
    const count = atoms === undefined ? n : atoms.length;
    for (let k = 0; k < count; k++) {
      const atom = atoms === undefined ? k : atoms[k]!;
      if (!(atom >= 0 && atom < n)) continue;
      const at = sectionOf[atom]! + 1;
      const offset = offsetOf[atom]!;
      address[atom] = sectionAddress[at]! + offset;
      fileOffset[atom] = sectionFileOffset[at]! + offset;
    }
    return { address, fileOffset };
  }

  atomSection(atom: AtomId): SectionId {
    return this.liveSection(atom, "atomSection").id;
  }

  // ---------------------------------------------------------------- change report

  /** What changed since `assignAddresses` or the previous call; starts a new batch. */
  takeChanges(): ChangeReport {
    const placedAtoms: AtomId[] = [];
    const movedAtoms: AtomMove[] = [];
    const resizedAtoms: AtomResize[] = [];
    const freedAtoms: AtomId[] = [];
    for (const [atom, before] of this.atomsBefore) {
      const live = this.atoms.isLive(atom);
      if (before === null) {
        if (live) placedAtoms.push(atom);
        continue;
      }
      if (!live) {
        freedAtoms.push(atom);
        continue;
      }
      const section = this.sectionList[this.atoms.section[atom] as number] as SectionRecord;
      const offset = this.atoms.offset[atom] as number;
      const size = this.atoms.size[atom] as number;
      if (offset !== before.offset || section.id !== before.section) {
        movedAtoms.push({
          atom,
          section: section.id,
          oldOffset: before.offset,
          newOffset: offset,
          oldAddress: this.addressBefore(before.section) + before.offset,
          newAddress: section.address + offset,
        });
      }
      if (size !== before.size) resizedAtoms.push({ atom, oldSize: before.size, newSize: size });
    }
    const addedSections: SectionId[] = [];
    const movedSections: SectionMove[] = [];
    const grownSections: SectionGrowth[] = [];
    for (const [id, before] of this.sectionsBefore) {
      const section = this.sectionList[id] as SectionRecord;
      if (before === null) {
        addedSections.push(id);
        continue;
      }
      if (before.address !== section.address || before.fileOffset !== section.fileOffset) {
        movedSections.push(sectionMove(section, before.address, before.fileOffset));
      }
      if (before.virtualReserve !== section.virtualReserve || before.fileReserve !== section.fileReserve) {
        grownSections.push(sectionGrowth(section, before.virtualReserve, before.fileReserve));
      }
    }
    const report: ChangeReport = {
      placedAtoms: placedAtoms.sort(byNumber),
      movedAtoms: movedAtoms.sort((a, b) => a.atom - b.atom),
      resizedAtoms: resizedAtoms.sort((a, b) => a.atom - b.atom),
      freedAtoms: freedAtoms.sort(byNumber),
      addedSections: addedSections.sort(byNumber),
      movedSections: movedSections.sort((a, b) => a.section - b.section),
      grownSections: grownSections.sort((a, b) => a.section - b.section),
      oldFileSize: this.fileSizeBefore,
      newFileSize: this.fileSpace.end,
    };
    this.atomsBefore.clear();
    this.sectionsBefore.clear();
    this.fileSizeBefore = this.fileSpace.end;
    return report;
  }

  // ---------------------------------------------------------------- checking

  /**
   * Checks every invariant (atom order, alignment, capacity, free lists, section reserves, no overlap in
   * virtual or file space) and throws `InternalError` naming the first one broken. O(atoms).
   */
  verify(): void {
    const atoms = this.atoms;
    let liveSeen = 0;
    let previousVirtualEnd = this.laidOut ? this.options.headerSize : 0;
    for (const section of this.sectionList) {
      const where = `section ${section.name}`;
      previousVirtualEnd = this.verifySectionRanges(section, previousVirtualEnd);
      let count = 0;
      let previous = NONE;
      let previousOffset = 0;
      for (let atom = section.first; atom !== NONE; atom = atoms.next[atom] as number) {
        count++;
        if (count > atoms.count) fail(`${where}: atom list has a cycle`);
        if ((atoms.section[atom] as number) !== section.id) fail(`${where}: atom ${String(atom)} claims another section`);
        if ((atoms.prev[atom] as number) !== previous) fail(`${where}: atom ${String(atom)} has a broken prev link`);
        const offset = atoms.offset[atom] as number;
        const alignment = powerOfTwo(atoms.alignLog2[atom] as number);
        if (!Number.isSafeInteger(offset) || offset < 0) fail(`${where}: atom ${String(atom)} has offset ${String(offset)}`);
        if (!Number.isSafeInteger(atoms.size[atom]) || (atoms.size[atom] as number) < 0) fail(`${where}: atom ${String(atom)} has size ${String(atoms.size[atom])}`);
        if (offset < previousOffset) fail(`${where}: atom ${String(atom)} is out of address order`);
        if ((section.address + offset) % alignment !== 0) fail(`${where}: atom ${String(atom)} misaligned`);
        const capacity = this.capacityEnd(section, atom) - offset;
        if ((atoms.size[atom] as number) > capacity) fail(`${where}: atom ${String(atom)} overlaps the next atom or the used end`);
        const inFreeList = (atoms.freeSlot[atom] as number) !== NONE;
        if (inFreeList !== this.holeWorthTracking(section, atom)) fail(`${where}: atom ${String(atom)} free-list membership is wrong`);
        if (inFreeList && section.freeList[atoms.freeSlot[atom] as number] !== atom) fail(`${where}: free-list slot of atom ${String(atom)} is wrong`);
        previous = atom;
        previousOffset = offset;
      }
      if (section.last !== previous) fail(`${where}: last atom link is wrong`);
      if (section.atomCount !== count) fail(`${where}: atom count ${String(section.atomCount)} but ${String(count)} linked`);
      if (count === 0 && section.used !== 0) fail(`${where}: empty section with used size`);
      for (const atom of section.freeList) if ((atoms.section[atom] as number) !== section.id) fail(`${where}: free list holds a foreign or freed atom`);
      liveSeen += count;
    }
    if (liveSeen !== this.liveAtoms) fail(`live atom count ${String(this.liveAtoms)} but ${String(liveSeen)} in sections`);
  }

  // A section's own invariants, apart from its atoms: alignment, and once laid out its reserves, its file
  // range and no overlap with the section before it (which ends at `previousVirtualEnd`). Returns where
  // this section ends in virtual space.
  private verifySectionRanges(section: SectionRecord, previousVirtualEnd: number): number {
    const where = `section ${section.name}`;
    if (section.address % section.alignment !== 0) fail(`${where}: address 0x${section.address.toString(16)} not aligned to 0x${section.alignment.toString(16)}`);
    if (!this.laidOut) return previousVirtualEnd;
    if (section.address < previousVirtualEnd) fail(`${where}: virtual range overlaps the previous section or headers`);
    if (section.used > section.virtualReserve) fail(`${where}: used 0x${section.used.toString(16)} exceeds virtual reserve`);
    if (section.noBits) {
      if (section.fileReserve !== 0) fail(`${where}: noBits section has file space`);
    } else {
      if (section.used > section.fileReserve) fail(`${where}: used 0x${section.used.toString(16)} exceeds file reserve`);
      if (section.fileOffset % this.options.fileAlignment !== 0) fail(`${where}: file offset not aligned`);
      if (section.fileReserve % this.options.fileAlignment !== 0) fail(`${where}: file reserve not aligned`);
      if (section.fileReserve > 0) {
        const owners = this.fileSpace.collisions(section.fileOffset, section.fileReserve);
        const own = owners[0];
        if (owners.length !== 1 || own === undefined || own.offset !== section.fileOffset || own.size !== section.fileReserve || own.owner !== section.name) {
          fail(`${where}: file range is not exactly one allocated range of its own`);
        }
      }
    }
    return section.address + section.virtualReserve;
  }

  // ---------------------------------------------------------------- saved state

  /**
   * Saves the whole allocator state (options, file space, sections, atoms) as compact bytes: 21 per live
   * atom, written straight into the output as whole columns (format in state-codec.ts and the README).
   */
  serialize(): Uint8Array {
    const atoms = this.atoms;
    const { next, offset, size, alignLog2 } = atoms;
    // The highest live id: freed ids at the top of the columns need no room when restored.
    let columnCount = Math.min(atoms.count, atoms.section.length);
    while (columnCount > 0 && (atoms.section[columnCount - 1] as number) === NONE) columnCount--;
    const sections = this.sectionList;
    return encodeStateWith(
      {
        options: this.options,
        addressesAssigned: this.laidOut,
        atomIdCount: atoms.count,
        columnCount,
        fileRanges: this.fileSpace.ranges,
        sections,
      },
      (index, columns) => {
        const section = sections[index] as SectionRecord;
        const { ids, offsets, sizes } = columns;
        const aligns = columns.alignLog2;
        let slot = 0;
        for (let atom = section.first; atom !== NONE; atom = next[atom] as number) {
          ids[slot] = atom;
          offsets[slot] = offset[atom] as number;
          sizes[slot] = size[atom] as number;
          aligns[slot] = alignLog2[atom] as number;
          slot++;
        }
        if (slot !== section.atomCount) fail(`section ${section.name}: atom count ${String(section.atomCount)} but ${String(slot)} linked`);
      },
    );
  }

  /**
   * Restores a layout saved by `serialize`. Truncated, foreign, corrupt or inconsistent bytes, and bytes of
   * another format version, throw `StateFormatError` (the caller then links from scratch); the restored
   * layout is fully verified. `bytes` is only read, and not kept.
   */
  static deserialize(bytes: Uint8Array): Layout {
    const state = decodeState(bytes);
    try {
      return Layout.fromState(state);
    } catch (error) {
      if (error instanceof AtomAllocatorError && !(error instanceof StateFormatError)) {
        throw new StateFormatError(`inconsistent state: ${error.message}`, null, { cause: error });
      }
      throw error;
    }
  }

  // Rebuilds a layout from decoded state with one pass over each section's columns: atom columns (sized
  // once), links and free lists are written as the atoms go by, each atom checked as `verify` would check
  // it (same messages, as `InternalError`s that `deserialize` wraps), so no `verify` walk follows. The next
  // process of an incremental link waits for this, and much of it runs before V8 has optimized the loop,
  // where every typed-array access costs: so the loop does few of them per atom, allocates nothing, and
  // calls nothing on its common path.
  private static fromState(state: LayoutState): Layout {
    const { atomIdCount, columnCount } = state;
    if (atomIdCount > MAX_ATOM_IDS) throw new StateFormatError(`atom id count ${String(atomIdCount)} exceeds ${String(MAX_ATOM_IDS)}`, null);
    if (columnCount > atomIdCount) throw new StateFormatError(`highest live atom id ${String(columnCount - 1)} is out of range (${String(atomIdCount)} ids)`, null);
    // Columns reach the highest live id only (freed ids above it cost nothing), sized once.
    let layout: Layout;
    try {
      layout = new Layout(state.options, columnCount);
    } catch (error) {
      if (error instanceof RangeError) throw new StateFormatError(`no memory for ${String(columnCount)} atoms`, null, { cause: error });
      throw error;
    }
    for (const range of state.fileRanges) layout.fileSpace.reserve(range.offset, range.size, range.owner);
    const atoms = layout.atoms;
    atoms.count = atomIdCount;
    // Links and free slots of atoms that end a list or hold no hole stay NONE.
    atoms.next.fill(NONE);
    atoms.freeSlot.fill(NONE);
    for (const saved of state.sections) {
      const section = layout.sectionList[layout.addSection(saved.name, { mode: saved.mode, noBits: saved.noBits, alignment: saved.alignment })] as SectionRecord;
      for (const value of [saved.address, saved.virtualReserve, saved.fileOffset, saved.fileReserve, saved.used]) {
        if (!Number.isSafeInteger(value) || value < 0) throw new StateFormatError(`section ${saved.name}: bad address or size ${String(value)}`, null);
      }
      section.address = saved.address;
      section.virtualReserve = saved.virtualReserve;
      section.fileOffset = saved.fileOffset;
      section.fileReserve = saved.fileReserve;
      section.used = saved.used;
      layout.restoreAtoms(section, saved.atoms, columnCount);
      layout.restoreSectionEnd(section, saved.atoms);
    }
    if (columnCount > 0 && !atoms.isLive(columnCount - 1)) throw new StateFormatError(`highest live atom id ${String(columnCount - 1)} is not in any section`, null);
    layout.laidOut = state.addressesAssigned;
    layout.fileSizeBefore = layout.fileSpace.end;
    let previousVirtualEnd = layout.laidOut ? layout.options.headerSize : 0;
    for (const section of layout.sectionList) previousVirtualEnd = layout.verifySectionRanges(section, previousVirtualEnd);
    return layout;
  }

  // Links a restored section's atoms (in address order) into the columns, checking each, and puts those
  // whose surplus is worth tracking in the free list, in address order as refreshing each atom would; the
  // last atom is settled by `restoreSectionEnd`.
  private restoreAtoms(section: SectionRecord, saved: SectionAtomsState, columnCount: number): void {
    const { ids, offsets, sizes, alignLog2 } = saved;
    const count = ids.length;
    const { section: sectionColumn, offset: offsetColumn, size: sizeColumn, alignLog2: alignColumn, prev, next, freeSlot } = this.atoms;
    const { id: sectionId, surplusNumerator, surplusDenominator } = section;
    const maxAlignLog2 = log2OfPowerOfTwo(section.alignment);
    const minHoleSize = this.options.minHoleSize;
    let previous = NONE;
    let previousOffset = 0;
    let previousSize = 0;
    for (let slot = 0; slot < count; slot++) {
      const atom = ids[slot] as number;
      const offset = offsets[slot] as number;
      const size = sizes[slot] as number;
      const log2 = alignLog2[slot] as number;
      // `x >>> 0 === x` holds for integers 0 <= x < 2^32, the rest take the slow test. The order test keeps
      // offsets >= 0; the masked alignment test is exact for any safe integer.
      if (
        atom >= columnCount ||
        (sectionColumn[atom] as number) !== NONE ||
        log2 > maxAlignLog2 ||
        !(offset >= previousOffset) ||
        (offset >>> 0 !== offset && !Number.isSafeInteger(offset)) ||
        (offset & ((1 << log2) - 1)) !== 0 ||
        (size >>> 0 !== size && !(size >= 0 && Number.isSafeInteger(size)))
      ) {
        rejectAtom(section, atom, offset, size, log2, previousOffset, columnCount, sectionColumn[atom] as number);
      }
      sectionColumn[atom] = sectionId;
      offsetColumn[atom] = offset;
      sizeColumn[atom] = size;
      alignColumn[atom] = log2;
      prev[atom] = previous;
      if (previous === NONE) {
        section.first = atom;
      } else {
        next[previous] = atom;
        const slack = offset - previousOffset - previousSize;
        if (slack < 0) overlapping(section, previous);
        // The surplus beyond ideal capacity is at most the slack: only a large slack can make a hole.
        if (slack > 0 && slack >= minHoleSize) {
          // `ideal(size) - size`, inline: a quotient below 2^31 truncates by `| 0`, which floors it.
          const extra = (previousSize * surplusNumerator) / surplusDenominator;
          const surplus = slack - (extra <= 0x7fffffff ? extra | 0 : Math.floor(extra));
          if (surplus > 0 && surplus >= minHoleSize) addHole(section, freeSlot, previous, surplus);
        }
      }
      previous = atom;
      previousOffset = offset;
      previousSize = size;
    }
  }

  // After `restoreAtoms`: the last atom's capacity runs to the used end. (Out of the loop's function, whose
  // optimized code would otherwise be thrown away at the loop's exit for want of type feedback there.)
  private restoreSectionEnd(section: SectionRecord, saved: SectionAtomsState): void {
    const count = saved.ids.length;
    const last = count === 0 ? NONE : (saved.ids[count - 1] as number);
    if (last === NONE) {
      if (section.used !== 0) fail(`section ${section.name}: empty section with used size`);
    } else {
      const offset = this.atoms.offset[last] as number;
      const size = this.atoms.size[last] as number;
      const capacity = section.used - offset;
      if (size > capacity) overlapping(section, last);
      const surplus = capacity - this.ideal(section, size);
      if (surplus > 0 && surplus >= this.options.minHoleSize) addHole(section, this.atoms.freeSlot, last, surplus);
    }
    section.last = last;
    section.atomCount = count;
    this.liveAtoms += count;
  }

  private newAtom(section: SectionRecord, size: number, alignment: number, operation: string): AtomId {
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidSizeError(`${operation} in ${section.name}: size`, size);
    if (!isPowerOfTwo(alignment) || alignment > section.alignment) {
      throw new InvalidAlignmentError(`${operation} in ${section.name}`, alignment, section.alignment);
    }
    const atom = this.atoms.add();
    if (this.laidOut) this.atomsBefore.set(atom, null);
    this.insert(section, atom, size, log2OfPowerOfTwo(alignment));
    this.liveAtoms++;
    return atom;
  }

  private sectionRecord(id: SectionId, operation: string): SectionRecord {
    const section = Number.isInteger(id) ? this.sectionList[id] : undefined;
    if (section === undefined) throw new UnknownSectionError(id, operation);
    return section;
  }

  private liveSection(atom: AtomId, operation: string): SectionRecord {
    if (!this.atoms.isLive(atom)) throw new UnknownAtomError(atom, operation);
    return this.sectionList[this.atoms.section[atom] as number] as SectionRecord;
  }

  private sectionInfo(section: SectionRecord): SectionInfo {
    return {
      id: section.id,
      name: section.name,
      mode: section.mode,
      noBits: section.noBits,
      alignment: section.alignment,
      address: section.address,
      virtualReserve: section.virtualReserve,
      fileOffset: section.fileOffset,
      fileReserve: section.fileReserve,
      usedSize: section.used,
      atomCount: section.atomCount,
    };
  }

  private placement(section: SectionRecord, atom: number, previousOffset: number | null, previousAddress: number | null, changes: SectionChanges): AtomPlacement {
    const offset = this.atoms.offset[atom] as number;
    return {
      atom,
      section: section.id,
      offset,
      address: section.address + offset,
      size: this.atoms.size[atom] as number,
      capacity: this.capacityEnd(section, atom) - offset,
      moved: previousOffset !== null && previousOffset !== offset,
      previousOffset,
      previousAddress,
      movedSections: changes.movedSections,
      grownSections: changes.grownSections,
    };
  }

  private ideal(section: SectionRecord, size: number): number {
    return section.surplusNumerator === 0 ? size : size + Math.floor((size * section.surplusNumerator) / section.surplusDenominator);
  }

  private capacityEnd(section: SectionRecord, atom: number): number {
    const next = this.atoms.next[atom] as number;
    return next === NONE ? section.used : (this.atoms.offset[next] as number);
  }

  private holeWorthTracking(section: SectionRecord, atom: number): boolean {
    const atoms = this.atoms;
    const surplus = this.capacityEnd(section, atom) - (atoms.offset[atom] as number) - this.ideal(section, atoms.size[atom] as number);
    return surplus > 0 && surplus >= this.options.minHoleSize;
  }

  private refreshFreeList(section: SectionRecord, atom: number): void {
    const atoms = this.atoms;
    const slot = atoms.freeSlot[atom] as number;
    const surplus = this.capacityEnd(section, atom) - (atoms.offset[atom] as number) - this.ideal(section, atoms.size[atom] as number);
    const worth = surplus > 0 && surplus >= this.options.minHoleSize;
    if (worth && surplus > section.holeBound) section.holeBound = surplus;
    if (worth && slot === NONE) {
      this.atoms.freeSlot[atom] = section.freeList.length;
      section.freeList.push(atom);
    } else if (!worth && slot !== NONE) {
      this.removeFromFreeList(section, atom, slot);
    }
  }

  private removeFromFreeList(section: SectionRecord, atom: number, slot: number): void {
    const moved = section.freeList.pop() as number;
    if (moved !== atom) {
      section.freeList[slot] = moved;
      this.atoms.freeSlot[moved] = slot;
    }
    this.atoms.freeSlot[atom] = NONE;
  }

  // Links `atom` into the section at the lowest hole that fits, or at the used end.
  private insert(section: SectionRecord, atom: number, size: number, alignLog2: number): void {
    const atoms = this.atoms;
    atoms.size[atom] = size;
    atoms.alignLog2[atom] = alignLog2;
    atoms.section[atom] = section.id;
    section.atomCount++;
    const alignment = powerOfTwo(alignLog2);
    const need = this.ideal(section, size);
    const first = section.first;
    let after = APPEND;
    let start = 0;
    // Zero-size atoms are position markers (an import library's `.idata$4` start, a list head): they
    // keep their order and never go into a gap or hole.
    if (first !== NONE && need > 0) {
      if (need <= (atoms.offset[first] as number)) {
        // The gap before the first atom: offset 0 is aligned for every alignment the section allows.
        after = NONE;
      } else if (need <= section.holeBound) {
        let best = Infinity;
        let largestSurplus = 0;
        for (const holder of section.freeList) {
          const idealEnd = (atoms.offset[holder] as number) + this.ideal(section, atoms.size[holder] as number);
          const holeEnd = this.capacityEnd(section, holder);
          const holeStart = alignUp(idealEnd, alignment);
          if (holeEnd - idealEnd > largestSurplus) largestSurplus = holeEnd - idealEnd;
          if (holeStart < best && holeStart + need <= holeEnd) {
            best = holeStart;
            after = holder;
          }
        }
        if (after === APPEND) section.holeBound = largestSurplus;
        start = best;
      }
    }
    if (after === APPEND) {
      this.append(section, atom, size, alignment);
    } else if (after === NONE) {
      atoms.offset[atom] = 0;
      atoms.prev[atom] = NONE;
      atoms.next[atom] = first;
      atoms.prev[first] = atom;
      section.first = atom;
      this.refreshFreeList(section, atom);
    } else {
      const next = atoms.next[after] as number;
      atoms.offset[atom] = start;
      atoms.prev[atom] = after;
      atoms.next[atom] = next;
      atoms.next[after] = atom;
      if (next === NONE) section.last = atom;
      else atoms.prev[next] = atom;
      this.refreshFreeList(section, after);
      this.refreshFreeList(section, atom);
    }
  }

  // Links `atom` in at the section's used end, at its alignment, with its ideal capacity.
  private append(section: SectionRecord, atom: number, size: number, alignment: number): void {
    const atoms = this.atoms;
    const last = section.last;
    atoms.offset[atom] = alignUp(section.used, alignment);
    atoms.prev[atom] = last;
    atoms.next[atom] = NONE;
    if (last === NONE) section.first = atom;
    else atoms.next[last] = atom;
    section.last = atom;
    section.used = (atoms.offset[atom] as number) + this.ideal(section, size);
    // Alignment padding joins the old last atom's capacity; large padding is a hole worth tracking.
    if (last !== NONE && alignment > 1) this.refreshFreeList(section, last);
  }

  // Takes `atom` out of its section's list; its room goes to its predecessor (or the used end shrinks).
  private unlink(section: SectionRecord, atom: number): void {
    const atoms = this.atoms;
    const prev = atoms.prev[atom] as number;
    const next = atoms.next[atom] as number;
    if (prev === NONE) section.first = next;
    else atoms.next[prev] = next;
    if (next === NONE) section.last = prev;
    else atoms.prev[next] = prev;
    const slot = atoms.freeSlot[atom] as number;
    if (slot !== NONE) this.removeFromFreeList(section, atom, slot);
    atoms.prev[atom] = NONE;
    atoms.next[atom] = NONE;
    section.atomCount--;
    if (next === NONE) {
      section.used = prev === NONE ? 0 : Math.min(section.used, (atoms.offset[prev] as number) + this.ideal(section, atoms.size[prev] as number));
    }
    if (prev !== NONE) this.refreshFreeList(section, prev);
  }

  private initialReserve(section: SectionRecord, alignment: number, minimum = 0): number {
    if (section.mode === "packed") return alignUp(section.used, alignment);
    return alignUp(Math.max(Math.ceil(section.used * this.options.growthFactor), 1, minimum), alignment);
  }

  private growIfNeeded(section: SectionRecord): SectionChanges {
    if (!this.laidOut) return NO_CHANGES;
    const needsVirtual = section.used > section.virtualReserve;
    const needsFile = !section.noBits && section.used > section.fileReserve;
    if (!needsVirtual && !needsFile) return NO_CHANGES;
    return this.growTo(
      section,
      needsVirtual ? this.initialReserve(section, section.alignment, this.options.minimumVirtualReserve) : 0,
      needsFile ? this.initialReserve(section, this.options.fileAlignment) : 0,
    );
  }

  // Grows reserves to the given aligned targets (0 = leave alone): followers shift up in virtual space;
  // in the file the section extends in place if the room after it is free, else moves to free space.
  private growTo(section: SectionRecord, virtualReserve: number, fileReserve: number): SectionChanges {
    if (virtualReserve === 0 && fileReserve === 0) return NO_CHANGES;
    this.touchSection(section);
    const oldVirtualReserve = section.virtualReserve;
    const oldFileReserve = section.fileReserve;
    const oldFileOffset = section.fileOffset;
    const movedSections: SectionMove[] = [];
    if (virtualReserve > 0) {
      section.virtualReserve = virtualReserve;
      this.shiftFollowers(section.id, movedSections);
    }
    if (fileReserve > 0) {
      if (section.fileReserve === 0 || !this.fileSpace.tryResize(section.fileOffset, fileReserve)) {
        // Allocate before freeing so the new range never overlaps the old one: the caller copies safely.
        const newOffset = this.fileSpace.allocate(fileReserve, this.options.fileAlignment, section.name);
        if (section.fileReserve > 0) this.fileSpace.free(section.fileOffset);
        section.fileOffset = newOffset;
      }
      section.fileReserve = fileReserve;
      if (section.fileOffset !== oldFileOffset) movedSections.unshift(sectionMove(section, section.address, oldFileOffset));
    }
    return {
      movedSections,
      grownSections: [sectionGrowth(section, oldVirtualReserve, oldFileReserve)],
    };
  }

  private shiftFollowers(grown: number, moves: SectionMove[]): void {
    for (let index = grown + 1; index < this.sectionList.length; index++) {
      const previous = this.sectionList[index - 1] as SectionRecord;
      const section = this.sectionList[index] as SectionRecord;
      const address = alignUp(previous.address + previous.virtualReserve, section.alignment);
      if (address <= section.address) break;
      if (!Number.isSafeInteger(address + section.virtualReserve)) {
        throw new InvalidSizeError(`moving section ${section.name} past the end of the address space`, address);
      }
      this.touchSection(section);
      const oldAddress = section.address;
      section.address = address;
      moves.push(sectionMove(section, oldAddress, section.fileOffset));
    }
  }

  private touchAtom(atom: number): void {
    if (!this.laidOut || this.atomsBefore.has(atom)) return;
    this.atomsBefore.set(atom, {
      section: this.atoms.section[atom] as number,
      offset: this.atoms.offset[atom] as number,
      size: this.atoms.size[atom] as number,
    });
  }

  private touchSection(section: SectionRecord): void {
    if (this.sectionsBefore.has(section.id)) return;
    this.sectionsBefore.set(section.id, {
      address: section.address,
      fileOffset: section.fileOffset,
      virtualReserve: section.virtualReserve,
      fileReserve: section.fileReserve,
    });
  }

  private addressBefore(sectionId: number): number {
    const before = this.sectionsBefore.get(sectionId);
    return before ? before.address : (this.sectionList[sectionId] as SectionRecord).address;
  }
}

function sectionMove(section: SectionRecord, oldAddress: number, oldFileOffset: number): SectionMove {
  return {
    section: section.id,
    name: section.name,
    oldAddress,
    newAddress: section.address,
    oldFileOffset,
    newFileOffset: section.fileOffset,
  };
}

function sectionGrowth(section: SectionRecord, oldVirtualReserve: number, oldFileReserve: number): SectionGrowth {
  return {
    section: section.id,
    name: section.name,
    oldVirtualReserve,
    newVirtualReserve: section.virtualReserve,
    oldFileReserve,
    newFileReserve: section.fileReserve,
  };
}

function byNumber(a: number, b: number): number {
  return a - b;
}

// Puts a restored atom in its section's free list (in address order, as refreshing each atom would).
function addHole(section: SectionRecord, freeSlot: Int32Array, atom: number, surplus: number): void {
  freeSlot[atom] = section.freeList.length;
  section.freeList.push(atom);
  if (surplus > section.holeBound) section.holeBound = surplus;
}

function overlapping(section: SectionRecord, atom: number): never {
  fail(`section ${section.name}: atom ${String(atom)} overlaps the next atom or the used end`);
}

// Names what is wrong with a restored atom that failed the combined check in `restoreAtoms`.
function rejectAtom(section: SectionRecord, atom: number, offset: number, size: number, alignLog2: number, previousOffset: number, columnCount: number, claimedBy: number): never {
  const where = `section ${section.name}`;
  if (atom >= columnCount) throw new StateFormatError(`${where}: atom id ${String(atom)} is above the highest live id ${String(columnCount - 1)}`, null);
  if (claimedBy !== NONE) throw new StateFormatError(`${where}: atom id ${String(atom)} is listed twice`, null);
  if (powerOfTwo(alignLog2) > section.alignment) throw new StateFormatError(`atom ${String(atom)} alignment exceeds ${where}`, null);
  if (!Number.isSafeInteger(offset) || offset < 0) fail(`${where}: atom ${String(atom)} has offset ${String(offset)}`);
  if (!Number.isSafeInteger(size) || size < 0) fail(`${where}: atom ${String(atom)} has size ${String(size)}`);
  if (offset < previousOffset) fail(`${where}: atom ${String(atom)} is out of address order`);
  fail(`${where}: atom ${String(atom)} misaligned`);
}

function fail(message: string): never {
  throw new InternalError(`layout invariant broken: ${message}`);
}

/**
 * Throws unless every atom `addAtoms` is given has a size and an alignment the section takes. A function
 * of its own: a loop that runs once (over 330,000 atoms in a large link) is optimised sooner in a small one.
 */
function checkAtoms(section: SectionRecord, sizes: ArrayLike<number>, alignments: ArrayLike<number>, order: ArrayLike<number>): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const size = sizes[i] as number, alignment = alignments[i] as number;
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidSizeError(`addAtoms in ${section.name}: size`, size);
    if (!isPowerOfTwo(alignment) || alignment > section.alignment) throw new InvalidAlignmentError(`addAtoms in ${section.name}`, alignment, section.alignment);
  }
}
