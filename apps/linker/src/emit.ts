// Relocate and write: copy every atom's bytes to its file offset, apply its relocations against final
// addresses (recording base relocations for the absolute ones), fill in the synthetic tables, then the
// headers. Produces the whole image in one buffer.
import { IMAGE_DIRECTORY_ENTRY, IMAGE_FILE_MACHINE, IMAGE_SCN, IMAGE_SUBSYSTEM, IMAGE_DLLCHARACTERISTICS, relocationTypesOf, nameOf } from "@linkkit/coff-format";
import {
  buildBaseRelocationsFromArrays, imageCharacteristics, loadConfigDirectoryEntry, sortRuntimeFunctions,
  tlsDirectoryEntry, writeChecksum, writeExportTable, writeImageHeaders, writeImportTables, writeImportThunk,
  planExportTable, type DataDirectoryEntry, type ExportTableInput, type SectionHeaderModel,
} from "@linkkit/pe-writer";
import { LinkError } from "./errors.js";
import { ObjectFile } from "./inputs/object-file.js";
import type { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import type { ImageLayout } from "./layout.js";
import type { LinkOptions } from "./options.js";
import { applyRelocation, relocationSize, type RelocationTarget } from "./relocate.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";

const subsystemValue: Record<string, number> = {
  console: IMAGE_SUBSYSTEM.WINDOWS_CUI, windows: IMAGE_SUBSYSTEM.WINDOWS_GUI, native: IMAGE_SUBSYSTEM.NATIVE,
  posix: IMAGE_SUBSYSTEM.POSIX_CUI, efi_application: IMAGE_SUBSYSTEM.EFI_APPLICATION,
  efi_boot_service_driver: IMAGE_SUBSYSTEM.EFI_BOOT_SERVICE_DRIVER, efi_rom: IMAGE_SUBSYSTEM.EFI_ROM,
  efi_runtime_driver: IMAGE_SUBSYSTEM.EFI_RUNTIME_DRIVER, boot_application: IMAGE_SUBSYSTEM.WINDOWS_BOOT_APPLICATION,
};

export interface EmitRequest {
  readonly inputs: LoadedInputs;
  readonly resolved: ResolvedSymbols;
  readonly image: ImageLayout;
  readonly options: LinkOptions;
  readonly imageBase: number;
  readonly entrySymbol: number | undefined;
  readonly subsystem: string;
  /** The export table with final RVAs (the layout planned its size with the same names and ordinals). */
  readonly exportTable: ExportTableInput | undefined;
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
      const file = inputs.files[resolved.input[id]!] as ObjectFile;
      const atom = file.sectionAtom[resolved.section[id]! - 1]!;
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

function importSlotRva(image: ImageLayout, file: ImportFile): number | undefined {
  const tables = image.importTables;
  const slot = tables?.slots.get(file);
  if (!tables || !slot) return undefined;
  const base = image.layout.atomAddress(tables.atom);
  return base + tables.plan.iatOffsets[slot[0]]! + slot[1] * (tables.plan.is64 ? 8 : 4);
}

export function emitImage(req: EmitRequest): EmittedImage {
  const { inputs, resolved, image, options, imageBase } = req;
  const machine = inputs.machine;
  const is64 = machine === "x64";
  const machineValue = is64 ? IMAGE_FILE_MACHINE.AMD64 : IMAGE_FILE_MACHINE.I386;
  const layout = image.layout;
  const sectionOfAtom = (atom: number) => image.sectionById[layout.atomSection(atom)]!;

  // Bound the base-relocation table before relocating so that one buffer holds the whole image.
  let absoluteRelocs = 0;
  for (const file of inputs.objects) {
    for (let s = 0; s < file.sectionCount; s++) {
      if (file.sectionAtom[s]! < 0) continue;
      const relocs = file.coff.relocations(s);
      for (let r = 0; r < relocs.length; r++) {
        const t = relocs.type(r);
        if (is64 ? t === 1 || t === 2 : t === 6) absoluteRelocs++;
      }
    }
  }
  absoluteRelocs += image.thunkAtoms.size;
  const relocBound = image.relocSection ? align(absoluteRelocs * 12 + 16, options.fileAlignment) : 0;
  const sections = layout.sections();
  let fileEnd = image.headerSize;
  for (const s of sections) if (!s.noBits) fileEnd = Math.max(fileEnd, s.fileOffset + align(s.usedSize, options.fileAlignment));
  const buffer = new Uint8Array(fileEnd + relocBound);
  const view = new DataView(buffer.buffer);

  // Code gaps are int3, as link.exe fills them, so a stray jump traps.
  for (const out of image.sections) {
    if (!(out.characteristics & IMAGE_SCN.CNT_CODE)) continue;
    const info = layout.section(out.id);
    buffer.fill(0xcc, info.fileOffset, info.fileOffset + info.usedSize);
  }

  let relocCount = 0;
  let relocRvas = new Uint32Array(Math.max(16, absoluteRelocs));
  let relocTypes = new Uint8Array(relocRvas.length);
  const addBaseReloc = (rva: number, type: number) => {
    if (relocCount === relocRvas.length) {
      const r = new Uint32Array(relocCount * 2); r.set(relocRvas); relocRvas = r;
      const t = new Uint8Array(relocCount * 2); t.set(relocTypes); relocTypes = t;
    }
    relocRvas[relocCount] = rva;
    relocTypes[relocCount++] = type;
  };

  const errors: string[] = [];
  const target: { rva: number; absolute: boolean; sectionIndex: number; sectionRva: number } = { rva: 0, absolute: false, sectionIndex: 0, sectionRva: 0 };
  const relocTable = relocationTypesOf(machineValue)!;

  for (const file of inputs.objects) {
    const coff = file.coff;
    for (let s = 0; s < file.sectionCount; s++) {
      const atom = file.sectionAtom[s]!;
      if (atom < 0) continue;
      const out = sectionOfAtom(atom);
      const info = layout.section(out.id);
      const offsetInSection = layout.atomOffset(atom);
      const rva = info.address + offsetInSection;
      const fileOffset = info.fileOffset + offsetInSection;
      if (!out.noBits) {
        const data = coff.sectionData(s);
        if (data.length > 0 && !(coff.sectionCharacteristics(s) & IMAGE_SCN.CNT_UNINITIALIZED_DATA)) buffer.set(data, fileOffset);
        else if (out.characteristics & IMAGE_SCN.CNT_CODE) buffer.fill(0, fileOffset, fileOffset + coff.section(s).sizeOfRawData);
      }
      const relocs = coff.relocations(s);
      for (let r = 0; r < relocs.length; r++) {
        const type = relocs.type(r);
        const offset = relocs.offset(r);
        const index = relocs.symbolIndex(r);
        const where = () => `${file.name}:(${coff.sectionName(s)}+0x${offset.toString(16)})`;
        if (index >= file.symbolCount) { errors.push(`${where()}: relocation refers to symbol ${index}, past the symbol table`); continue; }
        if (out.noBits) { errors.push(`${where()}: relocation in uninitialised data`); continue; }
        const id = file.symbolIds[index]!;
        if (id >= 0) {
          const t = symbolRva(inputs, resolved, image, id, imageBase);
          if (t === undefined) {
            // Undefined under /force:unresolved: the site keeps its addend against address 0, like lld.
            if (!options.force.unresolved) errors.push(`${where()}: relocation against ${inputs.symbols.nameOf(id)}, which has no address`);
            continue;
          }
          target.rva = t;
          target.absolute = resolved.kind[id] === TargetKind.Absolute;
          const tAtom = targetAtom(inputs, resolved, image, id);
          const tSection = tAtom >= 0 ? sectionOfAtom(tAtom) : undefined;
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
              errors.push(`${where()}: relocation against symbol ${coff.symbolName(index)} in discarded section ${coff.sectionName(section - 1)}`);
              continue;
            }
            const tSection = sectionOfAtom(tAtom);
            target.rva = layout.atomAddress(tAtom) + coff.symbolValue(index);
            target.absolute = false;
            target.sectionIndex = tSection.number;
            target.sectionRva = layout.section(tSection.id).address;
          } else {
            errors.push(`${where()}: relocation against local symbol ${coff.symbolName(index)} with no section`);
            continue;
          }
        }
        const result = applyRelocation(machine, type, view, fileOffset + offset, rva + offset, target as RelocationTarget, imageBase);
        if (typeof result === "number") {
          if (result !== 0) addBaseReloc(rva + offset, result);
          continue;
        }
        const typeName = nameOf(relocTable, type) ?? `0x${type.toString(16)}`;
        const symbol = coff.symbolName(index);
        if (result.kind === "unknown-type") errors.push(`${where()}: unsupported relocation type ${typeName} against ${symbol}`);
        else if (result.kind === "truncated" || offset + (relocationSize(machine, type) ?? 0) > coff.section(s).sizeOfRawData) errors.push(`${where()}: relocation ${typeName} against ${symbol} runs past the end of the section`);
        else errors.push(`${where()}: relocation ${typeName} out of range: 0x${result.value.toString(16)} against ${symbol}`);
      }
    }
  }
  if (errors.length > 0) throw new LinkError(errors.slice(0, 50).concat(errors.length > 50 ? [`...and ${errors.length - 50} more relocation errors`] : []));

  const directories: (DataDirectoryEntry | undefined)[] = [];
  // Imports: the table blob and the thunks that jump through it.
  if (image.importTables) {
    const rva = layout.atomAddress(image.importTables.atom);
    const written = writeImportTables(image.importTables.plan, rva);
    const out = sectionOfAtom(image.importTables.atom);
    buffer.set(written.bytes, layout.section(out.id).fileOffset + layout.atomOffset(image.importTables.atom));
    directories[IMAGE_DIRECTORY_ENTRY.IMPORT] = written.importDirectory;
    directories[IMAGE_DIRECTORY_ENTRY.IAT] = written.iat;
    for (const [file, atom] of image.thunkAtoms) {
      const thunkRva = layout.atomAddress(atom);
      const at = layout.section(sectionOfAtom(atom).id).fileOffset + layout.atomOffset(atom);
      const r = writeImportThunk(buffer.subarray(at), machineValue, thunkRva, importSlotRva(image, file)!, imageBase);
      for (const b of r.baseRelocations) addBaseReloc(b.rva, b.type);
    }
  }
  if (image.exportTable) {
    const plan = planExportTable(req.exportTable ?? image.exportTable.input);
    const rva = layout.atomAddress(image.exportTable.atom);
    const written = writeExportTable(plan, rva);
    buffer.set(written.bytes, layout.section(sectionOfAtom(image.exportTable.atom).id).fileOffset + layout.atomOffset(image.exportTable.atom));
    directories[IMAGE_DIRECTORY_ENTRY.EXPORT] = written.exportDirectory;
  }
  const pdata = image.sections.find((s) => s.name === ".pdata");
  if (pdata && is64) {
    const info = layout.section(pdata.id);
    sortRuntimeFunctions(buffer, info.fileOffset, info.usedSize - (info.usedSize % 12));
    directories[IMAGE_DIRECTORY_ENTRY.EXCEPTION] = { rva: info.address, size: info.usedSize - (info.usedSize % 12) };
  }
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
      const at = layout.section(sectionOfAtom(atom).id).fileOffset + (rva - layout.section(sectionOfAtom(atom).id).address);
      directories[IMAGE_DIRECTORY_ENTRY.LOAD_CONFIG] = loadConfigDirectoryEntry(rva, buffer.subarray(at, at + 0x200));
    }
  }

  // Base relocations: sorted into 4 KiB page blocks, in the last section.
  let finalEnd = fileEnd;
  if (image.relocSection) {
    const table = buildBaseRelocationsFromArrays(relocRvas.subarray(0, relocCount), relocTypes.subarray(0, relocCount));
    if (table.length > 0) {
      const atom = layout.addAtom(image.relocSection.id, table.length, 4);
      const info = layout.section(image.relocSection.id);
      const at = info.fileOffset + layout.atomOffset(atom);
      if (at + table.length > buffer.length) throw new LinkError("internal: base-relocation table larger than its bound");
      buffer.set(table, at);
      directories[IMAGE_DIRECTORY_ENTRY.BASERELOC] = { rva: info.address + layout.atomOffset(atom), size: table.length };
      finalEnd = Math.max(finalEnd, info.fileOffset + align(layout.section(image.relocSection.id).usedSize, options.fileAlignment));
    }
  }

  const headers: SectionHeaderModel[] = [];
  for (const out of image.sections) {
    const info = layout.section(out.id);
    if (out === image.relocSection && info.usedSize === 0) continue;
    headers.push({
      name: out.name, virtualAddress: info.address, virtualSize: info.usedSize,
      pointerToRawData: out.noBits || info.usedSize === 0 ? 0 : info.fileOffset,
      sizeOfRawData: out.noBits ? 0 : align(info.usedSize, options.fileAlignment),
      characteristics: out.characteristics,
    });
  }
  const entryRva = req.entrySymbol === undefined ? 0 : symbolRva(inputs, resolved, image, req.entrySymbol, imageBase) ?? 0;
  let dllCharacteristics = 0;
  if (options.dynamicBase && !options.fixed) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.DYNAMIC_BASE;
  if ((options.highEntropyVa ?? is64) && is64 && options.dynamicBase && !options.fixed) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.HIGH_ENTROPY_VA;
  if (options.nxCompat) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.NX_COMPAT;
  if (options.terminalServerAware && !options.dll) dllCharacteristics |= IMAGE_DLLCHARACTERISTICS.TERMINAL_SERVER_AWARE;
  const bytes = buffer.subarray(0, finalEnd);
  writeImageHeaders(bytes, {
    machine: machineValue,
    characteristics: imageCharacteristics({ machine: machineValue, dll: options.dll, fixed: options.fixed, largeAddressAware: options.largeAddressAware ?? is64 }),
    timeDateStamp: options.timestamp,
    imageBase: BigInt(imageBase),
    sectionAlignment: options.sectionAlignment,
    fileAlignment: options.fileAlignment,
    entryPointRva: entryRva,
    subsystem: subsystemValue[req.subsystem] ?? IMAGE_SUBSYSTEM.WINDOWS_CUI,
    subsystemVersion: options.subsystemVersion ? { major: options.subsystemVersion[0], minor: options.subsystemVersion[1] } : undefined,
    osVersion: options.osVersion ? { major: options.osVersion[0], minor: options.osVersion[1] } : undefined,
    imageVersion: options.imageVersion ? { major: options.imageVersion[0], minor: options.imageVersion[1] } : undefined,
    dllCharacteristics,
    stackReserve: options.stack?.[0], stackCommit: options.stack && options.stack[1] >= 0n ? options.stack[1] : undefined,
    heapReserve: options.heap?.[0], heapCommit: options.heap && options.heap[1] >= 0n ? options.heap[1] : undefined,
    dataDirectories: directories,
    sections: headers,
    sizeOfHeaders: image.headerSize,
  });
  if (options.release) writeChecksum(bytes);
  return { bytes, baseRelocationCount: relocCount, entryRva };
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

export function align(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

