// The public data shapes: options, read-only views, per-operation results and the change report.

/** Dense integer id of an atom, handed out by `placeAtom`; never reused after `freeAtom`. */
export type AtomId = number;
/** Dense integer id of a section: its index in virtual-address order. */
export type SectionId = number;

/**
 * `packed`: a full link; atoms back to back with only alignment padding, reserves rounded to alignment.
 * `incremental`: each atom gets surplus capacity (pad-to-ideal) and the section reserves room to grow.
 * `packed-growable`: atoms back to back as in `packed`, room to grow as in `incremental`: for a list the
 * program walks from one marker to another in an incremental image (no holes between its entries, yet
 * entries can join it without moving what follows; see `arrangeSection`).
 */
export type SectionMode = "packed" | "incremental" | "packed-growable";

/** Pad-to-ideal: an atom's ideal capacity is `size + floor(size * surplusNumerator / surplusDenominator)`. */
export interface CapacityPolicy {
  readonly surplusNumerator: number;
  readonly surplusDenominator: number;
}

export interface LayoutOptions {
  /** Bytes of headers before the first section, in virtual space and in the file (e.g. PE or ELF headers). */
  readonly headerSize: number;
  /** Default virtual alignment of sections, e.g. 0x1000 (PE SectionAlignment, ELF page size). */
  readonly sectionAlignment?: number;
  /** Alignment of section file offsets and file reserves, e.g. 0x200 (PE FileAlignment). */
  readonly fileAlignment?: number;
  /** Default mode of new sections; `packed` unless given. */
  readonly mode?: SectionMode;
  /** Surplus given to atoms in incremental sections; default 1/3 (ideal = size + size/3). */
  readonly capacity?: CapacityPolicy;
  /** Incremental sections reserve `used × growthFactor` (aligned), in virtual and file space; default 1.5. */
  readonly growthFactor?: number;
  /**
   * Incremental sections reserve at least this much address space (aligned; default 0). Address space
   * costs nothing in the file, and a section that outgrows it moves everything after it.
   */
  readonly minimumVirtualReserve?: number;
  /** Surplus smaller than this is alignment slack, not a hole worth a free-list entry; default 64. */
  readonly minHoleSize?: number;
}

export interface SectionOptions {
  readonly mode?: SectionMode;
  /** Uninitialised data (`.bss`, `SHT_NOBITS`): virtual space, no file space. */
  readonly noBits?: boolean;
  /** Virtual alignment of this section; the layout's `sectionAlignment` unless given. Bounds atom alignment. */
  readonly alignment?: number;
}

/** A snapshot of one section. Addresses are relative to the image base; before `assignAddresses` they are 0. */
export interface SectionInfo {
  readonly id: SectionId;
  readonly name: string;
  readonly mode: SectionMode;
  readonly noBits: boolean;
  readonly alignment: number;
  readonly address: number;
  readonly virtualReserve: number;
  readonly fileOffset: number;
  readonly fileReserve: number;
  /** End of the used space: the last atom's capacity ends here. */
  readonly usedSize: number;
  readonly atomCount: number;
}

/** A snapshot of one live atom. */
export interface AtomInfo {
  readonly id: AtomId;
  readonly section: SectionId;
  /** Section-relative offset. */
  readonly offset: number;
  /** Section address + offset. */
  readonly address: number;
  readonly size: number;
  readonly alignment: number;
  /** Distance to the next atom's start, or to the section's used end for the last atom. */
  readonly capacity: number;
}

export interface SectionMove {
  readonly section: SectionId;
  readonly name: string;
  readonly oldAddress: number;
  readonly newAddress: number;
  readonly oldFileOffset: number;
  readonly newFileOffset: number;
}

export interface SectionGrowth {
  readonly section: SectionId;
  readonly name: string;
  readonly oldVirtualReserve: number;
  readonly newVirtualReserve: number;
  readonly oldFileReserve: number;
  readonly newFileReserve: number;
}

/** Sections an operation moved (virtually: they followed a grown one; in the file: ran out of room) or grew. */
export interface SectionChanges {
  readonly movedSections: readonly SectionMove[];
  readonly grownSections: readonly SectionGrowth[];
}

/**
 * What `placeAtom` / `resizeAtom` did. `moved` means the atom's section-relative offset changed (its bytes
 * must be rewritten; the new range may overlap the old one). `address` / `previousAddress` are after and
 * before the operation, so they also differ when only the atom's section moved (see `movedSections`).
 */
/** One atom of `arrangeSection`'s new order, with its size there. */
export interface ArrangedAtom {
  readonly atom: AtomId;
  readonly size: number;
}

export interface AtomPlacement extends SectionChanges {
  readonly atom: AtomId;
  readonly section: SectionId;
  readonly offset: number;
  readonly address: number;
  readonly size: number;
  readonly capacity: number;
  readonly moved: boolean;
  /** `null` for a new atom. */
  readonly previousOffset: number | null;
  readonly previousAddress: number | null;
}

/** What `freeAtom` did. */
export interface AtomRelease {
  readonly atom: AtomId;
  readonly section: SectionId;
  readonly moved: false;
  readonly previousOffset: number;
  readonly previousAddress: number;
  readonly previousSize: number;
}

export interface AtomMove {
  readonly atom: AtomId;
  readonly section: SectionId;
  readonly oldOffset: number;
  readonly newOffset: number;
  readonly oldAddress: number;
  readonly newAddress: number;
}

export interface AtomResize {
  readonly atom: AtomId;
  readonly oldSize: number;
  readonly newSize: number;
}

/**
 * Everything that changed since `assignAddresses` or the previous `takeChanges`, compared end to end:
 * an atom placed and freed in the same batch does not appear; an atom that moved twice appears once.
 * Atoms that did not move inside their section are not in `movedAtoms` even when their section moved.
 */
export interface ChangeReport {
  readonly placedAtoms: readonly AtomId[];
  readonly movedAtoms: readonly AtomMove[];
  readonly resizedAtoms: readonly AtomResize[];
  readonly freedAtoms: readonly AtomId[];
  readonly addedSections: readonly SectionId[];
  readonly movedSections: readonly SectionMove[];
  readonly grownSections: readonly SectionGrowth[];
  readonly oldFileSize: number;
  readonly newFileSize: number;
}
