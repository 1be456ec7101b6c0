// coff-format's sections, relocations and symbols equal llvm-readobj's, field by field, on a
// deterministic sample of mingw-w64 objects and archive members (and the fixtures).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { nameOf, readCoffObject, relocationTypesOf, type CoffObject } from "../src/index.js";
import { arMembers, sample, toolsAvailable } from "./helpers.js";

/** One `Name {`/`Name [` block of llvm-readobj's text output. */
interface Block {
  readonly head: string;
  readonly fields: Map<string, string>;
  readonly lines: string[];
  readonly children: Block[];
}

function parseReadobj(text: string): Block {
  const root: Block = { head: "", fields: new Map(), lines: [], children: [] };
  const stack = [root];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const top = stack[stack.length - 1]!;
    if (line === "}" || line === "]") {
      stack.pop();
      continue;
    }
    const open = /^(.*?)\s*([{[])(?:\s*\((0x[0-9A-Fa-f]+)\))?$/.exec(line);
    if (open !== null) {
      const block: Block = { head: open[1]!, fields: new Map(), lines: [], children: [] };
      if (open[3] !== undefined) top.fields.set(open[1]!, open[3]);
      top.children.push(block);
      stack.push(block);
      continue;
    }
    const field = /^([A-Za-z]+): ?(.*)$/.exec(line);
    if (field !== null) top.fields.set(field[1]!, field[2]!);
    else top.lines.push(line);
  }
  return root;
}

/** "name (2E 74 ...)" → "name"; "x (15)" → the number in the last parentheses. */
const beforeParen = (v: string): string => v.replace(/ \([^()]*\)$/, "");
const inParens = (v: string): number => Number(/\(([^()]*)\)$/.exec(v)?.[1] ?? Number.NaN);
const num = (v: string | undefined): number => Number(v);

/** What the comparison covered, so a parser that finds nothing cannot pass silently. */
const covered = { sections: 0, relocations: 0, symbols: 0, aux: 0 };

function compareObject(obj: CoffObject, file: Block): void {
  const where = obj.fileName ?? "";
  const sections = file.children.find((b) => b.head === "Sections")?.children ?? [];
  expect(sections.length, `${where} section count`).toBe(obj.sectionCount);
  for (const [i, b] of sections.entries()) {
    const s = obj.section(i);
    const f = b.fields;
    const ctx = `${where} section ${i + 1}`;
    covered.sections++;
    expect(beforeParen(f.get("Name")!), ctx).toBe(s.name);
    expect(num(f.get("VirtualSize")), ctx).toBe(s.virtualSize);
    expect(num(f.get("VirtualAddress")), ctx).toBe(s.virtualAddress);
    expect(num(f.get("RawDataSize")), ctx).toBe(s.sizeOfRawData);
    expect(num(f.get("PointerToRawData")), ctx).toBe(s.pointerToRawData);
    expect(num(f.get("PointerToRelocations")), ctx).toBe(s.pointerToRelocations);
    expect(num(f.get("RelocationCount")), ctx).toBe(s.numberOfRelocations);
    expect(num(f.get("Characteristics")) >>> 0, ctx).toBe(s.characteristics);
  }

  const types = relocationTypesOf(obj.machine);
  const relocationBlocks = file.children.find((b) => b.head === "Relocations")?.children ?? [];
  let relocationsSeen = 0;
  for (const b of relocationBlocks) {
    const index = Number(/^Section \((\d+)\)/.exec(b.head)![1]) - 1;
    const relocations = obj.relocations(index);
    expect(b.lines.length, `${where} relocations of section ${index + 1}`).toBe(relocations.length);
    for (const [k, line] of b.lines.entries()) {
      const [offset, type, ...rest] = line.split(" ");
      const ctx = `${where} section ${index + 1} relocation ${k}`;
      expect(num(offset), ctx).toBe(relocations.offset(k));
      expect(type, ctx).toBe(types === undefined ? undefined : nameOf(types, relocations.type(k)));
      expect(beforeParen(rest.join(" ")), ctx).toBe(obj.symbolName(relocations.symbolIndex(k)));
      relocationsSeen++;
      covered.relocations++;
    }
  }
  let total = 0;
  for (let i = 0; i < obj.sectionCount; i++) total += obj.relocations(i).length;
  expect(relocationsSeen, `${where} relocation total`).toBe(total);

  const symbolBlocks = file.children.find((b) => b.head === "Symbols")?.children ?? [];
  const symbols = obj.symbols();
  expect(symbolBlocks.length, `${where} symbol count`).toBe(symbols.length);
  for (const [i, b] of symbolBlocks.entries()) {
    const s = symbols[i]!;
    const f = b.fields;
    const ctx = `${where} symbol ${s.index} ${s.name}`;
    covered.symbols++;
    expect(f.get("Name"), ctx).toBe(s.name);
    expect(num(f.get("Value")), ctx).toBe(s.value);
    expect(inParens(f.get("Section")!), ctx).toBe(s.sectionNumber);
    expect(inParens(f.get("BaseType")!), ctx).toBe(s.type & 0xf);
    expect(inParens(f.get("ComplexType")!), ctx).toBe((s.type >>> 4) & 0xf);
    expect(inParens(f.get("StorageClass")!), ctx).toBe(s.storageClass);
    expect(num(f.get("AuxSymbolCount")), ctx).toBe(s.numberOfAuxSymbols);
    for (const aux of b.children) {
      const a = aux.fields;
      const mine = s.aux[0];
      covered.aux++;
      switch (aux.head) {
        case "AuxSectionDef":
          expect(mine?.kind, ctx).toBe("section-definition");
          if (mine?.kind !== "section-definition") break;
          expect(num(a.get("Length")), ctx).toBe(mine.length);
          expect(num(a.get("RelocationCount")), ctx).toBe(mine.numberOfRelocations);
          expect(num(a.get("LineNumberCount")), ctx).toBe(mine.numberOfLinenumbers);
          expect(num(a.get("Checksum")), ctx).toBe(mine.checkSum);
          expect(num(a.get("Number")), ctx).toBe(mine.number);
          expect(/0x[0-9A-F]+/i.test(a.get("Selection")!) ? num(/0x[0-9A-F]+/i.exec(a.get("Selection")!)![0]) : Number.NaN, ctx).toBe(mine.selection);
          break;
        case "AuxWeakExternal":
          expect(mine?.kind, ctx).toBe("weak-external");
          if (mine?.kind !== "weak-external") break;
          expect(inParens(a.get("Linked")!), ctx).toBe(mine.tagIndex);
          expect(inParens(a.get("Search")!), ctx).toBe(mine.characteristics);
          break;
        case "AuxFileRecord":
          expect(mine?.kind === "file" && mine.fileName, ctx).toBe(a.get("FileName"));
          break;
        case "AuxFunctionDef":
          expect(mine?.kind, ctx).toBe("function-definition");
          if (mine?.kind !== "function-definition") break;
          expect(num(a.get("TagIndex")), ctx).toBe(mine.tagIndex);
          expect(num(a.get("TotalSize")), ctx).toBe(mine.totalSize);
          expect(num(a.get("PointerToLineNumber")), ctx).toBe(mine.pointerToLinenumber);
          expect(num(a.get("PointerToNextFunction")), ctx).toBe(mine.pointerToNextFunction);
          break;
        default:
          break;
      }
    }
  }
}

const libDirs = ["/usr/x86_64-w64-mingw32/lib", "/usr/i686-w64-mingw32/lib"];
const ready = toolsAvailable("llvm-readobj") && (libDirs.every((d) => existsSync(d)) || process.env.CI === "true");
let dir = "";
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)("against llvm-readobj", () => {
  test("a sample of 44 mingw-w64 objects and members, plus the fixtures", () => {
    dir = mkdtempSync(join(tmpdir(), "coff-readobj-"));
    const inputs: { name: string; bytes: Uint8Array }[] = [];
    for (const lib of libDirs) {
      const files = readdirSync(lib).sort();
      for (const o of sample(files.filter((f) => f.endsWith(".o")), 2)) inputs.push({ name: `${lib}/${o}`, bytes: new Uint8Array(readFileSync(join(lib, o))) });
      // Runtime libraries hold compiled code (the import libraries are many near-identical stubs).
      const runtime = ["libmingwex.a", "libmsvcrt.a", "libstdc++.a", "libgcc.a", "libmingw32.a", "libkernel32.a"].filter((f) => existsSync(join(lib, f)));
      const picks = [...sample(files.filter((f) => f.endsWith(".a")), 14).map((f) => ({ f, n: 1 })), ...runtime.map((f) => ({ f, n: 2 }))];
      for (const { f, n } of picks) {
        const members = arMembers(new Uint8Array(readFileSync(join(lib, f))));
        for (const m of sample(members.slice(1), n)) inputs.push({ name: `${lib}/${f}(${m.name})`, bytes: m.bytes });
      }
    }
    for (const f of ["x64.obj", "x86.obj", "bigobj.o"]) inputs.push({ name: f, bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", f))) });
    const paths = inputs.map((input, i) => {
      const path = join(dir, `input${i}.o`);
      writeFileSync(path, input.bytes);
      return path;
    });
    // One llvm-readobj run for all inputs: its output has a "File:" line before each.
    const out = execFileSync("llvm-readobj", ["--sections", "--relocations", "--symbols", ...paths], { maxBuffer: 256 << 20 }).toString();
    const chunks = out.split(/^File: /m).slice(1);
    expect(chunks.length).toBe(inputs.length);
    for (const [i, chunk] of chunks.entries()) {
      const obj = readCoffObject(inputs[i]!.bytes, { fileName: inputs[i]!.name });
      compareObject(obj, parseReadobj(chunk));
    }
    expect(inputs.length).toBeGreaterThanOrEqual(40);
    console.log("compared:", covered);
    expect(Math.min(covered.sections, covered.relocations, covered.symbols, covered.aux)).toBeGreaterThan(50);
  });
});
