// Writing archives deterministically: reserve every member's place first, then write into one buffer.

import { compareBytes, encodeUtf8, writeU16LE, writeU32BE, writeU32LE, writeU64 } from "./bytes.js";
import { ArchiveInternalError, ArchiveWriteError } from "./errors.js";
import { FIELD, HEADER_SIZE, MAGIC, MAGIC_SIZE, THIN_MAGIC, type ArchiveFormat } from "./format.js";

/** A member to store: the caller says which symbols it defines (this package does not parse members). */
export type ArchiveMemberInput =
  | { readonly name: string; readonly data: Uint8Array; readonly symbols?: readonly string[] }
  /** Thin archives store only the size of a member, so its data need not be at hand. */
  | { readonly name: string; readonly size: number; readonly symbols?: readonly string[] };

export interface WriteArchiveOptions {
  /** `gnu` (GNU/SysV `/` and `//`), `bsd` (`__.SYMDEF`, `#1/` names) or `coff` (Microsoft `.lib`). */
  readonly format: ArchiveFormat;
  /** Write a GNU thin archive (`!<thin>`): member headers only, names relative to the archive. */
  readonly thin?: boolean;
  /** Write a symbol table (default true; Microsoft `.lib` files always have their linker members). */
  readonly symbolTable?: boolean;
  /** Use the 64-bit symbol table (`/SYM64/`, `__.SYMDEF_64`) even when offsets fit in 32 bits. */
  readonly symbolTable64?: boolean;
}

interface PlannedMember {
  readonly input: ArchiveMemberInput;
  /** The 16-byte name field text. */
  readonly nameField: string;
  /** BSD `#1/` names: the name stored in front of the data. */
  readonly inlineName: Uint8Array | undefined;
  readonly data: Uint8Array | undefined;
  /** Size field value (inline name + data). */
  readonly size: number;
  headerOffset: number;
}

const FILE_MODE = 0o644;

/** Builds an archive. Timestamps, uid and gid are 0 and the mode 644, so output is reproducible. */
export function writeArchive(members: readonly ArchiveMemberInput[], options: WriteArchiveOptions): Uint8Array {
  const { format } = options;
  const thin = options.thin === true;
  if (format !== "gnu" && format !== "bsd" && format !== "coff") {
    throw new ArchiveWriteError(`unknown archive format ${JSON.stringify(format)}: expected "gnu", "bsd" or "coff"`);
  }
  if (thin && format !== "gnu") throw new ArchiveWriteError(`thin archives exist only in the GNU format, not ${format}`);
  const wantSymbols = format === "coff" || options.symbolTable !== false;

  // Phase 1: names and sizes.
  const longNames: number[] = [];
  let longNamesSize = 0;
  const planned: PlannedMember[] = members.map((input) => {
    checkName(input.name);
    const data = "data" in input ? input.data : undefined;
    if (data === undefined && !thin) throw new ArchiveWriteError("has a size but no data; only thin archives can leave data out", input.name);
    const dataSize = data?.length ?? ("size" in input ? input.size : 0);
    if (!Number.isSafeInteger(dataSize) || dataSize < 0) throw new ArchiveWriteError(`invalid size ${dataSize}`, input.name);
    const encoded = encodeUtf8(input.name);
    for (const symbol of input.symbols ?? []) {
      if (symbol.length === 0 || symbol.includes("\0")) throw new ArchiveWriteError(`symbol ${JSON.stringify(symbol)} is empty or contains NUL`, input.name);
    }
    if (format === "bsd") {
      // BSD keeps short names space-padded; longer ones, or names with spaces, go in front of the data.
      if (encoded.length <= 16 && !input.name.includes(" ") && !input.name.startsWith("#1/") && !input.name.endsWith("/") && !input.name.startsWith("/")) {
        return { input, nameField: input.name, inlineName: undefined, data, size: dataSize, headerOffset: 0 };
      }
      return { input, nameField: `#1/${encoded.length}`, inlineName: encoded, data, size: encoded.length + dataSize, headerOffset: 0 };
    }
    // GNU and Microsoft: "name/" if it fits 16 bytes, else "/offset" into "//".
    const long = thin || encoded.length > 15 || input.name.includes("/") || input.name.endsWith(" ");
    if (!long) return { input, nameField: `${input.name}/`, inlineName: undefined, data, size: dataSize, headerOffset: 0 };
    const nameField = `/${longNamesSize}`;
    longNames.push(...encoded);
    // GNU ends a long name with "/\n", Microsoft with NUL.
    if (format === "gnu") longNames.push(0x2f, 0x0a);
    else longNames.push(0);
    longNamesSize = longNames.length;
    return { input, nameField, inlineName: undefined, data, size: dataSize, headerOffset: 0 };
  });
  if (longNamesSize & 1) longNames.push(0x0a);

  const symbolRefs: { name: Uint8Array; member: number }[] = [];
  if (wantSymbols) {
    planned.forEach((m, member) => {
      for (const s of m.input.symbols ?? []) symbolRefs.push({ name: encodeUtf8(s), member });
    });
  }
  const namesBytes = symbolRefs.reduce((n, s) => n + s.name.length + 1, 0);

  // Phase 2: where everything goes. Symbol table sizes depend only on counts and names, so they come first.
  const tables: { name: string; size: number; write: (out: Uint8Array, at: number) => void }[] = [];
  const memberBytes = planned.reduce((n, m) => n + HEADER_SIZE + (thin ? 0 : m.size + (m.size & 1)), 0);
  const useWide = options.symbolTable64 === true || MAGIC_SIZE + memberBytes + 4096 + namesBytes * 2 + symbolRefs.length * 24 > 0xffff_ffff;
  if (format === "coff") {
    if (planned.length > 0xffff) throw new ArchiveWriteError(`a Microsoft library holds at most 65535 members (u16 indices), got ${planned.length}`);
    tables.push(gnuSymbolTable(symbolRefs, planned, namesBytes, false, "/"));
    tables.push(coffSecondLinkerMember(symbolRefs, planned, namesBytes));
    tables.push({ name: "//", size: longNames.length, write: (out, at) => out.set(longNames, at) });
  } else if (format === "gnu") {
    if (wantSymbols && symbolRefs.length > 0) tables.push(gnuSymbolTable(symbolRefs, planned, namesBytes, useWide, useWide ? "/SYM64/" : "/"));
    if (longNames.length > 0) tables.push({ name: "//", size: longNames.length, write: (out, at) => out.set(longNames, at) });
  } else if (wantSymbols && symbolRefs.length > 0) {
    tables.push(bsdSymbolTable(symbolRefs, planned, namesBytes, useWide));
  }

  let offset = MAGIC_SIZE;
  for (const t of tables) offset += HEADER_SIZE + t.size + (t.size & 1);
  for (const m of planned) {
    m.headerOffset = offset;
    offset += HEADER_SIZE + (thin ? 0 : m.size + (m.size & 1));
  }
  const total = offset;

  // Phase 3: write.
  const out = new Uint8Array(total);
  writeAscii(out, 0, thin ? THIN_MAGIC : MAGIC);
  let at = MAGIC_SIZE;
  for (const t of tables) {
    writeHeader(out, at, t.name, t.size, 0);
    at += HEADER_SIZE;
    t.write(out, at);
    at += t.size;
    if (t.size & 1) out[at++] = 0x0a;
  }
  for (const m of planned) {
    if (at !== m.headerOffset) throw new ArchiveInternalError(`member ${m.input.name} planned at ${m.headerOffset} but written at ${at}`);
    writeHeader(out, at, m.nameField, m.size, FILE_MODE);
    at += HEADER_SIZE;
    if (thin) continue;
    if (m.inlineName !== undefined) {
      out.set(m.inlineName, at);
      at += m.inlineName.length;
    }
    if (m.data !== undefined) {
      out.set(m.data, at);
      at += m.data.length;
    }
    if (m.size & 1) out[at++] = 0x0a;
  }
  if (at !== total) throw new ArchiveInternalError(`archive planned as ${total} bytes but ${at} were written`);
  return out;
}

type SymbolRef = { name: Uint8Array; member: number };
type Table = { name: string; size: number; write: (out: Uint8Array, at: number) => void };

/** GNU `/` or `/SYM64/`, also Microsoft's first linker member: BE count, BE header offsets, names. */
function gnuSymbolTable(refs: SymbolRef[], planned: PlannedMember[], namesBytes: number, wide: boolean, name: string): Table {
  const word = wide ? 8 : 4;
  const raw = word + refs.length * word + namesBytes;
  const size = raw + (raw & 1); // NUL-pad to even, as GNU ar does
  return {
    name,
    size,
    write(out, at) {
      if (wide) writeU64(out, at, refs.length, false);
      else writeU32BE(out, at, refs.length);
      let p = at + word;
      for (const r of refs) {
        const offset = planned[r.member]!.headerOffset;
        if (wide) writeU64(out, p, offset, false);
        else writeU32BE(out, p, offset);
        p += word;
      }
      writeNames(out, p, refs);
    },
  };
}

/** Microsoft's second linker member: LE member offsets, LE symbol count, u16 1-based indices, names sorted byte-wise. */
function coffSecondLinkerMember(refs: SymbolRef[], planned: PlannedMember[], namesBytes: number): Table {
  const sorted = [...refs].sort((a, b) => compareBytes(a.name, 0, a.name.length, b.name) || a.member - b.member);
  const raw = 4 + planned.length * 4 + 4 + refs.length * 2 + namesBytes;
  const size = raw + (raw & 1);
  return {
    name: "/",
    size,
    write(out, at) {
      writeU32LE(out, at, planned.length);
      let p = at + 4;
      for (const m of planned) {
        writeU32LE(out, p, m.headerOffset);
        p += 4;
      }
      writeU32LE(out, p, sorted.length);
      p += 4;
      for (const r of sorted) {
        writeU16LE(out, p, r.member + 1);
        p += 2;
      }
      writeNames(out, p, sorted);
    },
  };
}

/** BSD `__.SYMDEF` / `__.SYMDEF_64`, little-endian: ranlib array bytes, {strx, offset} pairs, strings size, strings. */
function bsdSymbolTable(refs: SymbolRef[], planned: PlannedMember[], namesBytes: number, wide: boolean): Table {
  const word = wide ? 8 : 4;
  const stringsSize = namesBytes + ((4 - (namesBytes % 4)) % 4); // NUL-padded to 4 like ranlib
  const arrayBytes = refs.length * 2 * word;
  // Named "#1/NN" with the NUL-padded name in front, as LLVM and Darwin's ranlib write it: LLVM's
  // reader does not recognise a space-padded "__.SYMDEF" in the header.
  const name = encodeUtf8(wide ? "__.SYMDEF_64" : "__.SYMDEF");
  const nameBytes = (name.length + 4) & ~3;
  return {
    name: `#1/${nameBytes}`,
    size: nameBytes + 2 * word + arrayBytes + stringsSize,
    write(out, start) {
      out.set(name, start);
      const at = start + nameBytes;
      writeU64(out, at, arrayBytes, true);
      let p = at + word;
      let strx = 0;
      for (const r of refs) {
        writeU64(out, p, strx, true);
        writeU64(out, p + word, planned[r.member]!.headerOffset, true);
        p += 2 * word;
        strx += r.name.length + 1;
      }
      writeU64(out, p, stringsSize, true);
      writeNames(out, p + word, refs);
    },
  };
}

function writeNames(out: Uint8Array, at: number, refs: SymbolRef[]): void {
  let p = at;
  for (const r of refs) {
    out.set(r.name, p);
    p += r.name.length;
    out[p++] = 0;
  }
}

function writeHeader(out: Uint8Array, at: number, name: string, size: number, mode: number): void {
  out.fill(0x20, at, at + HEADER_SIZE);
  writeAscii(out, at + FIELD.name[0], name);
  writeAscii(out, at + FIELD.date[0], "0");
  writeAscii(out, at + FIELD.uid[0], "0");
  writeAscii(out, at + FIELD.gid[0], "0");
  writeAscii(out, at + FIELD.mode[0], mode.toString(8));
  writeAscii(out, at + FIELD.size[0], String(size));
  out[at + FIELD.fmag[0]] = 0x60;
  out[at + FIELD.fmag[0] + 1] = 0x0a;
}

function writeAscii(out: Uint8Array, at: number, text: string): void {
  out.set(encodeUtf8(text), at);
}

function checkName(name: string): void {
  if (name.length === 0) throw new ArchiveWriteError("member names cannot be empty");
  if (name.includes("\0") || name.includes("\n")) throw new ArchiveWriteError("member names cannot contain NUL or newline", name);
}
