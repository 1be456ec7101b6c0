// Links the same inputs with linkkit and with lld-link, runs and compares: the shared steps of the
// end-to-end tests.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { compareImages, normalizeImage } from "./disasm-compare.js";
import { run, runOk, runWine, tools, type RunResult } from "./toolchain.js";

const linkkitBin = join(__dirname, "..", "..", "src", "bin", "linkkit.ts");
const distBin = join(__dirname, "..", "..", "dist", "bin", "linkkit.js");

/** Runs linkkit as users do: the built command when present, else the sources through vite-node-free tsx-less path. */
export function linkkit(args: readonly string[], cwd?: string): RunResult {
  if (!existsSync(distBin)) throw new Error(`build apps/linker first (missing ${distBin}; ${linkkitBin})`);
  return run(process.execPath, [distBin, ...args], { cwd });
}

export function linkkitOk(args: readonly string[], cwd?: string): string {
  const r = linkkit(args, cwd);
  if (r.status !== 0) throw new Error(`linkkit ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stderr;
}

export function lldLink(args: readonly string[], cwd?: string): void {
  runOk(tools.lldLink, ["/nologo", ...args], { cwd });
}

export interface BothLinked {
  readonly ours: string;
  readonly theirs: string;
}

/** Links `args` (inputs and options, no /out) with both linkers into dir/<name>.linkkit.exe and .lld.exe, with maps. */
export function linkBoth(dir: string, name: string, args: readonly string[], ext = ".exe"): BothLinked {
  const ours = join(dir, `${name}.linkkit${ext}`);
  const theirs = join(dir, `${name}.lld${ext}`);
  linkkitOk([...args, `/out:${ours}`, `/map:${ours}.map`]);
  lldLink([...args, `/out:${theirs}`, `/map:${theirs}.map`]);
  return { ours, theirs };
}

/** Every function disassembles the same, up to layout (symbol+offset operands). */
export function expectSameCode(linked: BothLinked): void {
  const expected = normalizeImage(linked.theirs, `${linked.theirs}.map`);
  const actual = normalizeImage(linked.ours, `${linked.ours}.map`);
  expect(expected.functions.size).toBeGreaterThan(0);
  expect(compareImages(expected, actual)).toEqual([]);
}

/** What llvm-readobj says about imports, exports and base-relocation targets, independent of layout. */
export function readobjFacts(image: string): { imports: string[]; exports: string[]; errors: string } {
  const r = run(tools.readobj, ["--file-headers", "--sections", "--coff-imports", "--coff-exports", "--coff-basereloc", image]);
  const imports: string[] = [];
  const exports: string[] = [];
  let dll = "";
  let inExport = false;
  let exportName = "", exportOrdinal = "", exportRva = "";
  for (const line of r.stdout.split("\n")) {
    const l = line.trim();
    let m;
    if ((m = /^Name: (.+\.dll)$/i.exec(l))) dll = m[1]!.toLowerCase();
    else if ((m = /^Symbol: (\S+) \((\d+)\)$/.exec(l))) imports.push(`${dll}!${m[1]}`);
    else if ((m = /^Symbol: \(none\) \((\d+)\)$/.exec(l))) imports.push(`${dll}!#${m[1]}`);
    if (l === "Export {") { inExport = true; exportName = ""; exportOrdinal = ""; exportRva = ""; }
    else if (inExport && (m = /^Ordinal: (\d+)$/.exec(l))) exportOrdinal = m[1]!;
    else if (inExport && (m = /^Name: (.*)$/.exec(l))) exportName = m[1]!;
    else if (inExport && (m = /^RVA: (\S+)$/.exec(l))) exportRva = m[1]!;
    else if (inExport && l === "}") {
      // llvm-readobj lists unused ordinals (RVA 0) too; they are not exports.
      if (exportRva !== "0x0" || exportName !== "") exports.push(`${exportOrdinal}:${exportName}`);
      inExport = false;
    }
  }
  return { imports: imports.sort(), exports: exports.sort(), errors: r.status === 0 ? r.stderr : `exit ${r.status}: ${r.stderr}` };
}

/**
 * The image's 64-bit base relocations as llvm-readobj lists them: how many, and the sites whose value is not
 * an address inside the image (a stale entry where an atom was, or an absolute address no entry covers
 * shows up here or in the count, whatever the layout).
 */
export function dir64BaseRelocations(image: string): { count: number; outside: string[] } {
  const bytes = readFileSync(image);
  const pe = bytes.readUInt32LE(0x3c);
  const sectionCount = bytes.readUInt16LE(pe + 6);
  const optional = pe + 24;
  const imageBase = bytes.readBigUInt64LE(optional + 24);
  const sizeOfImage = BigInt(bytes.readUInt32LE(optional + 56));
  const sections = Array.from({ length: sectionCount }, (_, i) => {
    const at = optional + bytes.readUInt16LE(pe + 20) + i * 40;
    return { rva: bytes.readUInt32LE(at + 12), size: bytes.readUInt32LE(at + 16), file: bytes.readUInt32LE(at + 20) };
  });
  const sites = [...runOk(tools.readobj, ["--coff-basereloc", image]).matchAll(/Type: DIR64\s+Address: (0x[0-9A-Fa-f]+)/g)].map((m) => Number(m[1]));
  const outside: string[] = [];
  for (const rva of sites) {
    const s = sections.find((x) => rva >= x.rva && rva + 8 <= x.rva + x.size);
    const value = s ? bytes.readBigUInt64LE(s.file + rva - s.rva) : -1n;
    if (value < imageBase || value >= imageBase + sizeOfImage) outside.push(`0x${rva.toString(16)}: 0x${value.toString(16)}`);
  }
  return { count: sites.length, outside };
}

/** Both images read cleanly and agree on imports and exports. */
export function expectSameImportsAndExports(linked: BothLinked): void {
  const a = readobjFacts(linked.theirs);
  const b = readobjFacts(linked.ours);
  expect(b.errors).toBe("");
  expect(a.errors).toBe("");
  expect(b.imports).toEqual(a.imports);
  expect(b.exports).toEqual(a.exports);
}

/** Runs both under wine; same exit code and output. */
export function expectSameRun(linked: BothLinked, args: readonly string[] = []): RunResult {
  const a = runWine(linked.theirs, args);
  const b = runWine(linked.ours, args);
  expect({ status: b.status, stdout: b.stdout }).toEqual({ status: a.status, stdout: a.stdout });
  return b;
}
