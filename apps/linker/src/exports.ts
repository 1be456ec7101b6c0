// Exports: which names a DLL exports (/export, .def files, dllexport directives), what each resolves
// to, and the import library that lets other programs link against the DLL.
import { IMAGE_FILE_MACHINE, IMAGE_SCN, IMAGE_SYM_CLASS, writeCoffObject, writeImportObject, type ImportObject } from "@linkkit/coff-format";
import { writeArchive, type ArchiveMemberInput } from "@linkkit/ar";
import type { ExportTableInput, ExportedSymbol } from "@linkkit/pe-writer";
import type { SymbolTable } from "@linkkit/symbol-resolver";
import { LinkError } from "./errors.js";
import type { ExportSpec, Machine } from "./options.js";

export interface ResolvedExport {
  readonly spec: ExportSpec;
  /** Name in the export table (undecorated on x86). */
  readonly exportName: string;
  /** The symbol implementing it, or undefined for forwarders. */
  readonly symbolName: string | undefined;
}

/** Merges duplicates (the same name from a .def file and a directive) and picks each export's symbol. */
export function collectExports(specs: readonly ExportSpec[], machine: Machine, symbols: SymbolTable): ResolvedExport[] {
  const byName = new Map<string, ResolvedExport>();
  const out: ResolvedExport[] = [];
  for (const spec of specs) {
    const exportName = machine === "x86" ? undecorate(spec.name) : spec.name;
    const previous = byName.get(exportName);
    if (previous) {
      if (previous.spec.ordinal !== undefined && spec.ordinal !== undefined && previous.spec.ordinal !== spec.ordinal) {
        throw new LinkError(`duplicate /export option: ${exportName} (ordinals @${previous.spec.ordinal} in ${previous.spec.origin} and @${spec.ordinal} in ${spec.origin})`);
      }
      continue;
    }
    let symbolName: string | undefined;
    if (spec.forwardTo === undefined) {
      const internal = spec.internalName ?? spec.name;
      symbolName = machine === "x86" ? findX86Symbol(internal, symbols) : internal;
    }
    const e = { spec, exportName, symbolName };
    byName.set(exportName, e);
    out.push(e);
  }
  return out;
}

/** x86 C names: `foo` is `_foo`, or a stdcall `_foo@12` / fastcall `@foo@8` that some object defines. */
function findX86Symbol(name: string, symbols: SymbolTable): string {
  if (name.startsWith("_") || name.startsWith("?") || name.startsWith("@")) return name;
  const plain = `_${name}`;
  if (symbols.idOf(plain) !== undefined) return plain;
  for (const id of symbols.symbols()) {
    const n = symbols.nameOf(id);
    if (n.startsWith(`${plain}@`) || n.startsWith(`@${name}@`)) return n;
  }
  return plain;
}

/** `_foo@12` → `foo`, `@foo@8` → `foo`, `_foo` → `foo`; C++ names stay. */
export function undecorate(name: string): string {
  if (name.startsWith("?")) return name;
  let n = name;
  if (n.startsWith("_") || n.startsWith("@")) n = n.slice(1);
  const at = n.indexOf("@");
  return at > 0 ? n.slice(0, at) : n;
}

export function exportTableInput(dllName: string, exports: readonly ResolvedExport[], rvaOf: (e: ResolvedExport) => number, timestamp: number): ExportTableInput {
  const entries: ExportedSymbol[] = exports.map((e) => ({
    name: e.exportName,
    ordinal: e.spec.ordinal,
    noname: e.spec.noName ?? false,
    data: e.spec.data ?? false,
    ...(e.spec.forwardTo !== undefined ? { forwarder: e.spec.forwardTo } : { rva: rvaOf(e) }),
  }));
  // lld-link numbers exports without an explicit ordinal after the largest explicit one, in name order.
  return { dllName, exports: entries, timeDateStamp: timestamp, ordinalAssignment: "after-max" };
}

/** A Microsoft-format import library of short import objects, one per (non-PRIVATE) export. */
export function writeImportLibrary(dllName: string, machine: Machine, exports: readonly ResolvedExport[], ordinals: ReadonlyMap<string, number>): Uint8Array {
  const members: ArchiveMemberInput[] = [];
  for (const e of exports) {
    if (e.spec.private) continue;
    const x86 = machine === "x86";
    const symbolName = x86 ? (e.symbolName && e.spec.internalName === undefined ? e.symbolName : `_${e.exportName}`) : e.exportName;
    const ordinal = ordinals.get(e.exportName) ?? 0;
    const object: ImportObject = {
      machine: x86 ? IMAGE_FILE_MACHINE.I386 : IMAGE_FILE_MACHINE.AMD64,
      timeDateStamp: 0,
      ordinalOrHint: e.spec.noName ? ordinal : 0,
      importType: e.spec.data ? "data" : "code",
      nameType: e.spec.noName ? "ordinal" : x86 && symbolName !== e.exportName ? "undecorate" : "name",
      symbolName,
      dllName,
    };
    const symbols = e.spec.data ? [`__imp_${symbolName}`] : [`__imp_${symbolName}`, symbolName];
    members.push({ name: dllName, data: writeImportObject(object), symbols });
  }
  return writeArchive([...importDescriptorMembers(dllName, machine), ...members], { format: "coff" });
}

/**
 * The three objects lib.exe puts before the short imports (PE/COFF spec 7, "import library format"): the
 * DLL's import directory entry, the directory's null terminator and the DLL's null thunk. Linkers that
 * synthesise import tables ignore them; GNU ld builds its import directory from them.
 */
function importDescriptorMembers(dllName: string, machine: Machine): ArchiveMemberInput[] {
  const x86 = machine === "x86";
  const target = x86 ? IMAGE_FILE_MACHINE.I386 : IMAGE_FILE_MACHINE.AMD64;
  const addr32nb = x86 ? 7 : 3; // IMAGE_REL_I386_DIR32NB, IMAGE_REL_AMD64_ADDR32NB
  const base = dllName.replace(/\.[^.]*$/, "");
  const descriptor = `__IMPORT_DESCRIPTOR_${base}`, nullDescriptor = "__NULL_IMPORT_DESCRIPTOR";
  const nullThunk = `\x7f${base}_NULL_THUNK_DATA`;
  const data = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE;
  const align4 = 0x00300000, align2 = 0x00200000, alignPtr = x86 ? align4 : 0x00400000;
  const name = new TextEncoder().encode(dllName);
  const nameData = new Uint8Array(name.length + 1 + ((name.length + 1) % 2));
  nameData.set(name);
  const sectionSymbol = (n: string, section: number) => ({ name: n, value: 0, sectionNumber: section, storageClass: IMAGE_SYM_CLASS.STATIC });
  const head = writeCoffObject({
    machine: target,
    sections: [
      // OriginalFirstThunk, Name and FirstThunk point at the sections the short imports' entries join.
      { name: ".idata$2", characteristics: data | align4, data: new Uint8Array(20), relocations: [
        { offset: 12, symbolIndex: 2, type: addr32nb }, { offset: 0, symbolIndex: 3, type: addr32nb }, { offset: 16, symbolIndex: 4, type: addr32nb },
      ] },
      { name: ".idata$6", characteristics: data | align2, data: nameData },
      { name: ".idata$4", characteristics: data | align4, data: new Uint8Array(0) },
      { name: ".idata$5", characteristics: data | align4, data: new Uint8Array(0) },
    ],
    symbols: [
      { name: descriptor, value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS.EXTERNAL },
      sectionSymbol(".idata$2", 1), sectionSymbol(".idata$6", 2), sectionSymbol(".idata$4", 3), sectionSymbol(".idata$5", 4),
      { name: nullDescriptor, value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS.EXTERNAL },
      { name: nullThunk, value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS.EXTERNAL },
    ],
  });
  const terminator = writeCoffObject({
    machine: target,
    sections: [{ name: ".idata$3", characteristics: data | align4, data: new Uint8Array(20) }],
    symbols: [{ name: nullDescriptor, value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS.EXTERNAL }],
  });
  const pointer = x86 ? 4 : 8;
  const thunk = writeCoffObject({
    machine: target,
    sections: [
      { name: ".idata$5", characteristics: data | alignPtr, data: new Uint8Array(pointer) },
      { name: ".idata$4", characteristics: data | alignPtr, data: new Uint8Array(pointer) },
    ],
    symbols: [{ name: nullThunk, value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS.EXTERNAL }],
  });
  return [
    { name: dllName, data: head, symbols: [descriptor] },
    { name: dllName, data: terminator, symbols: [nullDescriptor] },
    { name: dllName, data: thunk, symbols: [nullThunk] },
  ];
}
