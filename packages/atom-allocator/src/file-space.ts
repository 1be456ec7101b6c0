// Decides where things live in the output file: allocated ranges, free gaps, and growth at the end.

import { alignUp, isPowerOfTwo } from "./align.js";
import {
  FileSpaceCollisionError,
  InvalidAlignmentError,
  InvalidSizeError,
  UnknownFileRangeError,
} from "./errors.js";

/** One allocated stretch of the file, labelled with who owns it (for error messages and dumps). */
export interface FileRange {
  readonly offset: number;
  readonly size: number;
  readonly owner: string;
}

const MAX_FILE_ALIGNMENT = 2 ** 30;

function checkRange(what: string, offset: number, size: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidSizeError(`${what} offset`, offset);
  if (!Number.isSafeInteger(size) || size <= 0) throw new InvalidSizeError(`${what} size (must be > 0)`, size);
}

/**
 * Tracks the allocated ranges of one output file. Ranges never overlap; free room is whatever lies
 * between them. Counts are small (headers, one range per section, a symbol table), so a sorted array
 * with linear scans is the right tool.
 */
export class FileSpace {
  // Sorted by offset, non-overlapping, every size > 0.
  private readonly allocated: FileRange[] = [];

  /** Allocated ranges in file order. */
  get ranges(): readonly FileRange[] {
    return this.allocated;
  }

  /** The file size the allocated ranges need: the end of the last one (0 when empty). */
  get end(): number {
    const last = this.allocated[this.allocated.length - 1];
    return last === undefined ? 0 : last.offset + last.size;
  }

  /** Every allocated range that overlaps `[offset, offset + size)`. */
  collisions(offset: number, size: number): FileRange[] {
    const found: FileRange[] = [];
    const end = offset + size;
    for (const range of this.allocated) {
      if (range.offset >= end) break;
      if (range.offset + range.size > offset && size > 0) found.push(range);
    }
    return found;
  }

  isFree(offset: number, size: number): boolean {
    return this.collisions(offset, size).length === 0;
  }

  /** Claims exactly `[offset, offset + size)`, e.g. the headers at 0; throws if anything is there. */
  reserve(offset: number, size: number, owner: string): FileRange {
    checkRange(`file space reserve for ${owner}`, offset, size);
    const collision = this.collisions(offset, size)[0];
    if (collision !== undefined) throw new FileSpaceCollisionError({ offset, size, owner }, collision);
    const range: FileRange = { offset, size, owner };
    this.allocated.splice(this.insertionIndex(offset), 0, range);
    return range;
  }

  /**
   * Finds room for `size` bytes at a multiple of `alignment`: the lowest free gap that fits, or else
   * the end of the file (which grows the file). Returns the offset.
   */
  allocate(size: number, alignment: number, owner: string): number {
    checkRange(`file space allocate for ${owner}`, 0, size);
    if (!isPowerOfTwo(alignment) || alignment > MAX_FILE_ALIGNMENT) {
      throw new InvalidAlignmentError(`file space allocate for ${owner}`, alignment, MAX_FILE_ALIGNMENT);
    }
    let cursor = 0;
    let index = 0;
    for (; index < this.allocated.length; index++) {
      const range = this.allocated[index] as FileRange;
      const start = alignUp(cursor, alignment);
      if (start + size <= range.offset) break;
      cursor = range.offset + range.size;
    }
    const offset = alignUp(cursor, alignment);
    this.allocated.splice(index, 0, { offset, size, owner });
    return offset;
  }

  /** Grows or shrinks the range starting at `offset` in place if the room after it is free. */
  tryResize(offset: number, newSize: number): boolean {
    checkRange("file space resize", offset, newSize);
    const index = this.indexOf(offset);
    const range = this.allocated[index] as FileRange;
    const next = this.allocated[index + 1];
    if (next !== undefined && offset + newSize > next.offset) return false;
    this.allocated[index] = { offset, size: newSize, owner: range.owner };
    return true;
  }

  /** Releases the range starting at `offset`. */
  free(offset: number): void {
    this.allocated.splice(this.indexOf(offset), 1);
  }

  private indexOf(offset: number): number {
    const index = this.insertionIndex(offset);
    if (this.allocated[index]?.offset !== offset) throw new UnknownFileRangeError(offset);
    return index;
  }

  // First index whose range starts at or after `offset` (binary search).
  private insertionIndex(offset: number): number {
    let low = 0;
    let high = this.allocated.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.allocated[middle] as FileRange).offset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
