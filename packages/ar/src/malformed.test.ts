import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArchiveFormatError, readArchive, writeArchive, type WriteArchiveOptions } from "./index.js";

const sample = (options: WriteArchiveOptions) =>
  writeArchive(
    [
      { name: "a.o", data: Uint8Array.of(1, 2, 3), symbols: ["alpha", "beta"] },
      { name: "a_long_member_name_here.o", data: new Uint8Array(10), symbols: ["gamma"] },
      { name: "odd.o", data: Uint8Array.of(7) },
    ],
    options,
  );
const valid = [
  sample({ format: "gnu" }),
  sample({ format: "gnu", symbolTable64: true }),
  sample({ format: "gnu", thin: true }),
  sample({ format: "bsd" }),
  sample({ format: "bsd", symbolTable64: true }),
  sample({ format: "coff" }),
];

/** Everything a linker would do with an archive: list, index, open each indexed member. */
function useFully(bytes: Uint8Array): void {
  const archive = readArchive(bytes, { fileName: "fuzz.a" });
  for (const m of archive.members()) if (!m.thin) void m.data.length;
  for (const s of archive.symbols()) archive.memberAt(s.memberOffset);
  archive.findSymbol("gamma");
  archive.findSymbol("zzz");
}

function onlyFormatErrors(bytes: Uint8Array): void {
  try {
    useFully(bytes);
  } catch (e) {
    if (!(e instanceof ArchiveFormatError)) throw e;
    expect(e.fileName).toBe("fuzz.a");
    expect(Number.isInteger(e.offset) && e.offset >= 0).toBe(true);
  }
}

describe("malformed archives throw ArchiveFormatError and nothing else", () => {
  it("truncated anywhere", () => {
    for (const bytes of valid) for (let n = 0; n < bytes.length; n++) onlyFormatErrors(bytes.subarray(0, n));
  });

  it("random bytes changed", () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (original, edits) => {
        const bytes = original.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        onlyFormatErrors(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it("huge or non-numeric size fields, huge symbol counts", () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), fc.constantFrom("9999999999", "4294967295", "-1        ", "0x10      ", "12 34     "), (original, pick, text) => {
        const bytes = original.slice();
        // Overwrite the size field of some header (headers start at 8 and at every "`\n" - 58).
        const headers: number[] = [];
        for (let i = 8; i + 60 <= bytes.length; i++) if (bytes[i + 58] === 0x60 && bytes[i + 59] === 0x0a) headers.push(i);
        const at = headers[pick % headers.length]!;
        bytes.set(Array.from(text, (c) => c.charCodeAt(0)), at + 48);
        onlyFormatErrors(bytes);
        // And a symbol count of 0xffffffff where the first table's count is.
        const counted = original.slice();
        counted.set([0xff, 0xff, 0xff, 0xff], 68);
        onlyFormatErrors(counted);
      }),
    );
  });

  it("names the problem", () => {
    const check = (bytes: Uint8Array, pattern: RegExp) => expect(() => useFully(bytes)).toThrow(pattern);
    check(new TextEncoder().encode("!<arc>\n"), /fuzz.a: malformed archive at offset 0.*expected the ar magic/);
    const gnu = valid[0]!;
    check(gnu.subarray(0, 30), /60-byte member header, found only 22 bytes left/);
    const bad = gnu.slice();
    bad.set([0x41], 8 + 48);
    check(bad, /expected a decimal size field, found "A/);
    const badLong = writeArchive([{ name: "a_long_member_name_here.o", data: new Uint8Array(2) }], { format: "gnu" });
    const broken = badLong.slice();
    broken.set(Array.from("/99", (c) => c.charCodeAt(0)), 8 + 60 + 28);
    check(broken, /long-name offset below the "\/\/" table size 28, found 99/);
    check(Uint8Array.from([...new TextEncoder().encode("!<arch>\n"), ...new TextEncoder().encode("/".padEnd(48) + "4".padEnd(10) + "`\n"), 0xff, 0xff, 0xff, 0xff]), /symbol count that fits the 4-byte \/ symbol table, found 4294967295/);
  });
});
