// The byte ranges of an output file that an incremental update changed, so only those are written back.

/** [offset, offset + length) in the output file. */
export interface DirtyRange {
  readonly offset: number;
  readonly length: number;
}

/** Collects dirty ranges; `ranges()` answers them sorted, with overlapping and touching ranges merged. */
export class DirtyRanges {
  private pending: DirtyRange[] = [];
  private merged = true;

  add(range: DirtyRange): this;
  add(offset: number, length: number): this;
  add(rangeOrOffset: DirtyRange | number, length?: number): this {
    const range = typeof rangeOrOffset === "number" ? { offset: rangeOrOffset, length: length ?? 0 } : rangeOrOffset;
    if (range.length > 0) {
      this.pending.push({ offset: range.offset, length: range.length });
      this.merged = false;
    }
    return this;
  }

  addAll(ranges: Iterable<DirtyRange>): this {
    for (const r of ranges) this.add(r);
    return this;
  }

  /** Sorted, disjoint, non-adjacent ranges. */
  ranges(): readonly DirtyRange[] {
    if (!this.merged) {
      this.pending = mergeRanges(this.pending);
      this.merged = true;
    }
    return this.pending;
  }

  /**
   * The ranges with gaps of at most `maxGap` bytes bridged: when the caller's buffer mirrors the file,
   * writing a few unchanged bytes costs less than another write call.
   */
  coalesced(maxGap: number): readonly DirtyRange[] {
    const out: DirtyRange[] = [];
    for (const r of this.ranges()) {
      const last = out[out.length - 1];
      if (last && r.offset - (last.offset + last.length) <= maxGap) out[out.length - 1] = { offset: last.offset, length: r.offset + r.length - last.offset };
      else out.push(r);
    }
    return out;
  }

  /** Bytes to write. */
  get totalBytes(): number {
    let total = 0;
    for (const r of this.ranges()) total += r.length;
    return total;
  }

  get isEmpty(): boolean {
    return this.pending.length === 0;
  }

  clear(): void {
    this.pending = [];
    this.merged = true;
  }
}

export function mergeRanges(ranges: readonly DirtyRange[]): DirtyRange[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: DirtyRange[] = [];
  let start = -1;
  let end = -1;
  for (const r of sorted) {
    if (start >= 0 && r.offset <= end) {
      end = Math.max(end, r.offset + r.length);
    } else {
      if (start >= 0) out.push({ offset: start, length: end - start });
      start = r.offset;
      end = r.offset + r.length;
    }
  }
  if (start >= 0) out.push({ offset: start, length: end - start });
  return out;
}
