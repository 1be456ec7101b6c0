// The static x86-64 ELF link, one pass after another; the same state serves a full link and in-place updates.
import { readArchive, type Archive } from "@linkkit/ar";
import { Layout, type AtomId, type SectionId } from "@linkkit/atom-allocator";
import { StringTable } from "@linkkit/strtab";
import { ComdatSelection, RefFlags, ResolverError, SymbolKind, SymbolTable, type InputId, type SymbolId } from "@linkkit/symbol-resolver";
import { IMAGE_BASE, PAGE_SIZE, SHF, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHT, STB, STT, R_X86_64, relocationName } from "./elf-format.js";
import { ElfFormatError, ElfLinkError, InternalError } from "./errors.js";
import { isElfObject, parseObject, type InputSection, type ObjectFile, type Relocation } from "./object.js";
import { writeExecutable, type OutputSection, type OutputSymbol } from "./writer.js";

/** A file given to the linker, already read: an object or an ar archive (told apart by their magic). */
export interface InputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface LinkerOptions {
  readonly entry?: string;
  readonly gcSections?: boolean;
  readonly stripAll?: boolean;
  /** Give atoms and sections room to grow, so that later updates patch the output in place. */
  readonly incremental?: boolean;
  /** Reads a thin archive's member (its path is relative to the archive's directory). */
  readonly readFile?: (path: string) => Uint8Array;
}

export interface LinkOutput {
  readonly bytes: Uint8Array;
  readonly warnings: readonly string[];
  /** `input:(section)` of every section --gc-sections dropped (for --print-gc-sections). */
  readonly gcDropped: readonly string[];
}

/** The output sections, in address order; each is page aligned and so gets a PT_LOAD of its own. */
export const OUTPUT_SECTIONS = [
  { name: ".text", flags: SHF.ALLOC | SHF.EXECINSTR, noBits: false },
  { name: ".rodata", flags: SHF.ALLOC, noBits: false },
  { name: ".got", flags: SHF.ALLOC | SHF.WRITE, noBits: false },
  { name: ".data", flags: SHF.ALLOC | SHF.WRITE, noBits: false },
  { name: ".bss", flags: SHF.ALLOC | SHF.WRITE, noBits: true },
] as const;
type OutputName = (typeof OUTPUT_SECTIONS)[number]["name"];

/** ELF header and room for every program header we may write: one per output section, the headers' own, GNU_STACK. */
export const MAX_PROGRAM_HEADERS = OUTPUT_SECTIONS.length + 2;
const HEADER_SIZE = 64 + MAX_PROGRAM_HEADERS * 56;

/** A string-merging input section cut into its NUL-terminated pieces. */
interface MergePieces {
  readonly starts: readonly number[];
  readonly strings: readonly string[];
}

interface LoadedInput {
  readonly id: InputId;
  readonly name: string;
  object: ObjectFile | undefined;
  /** COMDAT group of each section (by section index), -1 when none. */
  groupOf: Map<number, number>;
  /** Index of each global symbol by name, to find the winning definition's ELF symbol. */
  globalIndex: Map<string, number>;
  /** For archive members not loaded yet. */
  readonly load?: () => Uint8Array;
}

interface AtomSpec {
  readonly key: string;
  readonly section: OutputName;
  readonly size: number;
  readonly alignment: number;
}

type Target =
  | { readonly kind: "section"; readonly input: LoadedInput; readonly section: number; readonly value: number; readonly isSectionSymbol: boolean }
  | { readonly kind: "absolute"; readonly value: number }
  | { readonly kind: "common"; readonly name: string }
  | { readonly kind: "linker"; readonly name: LinkerSymbolName }
  | { readonly kind: "undefined" };

const SHF_GNU_RETAIN = 0x200000;

/**
 * Names the linker defines when something refers to them and no input does (as ld.lld does), each at
 * the start or end of an output section: where it is, and which output section it belongs to.
 */
const LINKER_SYMBOLS = {
  _GLOBAL_OFFSET_TABLE_: { section: ".got", at: "start" },
  __executable_start: { section: undefined, at: "start" },
  _etext: { section: ".text", at: "end" },
  etext: { section: ".text", at: "end" },
  _edata: { section: ".data", at: "end" },
  edata: { section: ".data", at: "end" },
  __bss_start: { section: ".bss", at: "start" },
  _end: { section: ".bss", at: "end" },
  end: { section: ".bss", at: "end" },
} as const satisfies Record<string, { section: OutputName | undefined; at: "start" | "end" }>;
type LinkerSymbolName = keyof typeof LINKER_SYMBOLS;
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Which output section an input section goes to, or undefined when it is not part of the image. */
export function outputSectionOf(section: InputSection): OutputName | undefined {
  if ((section.flags & SHF.ALLOC) === 0 || (section.flags & SHF.EXCLUDE) !== 0) return undefined;
  // Notes, unwind tables and address-significance tables are left out: a freestanding static program
  // uses none of them (see README, "Limits").
  if (section.type === SHT.NOTE || section.type === SHT.GROUP || section.type === SHT.X86_64_UNWIND || section.type === SHT.LLVM_ADDRSIG) return undefined;
  if (section.name === ".eh_frame") return undefined;
  for (const prefix of [".text", ".rodata", ".data", ".bss"] as const) {
    if (section.name === prefix || section.name.startsWith(`${prefix}.`)) return prefix;
  }
  if (section.type === SHT.NOBITS) return ".bss";
  if ((section.flags & SHF.EXECINSTR) !== 0) return ".text";
  if ((section.flags & SHF.WRITE) !== 0) return ".data";
  return ".rodata";
}

/**
 * The link state: inputs, the global symbol table, the atom layout and merged-string tables. `link()`
 * does a full link; `replaceObject()` swaps one object and re-runs the passes over the same layout, so
 * that atoms that did not change keep their addresses and the new image differs from the old one only
 * where something changed.
 */
export class ElfLinker {
  readonly symbols: SymbolTable;
  readonly layout: Layout;
  private readonly options: LinkerOptions;
  private readonly inputs: LoadedInput[] = [];
  private readonly linkerInput: InputId;
  private readonly entry: string;
  private readonly atoms = new Map<string, AtomId>();
  private readonly sectionIds = new Map<OutputName, SectionId>();
  /** Merged strings per output section; append-only, so offsets handed out stay valid across updates. */
  private readonly mergeTables = new Map<OutputName, StringTable>();
  private mergePieces = new Map<string, MergePieces>();
  private linked = false;

  constructor(files: readonly InputFile[], options: LinkerOptions = {}) {
    this.options = options;
    this.entry = options.entry ?? "_start";
    this.symbols = new SymbolTable({
      where: (input, site) => {
        const s = this.inputs[input]?.object?.sections[site];
        return s?.name;
      },
    });
    this.layout = new Layout({
      headerSize: HEADER_SIZE,
      // Page-aligned addresses and file offsets keep p_offset ≡ p_vaddr (mod page size), as the kernel needs.
      sectionAlignment: PAGE_SIZE,
      fileAlignment: PAGE_SIZE,
      mode: options.incremental ? "incremental" : "packed",
    });
    for (const s of OUTPUT_SECTIONS) this.sectionIds.set(s.name, this.layout.addSection(s.name, { noBits: s.noBits }));
    for (const file of files) this.addFile(file);
    this.linkerInput = this.symbols.addInput("<internal>");
    this.inputs[this.linkerInput] = { id: this.linkerInput, name: "<internal>", object: undefined, groupOf: new Map(), globalIndex: new Map() };
    // The entry is asked for like any reference (it loads archive members) but may stay missing: GNU ld then warns.
    this.symbols.reference(this.linkerInput, this.entry, 0, RefFlags.Weak);
  }

  // ---------------------------------------------------------------- load

  private addFile(file: InputFile): void {
    const { bytes, name } = file;
    const magic = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
    if (magic === "!<arch>\n" || magic === "!<thin>\n") this.addArchive(readArchive(bytes, { fileName: name }));
    else if (isElfObject(bytes)) this.addObject(this.newInput(name), parseObject(bytes, name));
    else throw new ElfFormatError(name, 0, "file format not recognized: expected an ELF object (7f 45 4c 46) or an ar archive (!<arch>)");
  }

  private newInput(name: string, load?: () => Uint8Array): LoadedInput {
    const id = this.symbols.addInput(name);
    const input: LoadedInput = { id, name, object: undefined, groupOf: new Map(), globalIndex: new Map(), ...(load ? { load } : {}) };
    this.inputs[id] = input;
    return input;
  }

  /** Archive members become lazy inputs, in member order so that ties go to the first, as in GNU ld. */
  private addArchive(archive: Archive): void {
    if (!archive.hasSymbolTable && [...archive.members()].length > 0) {
      throw new ElfLinkError(`${archive.fileName}: archive has no index; run ranlib to add one`);
    }
    const byOffset = new Map<number, string[]>();
    for (const s of archive.symbols()) {
      const list = byOffset.get(s.memberOffset) ?? [];
      list.push(s.name);
      byOffset.set(s.memberOffset, list);
    }
    for (const offset of [...byOffset.keys()].sort((a, b) => a - b)) {
      const member = archive.memberAt(offset);
      const display = `${archive.fileName}(${member.name})`;
      const input = this.newInput(display, () => {
        if (!member.thin) return member.data;
        if (this.options.readFile === undefined) throw new ElfLinkError(`${display}: thin archive member needs a file system to read ${member.path}`);
        return this.options.readFile(member.path);
      });
      for (const name of byOffset.get(offset)!) this.symbols.defineLazy(input.id, name);
    }
  }

  /** Registers an object's COMDAT groups and global symbols with the resolver. */
  private addObject(input: LoadedInput, object: ObjectFile): void {
    input.object = object;
    input.groupOf = new Map();
    input.globalIndex = new Map();
    for (const group of object.groups) {
      if (!group.comdat) continue;
      // ELF section groups keep one instance per signature, whichever input comes first (gABI "Section Groups").
      const id = this.symbols.addComdat(input.id, group.signature, ComdatSelection.Any);
      for (const member of group.members) input.groupOf.set(member, id);
    }
    // The first section that relocates against each symbol names the reference in diagnostics.
    const firstUse = new Map<number, number>();
    for (const section of object.sections) {
      if (section === undefined || outputSectionOf(section) === undefined) continue;
      for (const r of section.relocations) if (!firstUse.has(r.symbol)) firstUse.set(r.symbol, section.index);
    }
    object.symbols.forEach((sym, index) => {
      if (sym.bind === STB.LOCAL || index === 0) return;
      input.globalIndex.set(sym.name, index);
      const weak = sym.bind === STB.WEAK;
      if (sym.shndx === SHN_UNDEF) {
        this.symbols.reference(input.id, sym.name, firstUse.get(index) ?? 0, weak ? RefFlags.Weak | RefFlags.NoLoad : 0);
      } else if (sym.shndx === SHN_ABS) {
        this.symbols.defineAbsolute(input.id, sym.name, sym.value);
      } else if (sym.shndx === SHN_COMMON) {
        // For SHN_COMMON, st_value is the alignment (gABI "Symbol Values").
        this.symbols.defineCommon(input.id, sym.name, sym.size, Math.max(1, sym.value));
      } else if (sym.shndx >= SHN_LORESERVE) {
        throw new ElfFormatError(object.name, 0, `symbol ${sym.name} has unsupported section index 0x${sym.shndx.toString(16)}`);
      } else {
        const group = input.groupOf.get(sym.shndx) ?? -1;
        if (weak) this.symbols.defineWeak(input.id, sym.name, sym.shndx, sym.value, group);
        else this.symbols.define(input.id, sym.name, sym.shndx, sym.value, group);
      }
    });
  }

  /** Loads archive members until every demanded name is defined or nothing more defines it. */
  private resolve(): string[] {
    this.symbols.loadMembers((member) => {
      const input = this.inputs[member]!;
      this.addObject(input, parseObject(input.load!(), input.name));
    });
    // Linker-defined names, only where an input asks for them and defines them nowhere.
    for (const name of Object.keys(LINKER_SYMBOLS)) {
      const id = this.symbols.idOf(name);
      if (id !== undefined && this.symbols.referenceCount(id) > 0 && !this.symbols.isDefined(id)) this.symbols.defineSynthetic(this.linkerInput, name, -1, 0);
    }
    const warnings: string[] = [];
    try {
      for (const d of this.symbols.check()) warnings.push(d.message);
    } catch (error) {
      if (error instanceof ResolverError) {
        throw new ElfLinkError(this.symbols.diagnostics().filter((d) => d.severity === "error").map((d) => d.message), { cause: error });
      }
      throw error;
    }
    return warnings;
  }

  // ---------------------------------------------------------------- targets

  private isKept(input: LoadedInput, section: number): boolean {
    const group = input.groupOf.get(section);
    return group === undefined || this.symbols.isComdatKept(group, input.id);
  }

  /** What symbol `index` of `input` stands for, following the resolver for global names. */
  private target(input: LoadedInput, index: number): Target {
    const sym = input.object!.symbols[index]!;
    if (sym.bind === STB.LOCAL) {
      if (sym.shndx === SHN_ABS) return { kind: "absolute", value: sym.value };
      if (sym.shndx === SHN_UNDEF) return { kind: "undefined" };
      return { kind: "section", input, section: sym.shndx, value: sym.value, isSectionSymbol: sym.type === STT.SECTION };
    }
    const id = this.symbols.idOf(sym.name)!;
    return this.globalTarget(id);
  }

  private globalTarget(id: SymbolId): Target {
    const kind = this.symbols.winnerKind(id);
    switch (kind) {
      case SymbolKind.Defined:
      case SymbolKind.Weak:
        return { kind: "section", input: this.inputs[this.symbols.winnerInput(id)]!, section: this.symbols.winnerSection(id), value: this.symbols.winnerValue(id), isSectionSymbol: false };
      case SymbolKind.Synthetic:
        return { kind: "linker", name: this.symbols.nameOf(id) as LinkerSymbolName };
      case SymbolKind.Absolute:
        return { kind: "absolute", value: this.symbols.winnerValue(id) };
      case SymbolKind.Common:
        return { kind: "common", name: this.symbols.nameOf(id) };
      default:
        return { kind: "undefined" };
    }
  }

  // ---------------------------------------------------------------- liveness

  private liveInputs(): LoadedInput[] {
    return this.inputs.filter((i) => i.object !== undefined);
  }

  /** Sections in the image: kept COMDAT instances; with --gc-sections, only what the entry reaches. */
  private markLive(): Set<string> {
    const live = new Set<string>();
    const retained = (input: LoadedInput, s: InputSection) => outputSectionOf(s) !== undefined && this.isKept(input, s.index);
    if (!this.options.gcSections) {
      for (const input of this.liveInputs()) for (const s of input.object!.sections) if (s && retained(input, s)) live.add(sectionKey(input, s.index));
      return live;
    }
    const work: [LoadedInput, InputSection][] = [];
    const enqueue = (input: LoadedInput, index: number) => {
      const s = input.object?.sections[index];
      if (s === undefined || !retained(input, s)) return;
      const key = sectionKey(input, index);
      if (live.has(key)) return;
      live.add(key);
      work.push([input, s]);
    };
    const entry = this.symbols.idOf(this.entry);
    if (entry !== undefined) {
      const t = this.globalTarget(entry);
      if (t.kind === "section") enqueue(t.input, t.section);
    }
    // Sections the startup code or the kernel reach without a symbol: GNU ld's default script KEEPs them.
    for (const input of this.liveInputs()) {
      for (const s of input.object!.sections) {
        if (s === undefined) continue;
        const kept = s.type === SHT.INIT_ARRAY || s.type === SHT.FINI_ARRAY || s.type === SHT.PREINIT_ARRAY || (s.flags & SHF_GNU_RETAIN) !== 0 || /^\.(init|fini|ctors|dtors)(\.|$)/.test(s.name);
        if (kept) enqueue(input, s.index);
      }
    }
    for (let next = work.pop(); next !== undefined; next = work.pop()) {
      const [input, section] = next;
      for (const r of section.relocations) {
        const t = this.target(input, r.symbol);
        if (t.kind === "section") enqueue(t.input, t.section);
      }
      // A group is kept or dropped as a whole (gABI): its other members live with it.
      const group = input.groupOf.get(section.index);
      if (group !== undefined) for (const [member, g] of input.groupOf) if (g === group) enqueue(input, member);
    }
    return live;
  }

  // ---------------------------------------------------------------- merged strings

  /** Cuts a SHF_MERGE|SHF_STRINGS section into strings, or says it cannot be merged (kept as a plain section). */
  private piecesOf(section: InputSection): MergePieces | undefined {
    const mergeable = (section.flags & (SHF.MERGE | SHF.STRINGS)) === (SHF.MERGE | SHF.STRINGS) && section.entsize === 1 && section.alignment === 1;
    if (!mergeable || section.relocations.length > 0 || section.data.length === 0 || section.data[section.data.length - 1] !== 0) return undefined;
    // @linkkit/strtab holds JavaScript strings: bytes that are not UTF-8 would not read back the same.
    let text: string;
    try {
      text = decoder.decode(section.data);
    } catch {
      return undefined;
    }
    const strings = text.split("\0");
    strings.pop();
    const starts: number[] = [];
    const encoder = new TextEncoder();
    let at = 0;
    for (const s of strings) {
      starts.push(at);
      at += encoder.encode(s).length + 1;
    }
    return { starts, strings };
  }

  private pieceOffset(input: LoadedInput, section: InputSection, offset: number): number | undefined {
    const pieces = this.mergePieces.get(sectionKey(input, section.index))!;
    // The last piece starting at or before `offset`.
    let lo = 0;
    let hi = pieces.starts.length - 1;
    if (hi < 0 || offset < 0) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pieces.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const table = this.mergeTables.get(outputSectionOf(section)!)!;
    return table.offsetOf(pieces.strings[lo]!)! + (offset - pieces.starts[lo]!);
  }

  // ---------------------------------------------------------------- layout

  private atomSpecs(live: Set<string>, got: Map<string, Target>): AtomSpec[] {
    const specs: AtomSpec[] = [];
    const mergeStrings = new Map<OutputName, string[]>();
    this.mergePieces = new Map();
    for (const input of this.liveInputs()) {
      for (const s of input.object!.sections) {
        if (s === undefined || !live.has(sectionKey(input, s.index))) continue;
        const out = outputSectionOf(s)!;
        const pieces = this.piecesOf(s);
        if (pieces !== undefined) {
          this.mergePieces.set(sectionKey(input, s.index), pieces);
          const list = mergeStrings.get(out) ?? [];
          list.push(...pieces.strings);
          mergeStrings.set(out, list);
          continue;
        }
        specs.push({ key: sectionKey(input, s.index), section: out, size: s.size, alignment: s.alignment });
      }
    }
    for (const [out, strings] of mergeStrings) {
      let table = this.mergeTables.get(out);
      if (table === undefined) {
        table = StringTable.from(strings, "elf", { tailMerge: true });
        this.mergeTables.set(out, table);
      } else {
        for (const s of strings) table.add(s);
      }
      specs.push({ key: `merge:${out}`, section: out, size: table.size, alignment: 1 });
    }
    for (const id of this.symbols.symbols()) {
      if (this.symbols.winnerKind(id) !== SymbolKind.Common) continue;
      const r = this.symbols.resolution(id);
      if (r.kind === "common") specs.push({ key: `common:${this.symbols.nameOf(id)}`, section: ".bss", size: r.size, alignment: r.alignment });
    }
    for (const key of got.keys()) specs.push({ key: `got:${key}`, section: ".got", size: 8, alignment: 8 });
    return specs;
  }

  /** Brings the layout in line with the atoms wanted: a full link appends them; an update frees, resizes and places. */
  private syncLayout(specs: readonly AtomSpec[]): void {
    const wanted = new Map(specs.map((s) => [s.key, s]));
    for (const [key, atom] of this.atoms) {
      const spec = wanted.get(key);
      if (spec === undefined || this.layout.atom(atom).alignment !== spec.alignment) {
        this.layout.freeAtom(atom);
        this.atoms.delete(key);
      }
    }
    for (const spec of specs) {
      const atom = this.atoms.get(spec.key);
      if (atom !== undefined) {
        if (this.layout.atom(atom).size !== spec.size) this.layout.resizeAtom(atom, spec.size);
        continue;
      }
      const section = this.sectionIds.get(spec.section)!;
      const id = this.layout.addressesAssigned ? this.layout.placeAtom(section, spec.size, spec.alignment).atom : this.layout.addAtom(section, spec.size, spec.alignment);
      this.atoms.set(spec.key, id);
    }
    if (!this.layout.addressesAssigned) {
      this.layout.assignAddresses();
      // An empty section gets a page of room now, so that its first atom in an update moves nothing after it.
      if (this.options.incremental) {
        for (const id of this.sectionIds.values()) {
          const s = this.layout.section(id);
          if (s.virtualReserve === 0) this.layout.growSection(id, { virtualReserve: PAGE_SIZE, ...(s.noBits ? {} : { fileReserve: PAGE_SIZE }) });
        }
      }
    }
  }

  private atomAddress(key: string): number {
    const atom = this.atoms.get(key);
    if (atom === undefined) throw new InternalError(`no atom for ${key}`);
    return IMAGE_BASE + this.layout.atomAddress(atom);
  }

  /** The address a target stands for; for a section symbol in a merged-string section the addend picks the string. */
  private addressOf(t: Target, addend: number): { address: number; addend: number } | undefined {
    switch (t.kind) {
      case "absolute": return { address: t.value, addend };
      case "undefined": return { address: 0, addend };
      case "common": return { address: this.atomAddress(`common:${t.name}`), addend };
      case "linker": {
        const { section, at } = LINKER_SYMBOLS[t.name];
        if (section === undefined) return { address: IMAGE_BASE, addend };
        const out = this.outputSections().find((o) => o.name === section)!;
        return { address: out.address + (at === "end" ? out.size : 0), addend };
      }
      case "section": {
        const section = t.input.object!.sections[t.section]!;
        const key = sectionKey(t.input, t.section);
        if (this.mergePieces.has(key)) {
          // lld's rule: a section symbol's addend is an offset into the section and so selects the string.
          const offset = t.isSectionSymbol ? t.value + addend : t.value;
          const at = this.pieceOffset(t.input, section, offset);
          if (at === undefined) return undefined;
          return { address: this.atomAddress(`merge:${outputSectionOf(section)!}`) + at, addend: t.isSectionSymbol ? 0 : addend };
        }
        if (!this.atoms.has(key)) return undefined;
        return { address: this.atomAddress(key) + t.value, addend };
      }
    }
  }

  // ---------------------------------------------------------------- GOT and relaxation

  private gotKey(input: LoadedInput, index: number): string {
    const sym = input.object!.symbols[index]!;
    return sym.bind === STB.LOCAL ? `${input.name}\0${index}` : `=${sym.name}`;
  }

  /**
   * Whether a GOTPCRELX load can become a direct reference (x86-64 psABI, "Optimize GOTPCRELX
   * Relocations"): the instruction is `mov`, `call *` or `jmp *` and the target is in the image.
   */
  private relaxable(section: InputSection, r: Relocation, t: Target): boolean {
    if (r.type !== R_X86_64.GOTPCRELX && r.type !== R_X86_64.REX_GOTPCRELX) return false;
    if (r.addend !== -4 || r.offset < 2 || (t.kind !== "section" && t.kind !== "common")) return false;
    const op = section.data[r.offset - 2];
    const modrm = section.data[r.offset - 1];
    if (op === 0x8b) return true;
    return r.type === R_X86_64.GOTPCRELX && op === 0xff && (modrm === 0x15 || modrm === 0x25);
  }

  private gotEntries(live: Set<string>): Map<string, Target> {
    const got = new Map<string, Target>();
    for (const input of this.liveInputs()) {
      for (const s of input.object!.sections) {
        if (s === undefined || !live.has(sectionKey(input, s.index))) continue;
        for (const r of s.relocations) {
          if (r.type !== R_X86_64.GOTPCREL && r.type !== R_X86_64.GOTPCRELX && r.type !== R_X86_64.REX_GOTPCRELX) continue;
          const t = this.target(input, r.symbol);
          if (!this.relaxable(s, r, t)) got.set(this.gotKey(input, r.symbol), t);
        }
      }
    }
    return got;
  }

  // ---------------------------------------------------------------- relocate

  private relocate(image: Uint8Array, live: Set<string>, got: Map<string, Target>, fileOffsetOf: (key: string) => number): string[] {
    const errors: string[] = [];
    const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
    for (const [key, t] of got) {
      const a = this.addressOf(t, 0);
      view.setBigUint64(fileOffsetOf(`got:${key}`), BigInt(a === undefined ? 0 : a.address + a.addend), true);
    }
    for (const input of this.liveInputs()) {
      for (const s of input.object!.sections) {
        if (s === undefined || s.relocations.length === 0) continue;
        const key = sectionKey(input, s.index);
        if (!live.has(key) || !this.atoms.has(key) || s.type === SHT.NOBITS) continue;
        const base = fileOffsetOf(key);
        const sectionAddress = this.atomAddress(key);
        for (const r of s.relocations) {
          const sym = input.object!.symbols[r.symbol]!;
          const symName = sym.type === STT.SECTION ? (input.object!.sections[sym.shndx]?.name ?? "") : sym.name;
          const where = `${input.name}:(${s.name}+0x${r.offset.toString(16)})`;
          const t = this.target(input, r.symbol);
          const at = base + r.offset;
          const p = sectionAddress + r.offset;
          if (r.type === R_X86_64.NONE) continue;
          const a = this.addressOf(t, r.addend);
          if (a === undefined) {
            errors.push(`${where}: relocation ${relocationName(r.type)} refers to '${symName}', which is in a discarded section`);
            continue;
          }
          const sa = a.address + a.addend;
          let value: number;
          let width: 4 | 8 = 4;
          let signed = true;
          switch (r.type) {
            case R_X86_64._64: value = sa; width = 8; break;
            case R_X86_64.PC64: value = sa - p; width = 8; break;
            case R_X86_64.PC32:
            case R_X86_64.PLT32: value = sa - p; break; // static: a PLT call is a direct call
            case R_X86_64._32: value = sa; signed = false; break;
            case R_X86_64._32S: value = sa; break;
            case R_X86_64.GOTPCREL:
            case R_X86_64.GOTPCRELX:
            case R_X86_64.REX_GOTPCRELX: {
              const gotKey = this.gotKey(input, r.symbol);
              if (got.has(gotKey)) {
                value = this.atomAddress(`got:${gotKey}`) + r.addend - p;
                break;
              }
              // Relaxed: rewrite the instruction to reach the symbol itself.
              const op = image[at - 2];
              if (op === 0x8b) {
                image[at - 2] = 0x8d; // mov foo@GOTPCREL(%rip), %reg -> lea foo(%rip), %reg
                value = sa - p;
              } else if (image[at - 1] === 0x15) {
                image[at - 2] = 0x67; // call *foo@GOTPCREL(%rip) -> addr32 call foo
                image[at - 1] = 0xe8;
                value = sa - p;
              } else {
                image[at - 2] = 0xe9; // jmp *foo@GOTPCREL(%rip) -> jmp foo; nop
                image[at + 3] = 0x90;
                value = sa - (p - 1);
                writeChecked(view, at - 1, value, 4, true, where, r, symName, errors);
                continue;
              }
              break;
            }
            default:
              errors.push(`${where}: unsupported relocation type ${relocationName(r.type)} against symbol '${symName}'`);
              continue;
          }
          writeChecked(view, at, value, width, signed, where, r, symName, errors);
        }
      }
    }
    return errors;
  }

  // ---------------------------------------------------------------- write

  /** Runs every pass after loading and returns the new image. */
  link(): LinkOutput {
    // Resolve: archive members are loaded while they define a demanded name; undefined and duplicate symbols fail here.
    const warnings = this.resolve();
    // From here on no new symbols. Liveness: kept COMDAT instances, then --gc-sections from the entry.
    const live = this.markLive();
    // GOT slots only for loads that cannot be relaxed into direct references.
    const got = this.gotEntries(live);
    // Lay out: atoms into the output sections; the allocator gives addresses. Memory layout is fixed after this.
    this.syncLayout(this.atomSpecs(live, got));
    const entry = this.symbols.idOf(this.entry);
    const entryTarget = entry === undefined ? undefined : this.addressOf(this.globalTarget(entry), 0);
    const textAddress = IMAGE_BASE + this.layout.section(this.sectionIds.get(".text")!).address;
    if (entryTarget === undefined || (entry !== undefined && this.symbols.winnerKind(entry) === SymbolKind.Undefined)) {
      warnings.push(`warning: cannot find entry symbol ${this.entry}; defaulting to 0x${textAddress.toString(16)}`);
    }
    // Write: headers, section contents, symbol table; then relocations against final addresses.
    const sections = this.outputSections();
    const written = writeExecutable({
      entry: entryTarget !== undefined && entry !== undefined && this.symbols.winnerKind(entry) !== SymbolKind.Undefined ? entryTarget.address : textAddress,
      sections,
      symbols: this.options.stripAll ? undefined : this.outputSymbols(live, sections),
      maxProgramHeaders: MAX_PROGRAM_HEADERS,
      contentEnd: this.contentEnd(),
    });
    const image = written.bytes;
    for (const s of sections) this.fillSection(image, s);
    const fileOffsetOf = (key: string) => {
      const atom = this.atoms.get(key)!;
      return this.layout.section(this.layout.atomSection(atom)).fileOffset + this.layout.atomOffset(atom);
    };
    const errors = this.relocate(image, live, got, fileOffsetOf);
    if (errors.length > 0) throw new ElfLinkError(errors);
    this.linked = true;
    const gcDropped: string[] = [];
    if (this.options.gcSections) {
      for (const input of this.liveInputs()) {
        for (const s of input.object!.sections) {
          if (s && outputSectionOf(s) !== undefined && this.isKept(input, s.index) && !live.has(sectionKey(input, s.index))) gcDropped.push(`${input.name}:(${s.name})`);
        }
      }
    }
    return { bytes: image, warnings, gcDropped };
  }

  /**
   * Replaces object `name` (given on the command line, not an archive member) with `bytes` and re-links
   * over the same layout. On failure the old object is put back, so the state stays that of the last good link.
   */
  replaceObject(name: string, bytes: Uint8Array): LinkOutput {
    if (!this.linked) throw new ElfLinkError("replaceObject: link() first");
    const input = this.inputs.find((i) => i.name === name && i.load === undefined && i.id !== this.linkerInput);
    if (input === undefined) throw new ElfLinkError(`replaceObject: no object named ${name} in this link`);
    const old = input.object!;
    const object = parseObject(bytes, name);
    this.symbols.removeInput(input.id);
    this.addObject(input, object);
    try {
      return this.link();
    } catch (error) {
      this.symbols.removeInput(input.id);
      this.addObject(input, old);
      throw error;
    }
  }

  private contentEnd(): number {
    let end = HEADER_SIZE;
    for (const s of this.layout.sections()) if (!s.noBits) end = Math.max(end, s.fileOffset + s.fileReserve);
    return end;
  }

  private outputSections(): OutputSection[] {
    return OUTPUT_SECTIONS.map((o) => {
      const info = this.layout.section(this.sectionIds.get(o.name)!);
      let size = 0;
      let alignment = 1;
      for (const atom of this.layout.atomsInSection(info.id)) {
        const a = this.layout.atom(atom);
        size = Math.max(size, a.offset + a.size);
        alignment = Math.max(alignment, a.alignment);
      }
      return { name: o.name, flags: o.flags, noBits: o.noBits, address: IMAGE_BASE + info.address, fileOffset: info.fileOffset, size, alignment };
    });
  }

  private fillSection(image: Uint8Array, out: OutputSection): void {
    if (out.noBits || out.size === 0) return;
    for (const [key, atom] of this.atoms) {
      const info = this.layout.atom(atom);
      if (this.layout.section(info.section).name !== out.name) continue;
      const at = out.fileOffset + info.offset;
      if (key.startsWith("merge:")) this.mergeTables.get(out.name as OutputName)!.writeTo(image, at);
      else if (key.startsWith("got:") || key.startsWith("common:")) continue;
      else {
        const [input, section] = this.sectionOfKey(key);
        image.set(section.data, at);
        void input;
      }
    }
  }

  private sectionOfKey(key: string): [LoadedInput, InputSection] {
    const split = key.lastIndexOf("\0");
    const input = this.inputs[Number(key.slice(0, split))]!;
    return [input, input.object!.sections[Number(key.slice(split + 1))]!];
  }

  /** .symtab: each live object's file and local symbols, then one entry per global name (GNU ld's order). */
  private outputSymbols(live: Set<string>, sections: readonly OutputSection[]): OutputSymbol[] {
    const indexOf = new Map<string, number>();
    let next = 1;
    for (const s of sections) if (s.size > 0) indexOf.set(s.name, next++);
    const locals: OutputSymbol[] = [];
    const globals: OutputSymbol[] = [];
    const place = (t: Target, value: number): { shndx: number; value: number } | undefined => {
      if (t.kind === "absolute") return { shndx: SHN_ABS, value: t.value };
      if (t.kind === "undefined") return undefined;
      if (t.kind === "section" && !live.has(sectionKey(t.input, t.section))) return undefined;
      const a = this.addressOf(t.kind === "section" ? { ...t, value } : t, 0);
      if (a === undefined) return undefined;
      const out = t.kind === "linker" ? LINKER_SYMBOLS[t.name].section : t.kind === "common" ? ".bss" : outputSectionOf(t.input.object!.sections[t.section]!)!;
      return { shndx: (out === undefined ? undefined : indexOf.get(out)) ?? SHN_ABS, value: a.address };
    };
    for (const input of this.liveInputs()) {
      const object = input.object!;
      object.symbols.forEach((sym, index) => {
        if (index === 0 || sym.bind !== STB.LOCAL || sym.type === STT.SECTION) return;
        if (sym.type === STT.FILE) {
          locals.push({ name: sym.name, info: (STB.LOCAL << 4) | STT.FILE, other: 0, shndx: SHN_ABS, value: 0, size: 0 });
          return;
        }
        if (sym.name === "") return;
        const at = place(this.target(input, index), sym.value);
        if (at !== undefined) locals.push({ name: sym.name, info: (sym.bind << 4) | sym.type, other: sym.other, shndx: at.shndx, value: at.value, size: sym.size });
      });
    }
    for (const id of this.symbols.symbols()) {
      const name = this.symbols.nameOf(id);
      const kind = this.symbols.winnerKind(id);
      if (this.symbols.referenceCount(id) === 0 && (kind === SymbolKind.Undefined || kind === SymbolKind.Lazy)) continue;
      if (id === this.symbols.idOf(this.entry) && kind === SymbolKind.Undefined) continue;
      if (kind === SymbolKind.Undefined || kind === SymbolKind.Lazy) {
        // Only weak references can be left undefined (check() has failed otherwise): GNU ld lists them as weak.
        globals.push({ name, info: (STB.WEAK << 4) | STT.NOTYPE, other: 0, shndx: SHN_UNDEF, value: 0, size: 0 });
        continue;
      }
      const t = this.globalTarget(id);
      const input = this.inputs[this.symbols.winnerInput(id)]!;
      const symIndex = input.globalIndex.get(name);
      const sym = symIndex === undefined ? undefined : input.object?.symbols[symIndex];
      const at = place(t, t.kind === "section" ? t.value : 0);
      if (at === undefined) continue;
      const type = sym === undefined ? STT.NOTYPE : sym.type === STT.COMMON ? STT.OBJECT : sym.type;
      const bind = kind === SymbolKind.Weak ? STB.WEAK : STB.GLOBAL;
      const other = sym?.other ?? 0;
      const entry = { name, info: (bind << 4) | type, other, shndx: at.shndx, value: at.value, size: sym?.size ?? 0 };
      // Hidden and internal names are not exported from an executable: written as locals, as lld does.
      const visibility = other & 3;
      if (visibility === 1 || visibility === 2) locals.push({ ...entry, info: (STB.LOCAL << 4) | type });
      else globals.push(entry);
    }
    return [...locals, ...globals];
  }
}

function sectionKey(input: LoadedInput, index: number): string {
  return `${input.id}\0${index}`;
}

function writeChecked(view: DataView, at: number, value: number, width: 4 | 8, signed: boolean, where: string, r: Relocation, symName: string, errors: string[]): void {
  if (width === 8) {
    view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
    return;
  }
  const [min, max] = signed ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  if (value < min || value > max) {
    errors.push(`${where}: relocation ${relocationName(r.type)} out of range: ${value} is not in [${min}, ${max}]; references '${symName}'`);
    return;
  }
  view.setUint32(at, value >>> 0, true);
}
