// /map: a link.exe-format map file (sections, public symbols by address, entry point, static symbols),
// the format lld-link writes too, so tools and people read either.
import { IMAGE_SCN, IMAGE_SYM_CLASS } from "@linkkit/coff-format";
import { ObjectFile } from "./inputs/object-file.js";
import { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { AtomKind, SYNTHETIC_SECTION_NAME, type ImageLayout } from "./layout.js";
import { symbolRva } from "./emit.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";

interface MapEntry { readonly rva: number; readonly name: string; readonly object: string }

const hex = (n: number | bigint, width: number) => n.toString(16).padStart(width, "0");

/** "hello.obj", or "libname:member.obj" for archive members, "kernel32:kernel32.dll" for imports. */
function objectLabel(file: ObjectFile | ImportFile): string {
  if (file instanceof ImportFile) return `${file.libraryName}:${file.dllName}`;
  const m = /^(.*)\((.*)\)$/.exec(file.name);
  const base = (p: string) => p.replace(/^.*[\\/]/, "");
  return m ? `${base(m[1]!).replace(/\.[^.]*$/, "")}:${base(m[2]!)}` : base(file.name);
}

/** The input section name an atom came from (synthetic atoms: the name their tables have in a COFF object). */
function contributionName(inputs: LoadedInputs, image: ImageLayout, atom: number): string {
  const kind = image.atomKind[atom] as AtomKind;
  if (kind === AtomKind.InputSection) return (inputs.files[image.atomInput[atom]!] as ObjectFile).coff.sectionName(image.atomDetail[atom]!);
  // The emitter adds the base-relocation table's atom without a kind: it is the one atom that has none.
  return SYNTHETIC_SECTION_NAME[kind] ?? SYNTHETIC_SECTION_NAME[AtomKind.BaseRelocations];
}

export function writeMapFile(outputName: string, inputs: LoadedInputs, resolved: ResolvedSymbols, image: ImageLayout, imageBase: number, timestamp: number, entrySymbol: number | undefined, is64: boolean): string {
  const layout = image.layout;
  const lines: string[] = [];
  lines.push(` ${outputName.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "")}`, "");
  lines.push(` Timestamp is ${hex(timestamp, 8)} (${new Date(timestamp * 1000).toUTCString()})`, "");
  lines.push(` Preferred load address is ${hex(BigInt(imageBase), 16)}`, "");
  lines.push(" Start         Length     Name                   Class");
  // Runs of atoms from input sections of one name, in address order (an incremental update may have
  // placed atoms anywhere, so the runs are found from the atoms, not from the first layout).
  for (const out of image.sections) {
    const cls = out.characteristics & IMAGE_SCN.CNT_CODE ? "CODE" : "DATA";
    let name = "", start = 0, end = 0;
    const flush = () => { if (name !== "") lines.push(` ${hex(out.number, 4)}:${hex(start, 8)} ${hex(end - start, 8)}H ${name.padEnd(23)} ${cls}`); };
    for (const atom of layout.atomsInSection(out.id)) {
      const n = contributionName(inputs, image, atom);
      const at = layout.atomOffset(atom);
      if (n !== name) { flush(); name = n; start = at; }
      end = at + layout.atom(atom).size;
    }
    flush();
  }
  lines.push("", "  Address         Publics by Value              Rva+Base               Lib:Object", "");

  const where = (rva: number) => {
    for (const out of image.sections) {
      const info = layout.section(out.id);
      if (rva >= info.address && rva < info.address + Math.max(info.usedSize, 1)) return `${hex(out.number, 4)}:${hex(rva - info.address, 8)}`;
    }
    return `0000:${hex(rva >>> 0, 8)}`;
  };
  const width = is64 ? 16 : 8;
  const line = (e: MapEntry) => ` ${where(e.rva)}       ${e.name.padEnd(26)} ${hex(BigInt(imageBase) + BigInt(e.rva), width)}     ${e.object}`;

  const publics: MapEntry[] = [];
  for (let id = 0; id < inputs.symbols.symbolCount; id++) {
    if (inputs.symbols.resolveAlias(id) !== id) continue;
    if (resolved.kind[id] === TargetKind.Absolute) continue;
    const rva = symbolRva(inputs, resolved, image, id, imageBase);
    if (rva === undefined) continue;
    const input = resolved.input[id]!;
    const file = input >= 0 ? inputs.files[input] : undefined;
    publics.push({ rva, name: inputs.symbols.nameOf(id), object: file ? objectLabel(file) : "<linker-defined>" });
  }
  publics.sort((a, b) => a.rva - b.rva || (a.name < b.name ? -1 : 1));
  for (const e of publics) lines.push(line(e));
  lines.push("");
  if (entrySymbol !== undefined) {
    const rva = symbolRva(inputs, resolved, image, entrySymbol, imageBase);
    if (rva !== undefined) lines.push(` entry point at         ${where(rva)}`, "");
  }

  const statics: MapEntry[] = [];
  for (const file of inputs.objects) {
    const coff = file.coff;
    for (let i = 0; i < file.symbolCount; i += 1 + coff.symbolAuxCount(i)) {
      if (coff.symbolStorageClass(i) !== IMAGE_SYM_CLASS.STATIC) continue;
      const section = coff.symbolSectionNumber(i);
      if (section <= 0 || section > file.sectionCount) continue;
      const atom = file.sectionAtom[section - 1]!;
      if (atom < 0) continue;
      const name = coff.symbolName(i);
      // Section definitions (with their aux record) and assembler-local labels are not statics a reader
      // looks for; plain statics named like sections (dlltool's `.text` in each import member) are, as in lld.
      if (coff.symbolAuxCount(i) > 0 || name.startsWith("$")) continue;
      statics.push({ rva: layout.atomAddress(atom) + coff.symbolValue(i), name, object: objectLabel(file) });
    }
  }
  statics.sort((a, b) => a.rva - b.rva || (a.name < b.name ? -1 : 1));
  lines.push(" Static symbols", "");
  for (const e of statics) lines.push(line(e));
  lines.push("");
  return lines.join("\n");
}
