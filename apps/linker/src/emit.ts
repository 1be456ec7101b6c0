// Relocate and write: copy every atom's bytes to its file offset, apply its relocations against final
// addresses (recording base relocations for the absolute ones), fill in the synthetic tables, then the
// headers. Produces the whole image in one buffer.
import { IMAGE_DIRECTORY_ENTRY, IMAGE_FILE_MACHINE, IMAGE_REL_BASED, IMAGE_SCN, IMAGE_SUBSYSTEM, IMAGE_DLLCHARACTERISTICS, ImageRuntimeFunctionEntry, relocationTypesOf, nameOf, type ConstantTable } from "@linkkit/coff-format";
import {
  DirtyRanges, buildBaseRelocationsFromArrays, imageCharacteristics, loadConfigDirectoryEntry, orderByKey, runtimeFunctionOrder,
  tlsDirectoryEntry, writeChecksum, writeExportTable, writeImageHeaders, writeImportTables, writeImportThunk,
  planExportTable, type DataDirectoryEntry, type ExportTableInput, type SectionHeaderModel,
} from "@linkkit/pe-writer";
import { LinkError } from "./errors.js";
import { ObjectFile, sectionTotal } from "./inputs/object-file.js";
import type { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import type { ImageLayout, OutputSection } from "./layout.js";
import type { LinkOptions } from "./options.js";
import { applyRelocation, relocationSize, type RelocationTarget } from "./relocate.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";
import { relocateFileSections, wordCopyPays, type AtomPlaces, type KernelOutput, type RelocationFile } from "./relocate-kernel.js";

const subsystemValue: Record<string, number> = {
  console: IMAGE_SUBSYSTEM.WINDOWS_CUI, windows: IMAGE_SUBSYSTEM.WINDOWS_GUI, native: IMAGE_SUBSYSTEM.NATIVE,
  posix: IMAGE_SUBSYSTEM.POSIX_CUI, efi_application: IMAGE_SUBSYSTEM.EFI_APPLICATION,
  efi_boot_service_driver: IMAGE_SUBSYSTEM.EFI_BOOT_SERVICE_DRIVER, efi_rom: IMAGE_SUBSYSTEM.EFI_ROM,
  efi_runtime_driver: IMAGE_SUBSYSTEM.EFI_RUNTIME_DRIVER, boot_application: IMAGE_SUBSYSTEM.WINDOWS_BOOT_APPLICATION,
};

export interface EmitRequest {
  readonly inputs: LoadedInputs;
  /** Replaced by an incremental update after resolving again. */
  resolved: ResolvedSymbols;
  readonly image: ImageLayout;
  readonly options: LinkOptions;
  readonly imageBase: number;
  readonly entrySymbol: number | undefined;
  readonly subsystem: string;
  /** The export table with final RVAs (the layout planned its size with the same names and ordinals). */
  exportTable: ExportTableInput | undefined;
}

export interface EmittedImage {
  readonly bytes: Uint8Array;
  readonly baseRelocationCount: number;
  readonly entryRva: number;
}

/** Address facts of one atom, computed from the allocator. */
export function atomRva(image: ImageLayout, atom: number): number {
  return image.layout.atomAddress(atom);
}

/** The RVA a global symbol resolves to, or undefined when it has none (undefined under /force). */
export function symbolRva(inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, id: number, imageBase: number): number | undefined {
  switch (resolved.kind[id]) {
    case TargetKind.Section: {
      const atom = sectionSymbolAtom(inputs, resolved, id);
      if (atom < 0) return undefined;
      return image.layout.atomAddress(atom) + resolved.value[id]!;
    }
    case TargetKind.Common: {
      const atom = image.commonAtoms.get(inputs.symbols.resolveAlias(id)!);
      return atom === undefined ? undefined : image.layout.atomAddress(atom);
    }
    case TargetKind.Absolute: return resolved.value[id]! - imageBase;
    case TargetKind.ImageBase: return 0;
    case TargetKind.ImportSlot: {
      const file = inputs.files[resolved.input[id]!] as ImportFile;
      return importSlotRva(image, file);
    }
    case TargetKind.ImportThunk: {
      const atom = image.thunkAtoms.get(inputs.files[resolved.input[id]!] as ImportFile);
      return atom === undefined ? undefined : image.layout.atomAddress(atom);
    }
    default: return undefined;
  }
}

/** The atom of the section that defines symbol `id` (of kind Section), or -1 when the section is not in the image. */
function sectionSymbolAtom(inputs: LoadedInputs, resolved: ResolvedSymbols, id: number): number {
  return (inputs.files[resolved.input[id]!] as ObjectFile).sectionAtom[resolved.section[id]! - 1]!;
}

/**
 * Every global symbol's address (NaN: none), those in sections (nearly all) straight from the atoms'
 * `places`, the others asked of `symbolRva`. A function of its own: a loop that runs once is optimised
 * sooner in a small function than in a large one.
 */
function globalAddresses(inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, imageBase: number, places: AtomPlaces): Float64Array {
  const symbolCount = resolved.kind.length;
  const globalRva = new Float64Array(symbolCount);
  for (let id = 0; id < symbolCount; id++) {
    if (resolved.kind[id] === TargetKind.Section) {
      const atom = sectionSymbolAtom(inputs, resolved, id);
      globalRva[id] = atom >= 0 ? places.address[atom]! + resolved.value[id]! : NaN;
    } else {
      globalRva[id] = symbolRva(inputs, resolved, image, id, imageBase) ?? NaN;
    }
  }
  return globalRva;
}

function importSlotRva(image: ImageLayout, file: ImportFile): number | undefined {
  const tables = image.importTables;
  const slot = tables?.slots.get(file);
  if (!tables || !slot) return undefined;
  const base = image.layout.atomAddress(tables.atom);
  return base + tables.plan.iatOffsets[slot[0]]! + slot[1] * (tables.plan.is64 ? 8 : 4);
}

export interface EmitterState {
  readonly fileSize: number;
  readonly stringTable: { readonly at: number; readonly size: number } | undefined;
  readonly baseRelocRva: Uint32Array;
  readonly baseRelocType: Uint8Array;
  readonly baseRelocAtom: Int32Array;
  readonly sortedBaseRelocs: number;
  /** The encoded table, when it is the encoding of the entries above. */
  readonly baseRelocationTable: Uint8Array | undefined;
  readonly directories: readonly (DataDirectoryEntry | undefined)[];
  readonly entryRva: number;
  readonly exceptionAtoms: Uint8Array | undefined;
  readonly exceptionEntryAtom: Int32Array | undefined;
}

/**
 * Writes the image into one buffer. A full link calls `emitAll`; an incremental update keeps the emitter
 * and calls the finer steps (one section, one relocation site, the synthetic tables, the headers), with
 * every byte it changes recorded in `dirty` so only those ranges reach the file.
 */
export class ImageEmitter {
  buffer: Uint8Array;
  view: DataView;
  /** Size of the file (the buffer may be larger, to grow into). */
  fileSize = 0;
  private stringTable: { readonly at: number; readonly size: number } | undefined;
  readonly dirty = new DirtyRanges();
  trackDirty = false;
  relocationsApplied = 0;
  /** Base relocations, with the atom each site lies in (so an update can drop an atom's entries). */
  baseRelocRva = new Uint32Array(1024);
  baseRelocType = new Uint8Array(1024);
  baseRelocAtom = new Int32Array(1024);
  baseRelocCount = 0;
  /** Entries [0, sortedBaseRelocs) are in (address, type) order: an update merges its few new ones in. */
  private sortedBaseRelocs = 0;
  /** Entries `dropBaseRelocs` marked and `sortBaseRelocs` has yet to take back or remove; whether any is in the tail. */
  private droppedBaseRelocs = 0;
  private droppedInTail = false;
  private lastBaseRelocations: { readonly rvas: Uint32Array; readonly types: Uint8Array; readonly table: Uint8Array } | undefined;
  /**
   * True while the sorted entries are the very ones `lastBaseRelocations` was encoded from (an update that
   * takes its dropped entries back unchanged keeps it): then nobody compares the two, entry by entry.
   */
  private baseRelocsMatchTable = false;
  /** The base-relocation table this emitter last put in the buffer, and where (none yet after a restore). */
  private baseRelocTableWritten: { readonly table: Uint8Array; readonly at: number } | undefined;
  /**
   * Whether import thunks may own base relocations (x86 thunks jump through an absolute address): only
   * then are a thunk's entries dropped before it is written again, a pass over every entry of the link.
   */
  private thunkBaseRelocs = false;
  /**
   * During an update: the atoms whose contents change (rewritten, freed, or a site in them re-applied).
   * The exception table merges only their entries again; undefined in a full link.
   */
  changedAtoms: Set<number> | undefined;
  readonly errors: string[] = [];
  directories: (DataDirectoryEntry | undefined)[] = [];
  entryRva = 0;
  /** `.pdata` as its atoms lay it out, and as written to the file (packed, sorted): see `writeExceptionTable`. */
  private exceptionAtoms: Uint8Array | undefined;
  private exceptionTableOnDisk: Uint8Array | undefined;
  /** The atom each entry of `exceptionTableOnDisk` came from (-1: a filler). */
  private exceptionEntryAtom: Int32Array | undefined;
  /** Per atom, the BeginAddress of each of its entries in the table: how an update finds them (made when first needed). */
  private exceptionBegins: EntryBegins | undefined;
  /** Patches of the exception table in this process (see `patchExceptionSlots`). */
  private exceptionPatches = 0;
  private readonly machineValue: number;
  private readonly relocTable: ConstantTable;
  private readonly target = { rva: 0, absolute: false, sectionIndex: 0, sectionRva: 0 };
  /** The places of the atoms of the objects `writeObjectSection` relocated, by atom (see `forgetAddresses`). */
  private placesCache: (AtomPlaces & { readonly filled: Set<ObjectFile> }) | undefined;
  /** Global symbols' addresses as `writeObjectSection` looked them up (see `forgetAddresses`). */
  private addressCache: { readonly rva: Float64Array; readonly known: Uint8Array; readonly filled: number[] } | undefined;

  constructor(readonly req: EmitRequest) {
    this.machineValue = req.inputs.machine === "x64" ? IMAGE_FILE_MACHINE.AMD64 : IMAGE_FILE_MACHINE.I386;
    this.relocTable = relocationTypesOf(this.machineValue)!;
    this.buffer = new Uint8Array(0);
    this.view = new DataView(this.buffer.buffer);
  }

  get is64(): boolean {
    return this.req.inputs.machine === "x64";
  }

  /** What the emitter learned beyond the image's bytes (kept by the caller): a saved session's part. */
  saveState(): EmitterState {
    const n = this.baseRelocCount;
    return {
      fileSize: this.fileSize, stringTable: this.stringTable,
      baseRelocRva: this.baseRelocRva.subarray(0, n), baseRelocType: this.baseRelocType.subarray(0, n), baseRelocAtom: this.baseRelocAtom.subarray(0, n),
      sortedBaseRelocs: this.sortedBaseRelocs,
      // The entries the table was last encoded from are the entries as they are (sorted), between updates.
      baseRelocationTable: this.sortedBaseRelocs === n && this.droppedBaseRelocs === 0 && this.lastBaseRelocations && this.baseRelocsMatchLast() ? this.lastBaseRelocations.table : undefined,
      directories: this.directories, entryRva: this.entryRva, exceptionAtoms: this.exceptionAtoms, exceptionEntryAtom: this.exceptionEntryAtom,
    };
  }

  /** Takes up a saved session's emitter over `image`, the output file as it is on disk. */
  restoreState(state: EmitterState, image: Uint8Array): void {
    if (image.length < state.fileSize) throw new LinkError("the output is shorter than the saved session says");
    this.buffer = image;
    this.view = new DataView(image.buffer, image.byteOffset, image.byteLength);
    this.fileSize = state.fileSize;
    this.stringTable = state.stringTable;
    const n = state.baseRelocRva.length;
    if (state.baseRelocType.length !== n || state.baseRelocAtom.length !== n || state.sortedBaseRelocs > n) throw new LinkError("the saved base relocations are inconsistent");
    this.growBaseRelocs(n + 16);
    this.baseRelocRva.set(state.baseRelocRva);
    this.baseRelocType.set(state.baseRelocType);
    this.baseRelocAtom.set(state.baseRelocAtom);
    this.baseRelocCount = n;
    this.sortedBaseRelocs = state.sortedBaseRelocs;
    this.thunkBaseRelocs = true; // the saved entries may be thunks' (the state does not say)
    this.lastBaseRelocations = state.baseRelocationTable && { rvas: state.baseRelocRva, types: state.baseRelocType, table: state.baseRelocationTable };
    this.baseRelocsMatchTable = this.lastBaseRelocations !== undefined;
    this.directories = [...state.directories];
    this.entryRva = state.entryRva;
    this.exceptionAtoms = state.exceptionAtoms;
    this.exceptionEntryAtom = state.exceptionEntryAtom;
    // The table as written is in the image, where the section is.
    const pdata = this.req.image.sections.find((s) => s.name === ".pdata");
    if (state.exceptionAtoms && pdata) {
      const info = this.req.image.layout.section(pdata.id);
      this.exceptionTableOnDisk = image.slice(info.fileOffset, info.fileOffset + info.usedSize);
    }
  }

  /** End of file data as the layout has it now (sections' used sizes, aligned). */
  layoutFileEnd(): number {
    const { image, options } = this.req;
    let end = image.headerSize;
    for (const s of image.layout.sections()) if (!s.noBits && s.usedSize > 0) end = Math.max(end, s.fileOffset + align(s.usedSize, options.fileAlignment));
    return end;
  }

  /** Makes room for `size` bytes, keeping what is there (updates grow the file). */
  ensureSize(size: number): void {
    if (size <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(size, Math.ceil(this.buffer.length * 1.25)));
    grown.set(this.buffer);
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  markDirty(offset: number, length: number): void {
    if (this.trackDirty) this.dirty.add(offset, length);
  }

  sectionOfAtom(atom: number): OutputSection {
    return this.req.image.sectionById[this.req.image.layout.atomSection(atom)]!;
  }

  atomFileOffset(atom: number): number {
    const layout = this.req.image.layout;
    return layout.section(layout.atomSection(atom)).fileOffset + layout.atomOffset(atom);
  }

  /** A full link: every section, every synthetic table, the headers. */
  emitAll(): EmittedImage {
    this.relocateAll();
    return this.finishImage();
  }

  /**
   * A full link's relocate phase: sizes the buffer, copies every live input section to its atom and
   * applies its relocations. The common relocation types take a fast path over typed arrays and the raw
   * relocation records (addresses are final, so each global symbol's address is looked up once);
   * anything unusual or wrong goes through `relocateSite`, which reports it.
   */
  relocateAll(): void {
    const { inputs, resolved, image, options, imageBase } = this.req;
    const layout = image.layout;
    this.wordCopy = wordCopyPays(sectionTotal(inputs.objects));
    // Room after the sections for the base-relocation table, which is known only after relocating: a guess
    // (tables are a few percent of an image); a bigger one grows the buffer once. Counting the absolute
    // relocations up front was a pass over every relocation record of the link.
    this.growBaseRelocs(1024 + image.thunkAtoms.size);
    this.fileSize = this.layoutFileEnd();
    const relocRoom = image.relocSection ? align(Math.ceil(this.fileSize / 32) + 4096, options.fileAlignment) : 0;
    this.ensureSize(this.fileSize + relocRoom);

    // Code gaps are int3, as link.exe fills them, so a stray jump traps.
    for (const out of image.sections) {
      if (!(out.characteristics & IMAGE_SCN.CNT_CODE)) continue;
      const info = layout.section(out.id);
      this.buffer.fill(0xcc, info.fileOffset, info.fileOffset + info.usedSize);
    }

    // Memory layout is fixed: snapshot every atom's place and every global symbol's address once.
    const places = layout.atomPlaces();
    const globalRva = globalAddresses(inputs, resolved, image, imageBase, places);
    for (const file of inputs.objects) this.takeKernelOutput(file, this.runKernel(relocationFile(file), places, globalRva, -1));
    this.throwErrors();
  }

  /** Whether this link copies sections through `copyWords` (see `wordCopyPays`); set by `relocateAll`. */
  private wordCopy = false;
  /** The kernel's output, reused: taken (`takeKernelOutput`) before the next call. */
  private readonly kernelOutput: KernelOutput = {
    applied: 0, baseRva: this.baseRelocRva, baseType: this.baseRelocType, baseAtom: this.baseRelocAtom, baseCount: 0, slow: [], slowCount: 0,
  };

  /** Relocates `file` (its section `only`, or all of them): base relocations go straight to this emitter's. */
  private runKernel(file: RelocationFile, places: AtomPlaces, globalRva: Float64Array, only: number): KernelOutput {
    // Room for a base relocation per relocation record, which are 10 bytes of the file each: a bound
    // without a pass over the sections.
    const records = only >= 0 ? file.relocationCount[only] ?? 0 : Math.floor(file.bytes.length / 10);
    this.growBaseRelocs(this.baseRelocCount + records);
    const output = this.kernelOutput;
    output.applied = 0;
    output.baseRva = this.baseRelocRva;
    output.baseType = this.baseRelocType;
    output.baseAtom = this.baseRelocAtom;
    output.baseCount = this.baseRelocCount;
    output.slowCount = 0;
    relocateFileSections(file, places, this.buffer, this.view, globalRva, this.req.resolved.kind, TargetKind.Absolute, this.is64, this.req.imageBase, only, this.wordCopy, output);
    this.baseRelocCount = output.baseCount;
    return output;
  }

  /** What the kernel left: the sites it passed over (`relocateSite` takes them) and how many it applied. */
  private takeKernelOutput(file: ObjectFile, output: KernelOutput): void {
    const slow = output.slow;
    for (let i = 0; i < output.slowCount; i += 2) this.relocateSite(file, slow[i]!, slow[i + 1]!, false);
    this.relocationsApplied += output.applied;
  }

  /**
   * Applies the relocations of section `s`, copied to its atom already (an update's few sections): global
   * symbols' addresses, and the places of the file's atoms, are looked up as first needed (see `forgetAddresses`).
   */
  private relocateSection(file: ObjectFile, s: number): void {
    const { inputs, resolved, image, imageBase } = this.req;
    const layout = image.layout;
    const n = resolved.kind.length;
    let cache = this.addressCache;
    if (cache === undefined || cache.known.length < n) cache = this.addressCache = { rva: new Float64Array(n), known: new Uint8Array(n), filled: [] };
    const { rva: globalRva, known, filled } = cache;
    const coff = file.coff;
    const input = coff.bytes;
    const symbolIds = file.symbolIds;
    for (let p = coff.relocationOffsetOf(s) + 4, end = p + coff.relocationCountOf(s) * 10; p < end; p += 10) {
      const index = (input[p]! | (input[p + 1]! << 8) | (input[p + 2]! << 16) | (input[p + 3]! << 24)) >>> 0;
      if (index >= file.symbolCount) continue;
      const id = symbolIds[index]!;
      if (id < 0 || known[id] === 1) continue;
      globalRva[id] = symbolRva(inputs, resolved, image, id, imageBase) ?? NaN;
      known[id] = 1;
      filled.push(id);
    }
    // The kernel reads the places of this file's atoms only: those are filled in, once per update.
    const atoms = layout.atomIdCount;
    let places = this.placesCache;
    if (places === undefined || places.address.length < atoms) {
      const capacity = Math.max(atoms, (places?.address.length ?? 0) * 2, 1024);
      places = this.placesCache = { address: new Float64Array(capacity), fileOffset: new Float64Array(capacity), filled: new Set() };
    }
    if (!places.filled.has(file)) {
      layout.atomPlaces(places, file.sectionAtom);
      places.filled.add(file);
    }
    this.takeKernelOutput(file, this.runKernel(relocationFile(file), places, globalRva, s));
  }

  /** A full link's write phase: import, export and exception tables, base relocations, headers. */
  finishImage(): EmittedImage {
    this.writeSyntheticTables();
    this.writeBaseRelocationTable();
    this.writeHeaders();
    return { bytes: this.buffer.subarray(0, this.fileSize), baseRelocationCount: this.baseRelocCount, entryRva: this.entryRva };
  }

  throwErrors(): void {
    const errors = this.errors;
    if (errors.length === 0) return;
    const list = errors.slice(0, 50).concat(errors.length > 50 ? [`...and ${errors.length - 50} more relocation errors`] : []);
    errors.length = 0;
    throw new LinkError(list);
  }

  /** Copies one input section to its atom and applies all its relocations. */
  writeObjectSection(file: ObjectFile, s: number): void {
    const atom = file.sectionAtom[s]!;
    const out = this.sectionOfAtom(atom);
    const coff = file.coff;
    if (out.noBits) {
      for (let r = 0, count = coff.relocationCountOf(s); r < count; r++) this.relocateSite(file, s, r, false); // each reported
      return;
    }
    const fileOffset = this.atomFileOffset(atom);
    const size = coff.section(s).sizeOfRawData;
    const data = coff.sectionData(s);
    if (data.length > 0 && !(coff.sectionCharacteristics(s) & IMAGE_SCN.CNT_UNINITIALIZED_DATA)) this.buffer.set(data, fileOffset);
    else this.buffer.fill(0, fileOffset, fileOffset + size);
    this.markDirty(fileOffset, size);
    this.relocateSection(file, s);
  }

  /**
   * Symbols' addresses looked up by `writeObjectSection` are kept until this is called: an update calls
   * it once its layout has settled, before it writes sections.
   */
  forgetAddresses(): void {
    // The arrays stay for the next update (one per symbol of the program: not worth making per update).
    this.placesCache?.filled.clear();
    const cache = this.addressCache;
    if (cache === undefined) return;
    for (const id of cache.filled) cache.known[id] = 0;
    cache.filled.length = 0;
  }

  /**
   * Applies relocation `r` of section `s`. With `restoreAddend`, first copies the site's original bytes
   * (the implicit addend) back from the input, as an update must before re-applying a relocation.
   */
  relocateSite(file: ObjectFile, s: number, r: number, restoreAddend: boolean): void {
    const { inputs, resolved, image, options, imageBase } = this.req;
    const layout = image.layout;
    const coff = file.coff;
    const relocs = coff.relocations(s);
    const atom = file.sectionAtom[s]!;
    const out = this.sectionOfAtom(atom);
    const info = layout.section(out.id);
    const offsetInSection = layout.atomOffset(atom);
    const rva = info.address + offsetInSection;
    const fileOffset = info.fileOffset + offsetInSection;
    const type = relocs.type(r);
    const offset = relocs.offset(r);
    const index = relocs.symbolIndex(r);
    const where = () => `${file.name}:(${coff.sectionName(s)}+0x${offset.toString(16)})`;
    if (index >= file.symbolCount) { this.errors.push(`${where()}: relocation refers to symbol ${index}, past the symbol table`); return; }
    if (out.noBits) { this.errors.push(`${where()}: relocation in uninitialised data`); return; }
    const machine = inputs.machine;
    const target = this.target;
    const id = file.symbolIds[index]!;
    if (id >= 0) {
      const t = symbolRva(inputs, resolved, image, id, imageBase);
      if (t === undefined) {
        // Undefined under /force:unresolved: the site keeps its addend against address 0, like lld.
        if (!options.force.unresolved) this.errors.push(`${where()}: relocation against ${inputs.symbols.nameOf(id)}, which has no address`);
        return;
      }
      target.rva = t;
      target.absolute = resolved.kind[id] === TargetKind.Absolute;
      const tAtom = targetAtom(inputs, resolved, image, id);
      const tSection = tAtom >= 0 ? this.sectionOfAtom(tAtom) : undefined;
      target.sectionIndex = tSection ? tSection.number : 0;
      target.sectionRva = tSection ? layout.section(tSection.id).address : 0;
    } else {
      const section = coff.symbolSectionNumber(index);
      if (section === -1) {
        target.rva = coff.symbolValue(index) - imageBase;
        target.absolute = true;
        target.sectionIndex = 0;
        target.sectionRva = 0;
      } else if (section > 0 && section <= file.sectionCount) {
        const tAtom = file.sectionAtom[section - 1]!;
        if (tAtom < 0) {
          this.errors.push(`${where()}: relocation against symbol ${coff.symbolName(index)} in discarded section ${coff.sectionName(section - 1)}`);
          return;
        }
        const tSection = this.sectionOfAtom(tAtom);
        target.rva = layout.atomAddress(tAtom) + coff.symbolValue(index);
        target.absolute = false;
        target.sectionIndex = tSection.number;
        target.sectionRva = layout.section(tSection.id).address;
      } else {
        this.errors.push(`${where()}: relocation against local symbol ${coff.symbolName(index)} with no section`);
        return;
      }
    }
    const size = relocationSize(machine, type) ?? 0;
    if (restoreAddend && size > 0 && offset + size <= coff.section(s).sizeOfRawData) {
      this.buffer.set(coff.sectionData(s).subarray(offset, offset + size), fileOffset + offset);
    }
    const result = applyRelocation(machine, type, this.view, fileOffset + offset, rva + offset, target as RelocationTarget, imageBase);
    this.relocationsApplied++;
    if (typeof result === "number") {
      if (result !== 0 && !restoreAddend) this.addBaseReloc(rva + offset, result, atom);
      if (restoreAddend) { this.markDirty(fileOffset + offset, size); this.changedAtoms?.add(atom); }
      return;
    }
    const typeName = nameOf(this.relocTable, type) ?? `0x${type.toString(16)}`;
    const symbol = coff.symbolName(index);
    if (result.kind === "unknown-type") this.errors.push(`${where()}: unsupported relocation type ${typeName} against ${symbol}`);
    else if (result.kind === "truncated") this.errors.push(`${where()}: relocation ${typeName} against ${symbol} runs past the end of the section`);
    else this.errors.push(`${where()}: relocation ${typeName} out of range: 0x${result.value.toString(16)} against ${symbol}`);
  }

  private growBaseRelocs(capacity: number): void {
    if (capacity <= this.baseRelocRva.length) return;
    const n = Math.max(capacity, this.baseRelocRva.length * 2);
    const rva = new Uint32Array(n); rva.set(this.baseRelocRva.subarray(0, this.baseRelocCount)); this.baseRelocRva = rva;
    const type = new Uint8Array(n); type.set(this.baseRelocType.subarray(0, this.baseRelocCount)); this.baseRelocType = type;
    const atom = new Int32Array(n); atom.set(this.baseRelocAtom.subarray(0, this.baseRelocCount)); this.baseRelocAtom = atom;
  }

  addBaseReloc(rva: number, type: number, atom: number): void {
    if (this.baseRelocCount === this.baseRelocRva.length) this.growBaseRelocs(this.baseRelocCount * 2);
    this.baseRelocRva[this.baseRelocCount] = rva;
    this.baseRelocType[this.baseRelocCount] = type;
    this.baseRelocAtom[this.baseRelocCount++] = atom;
  }

  /**
   * Forgets the base relocations of atoms that are rewritten or gone. They are only marked (owner -2 - atom)
   * here: an update usually adds the very same entries back (a function edited, its absolute addresses
   * where they were), and then `sortBaseRelocs` takes the marked ones back instead of moving every entry
   * after them twice, out and in again.
   */
  dropBaseRelocs(atoms: ReadonlySet<number>): void {
    if (atoms.size === 0) return;
    const dropped = atomMarks(atoms);
    const owner = this.baseRelocAtom;
    for (let i = 0; i < this.baseRelocCount; i++) {
      const atom = owner[i]!;
      if (atom < 0 || atom >= dropped.length || dropped[atom] !== 1) continue;
      owner[i] = -2 - atom;
      this.droppedBaseRelocs++;
      if (i >= this.sortedBaseRelocs) this.droppedInTail = true;
    }
  }

  /** Are the (sorted) entries those the last table was encoded from? */
  private baseRelocsMatchLast(): boolean {
    if (this.baseRelocsMatchTable) return true;
    const last = this.lastBaseRelocations, n = this.baseRelocCount;
    return last !== undefined && sameEntries(last.rvas, this.baseRelocRva.subarray(0, n)) && sameEntries(last.types, this.baseRelocType.subarray(0, n));
  }

  /** Removes the entries `dropBaseRelocs` marked, keeping the order of the rest. */
  private removeDroppedBaseRelocs(): void {
    const rvas = this.baseRelocRva, types = this.baseRelocType, owner = this.baseRelocAtom;
    let first = 0;
    while (first < this.baseRelocCount && owner[first]! >= -1) first++;
    let w = first, sorted = Math.min(first, this.sortedBaseRelocs);
    for (let i = first; i < this.baseRelocCount; i++) {
      const atom = owner[i]!;
      if (atom < -1) continue;
      if (i < this.sortedBaseRelocs) sorted++;
      rvas[w] = rvas[i]!;
      types[w] = types[i]!;
      owner[w++] = atom;
    }
    this.baseRelocCount = w;
    this.sortedBaseRelocs = sorted;
    this.droppedBaseRelocs = 0;
    this.droppedInTail = false;
    this.baseRelocsMatchTable = false;
  }

  /**
   * When the entries added since the drop (the unsorted tail) are exactly the dropped ones, by address and
   * type, takes the dropped ones back (with their new atoms) and forgets the tail: nothing moves.
   */
  private restoreDroppedBaseRelocs(): boolean {
    const n = this.baseRelocCount, k = this.sortedBaseRelocs;
    if (this.droppedInTail || n - k !== this.droppedBaseRelocs) return false;
    const rvas = this.baseRelocRva, types = this.baseRelocType, owner = this.baseRelocAtom;
    const tail = n - k;
    const order = Array.from({ length: tail }, (_, i) => k + i).sort((a, b) => rvas[a]! - rvas[b]! || types[a]! - types[b]!);
    let j = 0;
    for (let i = 0; i < k && j < tail; i++) {
      if (owner[i]! >= -1) continue;
      const t = order[j++]!;
      if (rvas[i] !== rvas[t] || types[i] !== types[t]) return false;
    }
    if (j !== tail) return false;
    j = 0;
    for (let i = 0; i < k && j < tail; i++) if (owner[i]! < -1) owner[i] = owner[order[j++]!]!;
    this.baseRelocCount = k;
    this.droppedBaseRelocs = 0;
    return true;
  }

  /**
   * Puts the base relocations in (address, type) order: the unsorted tail (all of them in a full link, the
   * few an update added) is sorted and merged into the sorted prefix from the back, in place.
   */
  private sortBaseRelocs(): void {
    if (this.droppedBaseRelocs > 0 && !this.restoreDroppedBaseRelocs()) this.removeDroppedBaseRelocs();
    const n = this.baseRelocCount, k = this.sortedBaseRelocs;
    if (k === n) return;
    this.baseRelocsMatchTable = false;
    const rvas = this.baseRelocRva, types = this.baseRelocType, owner = this.baseRelocAtom;
    // A full link adds its entries in address order (objects, and their sections, in layout order): then
    // there is nothing to sort (120,400 entries on the 400-object benchmark, ~15 ms to sort anyway).
    if ((k === 0 || rvas[k - 1]! < rvas[k]!) && isNonDecreasing(rvas, k, n)) {
      this.sortedBaseRelocs = n;
      return;
    }
    const tail = n - k;
    const order = orderByKey(rvas.subarray(k, n));
    const tr = new Uint32Array(tail), tt = new Uint8Array(tail), ta = new Int32Array(tail);
    for (let i = 0; i < tail; i++) { const from = k + order[i]!; tr[i] = rvas[from]!; tt[i] = types[from]!; ta[i] = owner[from]!; }
    let i = k - 1, j = tail - 1, w = n - 1;
    while (j >= 0) {
      if (i >= 0 && (rvas[i]! > tr[j]! || (rvas[i] === tr[j] && types[i]! > tt[j]!))) {
        rvas[w] = rvas[i]!; types[w] = types[i]!; owner[w--] = owner[i--]!;
      } else {
        rvas[w] = tr[j]!; types[w] = tt[j]!; owner[w--] = ta[j--]!;
      }
    }
    this.sortedBaseRelocs = n;
  }

  /** Import tables and thunks, exports, the sorted exception table, TLS and load-config directories. */
  writeSyntheticTables(): void {
    const { inputs, resolved, image, imageBase } = this.req;
    const layout = image.layout;
    const is64 = this.is64;
    const directories = this.directories;
    if (image.importTables) {
      const rva = layout.atomAddress(image.importTables.atom);
      const written = writeImportTables(image.importTables.plan, rva);
      const at = this.atomFileOffset(image.importTables.atom);
      this.buffer.set(written.bytes, at);
      this.markDirty(at, written.bytes.length);
      directories[IMAGE_DIRECTORY_ENTRY.IMPORT] = written.importDirectory;
      directories[IMAGE_DIRECTORY_ENTRY.IAT] = written.iat;
      if (this.thunkBaseRelocs) this.dropBaseRelocs(new Set(image.thunkAtoms.values()));
      for (const [file, atom] of image.thunkAtoms) {
        const thunkRva = layout.atomAddress(atom);
        const thunkAt = this.atomFileOffset(atom);
        const r = writeImportThunk(this.buffer.subarray(thunkAt), this.machineValue, thunkRva, importSlotRva(image, file)!, imageBase);
        this.markDirty(thunkAt, 6);
        for (const b of r.baseRelocations) {
          this.addBaseReloc(b.rva, b.type, atom);
          this.thunkBaseRelocs = true;
        }
      }
    } else {
      directories[IMAGE_DIRECTORY_ENTRY.IMPORT] = undefined;
      directories[IMAGE_DIRECTORY_ENTRY.IAT] = undefined;
    }
    if (image.exportTable) {
      const plan = planExportTable(this.req.exportTable ?? image.exportTable.input);
      const rva = layout.atomAddress(image.exportTable.atom);
      const written = writeExportTable(plan, rva);
      const at = this.atomFileOffset(image.exportTable.atom);
      this.buffer.set(written.bytes, at);
      this.markDirty(at, written.bytes.length);
      directories[IMAGE_DIRECTORY_ENTRY.EXPORT] = written.exportDirectory;
    } else {
      directories[IMAGE_DIRECTORY_ENTRY.EXPORT] = undefined;
    }
    const pdata = image.sections.find((s) => s.name === ".pdata");
    if (pdata && is64) directories[IMAGE_DIRECTORY_ENTRY.EXCEPTION] = this.writeExceptionTable(pdata);
    const tls = inputs.symbols.idOf(is64 ? "_tls_used" : "__tls_used");
    if (tls !== undefined) {
      const rva = symbolRva(inputs, resolved, image, tls, imageBase);
      if (rva !== undefined) directories[IMAGE_DIRECTORY_ENTRY.TLS] = tlsDirectoryEntry(rva, is64 ? "pe32+" : "pe32");
    }
    const loadConfig = inputs.symbols.idOf(is64 ? "_load_config_used" : "__load_config_used");
    if (loadConfig !== undefined) {
      const rva = symbolRva(inputs, resolved, image, loadConfig, imageBase);
      const atom = targetAtom(inputs, resolved, image, loadConfig);
      if (rva !== undefined && atom >= 0) {
        const info = layout.section(this.sectionOfAtom(atom).id);
        const at = info.fileOffset + (rva - info.address);
        directories[IMAGE_DIRECTORY_ENTRY.LOAD_CONFIG] = loadConfigDirectoryEntry(rva, this.buffer.subarray(at, at + 0x200));
      }
    }
  }

  /**
   * The exception table: every function entry of the `.pdata` atoms, sorted at the start of the section
   * (the loader binary-searches it), zeros after. The atoms keep their contents in `exceptionAtoms`, a copy
   * of the section as the atoms lay it out: an update writes its atoms there (see `restoreExceptionAtoms`).
   *
   * An incremental image's table has slack: after every FILLER_EVERY entries a filler slot, a copy of the
   * entry before it. A copy keeps the table sorted and finds the same unwind data, so a binary search
   * cannot tell it from the entry. An update frees the slots of the atoms that changed (they become
   * fillers) and puts their new entries in by shifting entries only as far as the nearest filler: the
   * bytes it writes follow the change, not the size of the table (a packed table would move every entry
   * after an insertion).
   */
  private writeExceptionTable(pdata: OutputSection): DataDirectoryEntry {
    const layout = this.req.image.layout;
    const info = layout.section(pdata.id);
    const at = info.fileOffset;
    const onDisk = this.trackDirty ? this.exceptionTableOnDisk : undefined;
    const changed = this.changedAtoms;
    const slotAtom = this.exceptionEntryAtom;
    // What later updates start from; an image that is never updated keeps none of it.
    const updatable = this.req.options.incremental;
    if (updatable) {
      // Into the copy the last update kept when the section's size is the same: no new megabyte each update.
      const atoms = this.buffer.subarray(at, at + info.usedSize);
      if (this.exceptionAtoms?.length === atoms.length) this.exceptionAtoms.set(atoms);
      else this.exceptionAtoms = atoms.slice();
    }
    // A full link lays .pdata out as the functions, in input order: the atoms, back to back, are the table.
    if (!updatable) {
      const size = this.exceptionTableInPlace(pdata);
      if (size !== undefined) {
        this.buffer.fill(0, at + size, at + info.usedSize);
        return { rva: info.address, size };
      }
    }
    let patchFailed = false;
    // The section's size follows its atoms (a function added, then removed): the table need only fit.
    if (onDisk && changed && slotAtom && changed.size * 4 < slotAtom.length && slotAtom.length * W * 4 <= info.usedSize) {
      // An update patches the table as written, in place, and writes only the slots it touched.
      const touched = this.patchExceptionSlots(pdata, onDisk, slotAtom, changed);
      if (touched) {
        const kept = onDisk.subarray(0, Math.min(onDisk.length, info.usedSize)); // the table, zeros after it
        this.buffer.set(kept, at);
        this.buffer.fill(0, at + kept.length, at + info.usedSize);
        for (let k = 0; k < touched.length; k += 2) this.markDirty(at + touched[k]! * W * 4, (touched[k + 1]! - touched[k]!) * W * 4);
        if (info.usedSize > kept.length) {
          this.markDirty(at + kept.length, info.usedSize - kept.length);
          this.exceptionTableOnDisk = this.buffer.slice(at, at + info.usedSize);
        } else {
          this.exceptionTableOnDisk = kept;
        }
        return { rva: info.address, size: slotAtom.length * W * 4 };
      }
      patchFailed = true; // the table as written was changed part way: it is built afresh and written whole
    }
    const sorted = this.exceptionEntries(pdata, layout.atomsInSection(pdata.id));
    const table = updatable ? withFillers(sorted, info.usedSize) : sorted;
    const size = table.entries.length;
    if (size > info.usedSize) throw new LinkError(`the exception table (${size} bytes) does not fit its section (${info.usedSize} bytes)`);
    this.buffer.set(table.entries, at);
    this.buffer.fill(0, at + size, at + info.usedSize);
    if (updatable) {
      this.exceptionTableOnDisk = this.buffer.slice(at, at + info.usedSize);
      this.exceptionEntryAtom = table.atoms;
      this.exceptionBegins = undefined;
    }
    if (onDisk) {
      const common = patchFailed ? 0 : Math.min(onDisk.length, info.usedSize);
      this.markChanged(onDisk.subarray(0, common), at);
      if (info.usedSize > common) this.markDirty(at + common, info.usedSize - common);
    }
    return { rva: info.address, size };
  }

  /**
   * The size of the exception table when `.pdata`'s atoms as laid out are one already: whole entries, back
   * to back from the section's start, sorted. Else undefined (`exceptionEntries` builds one).
   */
  private exceptionTableInPlace(pdata: OutputSection): number | undefined {
    const layout = this.req.image.layout;
    const end = layout.contiguousSize(pdata.id, ImageRuntimeFunctionEntry.size);
    if (end < 0) return undefined;
    const at = layout.section(pdata.id).fileOffset;
    return isSortedByBegin(this.buffer.subarray(at, at + end)) ? end : undefined;
  }

  /** The entries of `atoms` (in `.pdata`, laid out as atoms in the buffer), sorted, with the atom of each. */
  private exceptionEntries(pdata: OutputSection, atoms: Iterable<number>): ExceptionTable {
    const layout = this.req.image.layout;
    const entrySize = ImageRuntimeFunctionEntry.size;
    const at = layout.section(pdata.id).fileOffset;
    const list: number[] = [];
    let size = 0;
    for (const atom of atoms) {
      if (!layout.isLive(atom) || layout.atomSection(atom) !== pdata.id) continue;
      const length = layout.atomSize(atom);
      if (length % entrySize !== 0) {
        throw new LinkError(`a .pdata contribution of ${length} bytes is not a whole number of ${entrySize}-byte function entries`);
      }
      list.push(atom);
      size += length;
    }
    const packed = new Uint8Array(size);
    const owner = new Int32Array(size / entrySize);
    let p = 0;
    const buffer = this.buffer;
    for (const atom of list) {
      const from = at + layout.atomOffset(atom), length = layout.atomSize(atom);
      // Most contributions are one 12-byte entry: a loop beats making a view per atom.
      for (let i = 0; i < length; i++) packed[p + i] = buffer[from + i]!;
      for (let e = p / entrySize, end = (p + length) / entrySize; e < end; e++) owner[e] = atom;
      p += length;
    }
    // A full link lays functions and their .pdata out in the same (input) order: the table is sorted already.
    if (isSortedByBegin(packed)) return { entries: packed, atoms: owner };
    const order = runtimeFunctionOrder(packed, 0, size);
    const entries = new Uint8Array(size);
    const atomOf = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) {
      const from = order[i]! * entrySize;
      for (let k = 0; k < entrySize; k++) entries[i * entrySize + k] = packed[from + k]!;
      atomOf[i] = owner[order[i]!]!;
    }
    return { entries, atoms: atomOf };
  }

  /**
   * Patches the table as written (`onDisk`, slot atoms `atoms`), in place: the slots of `changed` atoms
   * are freed and their new entries put in, each by shifting the entries between its place and the
   * nearest filler. Answers the slot ranges it touched (pairs of start and end), or undefined when a new
   * entry finds no filler near enough (or no entry is left): then the caller builds the table afresh.
   * Its cost follows the change: the slots of an atom are found by their BeginAddress, not by a scan.
   */
  private patchExceptionSlots(pdata: OutputSection, onDisk: Uint8Array, atoms: Int32Array, changed: ReadonlySet<number>): number[] | undefined {
    const slots = atoms.length;
    const words = new Uint32Array(onDisk.buffer, onDisk.byteOffset, slots * W);
    // The index pays from a process's second patch on: a one-shot run scans the slots once instead.
    const begins = this.exceptionBegins ?? (this.exceptionPatches++ > 0 ? (this.exceptionBegins = EntryBegins.of(words, atoms)) : undefined);
    const touched: number[] = [];
    // Freed slots keep their old values until the refill below, so the values stay in order for the search.
    if (begins === undefined) {
      const gone = atomMarks(changed);
      for (let slot = 0; slot < slots; slot++) {
        const atom = atoms[slot]!;
        if (atom >= 0 && atom < gone.length && gone[atom] === 1) { atoms[slot] = -1; touched.push(slot, slot + 1); }
      }
    } else {
      for (const atom of changed) {
        const old = begins.get(atom);
        if (old === undefined) continue;
        begins.delete(atom);
        for (const begin of old) {
          let slot = firstSlotAtLeast(words, slots, begin);
          while (slot < slots && words[slot * W] === begin && atoms[slot] !== atom) slot++;
          if (slot < slots && atoms[slot] === atom) { atoms[slot] = -1; touched.push(slot, slot + 1); }
        }
      }
    }
    const fresh = this.exceptionEntries(pdata, changed);
    const add = new Uint32Array(fresh.entries.buffer, fresh.entries.byteOffset, fresh.atoms.length * W);
    for (let j = 0; j < fresh.atoms.length; j++) {
      const begin = add[j * W]!;
      let place = firstSlotAtLeast(words, slots, begin + 1);
      // The nearest filler on either side; before the place on a tie, so that an entry whose function
      // stayed put goes back into the slot it just freed and nothing shifts (else every update would
      // push the fillers one place on, until none is in reach).
      let f = place;
      while (f < slots && f - place < FILLER_REACH && atoms[f]! >= 0) f++;
      const after = f < slots && atoms[f]! < 0 ? f - place : Infinity;
      let b = place - 1;
      while (b >= 0 && place - 1 - b < FILLER_REACH && atoms[b]! >= 0) b--;
      const before = b >= 0 && atoms[b]! < 0 ? place - 1 - b : Infinity;
      if (after === Infinity && before === Infinity) { this.exceptionBegins = undefined; return undefined; }
      if (before <= after) {
        words.copyWithin(b * W, (b + 1) * W, place * W);
        atoms.copyWithin(b, b + 1, place);
        place--;
        touched.push(b, place + 1);
      } else {
        words.copyWithin((place + 1) * W, place * W, f * W);
        atoms.copyWithin(place + 1, place, f);
        touched.push(place, f + 1);
      }
      for (let k = 0; k < W; k++) words[place * W + k] = add[j * W + k]!;
      const atom = fresh.atoms[j]!;
      atoms[place] = atom;
      begins?.add(atom, begin);
    }
    let first = 0;
    while (first < slots && atoms[first]! < 0) first++;
    if (first === slots) { this.exceptionBegins = undefined; return undefined; }
    if (first > 0) touched.push(0, first);
    return refillTouchedFillers(words, atoms, first, touched);
  }

  /**
   * Before an update writes `.pdata` atoms: the section goes back to its atoms' layout (the file holds
   * the packed, sorted table). Call once the layout has settled and the section's bytes are where it is.
   */
  restoreExceptionAtoms(): void {
    const pdata = this.req.image.sections.find((s) => s.name === ".pdata");
    if (!pdata || !this.exceptionAtoms) return;
    const info = this.req.image.layout.section(pdata.id);
    const length = Math.min(this.exceptionAtoms.length, info.usedSize);
    this.buffer.set(this.exceptionAtoms.subarray(0, length), info.fileOffset);
    // Room the section gained since holds no entries yet.
    this.buffer.fill(0, info.fileOffset + length, info.fileOffset + info.usedSize);
  }

  /**
   * Marks only the bytes of [at, at+before.length) that differ from `before` (a sort moves few entries).
   * Runs less than a cache line apart become one range: entries that shift by one place differ in a few
   * bytes each, and thousands of tiny writes cost more than the bytes between them.
   */
  private markChanged(before: Uint8Array, at: number): void {
    const GAP = 64;
    const n = before.length;
    const buffer = this.buffer;
    let start = -1, end = -1;
    const differ = (from: number, to: number) => {
      if (start >= 0 && from - end <= GAP) { end = to; return; }
      if (start >= 0) this.markDirty(at + start, end - start);
      start = from;
      end = to;
    };
    // Compared a word at a time when both sides are word-aligned (sections are): a table that shifted
    // differs almost everywhere, and a byte loop over a megabyte shows in an update's time.
    let i = 0;
    if ((at + buffer.byteOffset) % 4 === 0 && before.byteOffset % 4 === 0) {
      const words = n >>> 2;
      const a = new Uint32Array(before.buffer, before.byteOffset, words);
      const b = new Uint32Array(buffer.buffer, buffer.byteOffset + at, words);
      let w = 0;
      while (w < words) {
        while (w < words && a[w] === b[w]) w++;
        if (w >= words) break;
        const runStart = w;
        while (w < words && a[w] !== b[w]) w++;
        differ(runStart * 4, w * 4);
      }
      i = words * 4;
    }
    for (; i < n; i++) if (before[i] !== buffer[at + i]) differ(i, i + 1);
    if (start >= 0) this.markDirty(at + start, end - start);
  }

  /** Base relocations: sorted into 4 KiB page blocks, in the last section. */
  writeBaseRelocationTable(): void {
    const { image, options } = this.req;
    const layout = image.layout;
    const section = image.relocSection;
    if (!section) {
      if (this.droppedBaseRelocs > 0) this.removeDroppedBaseRelocs(); // a fixed image keeps no table, nor marks
      return;
    }
    this.sortBaseRelocs();
    const rvas = this.baseRelocRva.subarray(0, this.baseRelocCount), types = this.baseRelocType.subarray(0, this.baseRelocCount);
    // Most edits add or drop no absolute address: the table encoded last time is still the table.
    if (!this.lastBaseRelocations || !this.baseRelocsMatchLast()) {
      this.lastBaseRelocations = { rvas: rvas.slice(), types: types.slice(), table: buildBaseRelocationsFromArrays(rvas, types) };
    }
    this.baseRelocsMatchTable = true;
    const table = this.lastBaseRelocations!.table;
    const atoms = layout.atomsInSection(section.id);
    let atom = atoms[0];
    const fileEndBefore = this.fileSize;
    if (table.length === 0 && atom === undefined) {
      this.directories[IMAGE_DIRECTORY_ENTRY.BASERELOC] = undefined;
      return;
    }
    if (atom === undefined) atom = layout.addAtom(section.id, table.length, 4);
    else if (layout.atom(atom).size !== table.length) layout.resizeAtom(atom, table.length);
    const info = layout.section(section.id);
    const at = info.fileOffset + layout.atomOffset(atom);
    this.fileSize = Math.max(this.fileSize, info.fileOffset + align(info.usedSize, options.fileAlignment));
    this.ensureSize(this.fileSize);
    // Only the bytes that differ reach the file: an edit that adds no absolute address changes none. The
    // very table written last time at the same place is there already (nothing else writes the section).
    if (!(this.trackDirty && this.baseRelocTableWritten?.table === table && this.baseRelocTableWritten.at === at)) {
      const before = this.trackDirty ? this.buffer.slice(at, Math.min(at + table.length, Math.max(at, fileEndBefore))) : undefined;
      this.buffer.set(table, at);
      if (before) {
        this.markChanged(before, at);
        if (table.length > before.length) this.markDirty(at + before.length, table.length - before.length);
      }
    }
    this.baseRelocTableWritten = { table, at };
    this.directories[IMAGE_DIRECTORY_ENTRY.BASERELOC] = table.length === 0 ? undefined : { rva: info.address + layout.atomOffset(atom), size: table.length };
  }

  /**
   * Section names longer than 8 bytes (`.debug_info`, kept for MinGW's debuggers) go to a COFF string
   * table after the section data, the header holding "/<offset>", as GNU ld writes them; there are no
   * symbols, so the table starts at PointerToSymbolTable. Returns that pointer, or 0 without long names.
   */
  private writeLongSectionNames(headers: SectionHeaderModel[]): number {
    // Headers written again (an update) replace the table they appended before.
    if (this.stringTable && this.fileSize === this.stringTable.at + this.stringTable.size) this.fileSize = this.stringTable.at;
    this.stringTable = undefined;
    const encoder = new TextEncoder();
    const strings: Uint8Array[] = [];
    let size = 4;
    for (const [i, h] of headers.entries()) {
      const name = encoder.encode(h.name);
      if (name.length <= 8) continue;
      headers[i] = { ...h, nameStringTableOffset: size };
      strings.push(name, new Uint8Array(1));
      size += name.length + 1;
    }
    if (strings.length === 0) return 0;
    const at = this.fileSize;
    this.fileSize += size;
    this.ensureSize(this.fileSize);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setUint32(at, size, true);
    let p = at + 4;
    for (const bytes of strings) { this.buffer.set(bytes, p); p += bytes.length; }
    this.markDirty(at, size);
    this.stringTable = { at, size };
    return at;
  }

  /** DOS stub, PE headers, section table; the checksum last, over the finished file. */
  writeHeaders(): void {
    const { inputs, resolved, image, options, imageBase } = this.req;
    const layout = image.layout;
    const is64 = this.is64;
    const headers: SectionHeaderModel[] = [];
    const infos = image.sections.map((o) => layout.section(o.id));
    for (const [i, out] of image.sections.entries()) {
      const info = infos[i]!;
      if (out === image.relocSection && info.usedSize === 0) continue;
      // With room to grow, a section's reserve is part of it (zero-filled by the loader), so that
      // sections stay contiguous in memory as the loader requires.
      const next = infos[i + 1];
      const virtualSize = options.incremental && next ? next.address - info.address : info.usedSize;
      headers.push({
        name: out.name, virtualAddress: info.address, virtualSize,
        pointerToRawData: out.noBits || info.usedSize === 0 ? 0 : info.fileOffset,
        sizeOfRawData: out.noBits ? 0 : align(info.usedSize, options.fileAlignment),
        characteristics: out.characteristics,
      });
    }
    const pointerToSymbolTable = this.writeLongSectionNames(headers);
    this.entryRva = this.req.entrySymbol === undefined ? 0 : symbolRva(inputs, resolved, image, this.req.entrySymbol, imageBase) ?? 0;
    let dllCharacteristics = 0;
    if (options.dynamicBase && !options.fixed) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.DYNAMIC_BASE;
    if ((options.highEntropyVa ?? is64) && is64 && options.dynamicBase && !options.fixed) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.HIGH_ENTROPY_VA;
    if (options.nxCompat) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.NX_COMPAT;
    if (options.terminalServerAware && !options.dll) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.TERMINAL_SERVER_AWARE;
    const bytes = this.buffer.subarray(0, this.fileSize);
    writeImageHeaders(bytes, {
      machine: this.machineValue,
      characteristics: imageCharacteristics({ machine: this.machineValue, dll: options.dll, fixed: options.fixed, largeAddressAware: options.largeAddressAware ?? is64 }),
      timeDateStamp: options.timestamp,
      imageBase: BigInt(imageBase),
      sectionAlignment: options.sectionAlignment,
      fileAlignment: options.fileAlignment,
      entryPointRva: this.entryRva,
      subsystem: subsystemValue[this.req.subsystem] ?? IMAGE_SUBSYSTEM.WINDOWS_CUI,
      subsystemVersion: options.subsystemVersion ? { major: options.subsystemVersion[0], minor: options.subsystemVersion[1] } : undefined,
      osVersion: options.osVersion ? { major: options.osVersion[0], minor: options.osVersion[1] } : undefined,
      imageVersion: options.imageVersion ? { major: options.imageVersion[0], minor: options.imageVersion[1] } : undefined,
      dllCharacteristics,
      stackReserve: options.stack?.[0], stackCommit: options.stack && options.stack[1] >= 0n ? options.stack[1] : undefined,
      heapReserve: options.heap?.[0], heapCommit: options.heap && options.heap[1] >= 0n ? options.heap[1] : undefined,
      dataDirectories: this.directories,
      sections: headers,
      sizeOfHeaders: image.headerSize,
      pointerToSymbolTable,
    });
    this.markDirty(0, image.headerSize);
    if (options.release) writeChecksum(bytes);
  }
}

/** A full link's write phase. */
export function emitImage(req: EmitRequest): EmittedImage {
  return new ImageEmitter(req).emitAll();
}

/** The atom a global symbol's address lies in (for SECTION/SECREL), or -1. */
export function targetAtom(inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, id: number): number {
  switch (resolved.kind[id]) {
    case TargetKind.Section: return (inputs.files[resolved.input[id]!] as ObjectFile).sectionAtom[resolved.section[id]! - 1] ?? -1;
    case TargetKind.Common: return image.commonAtoms.get(inputs.symbols.resolveAlias(id)!) ?? -1;
    case TargetKind.ImportSlot: return image.importTables?.atom ?? -1;
    case TargetKind.ImportThunk: return image.thunkAtoms.get(inputs.files[resolved.input[id]!] as ImportFile) ?? -1;
    default: return -1;
  }
}

/** Are the packed function entries' BeginAddress fields in ascending order? */
function isSortedByBegin(packed: Uint8Array): boolean {
  const entrySize = ImageRuntimeFunctionEntry.size;
  let previous = -1;
  for (let p = 0; p < packed.length; p += entrySize) {
    const begin = (packed[p]! | (packed[p + 1]! << 8) | (packed[p + 2]! << 16) | (packed[p + 3]! << 24)) >>> 0;
    if (begin < previous) return false;
    previous = begin;
  }
  return true;
}

/** Is `values[from, to)` in ascending order (equal neighbours allowed)? */
function isNonDecreasing(values: Uint32Array, from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}

function sameEntries(a: Uint32Array | Uint8Array, b: Uint32Array | Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Entries of an exception table, with the atom each came from (-1: a filler, a copy of its neighbour). */
interface ExceptionTable {
  readonly entries: Uint8Array;
  readonly atoms: Int32Array;
}

/** Words of a RUNTIME_FUNCTION entry; word 0 is BeginAddress, the sort key (host order is little-endian). */
const W = ImageRuntimeFunctionEntry.size / 4;
/** An incremental image's exception table has a filler slot after every this many entries. */
const FILLER_EVERY = 16;
/** How far (in entries) an update may shift entries to reach a filler before it builds the table afresh. */
const FILLER_REACH = 64;

/** `sorted` with a filler after every FILLER_EVERY entries, when the section has room for them. */
function withFillers(sorted: ExceptionTable, room: number): ExceptionTable {
  const count = sorted.atoms.length;
  const slots = count + Math.ceil(count / FILLER_EVERY);
  if (count === 0 || slots * W * 4 > room) return sorted;
  const from = new Uint32Array(sorted.entries.buffer, sorted.entries.byteOffset, count * W);
  const words = new Uint32Array(slots * W);
  const atoms = new Int32Array(slots).fill(-1);
  let w = 0;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < W; k++) words[w * W + k] = from[i * W + k]!;
    atoms[w++] = sorted.atoms[i]!;
    if ((i + 1) % FILLER_EVERY === 0 || i === count - 1) w++; // a filler follows
  }
  refillFillers(words, atoms, 0);
  return { entries: new Uint8Array(words.buffer), atoms };
}

/** Each filler becomes a copy of the entry before it (those before the first entry, of the first entry). */
function refillFillers(words: Uint32Array, atoms: Int32Array, first: number): void {
  for (let i = 0; i < atoms.length; i++) {
    if (atoms[i]! >= 0) continue;
    const source = i < first ? first : i - 1;
    for (let k = 0; k < W; k++) words[i * W + k] = words[source * W + k]!;
  }
}

/**
 * `refillFillers` for the slot ranges an update touched (pairs of start and end, any order): each range,
 * merged with its neighbours, reaches on to the fillers after it, which copy its last entry. Answers the
 * ranges as refilled, ascending.
 */
function refillTouchedFillers(words: Uint32Array, atoms: Int32Array, first: number, touched: readonly number[]): number[] {
  const order: number[] = [];
  for (let k = 0; k < touched.length; k += 2) order.push(k);
  order.sort((x, y) => touched[x]! - touched[y]!);
  const ranges: number[] = [];
  let done = 0; // slots before this are refilled
  for (const k of order) {
    let i = Math.max(touched[k]!, done);
    const end = touched[k + 1]!;
    if (i >= end) continue; // inside a range refilled already
    const start = i;
    for (; i < end || (i < atoms.length && atoms[i]! < 0); i++) {
      if (atoms[i]! >= 0) continue;
      const source = i < first ? first : i - 1;
      for (let w = 0; w < W; w++) words[i * W + w] = words[source * W + w]!;
    }
    if (ranges.length > 0 && ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = i;
    else ranges.push(start, i);
    done = i;
  }
  return ranges;
}

/**
 * Per atom, the BeginAddress of each of its entries in the exception table. Typed for the common case of
 * one entry per atom (a function's own `.pdata`, made once per process over 100,000 atoms: a Map of
 * arrays took ~40 ms of a one-shot update); atoms with several entries (an object without
 * -ffunction-sections has one `.pdata` for all its functions) are listed apart.
 */
class EntryBegins {
  /** The begin of an atom's only entry; NaN when it has none or several. */
  private single: Float64Array;
  private readonly several = new Map<number, number[]>();

  private constructor(atomCount: number) {
    this.single = new Float64Array(Math.max(16, atomCount)).fill(NaN);
  }

  /** From the table as written (slot atoms `atoms`, -1 for fillers). */
  static of(words: Uint32Array, atoms: Int32Array): EntryBegins {
    let max = -1;
    for (let slot = 0; slot < atoms.length; slot++) if (atoms[slot]! > max) max = atoms[slot]!;
    const begins = new EntryBegins(max + 1);
    for (let slot = 0; slot < atoms.length; slot++) if (atoms[slot]! >= 0) begins.add(atoms[slot]!, words[slot * W]!);
    return begins;
  }

  get(atom: number): readonly number[] | undefined {
    const begin = atom < this.single.length ? this.single[atom]! : NaN;
    return begin === begin ? [begin] : this.several.get(atom);
  }

  add(atom: number, begin: number): void {
    if (atom >= this.single.length) {
      const grown = new Float64Array(Math.max(atom + 1, this.single.length * 2)).fill(NaN);
      grown.set(this.single);
      this.single = grown;
    }
    const only = this.single[atom]!;
    if (only === only) {
      this.several.set(atom, [only, begin]);
      this.single[atom] = NaN;
      return;
    }
    const list = this.several.get(atom);
    if (list) list.push(begin);
    else this.single[atom] = begin;
  }

  delete(atom: number): void {
    if (atom < this.single.length) this.single[atom] = NaN;
    this.several.delete(atom);
  }
}

/** A mark per atom id for the atoms in `atoms` (a typed lookup in loops over every entry of a table). */
function atomMarks(atoms: ReadonlySet<number>): Uint8Array {
  let max = -1;
  for (const a of atoms) if (a > max) max = a;
  const marks = new Uint8Array(max + 1);
  for (const a of atoms) if (a >= 0) marks[a] = 1;
  return marks;
}

/** The first slot whose BeginAddress is `begin` or more (slots in ascending order), or `slots`. */
function firstSlotAtLeast(words: Uint32Array, slots: number, begin: number): number {
  let lo = 0, hi = slots;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (words[mid * W]! < begin) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function align(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The kernel's view of an object: its bytes, tables and sections' atoms, without copying any of them. */
function relocationFile(file: ObjectFile): RelocationFile {
  const coff = file.coff;
  const relocations = coff.relocationColumns;
  return {
    bytes: coff.bytes, view: new DataView(coff.bytes.buffer, coff.bytes.byteOffset, coff.bytes.byteLength), symbolIds: file.symbolIds, sectionAtom: file.sectionAtom, relocationStart: relocations.start, relocationCount: relocations.count,
    sectionTable: coff.sectionTableOffset, symbolTable: coff.pointerToSymbolTable, recordSize: coff.symbolRecordSize, bigobj: coff.isBigobj,
    symbolCount: file.symbolCount, sectionCount: file.sectionCount,
  };
}
