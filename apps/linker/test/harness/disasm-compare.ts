// Layout-independent comparison of two images of the same inputs: every function disassembled, with
// its call, jump and memory operands turned into symbol+offset, so two linkers that place things at
// different addresses still produce equal listings when they linked the same program.
import { readFileSync } from "node:fs";
import { parseMapFile, type MapSymbol } from "./map-file.js";
import { runOk, tools } from "./toolchain.js";

interface SectionRange { readonly name: string; readonly start: bigint; readonly end: bigint; readonly code: boolean }

export interface NormalizedImage {
  /** "name (object)" → normalised instructions. */
  readonly functions: ReadonlyMap<string, readonly string[]>;
}

/** Sections with their virtual extent (objdump -h shows raw sizes, which are 0 for .bss). */
function sectionsOf(exe: string): SectionRange[] {
  const out = runOk(tools.readobj, ["--file-headers", "--sections", exe]);
  const base = BigInt(/ImageBase: (0x[0-9A-Fa-f]+)/.exec(out)?.[1] ?? "0");
  const sections: SectionRange[] = [];
  for (const block of out.split(/\n\s*Section \{/).slice(1)) {
    const name = /Name: (\S+)/.exec(block)?.[1] ?? "?";
    const size = BigInt(/VirtualSize: (0x[0-9A-Fa-f]+)/.exec(block)?.[1] ?? "0");
    const start = base + BigInt(/VirtualAddress: (0x[0-9A-Fa-f]+)/.exec(block)?.[1] ?? "0");
    sections.push({ name, start, end: start + size, code: /IMAGE_SCN_CNT_CODE/.test(block) });
  }
  return sections;
}

function objectKey(object: string): string {
  // lld prints "util.obj", linkkit may print a path: compare base names only.
  return object.replace(/^.*[\\/]/, "");
}

/**
 * What both comparisons read an image's addresses against: the map's symbols by address, the span of
 * the sections, and the section an address is in (its end included: a pointer one past an array).
 */
export function addressFrame<S extends { readonly start: bigint; readonly end: bigint }>(sections: readonly S[], mapPath: string) {
  const map = parseMapFile(readFileSync(mapPath, "utf8"));
  const symbols = [...map.symbols].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const low = sections.reduce((m, s) => (s.start < m ? s.start : m), 1n << 64n);
  const high = sections.reduce((m, s) => (s.end > m ? s.end : m), 0n);
  const sectionOf = (a: bigint) => sections.find((s) => a >= s.start && a < s.end + 1n);
  return { symbols, low, high, sectionOf };
}

export function normalizeImage(exe: string, mapPath: string): NormalizedImage {
  const sections = sectionsOf(exe);
  const { symbols, low, high, sectionOf } = addressFrame(sections, mapPath);
  // An address operand may point past one object's end or before an array's start (x86 indexed
  // operands such as `table-4(,%eax,4)`), so it is written as every reading near it: the nearest symbol
  // below, the others up to 256 bytes below and those up to 64 bytes above. Two layouts agree when the
  // readings meet.
  const symbolize = (a: bigint): string => {
    if (a < low || a > high) return `0x${a.toString(16)}`;
    const section = sectionOf(a);
    const below = lastAtOrBelow(symbols, a);
    const readings: string[] = [];
    // The nearest symbol below always gives a reading (a jump inside a long function is far from its start).
    for (let i = below; i >= 0 && (i === below || a - symbols[i]!.address <= 256n); i--) {
      const s = symbols[i]!;
      if (section && s.address < section.start) break;
      readings.push(a === s.address ? s.name : `${s.name}+0x${(a - s.address).toString(16)}`);
    }
    for (let i = below + 1; i < symbols.length && symbols[i]!.address - a <= 64n; i++) {
      const next = symbols[i]!;
      if (section && next.address >= section.end) break;
      if (next.address > a) readings.push(`${next.name}-0x${(next.address - a).toString(16)}`);
    }
    if (readings.length === 0) {
      const nearest = below >= 0 ? symbols[below] : undefined;
      if (nearest && (!section || nearest.address >= section.start)) readings.push(`${nearest.name}+0x${(a - nearest.address).toString(16)}`);
      else readings.push(section ? `${section.name}+0x${(a - section.start).toString(16)}` : `?0x${a.toString(16)}`);
    }
    return `<${[...new Set(readings)].sort().join("|")}>`;
  };

  const listing = runOk(tools.objdump, ["-d", "--no-show-raw-insn", exe]);
  const instructions: { address: bigint; text: string }[] = [];
  for (const line of listing.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+(.+)$/.exec(line);
    if (!m) continue;
    instructions.push({ address: BigInt(`0x${m[1]}`), text: normalizeInstruction(m[2]!, symbolize, low, high) });
  }

  const starts = symbols.filter((s) => sections.some((sec) => sec.code && s.address >= sec.start && s.address < sec.end));
  const functions = new Map<string, string[]>();
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    const next = starts.slice(i + 1).find((n) => n.address > s.address)?.address ?? high;
    const body = instructions.filter((ins) => ins.address >= s.address && ins.address < next).map((ins) => ins.text);
    // Padding after the last instruction: int3 and nop fill, and zero bytes (`addb %al, (%rax)`, or a lone
    // `<unknown>` byte at the very end) where a section keeps room to grow.
    while (body.length > 0 && /^(int3|nop\S*|addb %al, \(%[er]ax\)|<unknown>)(\s|$)/.test(body[body.length - 1]!)) body.pop();
    functions.set(`${s.name} (${objectKey(s.object)})`, body);
  }
  return { functions };
}

/** Index of the last of `sorted` (by address) at or below `a`, or -1. */
export function lastAtOrBelow(sorted: readonly { readonly address: bigint }[], a: bigint): number {
  let lo = 0, hi = sorted.length - 1, below = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.address <= a) { below = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return below;
}

/** One objdump instruction with layout-dependent numbers replaced by symbol readings (`symbolize`). */
export function normalizeInstruction(text: string, symbolize: (a: bigint) => string, low: bigint, high: bigint): string {
  let t = text.replace(/\s+<[^>]*>/g, "").replace(/\s+/g, " ").trim();
  const comment = /\s*#\s*(.*)$/.exec(t);
  let note = "";
  if (comment) {
    t = t.slice(0, comment.index).trim();
    const c = comment[1]!;
    const imm = /imm = 0x([0-9a-fA-F]+)/.exec(c);
    const addr = /^0x([0-9a-fA-F]+)/.exec(c);
    if (imm) {
      const v = BigInt(`0x${imm[1]}`);
      if (v >= low && v <= high) t = t.replace(/\$-?\d+/, `$${symbolize(v)}`);
    } else if (addr) {
      note = ` # ${symbolize(BigInt(`0x${addr[1]}`))}`;
    }
  }
  // RIP-relative displacements depend on layout; the comment carries the target instead.
  t = t.replace(/-?\d+\(%rip\)/g, "X(%rip)").replace(/-?0x[0-9a-f]+\(%rip\)/g, "X(%rip)");
  t = t.replace(/0x[0-9a-fA-F]+/g, (h) => {
    const v = BigInt(h);
    return v >= low && v <= high ? symbolize(v) : h;
  });
  // Decimal absolute addresses (32-bit images print `movl 4202496, %eax`).
  t = t.replace(/(^|[\s,(*$])(\d{6,})(?=[\s,(]|$)/g, (all, pre: string, d: string) => {
    const v = BigInt(d);
    return v >= low && v <= high ? `${pre}${symbolize(v)}` : all;
  });
  return t + note;
}

/**
 * Two normalised instructions agree when their text outside the `<...>` operands matches and `agree` says
 * yes to each pair of operands' readings.
 */
export function sameInstructionWith(a: string, b: string, agree: (ra: readonly string[], rb: readonly string[]) => boolean): boolean {
  if (a === b) return true;
  const split = (t: string) => t.split(/(<[^<>]*>)/);
  const pa = split(a), pb = split(b);
  if (pa.length !== pb.length) return false;
  for (let i = 0; i < pa.length; i++) {
    if (i % 2 === 0) { if (pa[i] !== pb[i]) return false; continue; }
    if (!agree(pa[i]!.slice(1, -1).split("|"), pb[i]!.slice(1, -1).split("|"))) return false;
  }
  return true;
}

/** Two normalised instructions agree when their text matches and each address operand's readings meet. */
export function sameInstruction(a: string, b: string): boolean {
  return sameInstructionWith(a, b, (ra, rb) => { const set = new Set(ra); return rb.some((r) => set.has(r)); });
}

/** Differences between two normalised images, as readable lines; empty when they are the same program. */
export function compareImages(expected: NormalizedImage, actual: NormalizedImage): string[] {
  const problems: string[] = [];
  for (const [name, body] of expected.functions) {
    const other = actual.functions.get(name);
    if (!other) { problems.push(`function missing: ${name}`); continue; }
    const n = Math.max(body.length, other.length);
    for (let i = 0; i < n; i++) {
      if (body[i] === undefined || other[i] === undefined || !sameInstruction(body[i]!, other[i]!)) {
        problems.push(`${name}: instruction ${i} differs:\n  expected: ${body[i] ?? "<end>"}\n  actual:   ${other[i] ?? "<end>"}`);
        break;
      }
    }
  }
  for (const name of actual.functions.keys()) if (!expected.functions.has(name)) problems.push(`extra function: ${name}`);
  return problems;
}
