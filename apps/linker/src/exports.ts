// Exports: which names a DLL exports (/export, .def files, dllexport directives), what each resolves
// to, and the import library that lets other programs link against the DLL.
import { IMAGE_FILE_MACHINE, writeImportObject, type ImportObject } from "@linkkit/coff-format";
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
  return writeArchive(members, { format: "coff" });
}
