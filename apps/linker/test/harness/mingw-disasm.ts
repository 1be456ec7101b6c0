// The layout-independent disassembly comparison (disasm-compare.ts) for images of the full MinGW
// runtime. GNU ld (and linkkit-ld after it) place `.rdata$*` after every `.rdata`, ld.lld keeps input
// order, so an operand pointing at a string literal or a floating-point constant has no symbol near it
// that both layouts share. Such operands are also read by the bytes they point at: two links of one
// program agree on those bytes wherever each put them.
import { readFileSync } from "node:fs";
import { addressFrame, lastAtOrBelow, normalizeInstruction, sameInstructionWith, type NormalizedImage } from "./disasm-compare.js";
import { runOk, tools } from "./toolchain.js";



interface Section { readonly name: string; readonly start: bigint; readonly end: bigint; readonly code: boolean; readonly fileOffset: number; readonly rawSize: number }

function sectionsOf(exe: string): Section[] {
  const out = runOk(tools.readobj, ["--file-headers", "--sections", exe]);
  const base = BigInt(/ImageBase: (0x[0-9A-Fa-f]+)/.exec(out)?.[1] ?? "0");
  return out.split(/\n\s*Section \{/).slice(1).map((block) => {
    const num = (re: RegExp) => BigInt(re.exec(block)?.[1] ?? "0");
    const start = base + num(/VirtualAddress: (0x[0-9A-Fa-f]+)/);
    return {
      name: /Name: (\S+)/.exec(block)?.[1] ?? "?", start, end: start + num(/VirtualSize: (0x[0-9A-Fa-f]+)/),
      code: /IMAGE_SCN_CNT_CODE/.test(block), fileOffset: Number(num(/PointerToRawData: (0x[0-9A-Fa-f]+|\d+)/)),
      rawSize: Number(num(/RawDataSize: (0x[0-9A-Fa-f]+|\d+)/)),
    };
  });
}

export function normalizeMingwImage(exe: string, mapPath: string): NormalizedImage {
  const bytes = readFileSync(exe);
  const sections = sectionsOf(exe);
  const { symbols, low, high, sectionOf } = addressFrame(sections, mapPath);

  /**
   * What is stored at an address (code or data), as its first 4, 8 and 16 bytes: whatever follows a short constant
   * depends on the layout, so the shorter readings are the ones two layouts share.
   */
  const content = (a: bigint, section: Section | undefined): string[] => {
    if (!section) return [];
    const offset = Number(a - section.start);
    const at = section.fileOffset + offset;
    return [4, 8, 16].filter((n) => offset + n <= section.rawSize).map((n) => `=${Buffer.from(bytes.subarray(at, at + n)).toString("hex")}`);
  };

  const symbolize = (a: bigint): string => {
    if (a < low || a > high) return `0x${a.toString(16)}`;
    const section = sectionOf(a);
    const below = lastAtOrBelow(symbols, a);
    // `!` marks an anchor: a reading both layouts must share. For code, the symbol the address follows (its
    // function, however far in); for data, a symbol exactly there. Readings of neighbours are hints.
    const readings: string[] = [];
    for (let i = below; i >= 0 && (a - symbols[i]!.address <= 256n || (section?.code && symbols[i]!.address === symbols[below]!.address)); i--) {
      const s = symbols[i]!;
      if (section && s.address < section.start) break;
      const anchor = (section?.code && s.address === symbols[below]!.address) || a === s.address ? "!" : "";
      readings.push(anchor + (a === s.address ? s.name : `${s.name}+0x${(a - s.address).toString(16)}`));
    }
    for (let i = below + 1; i < symbols.length && symbols[i]!.address - a <= 64n; i++) {
      const s = symbols[i]!;
      if (section && s.address >= section.end) break;
      if (s.address > a) readings.push(`${s.name}-0x${(s.address - a).toString(16)}`);
    }
    readings.push(...content(a, section));
    if (readings.length === 0) readings.push(section ? `${section.name}+?` : `?0x${a.toString(16)}`);
    return `<${[...new Set(readings)].sort().join("|")}>`;
  };

  type Instruction = { address: bigint; text: string; target: bigint | undefined };
  const disassemble = (range: string[] = []): Instruction[] => {
    const out: Instruction[] = [];
    for (const line of runOk(tools.objdump, ["-d", "--no-show-raw-insn", ...range, exe]).split("\n")) {
      const m = /^\s*([0-9a-f]+):\s+(.+)$/.exec(line);
      if (!m) continue;
      const branch = /^j\w*\s+0x([0-9a-f]+)/.exec(m[2]!);
      out.push({ address: BigInt(`0x${m[1]}`), text: normalizeMingwInstruction(m[2]!, symbolize, low, high), target: branch ? BigInt(`0x${branch[1]}`) : undefined });
    }
    return out;
  };
  const instructions = disassemble();
  const starts = symbols.filter((s) => sections.some((sec) => sec.code && s.address >= sec.start && s.address < sec.end));
  const functions = new Map<string, string[]>();
  let cursor = 0;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    let j = i + 1;
    while (j < starts.length && starts[j]!.address <= s.address) j++;
    const next = j < starts.length ? starts[j]!.address : high;
    while (cursor > 0 && instructions[cursor - 1]!.address >= s.address) cursor--;
    while (cursor < instructions.length && instructions[cursor]!.address < s.address) cursor++;
    let end = cursor;
    while (end < instructions.length && instructions[end]!.address < next) end++;
    // The image has no symbols to guide objdump: after bytes that are not code it may decode from
    // inside an instruction and miss the function's start. Such a function is decoded again on its own.
    let listing: readonly Instruction[] = instructions;
    let first = cursor;
    if (cursor < end && instructions[cursor]!.address !== s.address) {
      listing = disassemble([`--start-address=0x${s.address.toString(16)}`, `--stop-address=0x${next.toString(16)}`]);
      first = 0; end = listing.length;
    }
    // Branch targets seen so far: code after a ret is the function's only if an earlier branch goes there.
    const targets = new Set<bigint>();
    const body: string[] = [];
    for (let k = first; k < end; k++) {
      const ins = listing[k]!;
      // A jump out of the function (into a cold part GCC put in `.text.unlikely`) lands where the layout
      // put that part: its nearest symbol is no anchor.
      const outside = ins.target !== undefined && (ins.target < s.address || ins.target >= next);
      body.push(outside ? ins.text.replace(/!([^|<>]*\+0x[0-9a-f]+)/g, "$1") : ins.text);
      if (ins.target !== undefined) targets.add(ins.target);
      // After a ret or jmp, (padding and) code that no branch of this function reaches: the function
      // ended and a static function without a symbol (stripped from the runtime's archives) follows,
      // which each layout places differently.
      if (/^(ret|jmp)/.test(ins.text)) {
        let n = k + 1;
        while (n < end && padding.test(listing[n]!.text)) n++;
        if (n < end && !targets.has(listing[n]!.address)) break;
      }
    }
    // Alignment padding (int3, nop, zero bytes) after the last instruction differs with the layout.
    while (body.length > 0 && padding.test(body[body.length - 1]!)) body.pop();
    // Section-named statics (dlltool's `.text`, empty in data-only import members) bound functions but
    // are not functions: where an empty one lands is up to the layout.
    if (!s.name.startsWith(".")) functions.set(`${s.name} (${s.object.replace(/^.*[\\/]/, "")})`, body);
  }
  return { functions };
}

const padding = /^(int3|nop\S*|addb %al, \(%[er]ax\)|<unknown>|\(bad\))(\s|$)/;

function normalizeMingwInstruction(text: string, symbolize: (a: bigint) => string, low: bigint, high: bigint): string {
  let t = normalizeInstruction(text, symbolize, low, high);
  // Only a jump's target is surely in the function the nearest symbol below starts; a call or an address
  // taken may go to a stripped static function, whose nearest symbol depends on the layout.
  if (!/^j/.test(t)) t = t.replace(/!([^|<>]*\+0x[0-9a-f]+)/g, "$1");
  return t;
}

/**
 * Two instructions agree when their text matches and, for each address operand, the readings meet, or
 * neither side has an anchor: an operand into anonymous data (a jump table, a stripped static) that no
 * symbol locates in either layout, and whose bytes hold layout-dependent offsets, cannot be told apart.
 */
export function sameMingwInstruction(a: string, b: string): boolean {
  return sameInstructionWith(a, b, (ra, rb) => {
    // An auto-imported name is an alias of its IAT slot: lld's map names the slot `foo`, linkkit's `__imp_foo`.
    const plainName = (r: string) => r.replace(/^!/, "").replace(/^__imp_/, "");
    const plain = new Set(ra.map(plainName));
    if (rb.some((r) => plain.has(plainName(r)))) return true;
    return !(ra.some((r) => r.startsWith("!")) || rb.some((r) => r.startsWith("!")));
  });
}

/** Differences between two normalised images, as readable lines; empty when they are the same program. */
export function compareMingwImages(expected: NormalizedImage, actual: NormalizedImage): string[] {
  const problems: string[] = [];
  // A COMDAT function may come from another archive member in each link (both are the same code).
  const byName = (image: NormalizedImage) => {
    const m = new Map<string, readonly string[]>();
    for (const [key, body] of image.functions) m.set(key.replace(/ \([^()]*\)$/, ""), body);
    return m;
  };
  const actualByName = byName(actual), expectedByName = byName(expected);
  for (const [name, body] of expected.functions) {
    const other = actual.functions.get(name);
    if (!other) {
      // The same COMDAT function kept from another archive member (libstdc++'s copies differ in code).
      // An import thunk nothing calls (lld makes one for every import of a short import library): calls
      // to the thunks that are used are compared at their call sites.
      if (/\.dll\)$/i.test(name)) continue;
      if (!actualByName.has(name.replace(/ \([^()]*\)$/, ""))) problems.push(`function missing: ${name}`);
      continue;
    }
    for (let i = 0; i < Math.max(body.length, other.length); i++) {
      // One body ended and the other goes on after padding into code no symbol names: the same end.
      if (body[i] === undefined && padding.test(other[i]!)) break;
      if (other[i] === undefined && padding.test(body[i]!)) break;
      if (body[i] === undefined || other[i] === undefined || !sameMingwInstruction(body[i]!, other[i]!)) {
        problems.push(`${name}: instruction ${i} differs:\n  expected: ${body[i] ?? "<end>"}\n  actual:   ${other[i] ?? "<end>"}`);
        break;
      }
    }
  }
  for (const name of actual.functions.keys()) {
    if (expected.functions.has(name) || expectedByName.has(name.replace(/ \([^()]*\)$/, ""))) continue;
    // An import thunk (`jmp *__imp_x`) of a name only this link imports: the imports are compared apart.
    const body = actual.functions.get(name)!;
    if (body.length === 1 && /^jmp\S* \*/.test(body[0]!)) continue;
    problems.push(`extra function: ${name}`);
  }
  return problems;
}
