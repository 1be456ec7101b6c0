// Typed errors: each names what failed, what was expected and what was received.

/** Base class of every error thrown by `@linkkit/atom-allocator`. */
export class AtomAllocatorError extends Error {
  override name = "AtomAllocatorError";
}

/** An alignment that is not a power of two, or larger than the section can honour. */
export class InvalidAlignmentError extends AtomAllocatorError {
  override name = "InvalidAlignmentError";
  constructor(
    readonly what: string,
    readonly alignment: number,
    readonly maximum: number,
  ) {
    super(
      `${what}: alignment must be a power of two from 1 to 0x${maximum.toString(16)} (e.g. 16), got ${String(alignment)}`,
    );
  }
}

/** A size, address or offset that is not a non-negative safe integer. */
export class InvalidSizeError extends AtomAllocatorError {
  override name = "InvalidSizeError";
  constructor(
    readonly what: string,
    readonly value: number,
  ) {
    super(`${what}: expected a non-negative safe integer (e.g. 64), got ${String(value)}`);
  }
}

/** An option outside its allowed range (a growth factor below 1, a zero denominator, ...). */
export class InvalidOptionError extends AtomAllocatorError {
  override name = "InvalidOptionError";
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly received: unknown,
  ) {
    super(`option ${option}: expected ${expected}, got ${JSON.stringify(received)}`);
  }
}

/** An atom id that was never handed out, or whose atom was freed. */
export class UnknownAtomError extends AtomAllocatorError {
  override name = "UnknownAtomError";
  constructor(
    readonly atom: number,
    readonly operation: string,
  ) {
    super(`${operation}: atom ${String(atom)} is not live (never placed, or freed)`);
  }
}

/** A section id or name that the layout does not hold. */
export class UnknownSectionError extends AtomAllocatorError {
  override name = "UnknownSectionError";
  constructor(
    readonly section: number | string,
    readonly operation: string,
  ) {
    super(`${operation}: no section ${typeof section === "string" ? JSON.stringify(section) : `#${String(section)}`}`);
  }
}

/** Adding a section whose name is already taken. */
export class DuplicateSectionError extends AtomAllocatorError {
  override name = "DuplicateSectionError";
  constructor(readonly sectionName: string) {
    super(`addSection: a section named ${JSON.stringify(sectionName)} already exists`);
  }
}

/** A call made in the wrong phase (e.g. `assignAddresses` twice). */
export class LayoutPhaseError extends AtomAllocatorError {
  override name = "LayoutPhaseError";
}

/** A file range that overlaps one already allocated (headers, a section, a symbol table). */
export class FileSpaceCollisionError extends AtomAllocatorError {
  override name = "FileSpaceCollisionError";
  constructor(
    readonly requested: { readonly offset: number; readonly size: number; readonly owner: string },
    readonly collidesWith: { readonly offset: number; readonly size: number; readonly owner: string },
  ) {
    super(
      `file range 0x${requested.offset.toString(16)}+0x${requested.size.toString(16)} for ${requested.owner} ` +
        `overlaps 0x${collidesWith.offset.toString(16)}+0x${collidesWith.size.toString(16)} of ${collidesWith.owner}`,
    );
  }
}

/** Freeing a file range that is not allocated. */
export class UnknownFileRangeError extends AtomAllocatorError {
  override name = "UnknownFileRangeError";
  constructor(readonly offset: number) {
    super(`file space: no allocated range starts at offset 0x${offset.toString(16)}`);
  }
}

/** Saved state that is truncated, of another version, or internally inconsistent. */
export class StateFormatError extends AtomAllocatorError {
  override name = "StateFormatError";
  constructor(
    message: string,
    /** Where in the bytes the problem was found; `null` when the bytes parse but describe an impossible layout. */
    readonly byteOffset: number | null,
    options?: { cause?: unknown },
  ) {
    super(`allocator state${byteOffset === null ? "" : ` at byte ${String(byteOffset)}`}: ${message}`, options);
  }
}

/** A broken invariant inside the allocator: a bug in this package, never bad input. */
export class InternalError extends AtomAllocatorError {
  override name = "InternalError";
}
