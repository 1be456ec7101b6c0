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

function sectionsOf(exe: string): SectionRange[] {
  const out = runOk(tools.objdump, ["-h", exe]);
  const sections: SectionRange[] = [];
  for (const line of out.split("\n")) {
    // "  0 .text         000000f4 0000000140001000 TEXT"
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[3]}`);
    sections.push({ name: m[1]!, start, end: start + BigInt(`0x${m[2]}`), code: /TEXT/.test(m[4]!) });
  }
  return sections;
}

function objectKey(object: string): string {
  // lld prints "util.obj", linkkit may print a path: compare base names only.
  return object.replace(/^.*[\\/]/, "");
}

export function normalizeImage(exe: string, mapPath: string): NormalizedImage {
  const map = parseMapFile(readFileSync(mapPath, "utf8"));
  const sections = sectionsOf(exe);
  const symbols = [...map.symbols].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const low = sections.reduce((m, s) => (s.start < m ? s.start : m), 1n << 64n);
  const high = sections.reduce((m, s) => (s.end > m ? s.end : m), 0n);

  const sectionOf = (a: bigint) => sections.find((s) => a >= s.start && a < s.end + 1n);
  const symbolize = (a: bigint): string => {
    if (a < low || a > high) return `0x${a.toString(16)}`;
    const section = sectionOf(a);
    let best: MapSymbol | undefined;
    let lo = 0, hi = symbols.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (symbols[mid]!.address <= a) { best = symbols[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    if (best && section && best.address >= section.start) {
      const off = a - best.address;
      return off === 0n ? `<${best.name}>` : `<${best.name}+0x${off.toString(16)}>`;
    }
    return section ? `<${section.name}+0x${(a - section.start).toString(16)}>` : `<?0x${a.toString(16)}>`;
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
    while (body.length > 0 && /^(int3|nop\S*)(\s|$)/.test(body[body.length - 1]!)) body.pop();
    functions.set(`${s.name} (${objectKey(s.object)})`, body);
  }
  return { functions };
}

function normalizeInstruction(text: string, symbolize: (a: bigint) => string, low: bigint, high: bigint): string {
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

/** Differences between two normalised images, as readable lines; empty when they are the same program. */
export function compareImages(expected: NormalizedImage, actual: NormalizedImage): string[] {
  const problems: string[] = [];
  for (const [name, body] of expected.functions) {
    const other = actual.functions.get(name);
    if (!other) { problems.push(`function missing: ${name}`); continue; }
    const n = Math.max(body.length, other.length);
    for (let i = 0; i < n; i++) {
      if (body[i] !== other[i]) {
        problems.push(`${name}: instruction ${i} differs:\n  expected: ${body[i] ?? "<end>"}\n  actual:   ${other[i] ?? "<end>"}`);
        break;
      }
    }
  }
  for (const name of actual.functions.keys()) if (!expected.functions.has(name)) problems.push(`extra function: ${name}`);
  return problems;
}
