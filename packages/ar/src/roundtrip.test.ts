import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArchiveUsageError, readArchive, writeArchive, type ArchiveFormat, type ArchiveMemberInput, type WriteArchiveOptions } from "./index.js";

// Names in the styles of several formats: ELF objects, COFF objects, Mach-O objects, long and odd ones.
const memberName = fc.oneof(
  fc.constantFrom("a.o", "crt1.o", "x.obj", "foo.bar.o", "main.c.o", "__.SYMDEF_look_alike.o", "name with space.o", "ends_with_slash/", "#1/3", "/12"),
  fc.stringMatching(/^[A-Za-z0-9_.+-]{1,40}$/),
  fc.string({ unit: fc.constantFrom("a", "é", "_", ".", "/", " ", "\u{1F600}"), minLength: 1, maxLength: 24 }),
);
// Symbols as ELF (plain), COFF (decorated, __imp_), Mach-O (leading underscore), wasm (module names) spell them.
const symbolName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/).map((s) => `__imp_${s}`),
  fc.stringMatching(/^[a-z]{1,10}$/).map((s) => `?${s}@@YAXXZ`),
  fc.stringMatching(/^[a-z]{1,10}$/).map((s) => `_${s}`),
  fc.string({ unit: fc.constantFrom("a", "é", "$", "\u{1F600}"), minLength: 1, maxLength: 10 }),
);
const member = fc.record({
  name: memberName,
  data: fc.uint8Array({ maxLength: 67 }),
  symbols: fc.array(symbolName, { maxLength: 5 }),
});
const members = fc.array(member, { maxLength: 8 });

const variants: { label: string; options: WriteArchiveOptions }[] = [
  { label: "GNU", options: { format: "gnu" } },
  { label: "GNU /SYM64/", options: { format: "gnu", symbolTable64: true } },
  { label: "GNU thin", options: { format: "gnu", thin: true } },
  { label: "BSD", options: { format: "bsd" } },
  { label: "BSD __.SYMDEF_64", options: { format: "bsd", symbolTable64: true } },
  { label: "Microsoft", options: { format: "coff" } },
  { label: "GNU without symbol table", options: { format: "gnu", symbolTable: false } },
];

function checkRoundTrip(input: ArchiveMemberInput[], options: WriteArchiveOptions): void {
  const bytes = writeArchive(input, options);
  const archive = readArchive(bytes, { fileName: "lib/test.a" });
  const thin = options.thin === true;
  expect(archive.thin).toBe(thin);
  const read = [...archive.members()];
  expect(read.map((m) => m.name)).toEqual(input.map((m) => m.name));
  read.forEach((m, i) => {
    const original = input[i]!;
    const data = "data" in original ? original.data : undefined;
    expect(m.size).toBe(data?.length);
    expect([m.date, m.uid, m.gid, m.mode]).toEqual([0, 0, 0, 0o644]);
    if (m.thin) expect(m.path).toBe(m.name.startsWith("/") ? m.name : `lib/${m.name}`);
    else expect(Array.from(m.data)).toEqual(Array.from(data!));
    expect(archive.memberAt(m.headerOffset).name).toBe(m.name);
  });
  const expected = options.symbolTable === false ? [] : input.flatMap((m, i) => (m.symbols ?? []).map((s) => `${s} in ${i}`));
  const byOffset = new Map(read.map((m, i) => [m.headerOffset, i]));
  const actual = [...archive.symbols()].map((s) => `${s.name} in ${byOffset.get(s.memberOffset)}`);
  expect([...actual].sort()).toEqual([...expected].sort());
  // Entry by entry, without decoding: the same names (as UTF-8 bytes) and members, in table order.
  const listed = [...archive.symbols()];
  expect(archive.symbolCount).toBe(listed.length);
  listed.forEach((s, i) => {
    expect(archive.symbolMemberOffset(i)).toBe(s.memberOffset);
    expect(new TextDecoder().decode(archive.bytes.subarray(archive.symbolNameStart(i), archive.symbolNameEnd(i)))).toBe(s.name);
  });
  expect(() => archive.symbolNameStart(listed.length)).toThrow(ArchiveUsageError);
  // findSymbol names the first member (in file order) that defines the name.
  for (const [i, m] of input.entries()) {
    for (const s of options.symbolTable === false ? [] : (m.symbols ?? [])) {
      const first = input.findIndex((other) => other.symbols?.includes(s));
      expect(byOffset.get(archive.findSymbol(s)!)).toBe(first);
      expect(first).toBeLessThanOrEqual(i);
    }
  }
  expect(archive.findSymbol("\u{1F600}never defined")).toBeUndefined();
  // Deterministic: the same input gives the same bytes.
  expect(writeArchive(input, options)).toEqual(bytes);
}

describe("writeArchive then readArchive gives back the members and symbols", () => {
  for (const { label, options } of variants) {
    it(label, () => {
      fc.assert(fc.property(members, (input) => checkRoundTrip(input, options)), { numRuns: 150 });
    });
  }

  it("thin archives need only member sizes", () => {
    const bytes = writeArchive([{ name: "obj/a.o", size: 1234, symbols: ["f"] }], { format: "gnu", thin: true });
    const archive = readArchive(bytes, { fileName: "out/lib.a" });
    const [m] = [...archive.members()];
    expect(m).toMatchObject({ thin: true, name: "obj/a.o", size: 1234, path: "out/obj/a.o" });
    expect(archive.findSymbol("f")).toBe(m!.headerOffset);
  });

  it("reports the format it read", () => {
    const formats: ArchiveFormat[] = ["gnu", "bsd", "coff"];
    for (const format of formats) {
      expect(readArchive(writeArchive([{ name: "a.o", data: new Uint8Array(3), symbols: ["s"] }], { format })).format).toBe(format);
      expect(readArchive(writeArchive([{ name: "a.o", data: new Uint8Array(3) }], { format, symbolTable: false })).format).toBe(format);
    }
  });
});
