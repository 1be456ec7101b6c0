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
    const decoder = new TextDecoder();
    for (let s = 0; s < this.sectionCount; s++) {
      const flags = coff.sectionCharacteristics(s);
      const name = coff.sectionName(s);
      // Linker directives and other LNK_REMOVE/LNK_INFO sections never reach the image.
      if (name === ".drectve") {
        let data = coff.sectionData(s);
        if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
        this.directives += " " + decoder.decode(data);
        continue;
      }
      if (flags & (IMAGE_SCN.LNK_REMOVE | IMAGE_SCN.LNK_INFO)) continue;
      // CodeView debug info is for PDB writers; linkkit writes none.
      if (name.startsWith(".debug$")) continue;
      this.sectionIncluded[s] = 1;
    }

    // Pass 1: COMDAT sections. A COMDAT section's first symbol is its section symbol (with the selection in
    // its aux record); the next symbol defined in that section is the COMDAT symbol, whose name keys the group.
    // The groups themselves are made in pass 2, at their key symbol, so that an external key is interned once
    // and names its group by id.
    // pendingLeader: the selection waiting for its key symbol.
    const { pendingLeader, keySymbol, checksums, isComdat } = registerColumns(this.sectionCount);
    const assocLeader: number[] = [];
    let anyComdat = false;
    for (let s = 0; s < this.sectionCount; s++) {
      if (coff.sectionCharacteristics(s) & IMAGE_SCN.LNK_COMDAT) { isComdat[s] = 1; anyComdat = true; }
    }
    // Symbol records are read in place: the reader checked that the whole table lies inside the input.
    const bytes = coff.bytes;
    const table = coff.pointerToSymbolTable;
    const recordSize = coff.symbolRecordSize;
    const bigobj = coff.isBigobj;
    const classAt = bigobj ? 18 : 16; // StorageClass; NumberOfAuxSymbols is the byte after it
    const storageClass = (i: number) => bytes[table + i * recordSize + classAt]!;
    const auxCount = (i: number) => bytes[table + i * recordSize + classAt + 1]!;
    const sectionNumber = (i: number) => {
      const at = table + i * recordSize + 12;
      if (bigobj) return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
      const n = bytes[at]! | (bytes[at + 1]! << 8);
      return n <= 0xfeff ? n : n - 0x10000; // 0xFF00 and up are the reserved negative numbers
    };
    for (let i = 0; anyComdat && i < this.symbolCount; i += 1 + auxCount(i)) {
      const section = sectionNumber(i);
      if (section <= 0 || section > this.sectionCount) continue;
      const s = section - 1;
      if (!isComdat[s]) continue;
      if (pendingLeader[s] === -1 && auxCount(i) > 0 && storageClass(i) === IMAGE_SYM_CLASS.STATIC) {
        // A static symbol's aux record is a section definition (as LLVM reads it), read in place like the
        // records (three CoffObject calls, each checking the record again, were ~20 ms on L); an aux record
        // past the table goes through CoffObject, which reports it.
        if (i + auxCount(i) >= this.symbolCount) coff.sectionDefinitionSelection(i);
        const aux = table + (i + 1) * recordSize;
        checksums[s] = u32At(bytes, aux + AUX.CheckSum);
        const selection = bytes[aux + AUX.Selection]!;
        if (selection === IMAGE_COMDAT_SELECT.ASSOCIATIVE) {
          const low = bytes[aux + AUX.Number]! | (bytes[aux + AUX.Number + 1]! << 8);
          this.associatedWith[s] = bigobj ? low + (bytes[aux + AUX.HighNumber]! | (bytes[aux + AUX.HighNumber + 1]! << 8)) * 0x10000 : low;
          assocLeader.push(s);
          pendingLeader[s] = -2;
        } else {
          pendingLeader[s] = selection;
        }
        continue;
      }
      if (pendingLeader[s]! > 0 && keySymbol[s] === -1) {
        if (selectionOf[pendingLeader[s]!] === undefined) {
          throw new LinkError(`${this.name}: unknown COMDAT selection ${pendingLeader[s]} for section ${coff.sectionName(s)}`);
        }
        keySymbol[s] = i;
      }
    }
    // A name is interned from its bytes: hashed and looked up once, decoded only when new (a name the table
    // holds, the common case for references, is never decoded). Non-ASCII names and malformed offsets go
    // through symbolName, which decodes them or reports the problem.
    const strings = coff.stringTable.bytes;
    const nameId = (i: number): SymbolId => {
      const at = table + i * recordSize;
      let id = -1;
      if (bytes[at] !== 0) {
        let end = at;
        while (end < at + 8 && bytes[end] !== 0) end++;
        id = symbols.internAscii(bytes, at, end);
      } else if (bytes[at + 1] === 0 && bytes[at + 2] === 0 && bytes[at + 3] === 0) {
        const offset = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
        let end = offset;
        while (end < strings.length && strings[end] !== 0) end++;
        if (offset >= 4 && end < strings.length) id = symbols.internAscii(strings, offset, end);
      }
      return id >= 0 ? id : symbols.intern(coff.symbolName(i));
    };
    /** Makes section `s`'s group, named by its key symbol (by id when interned: no second hashing). */
    const addGroup = (s: number, key: string | SymbolId) => {
      const size = coff.sectionSizeOfRawData(s); // what sectionData(s).length is, without making the window
      const selection = selectionOf[pendingLeader[s]!] as ComdatSelection;
      this.sectionComdat[s] = symbols.addComdat(this.input, key, selection, size, checksums[s]!);
      pendingLeader[s] = -2;
    };

    // Pass 2: symbols. A COMDAT group is made at its key symbol (the key's name interned once for both), or at
    // a definition in its section that comes before the key.
    for (let i = 0; i < this.symbolCount; i += 1 + auxCount(i)) {
      const storage = storageClass(i);
      const section = sectionNumber(i);
      const isKey = section > 0 && section <= this.sectionCount && keySymbol[section - 1] === i && pendingLeader[section - 1]! > 0;
      if (isKey && storage !== IMAGE_SYM_CLASS.EXTERNAL) addGroup(section - 1, coff.symbolName(i));
      if (storage === IMAGE_SYM_CLASS.EXTERNAL) {
        const name = nameId(i);
        const value = u32At(bytes, table + i * recordSize + 8); // Value
        if (section > 0) {
          if (section > this.sectionCount) {
            throw new LinkError(`${this.name}: symbol ${coff.symbolName(i)} refers to section ${section}, but the object has ${this.sectionCount}`);
          }
          const s = section - 1;
          if (isKey) {
            addGroup(s, name);
          } else if (keySymbol[s]! > i && pendingLeader[s]! > 0) {
            addGroup(s, coff.symbolName(keySymbol[s]!));
          }
          const comdat = this.sectionComdat[s]!;
          this.symbolIds[i] = symbols.define(this.input, name, section, value, comdat === NO_COMDAT ? undefined : comdat);
        } else if (section === 0) {
          this.symbolIds[i] = value > 0
            ? symbols.defineCommon(this.input, name, value, commonAlignment(value))
            : symbols.reference(this.input, name, i);
        } else if (section === -1) {
          this.symbolIds[i] = symbols.defineAbsolute(this.input, name, value);
        }
      } else if (storage === IMAGE_SYM_CLASS.WEAK_EXTERNAL) {
        const aux = coff.symbolAux(i)[0];
        const name = coff.symbolName(i);
        if (aux?.kind !== "weak-external") throw new LinkError(`${this.name}: weak external ${name} has no weak-external aux record`);
        if (aux.tagIndex >= this.symbolCount) throw new LinkError(`${this.name}: weak external ${name} names symbol ${aux.tagIndex}, past the symbol table`);
        const target = coff.symbolName(aux.tagIndex);
        const mayLoad = aux.characteristics !== IMAGE_WEAK_EXTERN_SEARCH.NOLIBRARY;
        this.symbolIds[i] = symbols.defineAlias(this.input, name, target, mayLoad);
      }
    }

    // Pass 3: associative sections follow their leader's group.
    for (const s of assocLeader) {
      const leader = this.associatedWith[s]! - 1;
      if (leader < 0 || leader >= this.sectionCount) {
        throw new LinkError(`${this.name}: section ${coff.sectionName(s)} is associative to section ${leader + 1}, which does not exist`);
      }
      const group = this.sectionComdat[leader]!;
      if (group !== NO_COMDAT) {
        this.sectionComdat[s] = group;
        symbols.addAssociative(this.input, group as ComdatId, s + 1);
      } else if (!this.sectionIncluded[leader]) {
        // Associated with a non-COMDAT section that is itself dropped (e.g. debug info): drop it too.
        this.sectionIncluded[s] = 0;
      }
    }
  }

  isFunctionSymbol(i: number): boolean {
    return (this.coff.symbolType(i) & 0xf0) === IMAGE_SYM_TYPE_FUNCTION;
  }
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
