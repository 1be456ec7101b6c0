// Hand-assembled archives, one per variant, byte by byte, so the reader is checked against the
// formats themselves and not only against our own writer.
import { describe, expect, it } from "vitest";
import { readArchive, writeArchive } from "./index.js";

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const le16 = (v: number) => [v & 0xff, v >>> 8];
/** name[16] date[12] uid[6] gid[6] mode[8] size[10] "`\n" */
const header = (name: string, size: number, mode = "644") =>
  ascii(name.padEnd(16) + "0".padEnd(12) + "0".padEnd(6) + "0".padEnd(6) + mode.padEnd(8) + String(size).padEnd(10) + "`\n");
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const summary = (data: Uint8Array, fileName = "x.a") => {
  const a = readArchive(data, { fileName });
  return {
    format: a.format,
    members: [...a.members()].map((m) => `${m.name}@${m.headerOffset}:${m.thin ? m.path : String.fromCharCode(...m.data)}`),
    symbols: [...a.symbols()].map((s) => `${s.name}@${s.memberOffset}`),
  };
};

describe("hand-assembled archives", () => {
  it("GNU: / symbol table, // long names ending in /\\n, short names ending in /", () => {
    const symtabSize = 4 + 2 * 4 + "main\0helper\0".length; // 24
    const longNames = ascii("a_rather_long_name.o/\n"); // 22
    const m1 = 8 + 60 + symtabSize + 60 + longNames.length;
    const m2 = m1 + 60 + 2;
    const data = bytes(
      ascii("!<arch>\n"),
      header("/", symtabSize, "0"), [...be32(2), ...be32(m1), ...be32(m2), ...ascii("main\0helper\0")],
      header("//", longNames.length), longNames,
      header("a.o/", 1), ascii("A\n"),
      header("/0", 2), ascii("BB"),
    );
    expect(summary(data)).toEqual({
      format: "gnu",
      members: [`a.o@${m1}:A`, `a_rather_long_name.o@${m2}:BB`],
      symbols: [`main@${m1}`, `helper@${m2}`],
    });
    expect(readArchive(data).findSymbol("helper")).toBe(m2);
  });

  it("BSD: __.SYMDEF (ranlib structs, little-endian) and #1/NN names stored before the data", () => {
    // ranlib: u32 array bytes, {u32 strx, u32 member offset}[], u32 strings size, strings
    const strings = ascii("_main\0_f\0");
    const tableSize = 4 + 16 + 4 + strings.length; // 33, padded with "\n"
    const m1 = 8 + 60 + tableSize + 1;
    const m2 = m1 + 60 + 2; // "a.o" has 1 byte of data padded to 2
    const archive = bytes(
      ascii("!<arch>\n"),
      header("__.SYMDEF", tableSize), [...le32(16), ...le32(0), ...le32(m1), ...le32(6), ...le32(m2), ...le32(strings.length), ...strings], ascii("\n"),
      header("a.o", 1), ascii("X\n"),
      header("#1/20", 23), ascii("name with spaces.o\0\0"), ascii("YYY"), ascii("\n"),
    );
    expect(summary(archive)).toEqual({
      format: "bsd",
      members: [`a.o@${m1}:X`, `name with spaces.o@${m2}:YYY`],
      symbols: [`_main@${m1}`, `_f@${m2}`],
    });
  });

  it("BSD: the symbol table may itself have a #1/ name (Darwin's \"__.SYMDEF SORTED\")", () => {
    const name = ascii("__.SYMDEF SORTED\0\0\0\0"); // 20
    const tableSize = 20 + 4 + 8 + 4 + 4;
    const first = 8 + 60 + tableSize;
    const archive = bytes(
      ascii("!<arch>\n"),
      header("#1/20", tableSize), name, [...le32(8), ...le32(0), ...le32(first), ...le32(4), ...ascii("_g\0\0")],
      header("g.o", 2), ascii("GG"),
    );
    expect(summary(archive)).toEqual({ format: "bsd", members: [`g.o@${first}:GG`], symbols: [`_g@${first}`] });
  });

  it("Microsoft: both linker members, // with NUL-terminated names; the sorted second member answers", () => {
    // First member: BE, symbols in member order. Second: LE offsets, u16 1-based indices, names sorted.
    const firstNames = ascii("zeta\0__imp_zeta\0alpha\0");
    const sortedNames = ascii("__imp_zeta\0alpha\0zeta\0");
    const firstSize = 4 + 3 * 4 + firstNames.length; // 38
    const secondSize = 4 + 2 * 4 + 4 + 3 * 2 + sortedNames.length; // 44
    const longNames = ascii("a_long_member_name.obj\0"); // 23, padded with "\n"
    const m1 = 8 + 60 + firstSize + 60 + secondSize + 60 + longNames.length + 1;
    const m2 = m1 + 60 + 2;
    const archive = bytes(
      ascii("!<arch>\n"),
      header("/", firstSize, "0"), [...be32(3), ...be32(m1), ...be32(m1), ...be32(m2), ...firstNames],
      header("/", secondSize, "0"), [...le32(2), ...le32(m1), ...le32(m2), ...le32(3), ...le16(1), ...le16(2), ...le16(1), ...sortedNames],
      header("//", longNames.length, "0"), longNames, ascii("\n"),
      header("z.obj/", 1), ascii("Z\n"),
      header("/0", 1), ascii("L\n"),
    );
    const result = summary(archive, "k32.lib");
    expect(result.format).toBe("coff");
    expect(result.members).toEqual([`z.obj@${m1}:Z`, `a_long_member_name.obj@${m2}:L`]);
    expect(result.symbols).toEqual([`__imp_zeta@${m1}`, `alpha@${m2}`, `zeta@${m1}`]);
    const lib = readArchive(archive);
    expect([lib.findSymbol("alpha"), lib.findSymbol("zeta"), lib.findSymbol("__imp_zeta"), lib.findSymbol("beta"), lib.findSymbol("")]).toEqual([m2, m1, m1, undefined, undefined]);
  });

  it("thin: headers only, names are paths relative to the archive", () => {
    const longNames = ascii("obj/a.o/\n../b.o/\n"); // 17 -> pad 18
    const m1 = 8 + 60 + 18;
    const m2 = m1 + 60;
    const archive = bytes(ascii("!<thin>\n"), header("//", 17), longNames, ascii("\n"), header("/0", 1000), header("/9", 7));
    expect(summary(archive, "build/lib.a").members).toEqual([`obj/a.o@${m1}:build/obj/a.o`, `../b.o@${m2}:build/../b.o`]);
  });

  it("no symbol table: members are still listed", () => {
    const archive = bytes(ascii("!<arch>\n"), header("x.o/", 0), header("y.o/", 2), ascii("yy"));
    expect(summary(archive)).toEqual({ format: "gnu", members: ["x.o@8:", "y.o@68:yy"], symbols: [] });
    expect(readArchive(archive).hasSymbolTable).toBe(false);
  });

  it("writes the layout it reads: GNU example byte for byte", () => {
    const written = writeArchive([{ name: "a.o", data: Uint8Array.of(0x41), symbols: ["f"] }], { format: "gnu" });
    const expected = bytes(ascii("!<arch>\n"), header("/", 10, "0"), [...be32(1), ...be32(78), ...ascii("f\0")], header("a.o/", 1), ascii("A\n"));
    expect(Array.from(written)).toEqual(Array.from(expected));
  });
});
