// One COFF object in the link: how its symbols enter the global table, which of its sections are
// COMDAT or associative, and its linker directives. Everything per section or per symbol is a typed
// column indexed by the object's own numbering, so reading 100k sections allocates little.
import {
  IMAGE_COMDAT_SELECT, IMAGE_SCN, IMAGE_SYM_CLASS, IMAGE_WEAK_EXTERN_SEARCH, IMAGE_SYM_TYPE_FUNCTION,
  ImageAuxSymbolSectionDefinition, type CoffObject,
} from "@linkkit/coff-format";
import { ComdatSelection, type ComdatId, type InputId, type SymbolId, type SymbolTable } from "@linkkit/symbol-resolver";
import { LinkError } from "../errors.js";

/** Section numbers in the resolver's payload are the object's 1-based COFF section numbers. */
export const NO_COMDAT = -1;

const selectionOf: Record<number, number> = {
  [IMAGE_COMDAT_SELECT.NODUPLICATES]: ComdatSelection.NoDuplicates,
  [IMAGE_COMDAT_SELECT.ANY]: ComdatSelection.Any,
  [IMAGE_COMDAT_SELECT.SAME_SIZE]: ComdatSelection.SameSize,
  [IMAGE_COMDAT_SELECT.EXACT_MATCH]: ComdatSelection.ExactMatch,
  [IMAGE_COMDAT_SELECT.LARGEST]: ComdatSelection.Largest,
  // NEWEST is not produced by compilers; link.exe treats it as ANY.
  [IMAGE_COMDAT_SELECT.NEWEST]: ComdatSelection.Any,
};

/** An object's part of a saved session: its columns and directives, without its bytes. */
export interface ObjectFileState {
  readonly input: InputId;
  readonly name: string;
  readonly sectionCount: number;
  readonly symbolCount: number;
  readonly sectionComdat: Int32Array;
  readonly sectionIncluded: Uint8Array;
  readonly sectionLive: Uint8Array;
  readonly sectionAtom: Int32Array;
  readonly symbolIds: Int32Array;
  readonly associatedWith: Int32Array;
  readonly directives: string;
}

export class ObjectFile {
  readonly kind = "object";
  readonly input: InputId;
  readonly name: string;
  private coffObject: CoffObject | undefined;
  /** A restored object is read only when something needs its bytes (most of a large link never is). */
  private readonly openCoff: (() => CoffObject) | undefined;
  readonly sectionCount: number;
  readonly symbolCount: number;
  /** Per section (0-based): the COMDAT group the section leads, or NO_COMDAT. */
  readonly sectionComdat: Int32Array;
  /** Per section: 1 when the section takes part in the image (before garbage collection). */
  readonly sectionIncluded: Uint8Array;
  /** Per section: 1 when the section is in the image (kept COMDAT instance, reachable under /opt:ref). */
  readonly sectionLive: Uint8Array;
  /** Per section: atom id in the layout, or -1. */
  readonly sectionAtom: Int32Array;
  /** Per symbol record index: the global symbol id, or -1 for local symbols and aux records. */
  readonly symbolIds: Int32Array;
  /** Per section: for associative COMDATs, the 1-based number of the leader section; else 0. */
  readonly associatedWith: Int32Array;
  /** The `.drectve` text (linker directives), if any. */
  directives = "";

  constructor(input: InputId, name: string, source: CoffObject | { readonly state: ObjectFileState; readonly open: () => CoffObject }) {
    this.input = input;
    this.name = name;
    if ("open" in source) {
      const st = source.state;
      this.openCoff = source.open;
      this.sectionCount = st.sectionCount;
      this.symbolCount = st.symbolCount;
      this.sectionComdat = st.sectionComdat;
      this.sectionIncluded = st.sectionIncluded;
      this.sectionLive = st.sectionLive;
      this.sectionAtom = st.sectionAtom;
      this.symbolIds = st.symbolIds;
      this.associatedWith = st.associatedWith;
      this.directives = st.directives;
      return;
    }
    const coff = source;
    this.coffObject = coff;
    this.sectionCount = coff.sectionCount;
    this.symbolCount = coff.symbolRecordCount;
    // The columns share one allocation (a large link makes 400 objects): 32-bit ones first, aligned.
    const sections = this.sectionCount, symbols = this.symbolCount;
    const memory = new ArrayBuffer(4 * (3 * sections + symbols) + 2 * sections);
    this.sectionComdat = new Int32Array(memory, 0, sections).fill(NO_COMDAT);
    this.sectionAtom = new Int32Array(memory, 4 * sections, sections).fill(-1);
    this.associatedWith = new Int32Array(memory, 8 * sections, sections);
    this.symbolIds = new Int32Array(memory, 12 * sections, symbols).fill(-1);
    this.sectionIncluded = new Uint8Array(memory, 4 * (3 * sections + symbols), sections);
    this.sectionLive = new Uint8Array(memory, 4 * (3 * sections + symbols) + sections, sections);
  }

  /** An object of a saved session: registered already (the symbol table is restored too), bytes read on demand. */
  static restore(state: ObjectFileState, open: () => CoffObject): ObjectFile {
    return new ObjectFile(state.input, state.name, { state, open });
  }

  get coff(): CoffObject {
    if (this.coffObject === undefined) {
      const coff = this.openCoff!();
      if (coff.sectionCount !== this.sectionCount || coff.symbolRecordCount !== this.symbolCount) {
        throw new LinkError(`${this.name}: the object differs from the one this session linked`);
      }
      this.coffObject = coff;
    }
    return this.coffObject;
  }

  saveState(): ObjectFileState {
    return {
      input: this.input, name: this.name, sectionCount: this.sectionCount, symbolCount: this.symbolCount,
      sectionComdat: this.sectionComdat, sectionIncluded: this.sectionIncluded, sectionLive: this.sectionLive,
      sectionAtom: this.sectionAtom, symbolIds: this.symbolIds, associatedWith: this.associatedWith, directives: this.directives,
    };
  }

  /** Adds this object's definitions, references, COMDAT groups and aliases to the global table. */
  register(symbols: SymbolTable): void {
    const coff = this.coff;
    const sectionCount = this.sectionCount, symbolCount = this.symbolCount;
    const sectionIncluded = this.sectionIncluded, sectionComdat = this.sectionComdat, symbolIds = this.symbolIds;
    for (let s = 0; s < sectionCount; s++) {
      const flags = coff.sectionCharacteristics(s);
      const name = coff.sectionName(s);
      // Linker directives and other LNK_REMOVE/LNK_INFO sections never reach the image.
      if (name === ".drectve") {
        let data = coff.sectionData(s);
        if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
        this.directives += " " + utf8.decode(data);
        continue;
      }
      if (flags & (IMAGE_SCN.LNK_REMOVE | IMAGE_SCN.LNK_INFO)) continue;
      // CodeView debug info is for PDB writers; linkkit writes none.
      if (name.startsWith(".debug$")) continue;
      sectionIncluded[s] = 1;
    }

    // The loops below read the symbol records in place (the reader checked that the whole table lies inside
    // the input), through module functions given the record's offset: closures over these locals made V8
    // keep them in a context object, read from memory on every use, and gave `register` a slow start.
    const bytes = coff.bytes;
    const table = coff.pointerToSymbolTable;
    const recordSize = coff.symbolRecordSize;
    const bigobj = coff.isBigobj;
    const classAt = bigobj ? 18 : 16; // StorageClass; NumberOfAuxSymbols is the byte after it

    // Pass 1: COMDAT sections. A COMDAT section's first symbol is its section symbol (with the selection in
    // its aux record); the next symbol defined in that section is the COMDAT symbol, whose name keys the group.
    // The groups themselves are made in pass 2, at their key symbol, so that an external key is interned once
    // and names its group by id.
    // pendingLeader: the selection waiting for its key symbol.
    const { pendingLeader, keySymbol, checksums, isComdat } = registerColumns(sectionCount);
    const assocLeader: number[] = [];
    let anyComdat = false;
    for (let s = 0; s < sectionCount; s++) {
      if (coff.sectionCharacteristics(s) & IMAGE_SCN.LNK_COMDAT) { isComdat[s] = 1; anyComdat = true; }
    }
    for (let i = 0; anyComdat && i < symbolCount;) {
      const at = table + i * recordSize;
      const aux = bytes[at + classAt + 1]!;
      const section = sectionNumberAt(bytes, at, bigobj);
      if (section > 0 && section <= sectionCount && isComdat[section - 1]) {
        const s = section - 1;
        if (pendingLeader[s] === -1 && aux > 0 && bytes[at + classAt] === IMAGE_SYM_CLASS.STATIC) {
          // A static symbol's aux record is a section definition (as LLVM reads it), read in place like the
          // records (three CoffObject calls, each checking the record again, were ~20 ms on L); an aux record
          // past the table goes through CoffObject, which reports it.
          if (i + aux >= symbolCount) coff.sectionDefinitionSelection(i);
          const auxAt = at + recordSize;
          checksums[s] = u32At(bytes, auxAt + AUX.CheckSum);
          const selection = bytes[auxAt + AUX.Selection]!;
          if (selection === IMAGE_COMDAT_SELECT.ASSOCIATIVE) {
            const low = bytes[auxAt + AUX.Number]! | (bytes[auxAt + AUX.Number + 1]! << 8);
            this.associatedWith[s] = bigobj ? low + (bytes[auxAt + AUX.HighNumber]! | (bytes[auxAt + AUX.HighNumber + 1]! << 8)) * 0x10000 : low;
            assocLeader.push(s);
            pendingLeader[s] = -2;
          } else {
            pendingLeader[s] = selection;
          }
        } else if (pendingLeader[s]! > 0 && keySymbol[s] === -1) {
          if (selectionOf[pendingLeader[s]!] === undefined) {
            throw new LinkError(`${this.name}: unknown COMDAT selection ${pendingLeader[s]} for section ${coff.sectionName(s)}`);
          }
          keySymbol[s] = i;
        }
      }
      i += 1 + aux;
    }

    // The external symbols' names, interned together (much faster than one at a time; see
    // `internAsciiMany`), up to the first the fast path does not take. Pass 2 interns the rest one by one, in
    // record order, so that names get the ids they would one at a time.
    const externalIds = internExternalNames(symbols, coff, symbolCount);
    const batched = externalIds.length;
    let external = 0;

    // Pass 2: symbols. A COMDAT group is made at its key symbol (the key's name interned once for both), or at
    // a definition in its section that comes before the key.
    for (let i = 0; i < symbolCount;) {
      const at = table + i * recordSize;
      const storage = bytes[at + classAt]!;
      const next = i + 1 + bytes[at + classAt + 1]!;
      const section = sectionNumberAt(bytes, at, bigobj);
      const isKey = section > 0 && section <= sectionCount && keySymbol[section - 1] === i && pendingLeader[section - 1]! > 0;
      if (isKey && storage !== IMAGE_SYM_CLASS.EXTERNAL) this.addGroup(symbols, section - 1, coff.symbolName(i));
      if (storage === IMAGE_SYM_CLASS.EXTERNAL) {
        const name = external < batched ? externalIds[external++]! : internName(symbols, coff, i, at);
        const value = u32At(bytes, at + 8); // Value
        if (section > 0) {
          if (section > sectionCount) {
            throw new LinkError(`${this.name}: symbol ${coff.symbolName(i)} refers to section ${section}, but the object has ${sectionCount}`);
          }
          const s = section - 1;
          if (isKey) {
            this.addGroup(symbols, s, name);
          } else if (keySymbol[s]! > i && pendingLeader[s]! > 0) {
            this.addGroup(symbols, s, coff.symbolName(keySymbol[s]!));
          }
          const comdat = sectionComdat[s]!;
          symbolIds[i] = symbols.define(this.input, name, section, value, comdat === NO_COMDAT ? undefined : comdat);
        } else if (section === 0) {
          symbolIds[i] = value > 0
            ? symbols.defineCommon(this.input, name, value, commonAlignment(value))
            : symbols.reference(this.input, name, i);
        } else if (section === -1) {
          symbolIds[i] = symbols.defineAbsolute(this.input, name, value);
        }
      } else if (storage === IMAGE_SYM_CLASS.WEAK_EXTERNAL) {
        const aux = coff.symbolAux(i)[0];
        const name = coff.symbolName(i);
        if (aux?.kind !== "weak-external") throw new LinkError(`${this.name}: weak external ${name} has no weak-external aux record`);
        if (aux.tagIndex >= symbolCount) throw new LinkError(`${this.name}: weak external ${name} names symbol ${aux.tagIndex}, past the symbol table`);
        const target = coff.symbolName(aux.tagIndex);
        const mayLoad = aux.characteristics !== IMAGE_WEAK_EXTERN_SEARCH.NOLIBRARY;
        symbolIds[i] = symbols.defineAlias(this.input, name, target, mayLoad);
      }
      i = next;
    }

    // Pass 3: associative sections follow their leader's group.
    for (const s of assocLeader) {
      const leader = this.associatedWith[s]! - 1;
      if (leader < 0 || leader >= sectionCount) {
        throw new LinkError(`${this.name}: section ${coff.sectionName(s)} is associative to section ${leader + 1}, which does not exist`);
      }
      const group = sectionComdat[leader]!;
      if (group !== NO_COMDAT) {
        sectionComdat[s] = group;
        symbols.addAssociative(this.input, group as ComdatId, s + 1);
      } else if (!sectionIncluded[leader]) {
        // Associated with a non-COMDAT section that is itself dropped (e.g. debug info): drop it too.
        sectionIncluded[s] = 0;
      }
    }
  }

  /** Makes section `s`'s group, named by its key symbol (by id when interned: no second hashing). */
  private addGroup(symbols: SymbolTable, s: number, key: string | SymbolId): void {
    const size = this.coff.sectionSizeOfRawData(s); // what sectionData(s).length is, without making the window
    const { pendingLeader, checksums } = scratch;
    const selection = selectionOf[pendingLeader[s]!] as ComdatSelection;
    this.sectionComdat[s] = symbols.addComdat(this.input, key, selection, size, checksums[s]!);
    pendingLeader[s] = -2;
  }

  isFunctionSymbol(i: number): boolean {
    return (this.coff.symbolType(i) & 0xf0) === IMAGE_SYM_TYPE_FUNCTION;
  }
}

/** How many sections the objects have in all (what per-section columns over all of them are sized for). */
export function sectionTotal(objects: readonly ObjectFile[]): number {
  let total = 0;
  for (const file of objects) total += file.sectionCount;
  return total;
}

/**
 * `register`'s per-section working columns, reused from one object to the next (it runs one object at a
 * time): allocating four per object was ~4 ms of a 400-object link. Entries past `sections` are stale.
 */
const scratch = { pendingLeader: new Int32Array(0), keySymbol: new Int32Array(0), checksums: new Float64Array(0), isComdat: new Uint8Array(0) };

function registerColumns(sections: number): typeof scratch {
  if (scratch.pendingLeader.length < sections) {
    const n = Math.max(sections, scratch.pendingLeader.length * 2);
    scratch.pendingLeader = new Int32Array(n);
    scratch.keySymbol = new Int32Array(n);
    scratch.checksums = new Float64Array(n);
    scratch.isComdat = new Uint8Array(n);
  }
  scratch.pendingLeader.fill(-1, 0, sections);
  scratch.keySymbol.fill(-1, 0, sections);
  scratch.checksums.fill(0, 0, sections);
  scratch.isComdat.fill(0, 0, sections);
  return scratch;
}

/** The SectionNumber of the symbol record at `at`: 16 bits, or 32 in a bigobj. */
function sectionNumberAt(bytes: Uint8Array, at: number, bigobj: boolean): number {
  if (bigobj) return bytes[at + 12]! | (bytes[at + 13]! << 8) | (bytes[at + 14]! << 16) | (bytes[at + 15]! << 24);
  const n = bytes[at + 12]! | (bytes[at + 13]! << 8);
  return n <= 0xfeff ? n : n - 0x10000; // 0xFF00 and up are the reserved negative numbers
}

/**
 * The global id of the name of symbol `i` (its record at `at`), interned from its bytes: hashed and looked
 * up once, decoded only when new (a name the table holds, the common case for references, is never
 * decoded). Non-ASCII names and malformed offsets go through symbolName, which decodes them or reports
 * the problem.
 */
function internName(symbols: SymbolTable, coff: CoffObject, i: number, at: number): SymbolId {
  const bytes = coff.bytes;
  let id = -1;
  if (bytes[at] !== 0) {
    let end = at;
    while (end < at + 8 && bytes[end] !== 0) end++;
    id = symbols.internAscii(bytes, at, end);
  } else if (bytes[at + 1] === 0 && bytes[at + 2] === 0 && bytes[at + 3] === 0) {
    const strings = coff.stringTable.bytes;
    const offset = u32At(bytes, at + 4);
    let end = offset;
    while (end < strings.length && strings[end] !== 0) end++;
    if (offset >= 4 && end < strings.length) id = symbols.internAscii(strings, offset, end);
  }
  return id >= 0 ? id : symbols.intern(coff.symbolName(i));
}

/** `internExternalNames`' columns, reused from object to object (only one registers at a time). */
let nameStarts: Int32Array = new Int32Array(1024), nameEnds: Int32Array = new Int32Array(1024), nameIds: Int32Array = new Int32Array(1024);

/**
 * The ids of the names of the external symbols of `coff`, in record order, from the first up to (not
 * including) the first that is not a plain ASCII name in bounds, or that comes after a weak external (whose
 * names pass 2 interns as it meets them). A view of a reused column: read it before the next object's.
 */
function internExternalNames(symbols: SymbolTable, coff: CoffObject, symbolCount: number): Int32Array {
  const bytes = coff.bytes;
  const table = coff.pointerToSymbolTable, recordSize = coff.symbolRecordSize;
  const classAt = coff.isBigobj ? 18 : 16;
  const strings = coff.stringTable.fileOffset, stringsEnd = strings + coff.stringTable.bytes.length;
  let n = 0;
  for (let i = 0; i < symbolCount;) {
    const at = table + i * recordSize;
    const storage = bytes[at + classAt]!;
    if (storage === IMAGE_SYM_CLASS.WEAK_EXTERNAL) break;
    if (storage === IMAGE_SYM_CLASS.EXTERNAL) {
      let start: number, end: number;
      if (bytes[at] !== 0) {
        start = end = at;
        while (end < at + 8 && bytes[end] !== 0) end++;
      } else if (bytes[at + 1] === 0 && bytes[at + 2] === 0 && bytes[at + 3] === 0) {
        const offset = u32At(bytes, at + 4);
        if (offset < 4) break;
        start = end = strings + offset;
        while (end < stringsEnd && bytes[end] !== 0) end++;
        if (end >= stringsEnd) break; // past the table, or not terminated: internName reports it
      } else {
        break;
      }
      if (n === nameStarts.length) {
        nameStarts = growColumn(nameStarts);
        nameEnds = growColumn(nameEnds);
        nameIds = growColumn(nameIds);
      }
      nameStarts[n] = start;
      nameEnds[n++] = end;
    }
    i += 1 + bytes[at + classAt + 1]!;
  }
  return nameIds.subarray(0, symbols.internAsciiMany(bytes, nameStarts, nameEnds, n, nameIds));
}

function growColumn(column: Int32Array): Int32Array {
  const grown = new Int32Array(column.length * 2);
  grown.set(column);
  return grown;
}

/** Decodes `.drectve` sections (UTF-8, or ASCII as compilers write them). */
const utf8 = new TextDecoder();

/** Offsets in a section-definition aux record. */
const AUX = ImageAuxSymbolSectionDefinition.offsetOf;

function u32At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Common symbols are aligned to their size's power of two, up to 32 (what MSVC and lld do). */
export function commonAlignment(size: number): number {
  let a = 1;
  while (a < size && a < 32) a <<= 1;
  return a;
}
