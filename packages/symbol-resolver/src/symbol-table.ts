// The global symbol table: every candidate definition of every name, the winner of each, lazy loads,
// COMDAT groups, and what changed when inputs come and go.
import { NONE, columnAdopter, growFloat64, growInt32, growUint8, ownColumn } from "./columns.js";
import {
  COMDAT_SELECTION_NAMES,
  ComdatSelection,
  DEFINITION_RANK,
  KIND_RANK,
  KIND_TIE,
  RefFlags,
  STRONG_RANK,
  SymbolKind,
  TIE_LARGEST_SIZE,
} from "./kinds.js";
import {
  MAX_LISTED_REFERENCES,
  formatComdatMismatch,
  formatDuplicate,
  formatUndefined,
  type DefinitionSite,
  type Diagnostic,
  type ReferenceSite,
  type Severity,
} from "./diagnostics.js";
import { InternalError, ResolverError, SymbolTableUsageError } from "./errors.js";
import { STATE_FORMAT, STATE_VERSION, StateReader, packStrings, unpackStrings, type PackedStrings, type SymbolTableState } from "./state.js";

export type { SymbolTableState } from "./state.js";

/** Dense id of an input (object file, archive member, the linker's synthetic input), in registration order. */
export type InputId = number;
/** Dense id of a global name. */
export type SymbolId = number;
/** Dense id of a COMDAT group name. */
export type ComdatId = number;
/** A name, or its id from `intern` (cheaper: no hashing). */
export type SymbolRef = string | SymbolId;

export interface SymbolTableOptions {
  /** Severity of duplicate definitions and COMDAT conflicts; "warning" is lld-link's `/force`. */
  readonly duplicates?: Severity;
  /** Severity of undefined symbols; "warning" is `/force:unresolved`. */
  readonly undefinedSymbols?: Severity;
  /** How a name is shown in messages (a demangler, say). */
  readonly displayName?: (name: string) => string;
  /** Where a reference is (function or section name), asked only when a message needs it. */
  readonly where?: (input: InputId, site: number) => string | undefined;
}

/** Sizes of the table's parts, for `reserve` and `usage`. */
export interface TableCapacity {
  readonly names?: number;
  readonly candidates?: number;
  readonly groups?: number;
}

/** The winning definition of a name. */
export type Resolution =
  | { readonly kind: "undefined" }
  | { readonly kind: "lazy"; readonly input: InputId; readonly loaded: boolean }
  | { readonly kind: "alias"; readonly input: InputId; readonly target: SymbolId; readonly mayLoad: boolean }
  | { readonly kind: "weak"; readonly input: InputId; readonly section: number; readonly value: number; readonly comdat: ComdatId | -1 }
  | { readonly kind: "defined"; readonly input: InputId; readonly section: number; readonly value: number; readonly comdat: ComdatId | -1 }
  | { readonly kind: "common"; readonly input: InputId; readonly size: number; readonly alignment: number }
  | { readonly kind: "absolute"; readonly input: InputId; readonly value: number }
  | { readonly kind: "synthetic"; readonly input: InputId; readonly section: number; readonly value: number };

/** What a mutation changed. */
export interface ChangeReport {
  /** Names whose winning definition changed (an alias whose target changed counts too), ascending. */
  readonly symbols: readonly SymbolId[];
  /** COMDAT groups whose kept instance changed, ascending. */
  readonly comdats: readonly ComdatId[];
}

export interface ComdatDiscard {
  readonly group: ComdatId;
  readonly groupName: string;
  readonly input: InputId;
  /** Sections of `input` associated with this instance (`addAssociative`): discarded with it. */
  readonly associatedSections: readonly number[];
}

const ALIAS_MAY_LOAD = 1;
// FNV-1a over UTF-16 code units; for an ASCII name the same as over its bytes (`idOfAscii`).
const HASH_SEED = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

function hashName(name: string): number {
  let hash = HASH_SEED;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), HASH_PRIME);
  return hash ^ (hash >>> 15);
}

/** Not a hash `hashAscii` returns for ASCII (it is a non-integer): the bytes hold a byte of 0x80 or more. */
const NON_ASCII = 0.5;

/** `hashName` of the name the ASCII bytes spell, or NON_ASCII. */
function hashAscii(bytes: Uint8Array, start: number, end: number): number {
  let hash = HASH_SEED;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (c >= 0x80) return NON_ASCII;
    hash = Math.imul(hash ^ c, HASH_PRIME);
  }
  return hash ^ (hash >>> 15);
}

/** Reused arrays of character codes, one per length (setting an array's length is a runtime call). */
const charCodes: number[][] = [];

/**
 * The string of ASCII bytes: String.fromCharCode over a reused array of codes, which costs less than a
 * TextDecoder call (a subarray and a call into the runtime) for names of a few dozen bytes.
 */
function asciiString(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > 4096) {
    // Arguments of one call are bounded: a very long name goes in pieces.
    let out = "";
    for (let i = start; i < end; i += 4096) out += asciiString(bytes, i, Math.min(end, i + 4096));
    return out;
  }
  let codes = charCodes[n];
  if (codes === undefined) charCodes[n] = codes = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) codes[i] = bytes[start + i] as number;
  return String.fromCharCode.apply(null, codes);
}
function growBytes(column: Uint8Array, capacity: number): Uint8Array {
  const grown = new Uint8Array(Math.max(capacity, column.length * 2, 4096));
  grown.set(column);
  return grown;
}

/** What `touchNames` read last. */
let touchSink = 0;
/** `touchNames`' column of first slots, reused. */
let touchColumn = new Int32Array(1024);
function touchScratch(n: number): Int32Array {
  if (touchColumn.length < n) touchColumn = new Int32Array(Math.max(n, touchColumn.length * 2));
  return touchColumn;
}

const JOURNAL_STRIDE = 5;

export class SymbolTable {
  private readonly options: SymbolTableOptions;

  // Symbols (by SymbolId).
  /**
   * Names by id. A restored table makes a name into a string of its own when first asked (`nameAt`), and
   * until then has a hole here: restoring spares making 300,000 strings of which a few are ever asked for.
   */
  private names: (string | undefined)[] = [];
  /** A restored table's names as saved (see `nameAt`): one after another, and where each starts. */
  private savedNames = "";
  private savedNameStarts = new Int32Array(1);
  private savedNameCount = 0;
  /**
   * Names interned from their bytes (`internAscii`, `internAsciiMany`) are kept as those bytes, one after
   * another, and have a hole in `names` until asked for (`nameAt`): a large link interns 120,000 names and
   * asks for a handful. A string for each, kept in an array the collector must then track, cost a
   * 400-object link's read phase ~7 ms, and the link ~12 ms in all (with `groupSymbol`).
   */
  private nameBytes: Uint8Array = new Uint8Array(0);
  private nameBytesLength = 0;
  /** Where each name's bytes start in `nameBytes`, or NONE (its string is in `names`, or was saved). */
  private nameStart = new Int32Array(0);
  private nameEnd = new Int32Array(0);
  /**
   * Names by hash: open addressing with linear probing over symbol ids (NONE = empty), at most half full.
   * Its own table rather than a Map so that a name can be looked up by its bytes (`idOfAscii`), which
   * spares decoding a name the table already holds.
   */
  private nameSlots = ownColumn(new Int32Array(1024).fill(NONE));
  private symHash = new Int32Array(0);
  private symDefHead = new Int32Array(0);
  private symDefTail = new Int32Array(0);
  private symRefHead = new Int32Array(0);
  private symRefTail = new Int32Array(0);
  private symWinner = new Int32Array(0);
  /** Merged alignment of the name's common candidates. */
  private symAlign = new Int32Array(0);
  private symRefCount = new Int32Array(0);
  private symStrongRefCount = new Int32Array(0);
  /** How many things ask for the name to be loaded from an archive (loading refs, aliases). */
  private symDemand = new Int32Array(0);
  private symPending = new Uint8Array(0);
  private symEpoch = new Int32Array(0);
  private symMarked = new Uint8Array(0);
  /** The COMDAT group named like the symbol, or NONE: a group keyed by a known name costs no hashing. */
  private symGroup = new Int32Array(0);
  private pendingLoads: SymbolId[] = [];
  private aliasWinners = 0;

  // Candidates: one per definition, reference, lazy or alias an input contributed.
  private candKind = new Uint8Array(0);
  private candFlags = new Uint8Array(0);
  private candInput = new Int32Array(0);
  private candSymbol = new Int32Array(0);
  /** section | alignment | alias target | reference site */
  private candA = new Int32Array(0);
  /** value | common size */
  private candB = new Float64Array(0);
  /** COMDAT instance the definition lives in, or NONE. */
  private candInstance = new Int32Array(0);
  private candNext = new Int32Array(0);
  private candPrev = new Int32Array(0);
  private candNextInInput = new Int32Array(0);
  private candNextInInstance = new Int32Array(0);
  private candCount = 0;
  private candFree = NONE;

  // Inputs.
  private inputNames: string[] = [];
  private inputCandHead = new Int32Array(0);
  private inputInstHead = new Int32Array(0);
  private inputLoaded = new Uint8Array(0);

  // COMDAT groups and their instances (one per input that has the group).
  /** Names by group id; a hole for a group named after a symbol, until first asked (`groupNameAt`). */
  private groupNames: (string | undefined)[] = [];
  /**
   * The symbol each group is named after, or NONE (see `groupNameAt`). A column, not the name: 100,000
   * young strings stored in an old array are as many pointers for the garbage collector to track.
   */
  private groupSymbol = new Int32Array(0);
  /** Groups whose name was no symbol's when they were made (the rest are found through `symGroup`). */
  private readonly groupIdsByName = new Map<string, ComdatId>();
  private groupHead = new Int32Array(0);
  private groupWinner = new Int32Array(0);
  private groupEpoch = new Int32Array(0);
  private instGroup = new Int32Array(0);
  private instInput = new Int32Array(0);
  private instSelection = new Uint8Array(0);
  private instSize = new Float64Array(0);
  private instChecksum = new Float64Array(0);
  private instNext = new Int32Array(0);
  private instPrev = new Int32Array(0);
  private instNextInInput = new Int32Array(0);
  private instDefHead = new Int32Array(0);
  private instAssocHead = new Int32Array(0);
  private instCount = 0;
  private instFree = NONE;
  private assocSection = new Int32Array(0);
  private assocNext = new Int32Array(0);
  private assocCount = 0;
  private assocFree = NONE;

  // Change journal: the state of each name (and group) before its first change since the last report.
  private epoch = 1;
  /** Entries of JOURNAL_STRIDE numbers: symbol, kind, input, signature a, signature b. */
  private journal = new Float64Array(0);
  private journalLength = 0;
  private journalGroup: number[] = [];
  private journalGroupWinner: number[] = [];
  /**
   * Names and groups made since the last report have no journal entries: their state before is "nothing"
   * (no winner), so a full link's 300,000 new names cost no journal. `removeInput` journals every name it
   * changes (its report is about that call alone), new or not.
   */
  private newNamesFrom = 0;
  private newGroupsFrom = 0;
  private journalEverything = false;

  constructor(options: SymbolTableOptions = {}) {
    this.options = options;
  }

  // ---------------------------------------------------------------- inputs and names

  /** Registers an input; ids are dense and ordered, and the lower id wins ties (see `PRECEDENCE`). */
  addInput(displayName: string): InputId {
    const id = this.inputNames.length;
    this.inputNames.push(displayName);
    const n = id + 1;
    this.inputCandHead = growInt32(this.inputCandHead, n, NONE);
    this.inputInstHead = growInt32(this.inputInstHead, n, NONE);
    this.inputLoaded = growUint8(this.inputLoaded, n);
    return id;
  }

  get inputCount(): number {
    return this.inputNames.length;
  }

  inputName(input: InputId): string {
    this.checkInput(input);
    return this.inputNames[input] as string;
  }

  /** True once `takeLoadRequests` asked for this archive member (until `removeInput`). */
  isLoaded(input: InputId): boolean {
    this.checkInput(input);
    return this.inputLoaded[input] === 1;
  }

  /** The id of a name, creating it (undefined, unreferenced) if new. */
  intern(name: string): SymbolId {
    const hash = hashName(name);
    const known = this.lookup(name, hash);
    if (known !== NONE) return known;
    return this.addName(name, hash);
  }

  /**
   * `intern` for the name spelled by the ASCII bytes `bytes[start, end)`: hashed and looked up once, and
   * decoded only when new. Answers -1 for a name with non-ASCII bytes (decode it and use `intern`).
   */
  internAscii(bytes: Uint8Array, start: number, end: number): SymbolId {
    const hash = hashAscii(bytes, start, end);
    if (hash === NON_ASCII) return NONE;
    const known = this.probeAscii(bytes, start, end, hash);
    return known !== NONE ? known : this.addAsciiName(bytes, start, end, hash);
  }

  /**
   * `internAscii` for `count` names at once, in order: `ids[k]` is the id of the name `bytes[starts[k],
   * ends[k])`. Answers how many it interned: `count`, or the index of the first name with a non-ASCII
   * byte (which the caller decodes and interns with `intern`, then goes on from the next).
   *
   * Faster than one at a time on a large link: the table outgrows the processor's caches, and a lookup
   * on its own waits for each of its loads in turn. Here the slots of all the names are loaded first, in
   * a loop whose loads do not depend on each other (the processor has many in flight at once), then the
   * names they hold, then the lookups run on cached memory. ~3× less time looking names up on a
   * 400-object link.
   */
  internAsciiMany(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number, ids: Int32Array): number {
    let n = 0;
    for (; n < count; n++) {
      const hash = hashAscii(bytes, starts[n] as number, ends[n] as number);
      if (hash === NON_ASCII) break;
      ids[n] = hash; // the hashes stand in `ids` until their lookups replace them
    }
    this.touchNames(ids, n);
    for (let k = 0; k < n; k++) {
      const hash = ids[k] as number, start = starts[k] as number, end = ends[k] as number;
      const known = this.probeAscii(bytes, start, end, hash);
      ids[k] = known !== NONE ? known : this.addAsciiName(bytes, start, end, hash);
    }
    return n;
  }

  /** Loads what looking up names of these hashes will read first (see `internAsciiMany`). */
  private touchNames(hashes: Int32Array, n: number): void {
    if (this.names.length === 0) return;
    const slots = this.nameSlots, mask = slots.length - 1;
    const first = touchScratch(n);
    for (let k = 0; k < n; k++) first[k] = slots[(hashes[k] as number) & mask] as number;
    const symHash = this.symHash, nameStart = this.nameStart, nameBytes = this.nameBytes;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const id = first[k] as number;
      const at = id < 0 ? 0 : id; // id 0 for an empty slot: a load as good as none
      sum ^= symHash[at] as number;
      first[k] = nameStart[at] as number;
    }
    for (let k = 0; k < n; k++) {
      const at = first[k] as number;
      sum ^= nameBytes[at < 0 ? 0 : at] as number;
    }
    touchSink = sum; // kept, or the compiler could drop the loads
  }

  /** A new name from its ASCII bytes, kept as bytes (see `nameBytes`). */
  private addAsciiName(bytes: Uint8Array, start: number, end: number, hash: number): SymbolId {
    const id = this.addName(undefined, hash);
    const at = this.nameBytesLength, length = end - start;
    if (at + length > this.nameBytes.length) this.nameBytes = growBytes(this.nameBytes, at + length);
    const arena = this.nameBytes;
    for (let k = 0; k < length; k++) arena[at + k] = bytes[start + k] as number;
    this.nameStart[id] = at;
    this.nameEnd[id] = at + length;
    this.nameBytesLength = at + length;
    return id;
  }

  /** A new name: `name`, or undefined for `addAsciiName` to keep as bytes. */
  private addName(name: string | undefined, hash: number): SymbolId {
    const id = this.names.length;
    this.names.push(name);
    const n = id + 1;
    if (n * 2 > this.nameSlots.length) this.rehash(this.nameSlots.length * 2, id);
    this.insertSlot(id, hash);
    if (this.symWinner.length < n) this.growNames(n);
    this.symHash[id] = hash;
    return id;
  }

  private growNames(n: number): void {
    this.nameStart = growInt32(this.nameStart, n, NONE);
    this.nameEnd = growInt32(this.nameEnd, n, 0);
    this.symDefHead = growInt32(this.symDefHead, n, NONE);
    this.symDefTail = growInt32(this.symDefTail, n, NONE);
    this.symRefHead = growInt32(this.symRefHead, n, NONE);
    this.symRefTail = growInt32(this.symRefTail, n, NONE);
    this.symWinner = growInt32(this.symWinner, n, NONE);
    this.symAlign = growInt32(this.symAlign, n, 0);
    this.symRefCount = growInt32(this.symRefCount, n, 0);
    this.symStrongRefCount = growInt32(this.symStrongRefCount, n, 0);
    this.symDemand = growInt32(this.symDemand, n, 0);
    this.symPending = growUint8(this.symPending, n);
    this.symEpoch = growInt32(this.symEpoch, n, 0);
    this.symMarked = growUint8(this.symMarked, n);
    this.symGroup = growInt32(this.symGroup, n, NONE);
    this.symHash = growInt32(this.symHash, n, 0);
  }

  /**
   * Makes room for this many names, candidates (definitions and references) and COMDAT groups in all,
   * at once: a linker that can tell how big its link is (from the first of its inputs, say) spares the
   * table growing by doubling, each step a copy of every column and, for names, a rehash.
   */
  reserve(capacity: TableCapacity): void {
    const names = capacity.names ?? 0, candidates = capacity.candidates ?? 0, groups = capacity.groups ?? 0;
    if (names > this.symWinner.length) {
      let slots = this.nameSlots.length;
      while (names * 2 > slots) slots *= 2;
      if (slots > this.nameSlots.length) this.rehash(slots, this.names.length);
      this.growNames(names);
    }
    if (candidates > this.candKind.length) this.growCandidates(candidates);
    if (groups > this.groupHead.length) {
      this.growGroups(groups);
      this.growInstances(groups);
    }
  }

  /** How many names, candidates and COMDAT groups the table holds (what `reserve` counts). */
  get usage(): Required<TableCapacity> {
    return { names: this.names.length, candidates: this.candCount, groups: this.groupNames.length };
  }

  /** The id of a name, or undefined if the table has never seen it. */
  idOf(name: string): SymbolId | undefined {
    const id = this.lookup(name, hashName(name));
    return id === NONE ? undefined : id;
  }

  /**
   * The id of the name spelled by `bytes[start, end)`, or -1 when the table does not hold it. Only ASCII
   * names are found (others answer -1: decode them and use `intern` or `idOf`), so no decoding happens here.
   */
  idOfAscii(bytes: Uint8Array, start: number, end: number): SymbolId {
    const hash = hashAscii(bytes, start, end);
    return hash === NON_ASCII ? NONE : this.probeAscii(bytes, start, end, hash);
  }

  private probeAscii(bytes: Uint8Array, start: number, end: number, hash: number): SymbolId {
    const slots = this.nameSlots;
    const mask = slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot] as number;
      if (id === NONE) return NONE;
      if (this.symHash[id] !== hash) continue;
      // A name kept as bytes, or a restored name not yet asked for, is compared where it is kept.
      let name = this.names[id];
      let at = 0;
      if (name === undefined && (this.nameStart[id] as number) >= 0) {
        if (this.sameAsciiName(id, bytes, start, length)) return id;
        continue;
      }
      if (name === undefined) {
        name = this.savedNames;
        at = this.savedNameStarts[id] as number;
        if ((this.savedNameStarts[id + 1] as number) - at !== length) continue;
      } else if (name.length !== length) {
        continue;
      }
      let k = 0;
      while (k < length && name.charCodeAt(at + k) === bytes[start + k]) k++;
      if (k === length) return id;
    }
  }

  nameOf(symbol: SymbolId): string {
    this.checkSymbol(symbol);
    return this.nameAt(symbol);
  }

  get symbolCount(): number {
    return this.names.length;
  }

  /** All symbol ids, in the order names were first seen. */
  *symbols(): IterableIterator<SymbolId> {
    for (let id = 0; id < this.names.length; id++) yield id;
  }

  // ---------------------------------------------------------------- contributions

  /** A regular (strong) definition; `comdat` is the group its section belongs to (`addComdat`) or -1. */
  define(input: InputId, name: SymbolRef, section: number, value: number, comdat: ComdatId = NONE): SymbolId {
    return this.addDefinition(SymbolKind.Defined, input, name, section, value, 0, comdat);
  }

  /** A weak definition (ELF `STB_WEAK`): yields to common and strong definitions. */
  defineWeak(input: InputId, name: SymbolRef, section: number, value: number, comdat: ComdatId = NONE): SymbolId {
    return this.addDefinition(SymbolKind.Weak, input, name, section, value, 0, comdat);
  }

  /** A common symbol: the largest size wins, the alignment is the maximum of all. */
  defineCommon(input: InputId, name: SymbolRef, size: number, alignment: number): SymbolId {
    return this.addDefinition(SymbolKind.Common, input, name, alignment, size, 0, NONE);
  }

  defineAbsolute(input: InputId, name: SymbolRef, value: number): SymbolId {
    return this.addDefinition(SymbolKind.Absolute, input, name, NONE, value, 0, NONE);
  }

  /** A name the linker defines itself, in its own synthetic input. */
  defineSynthetic(input: InputId, name: SymbolRef, section: number, value: number): SymbolId {
    return this.addDefinition(SymbolKind.Synthetic, input, name, section, value, 0, NONE);
  }

  /**
   * Archive member `input` defines `name` if loaded. Ignored once the member is loaded: a member is
   * loaded at most once.
   */
  defineLazy(input: InputId, name: SymbolRef): SymbolId {
    this.checkInput(input);
    if (this.inputLoaded[input] === 1) return this.symbolOf(name);
    return this.addDefinition(SymbolKind.Lazy, input, name, 0, 0, 0, NONE);
  }

  /**
   * `name` resolves to `target` unless something defines `name` itself (COFF weak external or
   * `/alternatename`). `mayLoad`: may `name` itself load archive members (COFF's "library" search)?
   * The target is asked for (and loaded) only while the alias is in use.
   */
  defineAlias(input: InputId, name: SymbolRef, target: SymbolRef, mayLoad: boolean): SymbolId {
    const targetId = this.symbolOf(target);
    return this.addDefinition(SymbolKind.Alias, input, name, targetId, 0, mayLoad ? ALIAS_MAY_LOAD : 0, NONE);
  }

  /**
   * `input` refers to `name`; `site` is an opaque number handed back to the `where` hook for messages.
   * `flags`: `RefFlags.Weak` (may stay unresolved), `RefFlags.NoLoad` (does not load archive members).
   */
  reference(input: InputId, name: SymbolRef, site = 0, flags = 0): SymbolId {
    this.checkInput(input);
    const symbol = this.symbolOf(name);
    const c = this.allocCandidate(SymbolKind.Undefined, flags, input, symbol, site, 0, NONE);
    this.linkToList(c, symbol, false);
    this.symRefCount[symbol]!++;
    if ((flags & RefFlags.Weak) === 0) this.symStrongRefCount[symbol]!++;
    if ((flags & RefFlags.NoLoad) === 0) this.addDemand(symbol, 1);
    return symbol;
  }

  /**
   * Input `input` has an instance of COMDAT group `name`. `size` and `checksum` serve the SAME_SIZE,
   * EXACT_MATCH and LARGEST selections. Define the group's symbols with this id as their `comdat`.
   * `name` may be a symbol id (from `intern`), naming the group after that symbol: no hashing.
   */
  addComdat(input: InputId, name: SymbolRef, selection: ComdatSelection, size = 0, checksum = 0): ComdatId {
    this.checkInput(input);
    if (selection === ComdatSelection.Associative || COMDAT_SELECTION_NAMES[selection] === undefined) {
      throw new SymbolTableUsageError(
        `addComdat: selection ${selection} is not a group selection (associative sections use addAssociative)`,
        { input, name, selection },
      );
    }
    const symbol = typeof name === "number" ? this.symbolOf(name) : this.idOf(name);
    let group: ComdatId = this.findGroup(name, symbol);
    if (group === NONE) {
      group = this.groupNames.length;
      const n = group + 1;
      if (this.groupHead.length < n) this.growGroups(n);
      if (symbol === undefined) {
        const groupName = name as string; // a number is a symbol's id
        this.groupNames.push(groupName);
        this.groupIdsByName.set(groupName, group);
      } else {
        this.groupNames.push(undefined);
        this.groupSymbol[group] = symbol;
        this.symGroup[symbol] = group;
      }
    } else if (this.instanceOf(group, input) !== NONE) {
      const groupName = this.groupNameAt(group);
      throw new SymbolTableUsageError(`addComdat: ${this.inputNames[input]} already has COMDAT group ${groupName}`, { input, name: groupName });
    }
    const inst = this.allocInstance();
    this.instGroup[inst] = group;
    this.instInput[inst] = input;
    this.instSelection[inst] = selection;
    this.instSize[inst] = size;
    this.instChecksum[inst] = checksum;
    this.instDefHead[inst] = NONE;
    this.instAssocHead[inst] = NONE;
    // Newest first: `instanceOf` right after `addComdat` (defining the group's symbols) finds it at once.
    const head = this.groupHead[group] as number;
    this.instNext[inst] = head;
    this.instPrev[inst] = NONE;
    if (head !== NONE) this.instPrev[head] = inst;
    this.groupHead[group] = inst;
    this.instNextInInput[inst] = this.inputInstHead[input] as number;
    this.inputInstHead[input] = inst;
    this.recomputeGroup(group);
    return group;
  }

  /** Section `section` of `input` is kept or discarded with `input`'s instance of group `leader`. */
  addAssociative(input: InputId, leader: ComdatId, section: number): void {
    this.checkInput(input);
    this.checkGroup(leader);
    const inst = this.instanceOf(leader, input);
    if (inst === NONE) {
      throw new SymbolTableUsageError(
        `addAssociative: ${this.inputNames[input]} has no instance of COMDAT group ${this.groupNameAt(leader)} to associate section ${section} with`,
        { input, leader, section },
      );
    }
    let entry = this.assocFree;
    if (entry !== NONE) {
      this.assocFree = this.assocNext[entry] as number;
    } else {
      entry = this.assocCount++;
      if (this.assocNext.length < this.assocCount) {
        this.assocSection = growInt32(this.assocSection, this.assocCount, 0);
        this.assocNext = growInt32(this.assocNext, this.assocCount, NONE);
      }
    }
    this.assocSection[entry] = section;
    this.assocNext[entry] = this.instAssocHead[inst] as number;
    this.instAssocHead[inst] = entry;
  }

  /**
   * Removes everything `input` defined, referenced or promised (lazy), and its COMDAT instances. Names
   * fall back to their next best candidate; groups it had won go to the next input that has them. The
   * input id stays registered and may contribute again (it keeps its place in tie-breaking), and a
   * removed archive member may be loaded again.
   */
  removeInput(input: InputId): ChangeReport {
    this.checkInput(input);
    const symbolStart = this.journalLength;
    const groupStart = this.journalGroup.length;
    // A fresh epoch: this call's journal entries hold each name's state from before the call.
    this.epoch++;
    this.journalEverything = true;

    const touched: SymbolId[] = [];
    for (let c = this.inputCandHead[input] as number; c !== NONE; ) {
      const next = this.candNextInInput[c] as number;
      const symbol = this.candSymbol[c] as number;
      const kind = this.candKind[c] as number;
      if (kind === SymbolKind.Undefined) {
        this.unlinkFromList(c, symbol, false);
        const flags = this.candFlags[c] as number;
        this.symRefCount[symbol]!--;
        if ((flags & RefFlags.Weak) === 0) this.symStrongRefCount[symbol]!--;
        if ((flags & RefFlags.NoLoad) === 0) this.addDemand(symbol, -1);
      } else {
        this.unlinkFromList(c, symbol, true);
        if (kind === SymbolKind.Alias && ((this.candFlags[c] as number) & ALIAS_MAY_LOAD) !== 0) this.addDemand(symbol, -1);
        if (this.symMarked[symbol] === 0) {
          this.symMarked[symbol] = 1;
          touched.push(symbol);
        }
      }
      this.freeCandidate(c);
      c = next;
    }
    this.inputCandHead[input] = NONE;

    const groups: ComdatId[] = [];
    for (let inst = this.inputInstHead[input] as number; inst !== NONE; ) {
      const next = this.instNextInInput[inst] as number;
      const group = this.instGroup[inst] as number;
      const prev = this.instPrev[inst] as number;
      const after = this.instNext[inst] as number;
      if (prev === NONE) this.groupHead[group] = after;
      else this.instNext[prev] = after;
      if (after !== NONE) this.instPrev[after] = prev;
      for (let entry = this.instAssocHead[inst] as number; entry !== NONE; ) {
        const nextEntry = this.assocNext[entry] as number;
        this.assocNext[entry] = this.assocFree;
        this.assocFree = entry;
        entry = nextEntry;
      }
      // Its definitions were this input's candidates: already freed above.
      this.instDefHead[inst] = NONE;
      this.instAssocHead[inst] = NONE;
      this.instGroup[inst] = NONE;
      this.instNext[inst] = this.instFree;
      this.instFree = inst;
      groups.push(group);
      inst = next;
    }
    this.inputInstHead[input] = NONE;
    this.inputLoaded[input] = 0;

    // Groups first: their winners decide which COMDAT definitions are live when names are recomputed.
    for (const group of groups) this.recomputeGroup(group);
    for (const symbol of touched) {
      this.symMarked[symbol] = 0;
      this.recomputeSymbol(symbol);
    }
    this.journalEverything = false;
    const report = this.changesSince(symbolStart, groupStart, this.names.length, this.groupNames.length);
    this.epoch++;
    return report;
  }

  /**
   * Net changes since the last `takeChanges` (or since the table was made): names whose winning
   * definition differs now, whatever happened in between (a name that changed and changed back is
   * not reported). Includes what `removeInput` reported.
   */
  takeChanges(): ChangeReport {
    const report = this.changesSince(0, 0, this.newNamesFrom, this.newGroupsFrom);
    this.discardChanges();
    return report;
  }

  /**
   * Forgets the changes since the last `takeChanges` without working them out: after a full link, an
   * incremental linker starts tracking from here (every name of the link changed, and none matters).
   */
  discardChanges(): void {
    this.journalLength = 0;
    this.journalGroup.length = 0;
    this.journalGroupWinner.length = 0;
    this.newNamesFrom = this.names.length;
    this.newGroupsFrom = this.groupNames.length;
    this.epoch++;
  }

  // ---------------------------------------------------------------- lazy loading

  /**
   * Archive members to load now, ascending: each is the best lazy candidate (lowest input) of a name
   * that nothing defines and that is demanded (a reference that may load, an alias that may load, or
   * an alias in use pointing at it). Each member is returned once; the caller parses it and adds its symbols
   * to the same input id, which may make more requests. Deciding here rather than on every add makes
   * the result independent of the order inputs were added in.
   */
  takeLoadRequests(): InputId[] {
    const requests: InputId[] = [];
    while (this.pendingLoads.length > 0) {
      const symbol = this.pendingLoads.pop() as SymbolId;
      this.symPending[symbol] = 0;
      if (this.symDemand[symbol] === 0) continue;
      const winner = this.symWinner[symbol] as number;
      if (winner === NONE || (KIND_RANK[this.candKind[winner] as number] as number) >= DEFINITION_RANK) continue;
      // The winner may be an alias (which outranks lazy): the name still loads when demanded.
      const lazy = winner !== NONE && this.candKind[winner] === SymbolKind.Lazy ? winner : this.bestLazy(symbol);
      if (lazy === NONE) continue;
      const member = this.candInput[lazy] as number;
      if (this.inputLoaded[member] === 1) continue;
      this.inputLoaded[member] = 1;
      requests.push(member);
    }
    return requests.sort((a, b) => a - b);
  }

  /** Loads members until none is requested: `load` adds the member's symbols. Returns how many loaded. */
  loadMembers(load: (member: InputId) => void): number {
    let loaded = 0;
    for (let batch = this.takeLoadRequests(); batch.length > 0; batch = this.takeLoadRequests()) {
      for (const member of batch) load(member);
      loaded += batch.length;
    }
    return loaded;
  }

  // ---------------------------------------------------------------- queries

  /** The winning candidate's kind; `SymbolKind.Undefined` when nothing defines the name. */
  winnerKind(symbol: SymbolId): SymbolKind {
    const winner = this.symWinner[symbol] as number;
    return (winner === NONE ? SymbolKind.Undefined : this.candKind[winner]) as SymbolKind;
  }

  /** The input of the winning candidate, or -1. */
  winnerInput(symbol: SymbolId): InputId {
    const winner = this.symWinner[symbol] as number;
    return winner === NONE ? NONE : (this.candInput[winner] as number);
  }

  /** The winner's section payload (defined, weak, synthetic), or -1. */
  winnerSection(symbol: SymbolId): number {
    const winner = this.symWinner[symbol] as number;
    if (winner === NONE) return NONE;
    const kind = this.candKind[winner];
    return kind === SymbolKind.Defined || kind === SymbolKind.Weak || kind === SymbolKind.Synthetic ? (this.candA[winner] as number) : NONE;
  }

  /** The winner's value payload (defined, weak, synthetic, absolute; a common's size), or 0. */
  winnerValue(symbol: SymbolId): number {
    const winner = this.symWinner[symbol] as number;
    return winner === NONE ? 0 : (this.candB[winner] as number);
  }

  resolution(symbol: SymbolRef): Resolution {
    const id = typeof symbol === "number" ? symbol : this.idOf(symbol);
    if (id === undefined) return { kind: "undefined" };
    this.checkSymbol(id);
    const winner = this.symWinner[id] as number;
    if (winner === NONE) return { kind: "undefined" };
    const input = this.candInput[winner] as number;
    const a = this.candA[winner] as number;
    const b = this.candB[winner] as number;
    const inst = this.candInstance[winner] as number;
    const comdat = inst === NONE ? NONE : (this.instGroup[inst] as number);
    switch (this.candKind[winner]) {
      case SymbolKind.Lazy:
        return { kind: "lazy", input, loaded: this.inputLoaded[input] === 1 };
      case SymbolKind.Alias:
        return { kind: "alias", input, target: a, mayLoad: ((this.candFlags[winner] as number) & ALIAS_MAY_LOAD) !== 0 };
      case SymbolKind.Weak:
        return { kind: "weak", input, section: a, value: b, comdat };
      case SymbolKind.Defined:
        return { kind: "defined", input, section: a, value: b, comdat };
      case SymbolKind.Common:
        return { kind: "common", input, size: b, alignment: this.symAlign[id] as number };
      case SymbolKind.Absolute:
        return { kind: "absolute", input, value: b };
      case SymbolKind.Synthetic:
        return { kind: "synthetic", input, section: a, value: b };
      default:
        throw new InternalError(`symbol ${this.nameAt(id)} has a winner of kind ${this.candKind[winner]}`);
    }
  }

  /**
   * Follows aliases in use to the name that finally stands for `symbol` (itself when it is no alias).
   * Undefined for an alias cycle.
   */
  resolveAlias(symbol: SymbolId): SymbolId | undefined {
    let current = symbol;
    for (let hops = 0; hops <= this.names.length; hops++) {
      const winner = this.symWinner[current] as number;
      if (winner === NONE || this.candKind[winner] !== SymbolKind.Alias) return current;
      current = this.candA[winner] as number;
    }
    return undefined;
  }

  /** Does `symbol` (through aliases) have a definition? */
  isDefined(symbol: SymbolId): boolean {
    const final = this.resolveAlias(symbol);
    if (final === undefined) return false;
    const winner = this.symWinner[final] as number;
    return winner !== NONE && (KIND_RANK[this.candKind[winner] as number] as number) >= DEFINITION_RANK;
  }

  /**
   * The names `input` asks for: its references that may load archive members, and the targets of its
   * aliases in use. An incremental linker walks these from the inputs it must keep to find the
   * archive members a full link would load now (and drop the others).
   */
  referencesOf(input: InputId): SymbolId[] {
    this.checkInput(input);
    const out: SymbolId[] = [];
    for (let c = this.inputCandHead[input] as number; c !== NONE; c = this.candNextInInput[c] as number) {
      const kind = this.candKind[c] as number;
      const flags = this.candFlags[c] as number;
      if (kind === SymbolKind.Undefined && (flags & RefFlags.NoLoad) === 0) out.push(this.candSymbol[c] as number);
      // An alias asks for its target only while it is in use (nothing defines the name itself).
      else if (kind === SymbolKind.Alias && this.symWinner[this.candSymbol[c] as number] === c) out.push(this.candA[c] as number);
    }
    return out;
  }

  referenceCount(symbol: SymbolId): number {
    this.checkSymbol(symbol);
    return this.symRefCount[symbol] as number;
  }

  comdatId(name: string): ComdatId | undefined {
    const group = this.findGroup(name, this.idOf(name));
    return group === NONE ? undefined : group;
  }

  comdatName(group: ComdatId): string {
    this.checkGroup(group);
    return this.groupNameAt(group);
  }

  get comdatCount(): number {
    return this.groupNames.length;
  }

  /** The input whose instance of the group is kept, or -1 when no input has it any more. */
  comdatWinner(group: ComdatId): InputId {
    this.checkGroup(group);
    const winner = this.groupWinner[group] as number;
    return winner === NONE ? NONE : (this.instInput[winner] as number);
  }

  /** The inputs that have an instance of the group (an incremental linker looks at these alone when the kept one changes). */
  comdatInputs(group: ComdatId): InputId[] {
    this.checkGroup(group);
    const inputs: InputId[] = [];
    for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) inputs.push(this.instInput[inst] as number);
    return inputs;
  }

  /** Is `input`'s instance of the group kept? (False when it has none.) */
  isComdatKept(group: ComdatId, input: InputId): boolean {
    this.checkGroup(group);
    const winner = this.groupWinner[group] as number;
    return winner !== NONE && this.instInput[winner] === input;
  }

  /** Every discarded group instance with its associated sections, by group then input. */
  discardedComdats(): ComdatDiscard[] {
    const discards: ComdatDiscard[] = [];
    for (let group = 0; group < this.groupNames.length; group++) {
      const winner = this.groupWinner[group] as number;
      const here: ComdatDiscard[] = [];
      for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) {
        if (inst === winner) continue;
        const associatedSections: number[] = [];
        for (let entry = this.instAssocHead[inst] as number; entry !== NONE; entry = this.assocNext[entry] as number) {
          associatedSections.push(this.assocSection[entry] as number);
        }
        associatedSections.reverse();
        here.push({ group, groupName: this.groupNameAt(group), input: this.instInput[inst] as number, associatedSections });
      }
      here.sort((a, b) => a.input - b.input);
      discards.push(...here);
    }
    return discards;
  }

  // ---------------------------------------------------------------- diagnostics

  /** Every problem of the current state: undefined names, duplicates, COMDAT conflicts. */
  diagnostics(): Diagnostic[] {
    const result: Diagnostic[] = [];
    const undefinedSeverity = this.options.undefinedSymbols ?? "error";
    const duplicateSeverity = this.options.duplicates ?? "error";
    for (let symbol = 0; symbol < this.names.length; symbol++) this.symbolDiagnostics(symbol, undefinedSeverity, duplicateSeverity, result);
    for (let group = 0; group < this.groupNames.length; group++) this.comdatDiagnostics(group, duplicateSeverity, result);
    return result;
  }

  /**
   * The diagnostics of some names and COMDAT groups only, as `diagnostics` words them, in id order. After a
   * change, an incremental linker checks what the change touched (the names the swapped inputs define or
   * reference, the groups they hold, the names whose winner changed) instead of the whole table.
   */
  diagnosticsOf(symbols: Iterable<SymbolId>, groups: Iterable<ComdatId>): Diagnostic[] {
    const result: Diagnostic[] = [];
    const undefinedSeverity = this.options.undefinedSymbols ?? "error";
    const duplicateSeverity = this.options.duplicates ?? "error";
    const ascending = (ids: Iterable<number>, limit: number) => [...new Set(ids)].filter((id) => id >= 0 && id < limit).sort((a, b) => a - b);
    for (const symbol of ascending(symbols, this.names.length)) this.symbolDiagnostics(symbol, undefinedSeverity, duplicateSeverity, result);
    for (const group of ascending(groups, this.groupNames.length)) this.comdatDiagnostics(group, duplicateSeverity, result);
    return result;
  }

  private symbolDiagnostics(symbol: SymbolId, undefinedSeverity: Severity, duplicateSeverity: Severity, out: Diagnostic[]): void {
    if ((this.symStrongRefCount[symbol] as number) > 0 && !this.isDefined(symbol)) out.push(this.undefinedDiagnostic(symbol, undefinedSeverity));
    const winner = this.symWinner[symbol] as number;
    if (winner !== NONE && KIND_RANK[this.candKind[winner] as number] === STRONG_RANK) this.duplicateDiagnostics(symbol, winner, duplicateSeverity, out);
  }

  /** Throws a `ResolverError` carrying all diagnostics if any is an error; returns the warnings. */
  check(): Diagnostic[] {
    const all = this.diagnostics();
    if (all.some((d) => d.severity === "error")) throw new ResolverError(all);
    return all;
  }

  // ---------------------------------------------------------------- saving and restoring

  /**
   * The whole table as plain data, for `SymbolTable.restoreState` in another process: an incremental
   * linker saves it at the end of one run and restores it at the start of the next instead of
   * registering every input again. The typed arrays are views of the table's columns, trimmed to their
   * used length (copying them would cost more than serializing them): serialize the state, or
   * `structuredClone` it, before the table changes again. The options are not saved (callbacks cannot
   * be): pass them to `restoreState`.
   */
  saveState(): SymbolTableState {
    const symbolCount = this.names.length;
    const candCount = this.candCount;
    const inputCount = this.inputNames.length;
    const groupCount = this.groupNames.length;
    const instCount = this.instCount;
    const assocCount = this.assocCount;
    // Groups named after a symbol are saved as that symbol; the others by name.
    const groupSymbols = new Int32Array(groupCount).fill(NONE);
    for (let symbol = 0; symbol < symbolCount; symbol++) {
      const group = this.symGroup[symbol] as number;
      if (group !== NONE) groupSymbols[group] = symbol;
    }
    const groupNames: string[] = [];
    for (let group = 0; group < groupCount; group++) if (groupSymbols[group] === NONE) groupNames.push(this.groupNameAt(group));
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      epoch: this.epoch,
      symbols: {
        count: symbolCount,
        names: this.packNames(),
        nameSlots: this.nameSlots,
        hash: this.symHash.subarray(0, symbolCount),
        defHead: this.symDefHead.subarray(0, symbolCount),
        defTail: this.symDefTail.subarray(0, symbolCount),
        refHead: this.symRefHead.subarray(0, symbolCount),
        refTail: this.symRefTail.subarray(0, symbolCount),
        winner: this.symWinner.subarray(0, symbolCount),
        align: this.symAlign.subarray(0, symbolCount),
        refCount: this.symRefCount.subarray(0, symbolCount),
        strongRefCount: this.symStrongRefCount.subarray(0, symbolCount),
        demand: this.symDemand.subarray(0, symbolCount),
        pending: this.symPending.subarray(0, symbolCount),
        epoch: this.symEpoch.subarray(0, symbolCount),
        group: this.symGroup.subarray(0, symbolCount),
        // symMarked is not saved: it is `removeInput`'s scratch, all zero between calls.
        pendingLoads: Int32Array.from(this.pendingLoads),
        aliasWinners: this.aliasWinners,
      },
      candidates: {
        count: candCount,
        free: this.candFree,
        kind: this.candKind.subarray(0, candCount),
        flags: this.candFlags.subarray(0, candCount),
        input: this.candInput.subarray(0, candCount),
        symbol: this.candSymbol.subarray(0, candCount),
        a: this.candA.subarray(0, candCount),
        b: this.candB.subarray(0, candCount),
        instance: this.candInstance.subarray(0, candCount),
        next: this.candNext.subarray(0, candCount),
        prev: this.candPrev.subarray(0, candCount),
        nextInInput: this.candNextInInput.subarray(0, candCount),
        nextInInstance: this.candNextInInstance.subarray(0, candCount),
      },
      inputs: {
        count: inputCount,
        names: packStrings(this.inputNames),
        candHead: this.inputCandHead.subarray(0, inputCount),
        instHead: this.inputInstHead.subarray(0, inputCount),
        loaded: this.inputLoaded.subarray(0, inputCount),
      },
      groups: {
        count: groupCount,
        symbol: groupSymbols,
        names: packStrings(groupNames),
        head: this.groupHead.subarray(0, groupCount),
        winner: this.groupWinner.subarray(0, groupCount),
        epoch: this.groupEpoch.subarray(0, groupCount),
      },
      instances: {
        count: instCount,
        free: this.instFree,
        group: this.instGroup.subarray(0, instCount),
        input: this.instInput.subarray(0, instCount),
        selection: this.instSelection.subarray(0, instCount),
        size: this.instSize.subarray(0, instCount),
        checksum: this.instChecksum.subarray(0, instCount),
        next: this.instNext.subarray(0, instCount),
        prev: this.instPrev.subarray(0, instCount),
        nextInInput: this.instNextInInput.subarray(0, instCount),
        defHead: this.instDefHead.subarray(0, instCount),
        assocHead: this.instAssocHead.subarray(0, instCount),
      },
      associations: {
        count: assocCount,
        free: this.assocFree,
        section: this.assocSection.subarray(0, assocCount),
        next: this.assocNext.subarray(0, assocCount),
      },
      journal: {
        entries: this.journal.subarray(0, this.journalLength),
        groups: Int32Array.from(this.journalGroup),
        groupWinners: Int32Array.from(this.journalGroupWinner),
        newNamesFrom: this.newNamesFrom,
        newGroupsFrom: this.newGroupsFrom,
      },
    };
  }

  /**
   * A table that behaves exactly as the saved one did, from what `saveState` returned (after a round trip
   * through `v8.serialize`/`deserialize` or `structuredClone`), with `options` for its messages.
   *
   * The table takes the state's typed arrays over as its columns instead of copying them, which is what
   * makes restoring cheap: it writes into them from then on, and so into the buffer a deserialized state's
   * arrays are views of (leave that buffer alone). Arrays some table already uses (a state straight from
   * `saveState`, or restored once already) are copied. Names become strings only when asked for.
   *
   * The state's shape is checked (format, version, fields and their types, column lengths against the
   * counts), not the contents of every column: a malformed or foreign state throws
   * `SymbolTableUsageError`, and a well-formed but corrupted one is not detected (guard the bytes with a
   * checksum).
   */
  static restoreState(state: SymbolTableState, options: SymbolTableOptions = {}): SymbolTable {
    const read = new StateReader(state);
    const table = new SymbolTable(options);
    const MAX = 0x7fffffff;
    table.epoch = read.integer("epoch", 1, MAX);
    const adoptColumn = columnAdopter();
    const int32 = (path: string, length: number) => adoptColumn(read.column(path, "int32", length));
    const uint8 = (path: string, length: number) => adoptColumn(read.column(path, "uint8", length));
    const float64 = (path: string, length: number) => adoptColumn(read.column(path, "float64", length));

    read.section("symbols");
    const symbolCount = read.integer("symbols.count", 0, MAX);
    const names = read.strings("symbols.names", symbolCount);
    const nameSlots = read.column("symbols.nameSlots", "int32", undefined);
    // Lookups probe until an empty slot: the table must be a power of two at most half full.
    if (nameSlots.length === 0 || (nameSlots.length & (nameSlots.length - 1)) !== 0 || nameSlots.length < 2 * symbolCount) {
      read.fail("symbols.nameSlots", `${nameSlots.length} slots for ${symbolCount} names`);
    }
    table.nameSlots = adoptColumn(nameSlots);
    table.symHash = int32("symbols.hash", symbolCount);
    table.symDefHead = int32("symbols.defHead", symbolCount);
    table.symDefTail = int32("symbols.defTail", symbolCount);
    table.symRefHead = int32("symbols.refHead", symbolCount);
    table.symRefTail = int32("symbols.refTail", symbolCount);
    table.symWinner = int32("symbols.winner", symbolCount);
    table.symAlign = int32("symbols.align", symbolCount);
    table.symRefCount = int32("symbols.refCount", symbolCount);
    table.symStrongRefCount = int32("symbols.strongRefCount", symbolCount);
    table.symDemand = int32("symbols.demand", symbolCount);
    table.symPending = uint8("symbols.pending", symbolCount);
    table.symEpoch = int32("symbols.epoch", symbolCount);
    table.symGroup = int32("symbols.group", symbolCount);
    table.symMarked = new Uint8Array(symbolCount);
    table.pendingLoads = Array.from(read.indices("symbols.pendingLoads", undefined, 0, symbolCount - 1));
    table.aliasWinners = read.integer("symbols.aliasWinners", 0, symbolCount);
    // Holes, filled by `nameAt` (never written: the starts need no copy).
    table.names = new Array<string>(symbolCount);
    table.savedNames = names.joined;
    table.savedNameStarts = names.starts;
    table.savedNameCount = symbolCount;
    table.nameStart = new Int32Array(symbolCount).fill(NONE); // none kept as bytes: all as saved
    table.nameEnd = new Int32Array(symbolCount);

    read.section("candidates");
    const candCount = read.integer("candidates.count", 0, MAX);
    table.candCount = candCount;
    table.candFree = read.integer("candidates.free", NONE, candCount - 1);
    table.candKind = uint8("candidates.kind", candCount);
    table.candFlags = uint8("candidates.flags", candCount);
    table.candInput = int32("candidates.input", candCount);
    table.candSymbol = int32("candidates.symbol", candCount);
    table.candA = int32("candidates.a", candCount);
    table.candB = float64("candidates.b", candCount);
    table.candInstance = int32("candidates.instance", candCount);
    table.candNext = int32("candidates.next", candCount);
    table.candPrev = int32("candidates.prev", candCount);
    table.candNextInInput = int32("candidates.nextInInput", candCount);
    table.candNextInInstance = int32("candidates.nextInInstance", candCount);

    read.section("inputs");
    const inputCount = read.integer("inputs.count", 0, MAX);
    table.inputNames = unpackStrings(read.strings("inputs.names", inputCount));
    table.inputCandHead = int32("inputs.candHead", inputCount);
    table.inputInstHead = int32("inputs.instHead", inputCount);
    table.inputLoaded = uint8("inputs.loaded", inputCount);

    read.section("groups");
    const groupCount = read.integer("groups.count", 0, MAX);
    const groupSymbols = read.indices("groups.symbol", groupCount, NONE, symbolCount - 1);
    table.groupNames = new Array<string>(groupCount);
    let byName = 0;
    for (let group = 0; group < groupCount; group++) {
      const symbol = groupSymbols[group] as number;
      if (symbol === NONE) byName++;
      else if (table.symGroup[symbol] !== group) read.fail("groups.symbol", `group ${group} is named after symbol ${symbol}, whose group is ${table.symGroup[symbol]}`);
    }
    const groupNames = unpackStrings(read.strings("groups.names", byName));
    for (let group = 0, k = 0; group < groupCount; group++) {
      if (groupSymbols[group] !== NONE) continue;
      const name = groupNames[k++] as string;
      table.groupNames[group] = name;
      table.groupIdsByName.set(name, group);
    }
    table.groupSymbol = groupSymbols;
    table.groupHead = int32("groups.head", groupCount);
    table.groupWinner = int32("groups.winner", groupCount);
    table.groupEpoch = int32("groups.epoch", groupCount);

    read.section("instances");
    const instCount = read.integer("instances.count", 0, MAX);
    table.instCount = instCount;
    table.instFree = read.integer("instances.free", NONE, instCount - 1);
    table.instGroup = int32("instances.group", instCount);
    table.instInput = int32("instances.input", instCount);
    table.instSelection = uint8("instances.selection", instCount);
    table.instSize = float64("instances.size", instCount);
    table.instChecksum = float64("instances.checksum", instCount);
    table.instNext = int32("instances.next", instCount);
    table.instPrev = int32("instances.prev", instCount);
    table.instNextInInput = int32("instances.nextInInput", instCount);
    table.instDefHead = int32("instances.defHead", instCount);
    table.instAssocHead = int32("instances.assocHead", instCount);

    read.section("associations");
    const assocCount = read.integer("associations.count", 0, MAX);
    table.assocCount = assocCount;
    table.assocFree = read.integer("associations.free", NONE, assocCount - 1);
    table.assocSection = int32("associations.section", assocCount);
    table.assocNext = int32("associations.next", assocCount);

    read.section("journal");
    const entries = read.column("journal.entries", "float64", undefined);
    if (entries.length % JOURNAL_STRIDE !== 0) read.fail("journal.entries", `${entries.length} numbers, not whole entries of ${JOURNAL_STRIDE}`);
    table.journal = adoptColumn(entries);
    table.journalLength = entries.length;
    const journalGroups = read.indices("journal.groups", undefined, 0, groupCount - 1);
    table.journalGroup = Array.from(journalGroups);
    table.journalGroupWinner = Array.from(read.indices("journal.groupWinners", journalGroups.length, NONE, inputCount - 1));
    table.newNamesFrom = read.integer("journal.newNamesFrom", 0, symbolCount);
    table.newGroupsFrom = read.integer("journal.newGroupsFrom", 0, groupCount);
    return table;
  }

  /** The names as one string: a restored table's saved names as they are, the names added since joined to them. */
  private packNames(): PackedStrings {
    const count = this.names.length;
    const saved = this.savedNameCount;
    if (count === saved) return { joined: this.savedNames, starts: this.savedNameStarts };
    const starts = new Int32Array(count + 1);
    starts.set(this.savedNameStarts);
    let at = this.savedNames.length;
    const added: string[] = [];
    for (let id = saved; id < count; id++) {
      const name = this.names[id] ?? this.keptName(id); // not kept: a save needs them once
      added.push(name);
      at += name.length;
      starts[id + 1] = at;
    }
    return { joined: this.savedNames + added.join(""), starts };
  }

  // ---------------------------------------------------------------- internals

  private display(name: string): string {
    return this.options.displayName === undefined ? name : this.options.displayName(name);
  }

  private undefinedDiagnostic(symbol: SymbolId, severity: Severity): Diagnostic {
    const refs: number[] = [];
    for (let c = this.symRefHead[symbol] as number; c !== NONE; c = this.candNext[c] as number) {
      if (((this.candFlags[c] as number) & RefFlags.Weak) === 0) refs.push(c);
    }
    // Stable: by input, then in the order the input made its references.
    refs.sort((x, y) => (this.candInput[x] as number) - (this.candInput[y] as number));
    const listed: ReferenceSite[] = refs.slice(0, MAX_LISTED_REFERENCES).map((c) => {
      const input = this.candInput[c] as number;
      const site = this.candA[c] as number;
      return { input, inputName: this.inputNames[input] as string, site, where: this.options.where?.(input, site) };
    });
    const name = this.display(this.nameAt(symbol));
    return {
      kind: "undefined",
      severity,
      symbol: name,
      message: formatUndefined(severity, name, listed, refs.length),
      references: listed,
      referenceCount: refs.length,
    };
  }

  private duplicateDiagnostics(symbol: SymbolId, winner: number, severity: Severity, out: Diagnostic[]): void {
    // Most names have one definition: no list made for them (a large link checks 100,000 definitions).
    if (this.symDefHead[symbol] === winner && this.candNext[winner] === NONE) return;
    const others: number[] = [];
    for (let c = this.symDefHead[symbol] as number; c !== NONE; c = this.candNext[c] as number) {
      if (c !== winner && this.isActive(c) && KIND_RANK[this.candKind[c] as number] === STRONG_RANK) others.push(c);
    }
    if (others.length === 0) return;
    others.sort((x, y) => (this.candInput[x] as number) - (this.candInput[y] as number));
    const name = this.display(this.nameAt(symbol));
    const first = this.definitionSite(this.candInput[winner] as number);
    for (const c of others) {
      const second = this.definitionSite(this.candInput[c] as number);
      out.push({
        kind: "duplicate",
        severity,
        symbol: name,
        message: formatDuplicate(severity, name, first, second),
        definitions: [first, second],
        comdat: false,
      });
    }
  }

  private comdatDiagnostics(group: ComdatId, severity: Severity, out: Diagnostic[]): void {
    const winner = this.groupWinner[group] as number;
    if (winner === NONE) return;
    // Most groups have one instance: no list made for them (a large link checks 100,000 groups).
    if (this.groupHead[group] === winner && this.instNext[winner] === NONE) return;
    const losers: number[] = [];
    for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) {
      if (inst !== winner) losers.push(inst);
    }
    if (losers.length === 0) return;
    losers.sort((x, y) => (this.instInput[x] as number) - (this.instInput[y] as number));
    const name = this.display(this.groupNameAt(group));
    const selection = this.instSelection[winner] as ComdatSelection;
    const site = (inst: number) => ({
      ...this.definitionSite(this.instInput[inst] as number),
      size: this.instSize[inst] as number,
      checksum: this.instChecksum[inst] as number,
      selection: COMDAT_SELECTION_NAMES[this.instSelection[inst] as ComdatSelection],
    });
    for (const inst of losers) {
      let rule: string | undefined;
      if (this.instSelection[inst] !== selection) {
        rule = "selection";
      } else if (selection === ComdatSelection.NoDuplicates) {
        const first = this.definitionSite(this.instInput[winner] as number);
        const second = this.definitionSite(this.instInput[inst] as number);
        out.push({ kind: "duplicate", severity, symbol: name, message: formatDuplicate(severity, name, first, second), definitions: [first, second], comdat: true });
        continue;
      } else if (selection === ComdatSelection.SameSize && this.instSize[inst] !== this.instSize[winner]) {
        rule = "SAME_SIZE";
      } else if (
        selection === ComdatSelection.ExactMatch &&
        (this.instSize[inst] !== this.instSize[winner] || this.instChecksum[inst] !== this.instChecksum[winner])
      ) {
        rule = "EXACT_MATCH";
      }
      if (rule === undefined) continue;
      const kept = site(winner);
      const discarded = site(inst);
      out.push({ kind: "comdat-mismatch", severity, symbol: name, rule, kept, discarded, message: formatComdatMismatch(severity, name, rule, kept, discarded) });
    }
  }

  private definitionSite(input: InputId): DefinitionSite {
    return { input, inputName: this.inputNames[input] as string };
  }

  private checkInput(input: InputId): void {
    if (!(input >= 0 && input < this.inputNames.length && Number.isInteger(input))) {
      throw new SymbolTableUsageError(`unknown input id ${input}: register inputs with addInput first`, { input, inputCount: this.inputNames.length });
    }
  }

  /** A known symbol id, checked without making its name (a restored table makes names when asked). */
  private checkSymbol(symbol: SymbolId): void {
    if (!(symbol >= 0 && symbol < this.names.length && Number.isInteger(symbol))) {
      throw new SymbolTableUsageError(`unknown symbol id ${symbol}`, { symbol, symbolCount: this.names.length });
    }
  }

  private checkGroup(group: ComdatId): void {
    if (!(group >= 0 && group < this.groupNames.length && Number.isInteger(group))) {
      throw new SymbolTableUsageError(`unknown COMDAT group id ${group}`, { group, comdatCount: this.groupNames.length });
    }
  }

  /** The id of `name` (whose `hashName` is `hash`), or NONE. */
  private lookup(name: string, hash: number): SymbolId {
    const slots = this.nameSlots;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot] as number;
      if (id === NONE) return NONE;
      if (this.symHash[id] === hash && this.hasName(id, name)) return id;
    }
  }

  /** The name of a known symbol id. */
  private nameAt(id: SymbolId): string {
    const name = this.names[id];
    if (name !== undefined) return name;
    const made = this.keptName(id);
    this.names[id] = made;
    return made;
  }

  /** The string of a name kept as bytes or as saved (a hole in `names`). */
  private keptName(id: SymbolId): string {
    const start = this.nameStart[id] as number;
    return start >= 0
      ? asciiString(this.nameBytes, start, this.nameEnd[id] as number)
      : this.savedNames.slice(this.savedNameStarts[id], this.savedNameStarts[id + 1]);
  }

  /** Is the name kept as bytes for `id` the `length` bytes at `bytes[start]`? */
  private sameAsciiName(id: SymbolId, bytes: Uint8Array, start: number, length: number): boolean {
    const from = this.nameStart[id] as number;
    if ((this.nameEnd[id] as number) - from !== length) return false;
    const kept = this.nameBytes;
    let k = 0;
    while (k < length && kept[from + k] === bytes[start + k]) k++;
    return k === length;
  }

  /** Is `name` the name of `id`? A restored name not yet asked for is compared where it was saved. */
  private hasName(id: SymbolId, name: string): boolean {
    const known = this.names[id];
    if (known !== undefined) return known === name;
    const from = this.nameStart[id] as number;
    if (from >= 0) {
      if ((this.nameEnd[id] as number) - from !== name.length) return false;
      const kept = this.nameBytes;
      let k = 0;
      while (k < name.length && kept[from + k] === name.charCodeAt(k)) k++;
      return k === name.length;
    }
    const start = this.savedNameStarts[id] as number;
    return (this.savedNameStarts[id + 1] as number) - start === name.length && this.savedNames.startsWith(name, start);
  }

  /** The name of a known group id. */
  private groupNameAt(group: ComdatId): string {
    const name = this.groupNames[group];
    if (name !== undefined) return name;
    const made = this.nameAt(this.groupSymbol[group] as number);
    this.groupNames[group] = made;
    return made;
  }

  private insertSlot(id: SymbolId, hash: number): void {
    const slots = this.nameSlots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    while (slots[slot] !== NONE) slot = (slot + 1) & mask;
    slots[slot] = id;
  }

  /** A bigger slot table, holding names 0..count-1. */
  private rehash(capacity: number, count: number): void {
    this.nameSlots = ownColumn(new Int32Array(capacity).fill(NONE));
    for (let id = 0; id < count; id++) this.insertSlot(id, this.symHash[id] as number);
  }

  private symbolOf(name: SymbolRef): SymbolId {
    if (typeof name === "string") return this.intern(name);
    this.checkSymbol(name);
    return name;
  }

  /**
   * The group named `name` (whose symbol id is `symbol`, if interned), or NONE. A group made before its
   * name became a symbol's sits in `groupIdsByName` and moves to `symGroup` when found.
   */
  private findGroup(name: SymbolRef, symbol: SymbolId | undefined): ComdatId {
    if (symbol !== undefined) {
      const group = this.symGroup[symbol] as number;
      if (group !== NONE || this.groupIdsByName.size === 0) return group;
    }
    if (this.groupIdsByName.size === 0) return NONE;
    const group = this.groupIdsByName.get(typeof name === "number" ? this.nameAt(name) : name);
    if (group === undefined) return NONE;
    if (symbol !== undefined) {
      this.symGroup[symbol] = group;
      this.groupIdsByName.delete(this.groupNameAt(group));
    }
    return group;
  }

  private instanceOf(group: ComdatId, input: InputId): number {
    for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) {
      if (this.instInput[inst] === input) return inst;
    }
    return NONE;
  }

  private addDefinition(kind: SymbolKind, input: InputId, name: SymbolRef, a: number, b: number, flags: number, comdat: ComdatId): SymbolId {
    this.checkInput(input);
    const symbol = this.symbolOf(name);
    let inst = NONE;
    if (comdat !== NONE) {
      this.checkGroup(comdat);
      inst = this.instanceOf(comdat, input);
      if (inst === NONE) {
        throw new SymbolTableUsageError(
          `${this.inputNames[input]} defines ${this.nameAt(symbol)} in COMDAT group ${this.groupNameAt(comdat)} but never added that group (addComdat)`,
          { input, symbol: this.nameAt(symbol), comdat: this.groupNameAt(comdat) },
        );
      }
    }
    const c = this.allocCandidate(kind, flags, input, symbol, a, b, inst);
    this.linkToList(c, symbol, true);
    if (inst !== NONE) {
      this.candNextInInstance[c] = this.instDefHead[inst] as number;
      this.instDefHead[inst] = c;
    }
    if (kind === SymbolKind.Alias && (flags & ALIAS_MAY_LOAD) !== 0) this.addDemand(symbol, 1);
    if (!this.isActive(c)) return symbol;
    const winner = this.symWinner[symbol] as number;
    const align = kind === SymbolKind.Common ? Math.max(this.symAlign[symbol] as number, a) : (this.symAlign[symbol] as number);
    if (winner === NONE || this.beats(c, winner)) {
      this.touch(symbol);
      this.symAlign[symbol] = align;
      this.setWinner(symbol, c);
    } else if (align !== this.symAlign[symbol]) {
      this.touch(symbol);
      this.symAlign[symbol] = align;
    }
    // A lazy candidate behind an alias in use may still be wanted.
    if (kind === SymbolKind.Lazy) this.markPendingIfUndefined(symbol);
    return symbol;
  }

  /** Does candidate `c` beat candidate `w` (both active definitions)? The precedence table, applied. */
  private beats(c: number, w: number): boolean {
    const kindC = this.candKind[c] as number;
    const rankC = KIND_RANK[kindC] as number;
    const rankW = KIND_RANK[this.candKind[w] as number] as number;
    if (rankC !== rankW) return rankC > rankW;
    if (KIND_TIE[kindC] === TIE_LARGEST_SIZE) {
      const sizeC = this.candB[c] as number;
      const sizeW = this.candB[w] as number;
      if (sizeC !== sizeW) return sizeC > sizeW;
    }
    const inputC = this.candInput[c] as number;
    const inputW = this.candInput[w] as number;
    if (inputC !== inputW) return inputC < inputW;
    // One input defining a name twice: settle by payload so the outcome never depends on slot reuse.
    const kindW = this.candKind[w] as number;
    if (kindC !== kindW) return kindC < kindW;
    if (this.candA[c] !== this.candA[w]) return (this.candA[c] as number) < (this.candA[w] as number);
    return (this.candB[c] as number) < (this.candB[w] as number);
  }

  private bestLazy(symbol: SymbolId): number {
    let best = NONE;
    for (let c = this.symDefHead[symbol] as number; c !== NONE; c = this.candNext[c] as number) {
      if (this.candKind[c] === SymbolKind.Lazy && (best === NONE || this.beats(c, best))) best = c;
    }
    return best;
  }

  private isActive(c: number): boolean {
    const inst = this.candInstance[c] as number;
    return inst === NONE || this.groupWinner[this.instGroup[inst] as number] === inst;
  }

  private recomputeSymbol(symbol: SymbolId): void {
    let best = NONE;
    let align = 0;
    for (let c = this.symDefHead[symbol] as number; c !== NONE; c = this.candNext[c] as number) {
      if (!this.isActive(c)) continue;
      if (this.candKind[c] === SymbolKind.Common) align = Math.max(align, this.candA[c] as number);
      if (best === NONE || this.beats(c, best)) best = c;
    }
    if (best === this.symWinner[symbol] && align === this.symAlign[symbol]) return;
    this.touch(symbol);
    this.symAlign[symbol] = align;
    this.setWinner(symbol, best);
  }

  private setWinner(symbol: SymbolId, winner: number): void {
    const old = this.symWinner[symbol] as number;
    if (old === winner) return;
    if (old !== NONE && this.candKind[old] === SymbolKind.Alias) {
      this.aliasWinners--;
      this.addDemand(this.candA[old] as number, -1);
    }
    this.symWinner[symbol] = winner;
    if (winner !== NONE && this.candKind[winner] === SymbolKind.Alias) {
      this.aliasWinners++;
      // An alias in use asks for its target, which may then come from an archive.
      this.addDemand(this.candA[winner] as number, 1);
    }
    this.markPendingIfUndefined(symbol);
  }

  private recomputeGroup(group: ComdatId): void {
    let leader = NONE;
    for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) {
      if (leader === NONE || (this.instInput[inst] as number) < (this.instInput[leader] as number)) leader = inst;
    }
    let best = leader;
    // The lowest input's selection governs the group; with LARGEST the biggest instance wins.
    if (leader !== NONE && this.instSelection[leader] === ComdatSelection.Largest) {
      for (let inst = this.groupHead[group] as number; inst !== NONE; inst = this.instNext[inst] as number) {
        const size = this.instSize[inst] as number;
        const bestSize = this.instSize[best] as number;
        if (size > bestSize || (size === bestSize && (this.instInput[inst] as number) < (this.instInput[best] as number))) best = inst;
      }
    }
    const old = this.groupWinner[group] as number;
    if (best === old) return;
    if (this.groupEpoch[group] !== this.epoch && (group < this.newGroupsFrom || this.journalEverything)) {
      this.groupEpoch[group] = this.epoch;
      this.journalGroup.push(group);
      this.journalGroupWinner.push(old === NONE ? NONE : (this.instInput[old] as number));
    }
    this.groupWinner[group] = best;
    // Definitions inside the old and new instances change liveness (no array per call: once per group).
    this.recomputeInstanceSymbols(old, group);
    this.recomputeInstanceSymbols(best, group);
  }

  private recomputeInstanceSymbols(inst: number, group: ComdatId): void {
    if (inst === NONE || this.instGroup[inst] !== group) return;
    for (let c = this.instDefHead[inst] as number; c !== NONE; c = this.candNextInInstance[c] as number) {
      this.recomputeSymbol(this.candSymbol[c] as number);
    }
  }

  private addDemand(symbol: SymbolId, delta: number): void {
    this.symDemand[symbol]! += delta;
    if (delta > 0) this.markPendingIfUndefined(symbol);
  }

  /** Queues the name for `takeLoadRequests` unless a definition makes loading moot (the common case). */
  private markPendingIfUndefined(symbol: SymbolId): void {
    const winner = this.symWinner[symbol] as number;
    if (winner === NONE || (KIND_RANK[this.candKind[winner] as number] as number) >= DEFINITION_RANK) return;
    if (this.symPending[symbol] === 1) return;
    this.symPending[symbol] = 1;
    this.pendingLoads.push(symbol);
  }

  /** Records the name's resolution before its first change in this epoch. */
  private touch(symbol: SymbolId): void {
    if (this.symEpoch[symbol] === this.epoch) return;
    if (symbol >= this.newNamesFrom && !this.journalEverything) return;
    this.symEpoch[symbol] = this.epoch;
    const winner = this.symWinner[symbol] as number;
    const at = this.journalLength;
    this.journalLength += JOURNAL_STRIDE;
    this.journal = growFloat64(this.journal, this.journalLength);
    this.journal[at] = symbol;
    this.journal[at + 1] = winner === NONE ? SymbolKind.Undefined : (this.candKind[winner] as number);
    this.journal[at + 2] = winner === NONE ? NONE : (this.candInput[winner] as number);
    this.journal[at + 3] = this.signatureA(symbol, winner);
    this.journal[at + 4] = winner === NONE ? 0 : (this.candB[winner] as number);
  }

  private signatureA(symbol: SymbolId, winner: number): number {
    if (winner === NONE) return 0;
    return this.candKind[winner] === SymbolKind.Common ? (this.symAlign[symbol] as number) : (this.candA[winner] as number);
  }

  /**
   * What changed since the journal entries from `symbolStart` and `groupStart` were made; names from
   * `newNamesFrom` and groups from `newGroupsFrom` on were made since, from nothing: changed if they have a winner.
   */
  private changesSince(symbolStart: number, groupStart: number, newNamesFrom: number, newGroupsFrom: number): ChangeReport {
    const changed = new Set<SymbolId>();
    for (let symbol = newNamesFrom; symbol < this.names.length; symbol++) {
      if (this.symWinner[symbol] !== NONE) changed.add(symbol);
    }
    const seen = new Set<SymbolId>();
    for (let i = symbolStart; i < this.journalLength; i += JOURNAL_STRIDE) {
      const symbol = this.journal[i] as number;
      if (symbol >= newNamesFrom || seen.has(symbol)) continue;
      seen.add(symbol);
      const winner = this.symWinner[symbol] as number;
      const kind = winner === NONE ? SymbolKind.Undefined : (this.candKind[winner] as number);
      const input = winner === NONE ? NONE : (this.candInput[winner] as number);
      const b = winner === NONE ? 0 : (this.candB[winner] as number);
      if (
        kind !== this.journal[i + 1] ||
        input !== this.journal[i + 2] ||
        this.signatureA(symbol, winner) !== this.journal[i + 3] ||
        b !== this.journal[i + 4]
      ) {
        changed.add(symbol);
      }
    }
    // An alias in use stands for its target: when the target changes, so does the alias.
    if (this.aliasWinners > 0 && changed.size > 0) {
      for (let grew = true; grew; ) {
        grew = false;
        for (let symbol = 0; symbol < this.names.length; symbol++) {
          const winner = this.symWinner[symbol] as number;
          if (winner === NONE || this.candKind[winner] !== SymbolKind.Alias || changed.has(symbol)) continue;
          if (changed.has(this.candA[winner] as number)) {
            changed.add(symbol);
            grew = true;
          }
        }
      }
    }
    const comdats = new Set<ComdatId>();
    for (let group = newGroupsFrom; group < this.groupNames.length; group++) {
      if (this.groupWinner[group] !== NONE) comdats.add(group);
    }
    const seenGroups = new Set<ComdatId>();
    for (let i = groupStart; i < this.journalGroup.length; i++) {
      const group = this.journalGroup[i] as number;
      if (group >= newGroupsFrom || seenGroups.has(group)) continue;
      seenGroups.add(group);
      if (this.comdatWinner(group) !== this.journalGroupWinner[i]) comdats.add(group);
    }
    return { symbols: [...changed].sort((a, b) => a - b), comdats: [...comdats].sort((a, b) => a - b) };
  }

  private allocCandidate(kind: number, flags: number, input: InputId, symbol: SymbolId, a: number, b: number, inst: number): number {
    let c = this.candFree;
    if (c !== NONE) {
      this.candFree = this.candNext[c] as number;
    } else {
      c = this.candCount++;
      if (this.candKind.length < this.candCount) this.growCandidates(this.candCount);
    }
    this.candKind[c] = kind;
    this.candFlags[c] = flags;
    this.candInput[c] = input;
    this.candSymbol[c] = symbol;
    this.candA[c] = a;
    this.candB[c] = b;
    this.candInstance[c] = inst;
    this.candNextInInstance[c] = NONE;
    this.candNextInInput[c] = this.inputCandHead[input] as number;
    this.inputCandHead[input] = c;
    return c;
  }

  private growCandidates(n: number): void {
    this.candKind = growUint8(this.candKind, n);
    this.candFlags = growUint8(this.candFlags, n);
    this.candInput = growInt32(this.candInput, n, NONE);
    this.candSymbol = growInt32(this.candSymbol, n, NONE);
    this.candA = growInt32(this.candA, n, 0);
    this.candB = growFloat64(this.candB, n);
    this.candInstance = growInt32(this.candInstance, n, NONE);
    this.candNext = growInt32(this.candNext, n, NONE);
    this.candPrev = growInt32(this.candPrev, n, NONE);
    this.candNextInInput = growInt32(this.candNextInInput, n, NONE);
    this.candNextInInstance = growInt32(this.candNextInInstance, n, NONE);
  }

  /**
   * Kind, input and payload stay readable until the slot is reused: `removeInput` frees first and
   * then recomputes winners, whose journal entries and alias bookkeeping read the old winner.
   */
  private freeCandidate(c: number): void {
    this.candNext[c] = this.candFree;
    this.candFree = c;
  }

  /** Appends to the name's definition list or reference list (insertion order serves messages). */
  private linkToList(c: number, symbol: SymbolId, definition: boolean): void {
    const tails = definition ? this.symDefTail : this.symRefTail;
    const heads = definition ? this.symDefHead : this.symRefHead;
    const tail = tails[symbol] as number;
    this.candPrev[c] = tail;
    this.candNext[c] = NONE;
    if (tail === NONE) heads[symbol] = c;
    else this.candNext[tail] = c;
    tails[symbol] = c;
  }

  private unlinkFromList(c: number, symbol: SymbolId, definition: boolean): void {
    const tails = definition ? this.symDefTail : this.symRefTail;
    const heads = definition ? this.symDefHead : this.symRefHead;
    const prev = this.candPrev[c] as number;
    const next = this.candNext[c] as number;
    if (prev === NONE) heads[symbol] = next;
    else this.candNext[prev] = next;
    if (next === NONE) tails[symbol] = prev;
    else this.candPrev[next] = prev;
  }

  private allocInstance(): number {
    let inst = this.instFree;
    if (inst !== NONE) {
      this.instFree = this.instNext[inst] as number;
      return inst;
    }
    inst = this.instCount++;
    const n = this.instCount;
    // One length check, not ten calls: a large link makes 100,000 groups.
    if (this.instGroup.length < n) this.growInstances(n);
    return inst;
  }

  private growGroups(n: number): void {
    this.groupHead = growInt32(this.groupHead, n, NONE);
    this.groupWinner = growInt32(this.groupWinner, n, NONE);
    this.groupEpoch = growInt32(this.groupEpoch, n, 0);
    this.groupSymbol = growInt32(this.groupSymbol, n, NONE);
  }

  private growInstances(n: number): void {
    this.instGroup = growInt32(this.instGroup, n, NONE);
    this.instInput = growInt32(this.instInput, n, NONE);
    this.instSelection = growUint8(this.instSelection, n);
    this.instSize = growFloat64(this.instSize, n);
    this.instChecksum = growFloat64(this.instChecksum, n);
    this.instNext = growInt32(this.instNext, n, NONE);
    this.instPrev = growInt32(this.instPrev, n, NONE);
    this.instNextInInput = growInt32(this.instNextInInput, n, NONE);
    this.instDefHead = growInt32(this.instDefHead, n, NONE);
    this.instAssocHead = growInt32(this.instAssocHead, n, NONE);
  }
}
