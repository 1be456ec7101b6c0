// Parses llvm-readobj's text output (`Key: value`, `Name {`, `Name [ (head)`) into a tree, and checks
// a PeImage read by coff-format against it field by field.
import { expect } from "vitest";
import {
  IMAGE_REL_BASED,
  nameOf,
  readBaseRelocations,
  readDelayImportDirectory,
  readExportDirectory,
  readImportDirectory,
} from "../src/index.js";
import type { PeImage } from "../src/index.js";

export interface DumpNode {
  readonly name: string;
  /** Text after the opening bracket, e.g. "(0x60000020)" for flag lists. */
  readonly head: string;
  readonly props: [string, string][];
  /** Lines without a colon (flag names in a `[` list). */
  readonly items: string[];
  readonly children: DumpNode[];
}

export function parseReadobj(text: string): DumpNode {
  const root: DumpNode = { name: "", head: "", props: [], items: [], children: [] };
  const stack: DumpNode[] = [root];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const top = stack[stack.length - 1]!;
    if (line === "}" || line === "]") {
      stack.pop();
      continue;
    }
    const open = /^([^:{[]+?) ([{[])\s*(.*)$/.exec(line);
    if (open !== null) {
      const node: DumpNode = { name: open[1]!, head: open[3]!, props: [], items: [], children: [] };
      top.children.push(node);
      stack.push(node);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) top.items.push(line);
    else top.props.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return root;
}

export function prop(node: DumpNode, key: string): string {
  const found = node.props.find(([k]) => k === key);
  if (found === undefined) throw new Error(`readobj dump: no ${key} in ${node.name}`);
  return found[1];
}

export function props(node: DumpNode, key: string): string[] {
  return node.props.filter(([k]) => k === key).map(([, v]) => v);
}

export function child(node: DumpNode, name: string): DumpNode {
  const found = node.children.find((c) => c.name === name);
  if (found === undefined) throw new Error(`readobj dump: no ${name} in ${node.name || "the dump"}`);
  return found;
}

export function children(node: DumpNode, name: string): DumpNode[] {
  return node.children.filter((c) => c.name === name);
}

/** "0x1A" and "26" alike; the value in parentheses for "NAME (0x8664)"; the hex in "(0x2022)" heads. */
export function num(text: string): number {
  const inParens = /\((0x[0-9A-Fa-f]+|[0-9]+)\)\s*$/.exec(text);
  const token = inParens !== null ? inParens[1]! : text.trim();
  const value = Number(token);
  if (!Number.isFinite(value)) throw new Error(`readobj dump: not a number: ${text}`);
  return value;
}

const DIRECTORY_KEYS = [
  "ExportTable", "ImportTable", "ResourceTable", "ExceptionTable", "CertificateTable", "BaseRelocationTable", "Debug",
  "Architecture", "GlobalPtr", "TLSTable", "LoadConfigTable", "BoundImport", "IAT", "DelayImportDescriptor",
  "CLRRuntimeHeader", "Reserved",
];

/** Headers, sections, imports, delay imports, exports and base relocations, each against the dump. */
export function expectImageMatchesReadobj(image: PeImage, dumpText: string): void {
  const dump = parseReadobj(dumpText);
  const fh = child(dump, "ImageFileHeader");
  expect(image.fileHeader.Machine).toBe(num(prop(fh, "Machine")));
  expect(image.fileHeader.NumberOfSections).toBe(num(prop(fh, "SectionCount")));
  expect(image.fileHeader.TimeDateStamp).toBe(num(prop(fh, "TimeDateStamp")));
  expect(image.fileHeader.PointerToSymbolTable).toBe(num(prop(fh, "PointerToSymbolTable")));
  expect(image.fileHeader.NumberOfSymbols).toBe(num(prop(fh, "SymbolCount")));
  expect(image.fileHeader.SizeOfOptionalHeader).toBe(num(prop(fh, "OptionalHeaderSize")));
  expect(image.fileHeader.Characteristics).toBe(num(child(fh, "Characteristics").head));

  const oh = child(dump, "ImageOptionalHeader");
  const o = image.optionalHeader;
  expect(o.Magic).toBe(num(prop(oh, "Magic")));
  expect(o.format).toBe(o.Magic === 0x20b ? "PE32+" : "PE32");
  for (const field of [
    "MajorLinkerVersion", "MinorLinkerVersion", "SizeOfCode", "SizeOfInitializedData", "SizeOfUninitializedData",
    "AddressOfEntryPoint", "BaseOfCode", "SectionAlignment", "FileAlignment", "MajorOperatingSystemVersion",
    "MinorOperatingSystemVersion", "MajorImageVersion", "MinorImageVersion", "MajorSubsystemVersion",
    "MinorSubsystemVersion", "SizeOfImage", "SizeOfHeaders", "Subsystem",
  ] as const) {
    expect(o[field], field).toBe(num(prop(oh, field)));
  }
  expect(BigInt(o.ImageBase)).toBe(BigInt(prop(oh, "ImageBase")));
  if (o.format === "PE32") expect(o.BaseOfData).toBe(num(prop(oh, "BaseOfData")));
  for (const field of ["SizeOfStackReserve", "SizeOfStackCommit", "SizeOfHeapReserve", "SizeOfHeapCommit"] as const) {
    expect(BigInt(o[field]), field).toBe(BigInt(prop(oh, field)));
  }
  expect(o.DllCharacteristics).toBe(num(child(oh, "Characteristics").head));
  expect(o.NumberOfRvaAndSizes).toBe(num(prop(oh, "NumberOfRvaAndSize")));
  const dd = child(oh, "DataDirectory");
  DIRECTORY_KEYS.slice(0, image.dataDirectories.length).forEach((key, i) => {
    expect(image.dataDirectories[i]!.VirtualAddress, `${key}RVA`).toBe(num(prop(dd, `${key}RVA`)));
    expect(image.dataDirectories[i]!.Size, `${key}Size`).toBe(num(prop(dd, `${key}Size`)));
  });

  expect(image.dosHeader.e_lfanew).toBe(num(prop(child(dump, "DOSHeader"), "AddressOfNewExeHeader")));

  const sections = children(child(dump, "Sections"), "Section");
  expect(image.sections.map((s) => s.name)).toEqual(sections.map((s) => prop(s, "Name").replace(/ \([0-9A-F ]*\)$/, "")));
  sections.forEach((s, i) => {
    const mine = image.sections[i]!;
    expect(mine.VirtualSize).toBe(num(prop(s, "VirtualSize")));
    expect(mine.VirtualAddress).toBe(num(prop(s, "VirtualAddress")));
    expect(mine.SizeOfRawData).toBe(num(prop(s, "RawDataSize")));
    expect(mine.PointerToRawData).toBe(num(prop(s, "PointerToRawData")));
    expect(mine.Characteristics).toBe(num(child(s, "Characteristics").head));
  });

  const imports = readImportDirectory(image);
  const dumpImports = children(dump, "Import");
  expect(imports.map((d) => d.dllName)).toEqual(dumpImports.map((d) => prop(d, "Name")));
  dumpImports.forEach((d, i) => {
    const mine = imports[i]!;
    expect(mine.importLookupTableRva).toBe(num(prop(d, "ImportLookupTableRVA")));
    expect(mine.importAddressTableRva).toBe(num(prop(d, "ImportAddressTableRVA")));
    // readobj prints "name (hint)" for imports by name and " (ordinal)" for imports by ordinal.
    expect(mine.entries.map(importSymbolText)).toEqual(props(d, "Symbol"));
  });

  const delayed = readDelayImportDirectory(image);
  const dumpDelayed = children(dump, "DelayImport");
  expect(delayed.map((d) => d.dllName)).toEqual(dumpDelayed.map((d) => prop(d, "Name")));
  dumpDelayed.forEach((d, i) => {
    const mine = delayed[i]!;
    expect(mine.attributes).toBe(num(prop(d, "Attributes")));
    expect(mine.moduleHandleRva).toBe(num(prop(d, "ModuleHandle")));
    expect(mine.importAddressTableRva).toBe(num(prop(d, "ImportAddressTable")));
    expect(mine.importNameTableRva).toBe(num(prop(d, "ImportNameTable")));
    expect(mine.boundImportAddressTableRva).toBe(num(prop(d, "BoundDelayImportTable")));
    expect(mine.unloadInformationTableRva).toBe(num(prop(d, "UnloadDelayImportTable")));
    expect(mine.entries.map(importSymbolText)).toEqual(children(d, "Import").map((s) => prop(s, "Symbol")));
  });

  const exports = readExportDirectory(image);
  // readobj lists every address-table slot; unused ordinals (RVA 0) are holes, which coff-format leaves out.
  const dumpExports = children(dump, "Export").filter((e) => num(prop(e, "RVA")) !== 0);
  expect(exports?.entries.length ?? 0).toBe(dumpExports.length);
  dumpExports.forEach((e, i) => {
    const mine = exports!.entries[i]!;
    expect(mine.ordinal).toBe(num(prop(e, "Ordinal")));
    expect(mine.rva).toBe(num(prop(e, "RVA")));
    expect(mine.names[0] ?? "").toBe(prop(e, "Name"));
  });

  const relocations = readBaseRelocations(image);
  const dumpRelocations = children(child(dump, "BaseReloc"), "Entry");
  const mineFlat = relocations.blocks.flatMap((b) => b.entries.map((e) => ({
    type: (nameOf(IMAGE_REL_BASED, e.type) ?? String(e.type)).replace("IMAGE_REL_BASED_", ""),
    address: e.rva,
  })));
  expect(mineFlat).toEqual(dumpRelocations.map((e) => ({ type: prop(e, "Type"), address: num(prop(e, "Address")) })));
}

function importSymbolText(entry: ReturnType<typeof readImportDirectory>[number]["entries"][number]): string {
  return entry.kind === "name" ? `${entry.name} (${entry.hint})` : `(${entry.ordinal})`;
}
