// Renders a DumpModel as text for people: key/value headers and aligned tables, one file per block.
// It reads the model only, so the text and the JSON never disagree about what a file holds.
import type {
  ArchiveDump, ArchiveMemberDump, AuxDump, DumpModel, ImageDump, ImportObjectDump, ImportedDllDump, ObjectDump,
} from "./model.js";

export function renderText(model: DumpModel): string {
  const out: string[] = [];
  render(model, out, "");
  return out.join("\n") + "\n";
}

function render(model: DumpModel, out: string[], indent: string): void {
  switch (model.kind) {
    case "coff-object": return renderObject(model, out, indent);
    case "import-object": return renderImportObject(model, out, indent);
    case "archive": return renderArchive(model, out, indent);
    case "pe-image": return renderImage(model, out, indent);
  }
}

function renderObject(m: ObjectDump, out: string[], indent: string): void {
  out.push(`${indent}File: ${m.file}`);
  out.push(`${indent}Kind: COFF object${m.header?.format === "COFF bigobj" ? " (bigobj)" : ""}`);
  if (m.header !== undefined) {
    const h = m.header;
    keyValues(out, indent, "Header", [
      ["Machine", h.machine],
      ["NumberOfSections", String(h.numberOfSections)],
      ["TimeDateStamp", hex(h.timeDateStamp)],
      ["PointerToSymbolTable", h.pointerToSymbolTable],
      ["NumberOfSymbols", String(h.numberOfSymbols)],
      ["Characteristics", flags(h.characteristics)],
    ]);
  }
  if (m.sections !== undefined) {
    out.push(`${indent}Sections (${m.sections.length}):`);
    table(out, indent + "  ", ["#", "Name", "VirtSize", "VirtAddr", "RawSize", "RawPtr", "Relocs", "Align", "Characteristics"],
      m.sections.map((s) => [String(s.number), s.name, s.virtualSize, s.virtualAddress, s.sizeOfRawData, s.pointerToRawData,
        String(s.numberOfRelocations), String(s.alignment), flags(s.characteristics)]));
    for (const s of m.sections) {
      if (s.relocations === undefined || s.relocations.length === 0) continue;
      out.push(`${indent}Relocations of section ${s.number} (${s.name}), ${s.relocations.length}:`);
      table(out, indent + "  ", ["Offset", "Type", "Index", "Symbol"],
        s.relocations.map((r) => [r.offset, r.type, String(r.symbolIndex), r.symbol]));
    }
  }
  if (m.symbols !== undefined) {
    out.push(`${indent}Symbols (${m.symbols.length}):`);
    const rows: string[][] = [];
    for (const s of m.symbols) {
      rows.push([String(s.index), s.value, sectionColumn(s.sectionNumber, s.section), s.type, shortName(s.storageClass, "IMAGE_SYM_CLASS_"), s.name]);
      for (const aux of s.aux) rows.push(["", "", "", "", "", `  aux: ${auxText(aux)}`]);
    }
    table(out, indent + "  ", ["Index", "Value", "Section", "Type", "Class", "Name"], rows);
  }
}

function sectionColumn(number: number, label: string): string {
  return number > 0 ? `${number} ${label}` : shortName(label, "IMAGE_SYM_");
}

/** "IMAGE_SYM_CLASS_EXTERNAL (0x2)" → "EXTERNAL": the table is already headed by what the names are. */
function shortName(described: string, prefix: string): string {
  return described.startsWith(prefix) ? described.slice(prefix.length).replace(/ \(0x[0-9A-F]+\)$/, "") : described;
}

function auxText(aux: AuxDump): string {
  switch (aux.kind) {
    case "section-definition":
      return `section length ${aux.length}, ${aux.numberOfRelocations} relocations, checksum ${aux.checkSum}` +
        (aux.selection === "0" ? "" : `, COMDAT ${aux.selection}`) +
        (aux.selection.startsWith("IMAGE_COMDAT_SELECT_ASSOCIATIVE") ? `, associated with section ${aux.number}` : "");
    case "function-definition":
      return `function size ${aux.totalSize}, tag ${aux.tagIndex}, next function ${aux.pointerToNextFunction}`;
    case "function-lines":
      return `line ${aux.linenumber}, next function ${aux.pointerToNextFunction}`;
    case "weak-external":
      return `weak external, default symbol ${aux.tagIndex}, ${aux.characteristics}`;
    case "file":
      return `file ${aux.fileName}`;
    case "clr-token":
      return `CLR token, type ${aux.auxType}, symbol ${aux.symbolTableIndex}`;
    case "raw":
      return `bytes ${aux.bytes}`;
  }
}

function renderImportObject(m: ImportObjectDump, out: string[], indent: string): void {
  out.push(`${indent}File: ${m.file}`);
  out.push(`${indent}Kind: short import object`);
  const rows: [string, string][] = [
    ["Machine", m.machine],
    ["TimeDateStamp", hex(m.timeDateStamp)],
    ["Type", m.importType],
    ["NameType", m.nameType],
    ["Symbol", m.symbolName],
    ["DLL", m.dllName],
  ];
  if (m.importName !== undefined) rows.push(["ImportName", m.importName]);
  if (m.ordinal !== undefined) rows.push(["Ordinal", String(m.ordinal)]);
  if (m.hint !== undefined) rows.push(["Hint", String(m.hint)]);
  keyValues(out, indent, undefined, rows);
}

function renderArchive(m: ArchiveDump, out: string[], indent: string): void {
  out.push(`${indent}File: ${m.file}`);
  out.push(`${indent}Kind: ar archive (${m.format === "coff" ? "Microsoft .lib" : m.format === "gnu" ? "GNU" : "BSD"}${m.thin ? ", thin" : ""})`);
  out.push(`${indent}Symbols in index: ${m.symbolCount}`);
  out.push(`${indent}Members (${m.members.length}):`);
  table(out, indent + "  ", ["Offset", "Size", "Name", "Summary"], m.members.map((member) => [
    member.offset, String(member.size), member.name, memberSummary(member),
  ]));
  if (m.symbols !== undefined) {
    out.push(`${indent}Symbol index (${m.symbols.length}):`);
    table(out, indent + "  ", ["Member", "Symbol"], m.symbols.map((s) => [s.member, s.name]));
  }
  // The table row says all a header-only dump holds; members dumped in more detail get a block.
  for (const member of m.members) {
    if (member.dump === undefined || !hasDetail(member.dump)) continue;
    out.push("");
    render(member.dump, out, indent + "  ");
  }
}

function memberSummary(member: ArchiveMemberDump): string {
  if (member.error !== undefined) return `error: ${member.error}`;
  const d = member.dump;
  if (d === undefined) return "thin member (stored outside the archive)";
  switch (d.kind) {
    case "coff-object":
      return d.header === undefined
        ? "COFF object"
        : `COFF object${d.header.format === "COFF bigobj" ? " (bigobj)" : ""}, ${shortName(d.header.machine, "IMAGE_FILE_MACHINE_")}, ` +
          `${d.header.numberOfSections} sections, ${d.header.numberOfSymbols} symbol records`;
    case "import-object":
      return `import ${shortName(d.importType, "IMPORT_OBJECT_")} ${d.symbolName} from ${d.dllName}` +
        (d.ordinal !== undefined ? ` by ordinal ${d.ordinal}` : ` as ${d.importName ?? "?"} (${shortName(d.nameType, "IMPORT_OBJECT_")}, hint ${d.hint ?? 0})`);
    case "archive":
      return `nested archive, ${d.members.length} members`;
    case "pe-image":
      return "PE image";
  }
}

function hasDetail(d: DumpModel): boolean {
  switch (d.kind) {
    case "coff-object": return d.sections !== undefined || d.symbols !== undefined;
    case "import-object": return false;
    case "archive": return true;
    case "pe-image": return true;
  }
}

function renderImage(m: ImageDump, out: string[], indent: string): void {
  out.push(`${indent}File: ${m.file}`);
  out.push(`${indent}Kind: PE image${m.headers === undefined ? "" : ` (${m.headers.format})`}`);
  if (m.headers !== undefined) {
    const h = m.headers;
    keyValues(out, indent, "Headers", [
      ["Machine", h.machine],
      ["NumberOfSections", String(h.numberOfSections)],
      ["TimeDateStamp", hex(h.timeDateStamp)],
      ["Characteristics", flags(h.characteristics)],
      ["LinkerVersion", h.linkerVersion],
      ["OperatingSystemVersion", h.operatingSystemVersion],
      ["ImageVersion", h.imageVersion],
      ["SubsystemVersion", h.subsystemVersion],
      ["AddressOfEntryPoint", h.entryPoint],
      ["BaseOfCode", h.baseOfCode],
      ["ImageBase", h.imageBase],
      ["SectionAlignment", h.sectionAlignment],
      ["FileAlignment", h.fileAlignment],
      ["SizeOfImage", h.sizeOfImage],
      ["SizeOfHeaders", h.sizeOfHeaders],
      ["CheckSum", h.checkSum],
      ["Subsystem", h.subsystem],
      ["DllCharacteristics", flags(h.dllCharacteristics)],
      ["SizeOfStackReserve", h.sizeOfStackReserve],
      ["SizeOfStackCommit", h.sizeOfStackCommit],
      ["SizeOfHeapReserve", h.sizeOfHeapReserve],
      ["SizeOfHeapCommit", h.sizeOfHeapCommit],
      ["NumberOfRvaAndSizes", String(h.numberOfRvaAndSizes)],
    ]);
    out.push(`${indent}Data directories (${h.dataDirectories.length} in use):`);
    table(out, indent + "  ", ["#", "RVA", "Size", "Name"], h.dataDirectories.map((d) => [String(d.index), d.rva, d.size, d.name]));
  }
  if (m.sections !== undefined) {
    out.push(`${indent}Sections (${m.sections.length}):`);
    table(out, indent + "  ", ["#", "Name", "VirtAddr", "VirtSize", "RawPtr", "RawSize", "Characteristics"],
      m.sections.map((s) => [String(s.number), s.name, s.virtualAddress, s.virtualSize, s.pointerToRawData, s.sizeOfRawData, flags(s.characteristics)]));
  }
  if (m.imports !== undefined) renderImports(out, indent, "Imports", m.imports);
  if (m.delayImports !== undefined) renderImports(out, indent, "Delay imports", m.delayImports);
  if (m.exports !== undefined) {
    if (m.exports === null) {
      out.push(`${indent}Exports: none`);
    } else {
      const e = m.exports;
      out.push(`${indent}Exports of ${e.dllName} (${e.entries.length}, ordinal base ${e.ordinalBase}):`);
      table(out, indent + "  ", ["Ordinal", "RVA", "Name"], e.entries.map((x) => [
        String(x.ordinal), x.rva, (x.names.length === 0 ? "(no name)" : x.names.join(", ")) + (x.forwarder === undefined ? "" : ` -> ${x.forwarder}`),
      ]));
    }
  }
  if (m.baseRelocations !== undefined) {
    const b = m.baseRelocations;
    const types = Object.entries(b.byType).map(([type, count]) => `${shortName(type, "IMAGE_REL_BASED_")} ${count}`).join(", ");
    out.push(`${indent}Base relocations: ${b.entryCount} in ${b.blockCount} blocks${types === "" ? "" : ` (${types})`}`);
    for (const block of b.blocks ?? []) {
      out.push(`${indent}  Page ${block.pageRva} (block size ${block.sizeOfBlock}):`);
      for (const e of block.entries) out.push(`${indent}    ${e.rva} ${shortName(e.type, "IMAGE_REL_BASED_")}`);
    }
  }
}

function renderImports(out: string[], indent: string, title: string, dlls: readonly ImportedDllDump[]): void {
  out.push(`${indent}${title} (${dlls.length} DLLs):`);
  for (const dll of dlls) {
    out.push(`${indent}  ${dll.dllName} (lookup table ${dll.importLookupTableRva}, IAT ${dll.importAddressTableRva}), ${dll.entries.length}:`);
    table(out, indent + "    ", ["IAT slot", "Hint", "Name"], dll.entries.map((e) =>
      "name" in e ? [e.iatRva, String(e.hint), e.name] : [e.iatRva, "", `#${e.ordinal}`]));
  }
}

function keyValues(out: string[], indent: string, title: string | undefined, rows: readonly (readonly [string, string])[]): void {
  if (title !== undefined) out.push(`${indent}${title}:`);
  const inner = title === undefined ? indent : indent + "  ";
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) out.push(`${inner}${(key + ":").padEnd(width + 1)} ${printable(value)}`);
}

/** Columns padded to their widest cell; the last column is not padded (no trailing spaces). */
function table(out: string[], indent: string, headings: readonly string[], rows: readonly (readonly string[])[]): void {
  if (rows.length === 0) return;
  const all = [headings, ...rows.map((row) => row.map(printable))];
  const widths = headings.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  for (const row of all) {
    const cells = row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)));
    out.push((indent + cells.join("  ")).trimEnd());
  }
}

function flags(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.join(" | ");
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase()}`;
}

/** Names may hold control characters (llvm-dlltool's "\x7F..._NULL_THUNK_DATA"); a terminal should see them. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
