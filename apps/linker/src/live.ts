// Liveness: which sections go into the image. COMDAT instances that lost their group are dropped; with
// /opt:ref (the default) so is every COMDAT section nothing reachable refers to, as in lld: non-COMDAT
// sections, the entry point, /include and exported symbols are the roots. Also finds the imports in use.
import type { SymbolId } from "@linkkit/symbol-resolver";
import { ObjectFile, NO_COMDAT, sectionTotal } from "./inputs/object-file.js";
import { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";

export function markLive(inputs: LoadedInputs, resolved: ResolvedSymbols, gcSections: boolean, rootSymbols: readonly SymbolId[]): void {
  const marker = new LiveMarker(inputs, resolved);
  for (const file of inputs.objects) {
    if (!gcSections) {
      for (let s = 0; s < file.sectionCount; s++) marker.mark(file, s);
      continue;
    }
    // The roots are the few sections of each object in no COMDAT: a native scan finds them.
    const comdat = file.sectionComdat;
    for (let s = comdat.indexOf(NO_COMDAT); s >= 0 && s < file.sectionCount; s = comdat.indexOf(NO_COMDAT, s + 1)) marker.mark(file, s);
  }
  for (const id of rootSymbols) marker.markSymbol(id);
  marker.follow();
}

/**
 * The marking's state and steps. Its loops are methods of their own, not loops in one function: each runs
 * once per link, and V8 compiles a small function sooner, and in less time, than a large one it must
 * enter in the middle of a loop.
 */
class LiveMarker {
  // Per-object columns indexed by InputId (an array index, not a Map lookup, on the hot path).
  /** Which sections may be in the image at all: included and (for COMDATs) the kept instance. */
  private readonly allowed: (Uint8Array | undefined)[] = [];
  /** Sections associated with a leader, as linked lists: first child per leader, next sibling per child. */
  private readonly firstChild: (Int32Array | undefined)[] = [];
  private readonly nextChild: (Int32Array | undefined)[] = [];
  /**
   * The work list: (object, section) pairs whose relocations are still to be followed. A section enters it
   * at most once (when it becomes live), so typed arrays of the total section count never overflow.
   */
  private readonly stackInputs: Int32Array;
  private readonly stackSections: Int32Array;
  private top = 0;
  /**
   * Marking a global symbol has the same effect every time: most relocations name a symbol already
   * followed (a callee called from many places), and this flag skips the lookups for them.
   */
  private readonly symbolDone: Uint8Array;

  constructor(private readonly inputs: LoadedInputs, private readonly resolved: ResolvedSymbols) {
    const total = sectionTotal(inputs.objects);
    this.stackInputs = new Int32Array(total);
    this.stackSections = new Int32Array(total);
    this.symbolDone = new Uint8Array(resolved.kind.length);
    // One allocation for each kind of column, a view of it per object (a large link has 400 objects).
    const allowedMemory = new Uint8Array(total);
    const childMemory = new Int32Array(2 * total).fill(-1);
    let at = 0;
    for (const file of inputs.objects) {
      const n = file.sectionCount;
      this.allowed[file.input] = allowedSections(file, inputs.symbols, allowedMemory.subarray(at, at + n));
      const first = childMemory.subarray(2 * at, 2 * at + n), next = childMemory.subarray(2 * at + n, 2 * at + 2 * n);
      if (associatedLists(file, first, next)) {
        this.firstChild[file.input] = first;
        this.nextChild[file.input] = next;
      }
      at += n;
    }
  }

  mark(file: ObjectFile, s: number): void {
    if (file.sectionLive[s] || !this.allowed[file.input]![s]) return;
    file.sectionLive[s] = 1;
    this.stackInputs[this.top] = file.input;
    this.stackSections[this.top++] = s;
  }

  markSymbol(id: number): void {
    const { resolved, inputs: { files } } = this;
    this.symbolDone[id] = 1;
    switch (resolved.kind[id]) {
      case TargetKind.Section: {
        const file = files[resolved.input[id]!];
        if (file instanceof ObjectFile) this.mark(file, resolved.section[id]! - 1);
        break;
      }
      case TargetKind.ImportThunk: {
        const file = files[resolved.input[id]!] as ImportFile;
        file.thunkUsed = true;
        file.slotUsed = true;
        break;
      }
      case TargetKind.ImportSlot:
        (files[resolved.input[id]!] as ImportFile).slotUsed = true;
        break;
    }
  }

  /** Follows the relocations and associated sections of every section on the work list, until none is left. */
  follow(): void {
    const files = this.inputs.files;
    const symbolDone = this.symbolDone;
    // The object of the section popped last, with what the loop reads of it: consecutive sections often
    // come from one object, and its columns are then not looked up again.
    let current = -1;
    let file = undefined as unknown as ObjectFile;
    let bytes: Uint8Array = new Uint8Array(0), symbolIds: Int32Array = new Int32Array(0);
    let relocationStart: Uint32Array = new Uint32Array(0), relocationCount: Uint32Array = new Uint32Array(0);
    let numberAt = 0, recordSize = 0, bigobj = false, symbolCount = 0, sectionCount = 0;
    let first: Int32Array | undefined, next: Int32Array | undefined;
    while (this.top > 0) {
      const top = --this.top;
      const input = this.stackInputs[top]!;
      const s = this.stackSections[top]!;
      if (input !== current) {
        current = input;
        file = files[input] as ObjectFile;
        const coff = file.coff;
        bytes = coff.bytes;
        symbolIds = file.symbolIds;
        ({ start: relocationStart, count: relocationCount } = coff.relocationColumns);
        // A local symbol's SectionNumber read in place, as `register` does (16 bits, or 32 in a bigobj).
        numberAt = coff.pointerToSymbolTable + 12;
        recordSize = coff.symbolRecordSize;
        bigobj = coff.isBigobj;
        symbolCount = file.symbolCount;
        sectionCount = file.sectionCount;
        first = this.firstChild[input];
        next = this.nextChild[input];
      }
      // Symbol indexes straight from the 10-byte relocation records (u32 at +4; the reader checked the bounds).
      for (let p = relocationStart[s]! + 4, end = p + relocationCount[s]! * 10; p < end; p += 10) {
        const index = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
        if (index >= symbolCount) continue;
        const id = symbolIds[index]!;
        if (id >= 0) {
          if (symbolDone[id] === 0) this.markSymbol(id);
        } else {
          const at = numberAt + index * recordSize;
          // Unsigned here: the reserved negative numbers (0xFF00 and up, or negative in a bigobj) are no section.
          const section = bigobj ? (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) : bytes[at]! | (bytes[at + 1]! << 8);
          if (section > 0 && section <= sectionCount) this.mark(file, section - 1);
        }
      }
      if (first) {
        for (let k = first[s]!; k >= 0; k = next![k]!) this.mark(file, k);
      }
    }
  }
}

/** Which of `file`'s sections may be in the image, into `ok`: included and, in a COMDAT, the kept instance. */
function allowedSections(file: ObjectFile, symbols: LoadedInputs["symbols"], ok: Uint8Array): Uint8Array {
  ok.set(file.sectionIncluded);
  for (let s = 0; s < file.sectionCount; s++) {
    const group = file.sectionComdat[s]!;
    if (ok[s] && group !== NO_COMDAT && !symbols.isComdatKept(group, file.input)) ok[s] = 0;
  }
  return ok;
}

/** Links `file`'s associated sections into lists (`first` child per leader, `next` sibling); false when it has none. */
function associatedLists(file: ObjectFile, first: Int32Array, next: Int32Array): boolean {
  const n = file.sectionCount;
  let any = false;
  for (let s = n - 1; s >= 0; s--) {
    const leader = file.associatedWith[s]!;
    if (leader === 0 || leader > n) continue;
    next[s] = first[leader - 1]!;
    first[leader - 1] = s;
    any = true;
  }
  return any;
}
