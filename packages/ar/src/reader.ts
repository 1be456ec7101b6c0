// Reading an ar archive lazily: headers are parsed when a member is asked for, data is never copied.

import { decodeText } from "./bytes.js";
import { ArchiveFormatError, ArchiveUsageError } from "./errors.js";
import { BSD_SYMDEF_NAMES, FIELD, HEADER_SIZE, MAGIC, MAGIC_SIZE, THIN_MAGIC, type ArchiveFormat } from "./format.js";
import { SymbolIndex, parseBsdSymbolTable, parseCoffSymbolTable, parseGnuSymbolTable, type ArchiveSymbol } from "./symbols.js";

interface MemberFields {
  /** The member's name, long-name references and BSD `#1/` names already resolved. */
  readonly name: string;
  readonly headerOffset: number;
  /** Where the member's own data starts (after a BSD `#1/` name). */
  readonly dataOffset: number;
  /** Size of the member's own data (without a BSD `#1/` name). */
  readonly size: number;
  readonly date: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/** A member whose data is inside the archive. */
export interface StoredMember extends MemberFields {
  readonly thin: false;
  /** The member's bytes: a view into the archive, not a copy. */
  readonly data: Uint8Array;
}

/** A member of a thin archive: only its header is stored, the file is elsewhere. */
export interface ThinMember extends MemberFields {
  readonly thin: true;
  /** Where to read the member: its stored name resolved against the archive's directory. */
  readonly path: string;
}

export type ArchiveMember = StoredMember | ThinMember;

export interface ReadArchiveOptions {
  /** Used in error messages and to resolve thin-archive member paths. */
  readonly fileName?: string;
}

/** An opened archive. Members are parsed as they are iterated or opened. */
export interface Archive {
  readonly fileName: string;
  readonly format: ArchiveFormat;
  readonly thin: boolean;
  /** Whether the archive has a symbol table (if not, a linker has to look into every member). */
  readonly hasSymbolTable: boolean;
  readonly symbolCount: number;
  /** Regular members in file order (symbol and long-name tables left out). */
  members(): IterableIterator<ArchiveMember>;
  /** The member whose header is at `headerOffset` (as the symbol index gives it). */
  memberAt(headerOffset: number): ArchiveMember;
  /** Header offset of the member that defines `name`, from the symbol table alone. */
  findSymbol(name: string): number | undefined;
  /** Every (name, member offset) pair of the symbol table, in table order. */
  symbols(): IterableIterator<ArchiveSymbol>;
  /**
   * Entry `i` of the symbol table (`0 <= i < symbolCount`, in table order) without decoding it: its member's
   * header offset, and where its name lies in `bytes` (NUL excluded). For linkers that look names up by
   * their bytes and decode only the ones new to them.
   */
  symbolMemberOffset(i: number): number;
  symbolNameStart(i: number): number;
  symbolNameEnd(i: number): number;
  /** The archive's bytes, which `symbolNameStart` and `symbolNameEnd` index. */
  readonly bytes: Uint8Array;
}

interface RawHeader {
  readonly rawName: string;
  readonly date: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly size: number;
}

const SPECIAL_GNU_NAMES = new Set(["/", "//", "/SYM64/", "/<ECSYMBOLS>/", "/<HYBRIDMAP>/"]);

class ArchiveReader implements Archive {
  readonly fileName: string;
  readonly thin: boolean;
  format: ArchiveFormat = "gnu";
  readonly #bytes: Uint8Array;
  #symbolIndex: SymbolIndex | undefined;
  #longNames: { start: number; end: number } | undefined;
  /** Header offset of the first regular member (after the symbol and long-name tables). */
  #firstMember = MAGIC_SIZE;

  constructor(bytes: Uint8Array, fileName: string) {
    this.#bytes = bytes;
    this.fileName = fileName;
    const magic = bytes.length >= MAGIC_SIZE ? decodeText(bytes, 0, MAGIC_SIZE) : "";
    if (magic !== MAGIC && magic !== THIN_MAGIC) {
      throw new ArchiveFormatError(fileName, 0, `the ar magic ${JSON.stringify(MAGIC)} or ${JSON.stringify(THIN_MAGIC)}`, JSON.stringify(decodeText(bytes, 0, Math.min(bytes.length, MAGIC_SIZE))));
    }
    this.thin = magic === THIN_MAGIC;
    this.#readLeadingTables();
  }

  get hasSymbolTable(): boolean {
    return this.#symbolIndex !== undefined;
  }

  get symbolCount(): number {
    return this.#symbolIndex?.count ?? 0;
  }

  *members(): IterableIterator<ArchiveMember> {
    let offset = this.#firstMember;
    while (!this.#atEnd(offset)) {
      const { member, rawName } = this.#open(offset);
      offset = this.#next(member.headerOffset, member.dataOffset, member.size, !member.thin);
      if (SPECIAL_GNU_NAMES.has(rawName)) continue;
      yield member;
    }
  }

  memberAt(headerOffset: number): ArchiveMember {
    return this.#open(headerOffset).member;
  }

  #open(headerOffset: number): { member: ArchiveMember; rawName: string } {
    if (!Number.isInteger(headerOffset) || headerOffset < MAGIC_SIZE || headerOffset >= this.#bytes.length) {
      throw new ArchiveFormatError(this.fileName, Math.max(0, Number.isFinite(headerOffset) ? headerOffset : 0), `a member header offset inside the archive (${MAGIC_SIZE}..${this.#bytes.length})`, String(headerOffset));
    }
    const header = this.#header(headerOffset);
    let name = header.rawName;
    let dataOffset = headerOffset + HEADER_SIZE;
    let size = header.size;
    if (name.startsWith("#1/")) {
      const nameLength = parseDecimal(name.slice(3));
      if (nameLength === undefined || nameLength > size) {
        throw new ArchiveFormatError(this.fileName, headerOffset, `a BSD "#1/<length>" name no longer than the member (${size} bytes)`, JSON.stringify(name));
      }
      let end = dataOffset + nameLength;
      while (end > dataOffset && this.#bytes[end - 1] === 0) end--; // names are NUL-padded
      name = decodeText(this.#bytes, dataOffset, end);
      dataOffset += nameLength;
      size -= nameLength;
    } else if (/^\/\d+$/.test(name)) {
      name = this.#longName(headerOffset, Number(name.slice(1)));
    } else if (name.endsWith("/") && !SPECIAL_GNU_NAMES.has(name)) {
      name = name.slice(0, -1);
    }
    const fields = { name, headerOffset, dataOffset, size, date: header.date, uid: header.uid, gid: header.gid, mode: header.mode };
    const rawName = header.rawName;
    if (this.thin && !SPECIAL_GNU_NAMES.has(rawName)) {
      return { member: { ...fields, thin: true, path: resolveThinPath(this.fileName, name) }, rawName };
    }
    return { member: { ...fields, thin: false, data: this.#bytes.subarray(dataOffset, dataOffset + size) }, rawName };
  }

  findSymbol(name: string): number | undefined {
    return this.#symbolIndex?.find(name);
  }

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  symbolMemberOffset(i: number): number {
    return this.#indexEntry(i, "symbolMemberOffset").memberOffsetAt(i);
  }

  symbolNameStart(i: number): number {
    return this.#indexEntry(i, "symbolNameStart").nameStartAt(i);
  }

  symbolNameEnd(i: number): number {
    return this.#indexEntry(i, "symbolNameEnd").nameEndAt(i);
  }

  #indexEntry(i: number, what: string): SymbolIndex {
    const index = this.#symbolIndex;
    if (index === undefined || !(Number.isInteger(i) && i >= 0 && i < index.count)) {
      throw new ArchiveUsageError(`${this.fileName}: ${what}(${i}): the symbol table has ${index?.count ?? 0} entries`);
    }
    return index;
  }

  *symbols(): IterableIterator<ArchiveSymbol> {
    if (this.#symbolIndex !== undefined) yield* this.#symbolIndex;
  }

  /** Symbol tables and the long-name table come first; remember them and where members start. */
  #readLeadingTables(): void {
    let offset = MAGIC_SIZE;
    let sawGnuTable = false;
    for (;;) {
      if (this.#atEnd(offset)) break;
      const header = this.#header(offset);
      const dataOffset = offset + HEADER_SIZE;
      const raw = header.rawName;
      if (raw === "/" && !sawGnuTable) {
        sawGnuTable = true;
        this.#symbolIndex = parseGnuSymbolTable(this.fileName, this.#bytes, dataOffset, header.size, false);
      } else if (raw === "/" && this.format === "gnu" && this.#longNames === undefined) {
        // A second "/" is Microsoft's sorted second linker member; prefer it (binary search).
        this.format = "coff";
        this.#symbolIndex = parseCoffSymbolTable(this.fileName, this.#bytes, dataOffset, header.size);
      } else if (raw === "/SYM64/") {
        this.#symbolIndex = parseGnuSymbolTable(this.fileName, this.#bytes, dataOffset, header.size, true);
      } else if (raw === "//") {
        this.#longNames = { start: dataOffset, end: dataOffset + header.size };
      } else if (raw.startsWith("/<")) {
        // Microsoft ARM64EC tables (/<ECSYMBOLS>/, /<HYBRIDMAP>/): not a member, not our index.
      } else if (offset === MAGIC_SIZE && this.#isBsdSymbolTable(offset, header)) {
        this.format = "bsd";
        const member = this.memberAt(offset);
        this.#symbolIndex = parseBsdSymbolTable(this.fileName, this.#bytes, member.dataOffset, member.size, member.name.startsWith("__.SYMDEF_64"));
      } else {
        if (!sawGnuTable && this.#longNames === undefined && (raw.startsWith("#1/") || !raw.endsWith("/"))) this.format = "bsd";
        break;
      }
      offset = this.#next(offset, dataOffset, header.size, true);
    }
    this.#firstMember = offset;
  }

  #isBsdSymbolTable(offset: number, header: RawHeader): boolean {
    if (BSD_SYMDEF_NAMES.has(header.rawName)) return true;
    return header.rawName.startsWith("#1/") && BSD_SYMDEF_NAMES.has(this.memberAt(offset).name);
  }

  #atEnd(offset: number): boolean {
    const remaining = this.#bytes.length - offset;
    if (remaining <= 0) return true;
    if (remaining < HEADER_SIZE) {
      // Some writers leave a trailing newline; anything else is a cut-off header.
      for (let i = offset; i < this.#bytes.length; i++) {
        if (this.#bytes[i] !== 0x0a) {
          throw new ArchiveFormatError(this.fileName, offset, `a ${HEADER_SIZE}-byte member header`, `only ${remaining} bytes left`);
        }
      }
      return true;
    }
    return false;
  }

  /** Header offset of the member after this one (data 2-byte aligned; thin members store no data). */
  #next(headerOffset: number, dataOffset: number, size: number, stored: boolean): number {
    if (!stored) return headerOffset + HEADER_SIZE;
    const end = dataOffset + size;
    return end + (end & 1);
  }

  #header(offset: number): RawHeader {
    const b = this.#bytes;
    if (offset + HEADER_SIZE > b.length) {
      throw new ArchiveFormatError(this.fileName, offset, `a ${HEADER_SIZE}-byte member header`, `only ${b.length - offset} bytes left`);
    }
    if (b[offset + FIELD.fmag[0]] !== 0x60 || b[offset + FIELD.fmag[0] + 1] !== 0x0a) {
      throw new ArchiveFormatError(this.fileName, offset + FIELD.fmag[0], 'the header terminator "`\\n"', JSON.stringify(decodeText(b, offset + 58, offset + 60)));
    }
    const field = (f: readonly [number, number], radix: number, what: string): number => {
      const text = decodeText(b, offset + f[0], offset + f[0] + f[1]);
      const value = parseNumber(text, radix);
      if (value === undefined) {
        throw new ArchiveFormatError(this.fileName, offset + f[0], `a ${radix === 8 ? "octal" : "decimal"} ${what} field`, JSON.stringify(text));
      }
      return value;
    };
    const size = field(FIELD.size, 10, "size");
    const rawName = this.#rawName(offset);
    const thinMember = this.thin && !SPECIAL_GNU_NAMES.has(rawName);
    if (!thinMember && size > b.length - offset - HEADER_SIZE) {
      throw new ArchiveFormatError(this.fileName, offset + FIELD.size[0], `a member size that fits the ${b.length - offset - HEADER_SIZE} bytes left`, String(size));
    }
    return {
      rawName,
      date: field(FIELD.date, 10, "date"),
      uid: field(FIELD.uid, 10, "uid"),
      gid: field(FIELD.gid, 10, "gid"),
      mode: field(FIELD.mode, 8, "mode"),
      size,
    };
  }

  #rawName(offset: number): string {
    return decodeText(this.#bytes, offset, offset + FIELD.name[1]).replace(/ +$/, "");
  }

  /** A `/123` name: GNU ends it with "/\n", Microsoft with NUL. */
  #longName(headerOffset: number, at: number): string {
    const table = this.#longNames;
    if (table === undefined) {
      throw new ArchiveFormatError(this.fileName, headerOffset, `a "//" long-name table before a member named "/${at}"`);
    }
    const start = table.start + at;
    if (start >= table.end) {
      throw new ArchiveFormatError(this.fileName, headerOffset, `a long-name offset below the "//" table size ${table.end - table.start}`, String(at));
    }
    for (let i = start; i < table.end; i++) {
      const c = this.#bytes[i];
      if (c === 0) return decodeText(this.#bytes, start, i);
      if (c === 0x0a) return decodeText(this.#bytes, start, this.#bytes[i - 1] === 0x2f ? i - 1 : i);
    }
    throw new ArchiveFormatError(this.fileName, start, 'a long name ended by "/\\n" or NUL in the "//" table', "the end of the table");
  }
}

/** Digits (in radix) padded with spaces; blank is 0. */
function parseNumber(text: string, radix: number): number | undefined {
  const trimmed = text.replace(/ +$/, "");
  if (trimmed === "") return 0;
  if (!(radix === 8 ? /^[0-7]+$/ : /^\d+$/).test(trimmed)) return undefined;
  return parseInt(trimmed, radix);
}

function parseDecimal(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Thin members are named relative to the archive's directory (absolute names stay as they are). */
function resolveThinPath(archiveFileName: string, name: string): string {
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) return name;
  const slash = Math.max(archiveFileName.lastIndexOf("/"), archiveFileName.lastIndexOf("\\"));
  return slash < 0 ? name : archiveFileName.slice(0, slash + 1) + name;
}

/**
 * Opens an archive (`!<arch>` or thin `!<thin>`) without copying: the symbol table is indexed in
 * place and members are parsed as they are asked for. Malformed input throws ArchiveFormatError.
 */
export function readArchive(bytes: Uint8Array, options: ReadArchiveOptions = {}): Archive {
  return new ArchiveReader(bytes, options.fileName ?? "<archive>");
}
