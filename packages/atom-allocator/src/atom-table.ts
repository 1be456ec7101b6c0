// Per-atom storage as typed-array columns indexed by dense atom id, grown by doubling.

/** Marks "no atom" in the link columns and "not in a section" (freed) in `section`. */
export const NONE = -1;

export class AtomTable {
  /** Number of ids handed out so far; ids are never reused, so a stale id cannot alias a new atom. */
  count = 0;
  offset: Float64Array;
  size: Float64Array;
  section: Int32Array;
  alignLog2: Uint8Array;
  prev: Int32Array;
  next: Int32Array;
  /** Index in the section's free list, or NONE when the atom's surplus is not worth tracking. */
  freeSlot: Int32Array;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, initialCapacity);
    this.offset = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.section = new Int32Array(capacity).fill(NONE);
    this.alignLog2 = new Uint8Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.freeSlot = new Int32Array(capacity);
  }

  /** Hands out the next id with all links cleared. */
  add(): number {
    if (this.count >= this.section.length) this.ensureCapacity(this.count + 1);
    const id = this.count++;
    this.section[id] = NONE;
    this.prev[id] = NONE;
    this.next[id] = NONE;
    this.freeSlot[id] = NONE;
    return id;
  }

  isLive(id: number): boolean {
    // Restored state may count more ids than the columns hold: ids past the columns are freed ones.
    return Number.isInteger(id) && id >= 0 && id < this.count && id < this.section.length && (this.section[id] as number) !== NONE;
  }

  /** Makes room for ids below `needed`, at least doubling so appends stay amortised O(1). */
  ensureCapacity(needed: number): void {
    if (needed > this.section.length) this.grow(Math.max(needed, this.section.length * 2));
  }

  private grow(capacity: number): void {
    const oldCapacity = this.section.length;
    this.offset = copyInto(new Float64Array(capacity), this.offset);
    this.size = copyInto(new Float64Array(capacity), this.size);
    this.section = copyInto(new Int32Array(capacity), this.section);
    this.alignLog2 = copyInto(new Uint8Array(capacity), this.alignLog2);
    this.prev = copyInto(new Int32Array(capacity), this.prev);
    this.next = copyInto(new Int32Array(capacity), this.next);
    this.freeSlot = copyInto(new Int32Array(capacity), this.freeSlot);
    this.section.fill(NONE, oldCapacity);
  }
}

function copyInto<T extends Float64Array | Int32Array | Uint8Array>(target: T, source: T): T {
  target.set(source as never);
  return target;
}
