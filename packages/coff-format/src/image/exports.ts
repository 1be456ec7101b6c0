// Decodes the export directory: every used ordinal with its RVA, its names (none for NONAME
// exports, several for aliases) and its forwarder string when it points back into the directory.
import { InvalidFieldError } from "../errors.js";
import { IMAGE_DIRECTORY_ENTRY } from "../constants.js";
import { ImageExportDirectory } from "../layouts.js";
import { readStruct } from "../struct.js";
import { ByteView } from "../byte-view.js";
import type { PeImage } from "./pe-image.js";

export interface ExportEntry {
  /** `Base` + the index in the export address table. */
  readonly ordinal: number;
  /** The address table's value: the export's RVA, or its forwarder string's RVA. */
  readonly rva: number;
  /** Names that resolve to this ordinal, in name-table order; empty for NONAME exports. */
  readonly names: readonly string[];
  /** "otherdll.name" or "otherdll.#12" when the RVA lies inside the export directory's range. */
  readonly forwarder: string | undefined;
}

export interface ExportDirectory {
  readonly dllName: string;
  readonly ordinalBase: number;
  readonly timeDateStamp: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly numberOfFunctions: number;
  readonly numberOfNames: number;
  readonly addressTableRva: number;
  readonly namePointerTableRva: number;
  readonly ordinalTableRva: number;
  /** Used ordinals only, ascending: address-table slots holding 0 are holes, not exports. */
  readonly entries: readonly ExportEntry[];
}

/** The export directory, or undefined when the image exports nothing. */
export function readExportDirectory(image: PeImage): ExportDirectory | undefined {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.EXPORT);
  if (dir === undefined || dir.VirtualAddress === 0) return undefined;
  const header = readStruct(
    new ByteView(image.readAtRva(dir.VirtualAddress, ImageExportDirectory.size, "the export directory"), image.fileName),
    ImageExportDirectory, 0,
  );
  const dllName = header.Name === 0 ? "" : image.cStringAtRva(header.Name, "the export directory's DLL name");
  // Each table is sliced (and so bounds-checked against its section) before any loop over its count.
  const addresses = u32Table(image, header.AddressOfFunctions, header.NumberOfFunctions, "the export address table");
  const namePointers = u32Table(image, header.AddressOfNames, header.NumberOfNames, "the export name pointer table");
  const nameOrdinals = new ByteView(
    header.NumberOfNames === 0 ? new Uint8Array(0) : image.readAtRva(header.AddressOfNameOrdinals, header.NumberOfNames * 2, "the export ordinal table"),
    image.fileName,
  );
  const namesByIndex = new Map<number, string[]>();
  for (let i = 0; i < header.NumberOfNames; i++) {
    const index = nameOrdinals.u16(i * 2);
    if (index >= header.NumberOfFunctions) {
      throw new InvalidFieldError(`export name ${i} refers to address-table index ${index}, past its ${header.NumberOfFunctions} entries`, {
        file: image.fileName, offset: image.rvaToFileOffset(header.AddressOfNameOrdinals) + i * 2,
      });
    }
    const name = image.cStringAtRva(namePointers.u32(i * 4), `export name ${i}`);
    const list = namesByIndex.get(index);
    if (list === undefined) namesByIndex.set(index, [name]);
    else list.push(name);
  }
  const entries: ExportEntry[] = [];
  const forwarderStart = dir.VirtualAddress;
  const forwarderEnd = dir.VirtualAddress + dir.Size;
  for (let i = 0; i < header.NumberOfFunctions; i++) {
    const rva = addresses.u32(i * 4);
    if (rva === 0) continue;
    const forwarder = rva >= forwarderStart && rva < forwarderEnd
      ? image.cStringAtRva(rva, `the forwarder of export ordinal ${header.Base + i}`)
      : undefined;
    entries.push({ ordinal: header.Base + i, rva, names: namesByIndex.get(i) ?? [], forwarder });
  }
  return {
    dllName,
    ordinalBase: header.Base,
    timeDateStamp: header.TimeDateStamp,
    majorVersion: header.MajorVersion,
    minorVersion: header.MinorVersion,
    numberOfFunctions: header.NumberOfFunctions,
    numberOfNames: header.NumberOfNames,
    addressTableRva: header.AddressOfFunctions,
    namePointerTableRva: header.AddressOfNames,
    ordinalTableRva: header.AddressOfNameOrdinals,
    entries,
  };
}

function u32Table(image: PeImage, rva: number, count: number, what: string): ByteView {
  return new ByteView(count === 0 ? new Uint8Array(0) : image.readAtRva(rva, count * 4, what), image.fileName);
}
