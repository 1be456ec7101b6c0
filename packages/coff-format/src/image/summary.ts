// A JSON-friendly description of an image's headers for dumps and snapshot tests: values named
// with the specification's constants, addresses as hex strings, no bigints and no byte arrays.
import {
  describeValue,
  flagNames,
  IMAGE_DIRECTORY_ENTRY,
  IMAGE_DLLCHARACTERISTICS,
  IMAGE_FILE,
  IMAGE_FILE_MACHINE,
  IMAGE_SCN,
  IMAGE_SUBSYSTEM,
  nameOf,
} from "../constants.js";
import type { PeImage } from "./pe-image.js";

export interface ImageSummary {
  readonly file: string | undefined;
  readonly format: "PE32" | "PE32+";
  readonly machine: string;
  readonly timeDateStamp: number;
  readonly characteristics: string[];
  readonly linkerVersion: string;
  readonly operatingSystemVersion: string;
  readonly imageVersion: string;
  readonly subsystemVersion: string;
  readonly entryPoint: string;
  readonly baseOfCode: string;
  readonly imageBase: string;
  readonly sectionAlignment: string;
  readonly fileAlignment: string;
  readonly sizeOfImage: string;
  readonly sizeOfHeaders: string;
  readonly checkSum: string;
  readonly subsystem: string;
  readonly dllCharacteristics: string[];
  readonly sizeOfStackReserve: string;
  readonly sizeOfStackCommit: string;
  readonly sizeOfHeapReserve: string;
  readonly sizeOfHeapCommit: string;
  readonly numberOfRvaAndSizes: number;
  /** Non-empty directories only. */
  readonly dataDirectories: { readonly index: number; readonly name: string; readonly rva: string; readonly size: string }[];
  readonly sections: {
    readonly name: string;
    readonly virtualAddress: string;
    readonly virtualSize: string;
    readonly pointerToRawData: string;
    readonly sizeOfRawData: string;
    readonly characteristics: string[];
  }[];
}

const hex = (n: number | bigint): string => `0x${n.toString(16).toUpperCase()}`;

export function imageSummary(image: PeImage): ImageSummary {
  const f = image.fileHeader;
  const o = image.optionalHeader;
  return {
    file: image.fileName,
    format: o.format,
    machine: describeValue(IMAGE_FILE_MACHINE, f.Machine),
    timeDateStamp: f.TimeDateStamp,
    characteristics: flagNames(IMAGE_FILE, f.Characteristics),
    linkerVersion: `${o.MajorLinkerVersion}.${o.MinorLinkerVersion}`,
    operatingSystemVersion: `${o.MajorOperatingSystemVersion}.${o.MinorOperatingSystemVersion}`,
    imageVersion: `${o.MajorImageVersion}.${o.MinorImageVersion}`,
    subsystemVersion: `${o.MajorSubsystemVersion}.${o.MinorSubsystemVersion}`,
    entryPoint: hex(o.AddressOfEntryPoint),
    baseOfCode: hex(o.BaseOfCode),
    imageBase: hex(o.ImageBase),
    sectionAlignment: hex(o.SectionAlignment),
    fileAlignment: hex(o.FileAlignment),
    sizeOfImage: hex(o.SizeOfImage),
    sizeOfHeaders: hex(o.SizeOfHeaders),
    checkSum: hex(o.CheckSum),
    subsystem: describeValue(IMAGE_SUBSYSTEM, o.Subsystem),
    dllCharacteristics: flagNames(IMAGE_DLLCHARACTERISTICS, o.DllCharacteristics),
    sizeOfStackReserve: hex(o.SizeOfStackReserve),
    sizeOfStackCommit: hex(o.SizeOfStackCommit),
    sizeOfHeapReserve: hex(o.SizeOfHeapReserve),
    sizeOfHeapCommit: hex(o.SizeOfHeapCommit),
    numberOfRvaAndSizes: o.NumberOfRvaAndSizes,
    dataDirectories: image.dataDirectories.flatMap((d, index) =>
      d.VirtualAddress === 0 && d.Size === 0
        ? []
        : [{ index, name: nameOf(IMAGE_DIRECTORY_ENTRY, index) ?? `directory ${index}`, rva: hex(d.VirtualAddress), size: hex(d.Size) }]),
    sections: image.sections.map((s) => ({
      name: s.name,
      virtualAddress: hex(s.VirtualAddress),
      virtualSize: hex(s.VirtualSize),
      pointerToRawData: hex(s.PointerToRawData),
      sizeOfRawData: hex(s.SizeOfRawData),
      characteristics: flagNames(IMAGE_SCN, s.Characteristics),
    })),
  };
}
