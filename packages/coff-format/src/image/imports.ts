// Decodes the import and delay-import directories: which DLLs, which names or ordinals, and
// where each one's IAT slot is. Walks are bounded by the bytes available, never by a count field.
import { InvalidFieldError } from "../errors.js";
import { IMAGE_DIRECTORY_ENTRY } from "../constants.js";
import { ImageDelayloadDescriptor, ImageImportDescriptor } from "../layouts.js";
import { readStruct } from "../struct.js";
import { ByteView } from "../byte-view.js";
import { hex } from "./pe-image.js";
import type { PeImage } from "./pe-image.js";

/** One imported symbol: by name (with the loader's lookup hint) or by ordinal. */
export type ImportEntry =
  | { readonly kind: "name"; readonly name: string; readonly hint: number; readonly hintNameRva: number; readonly thunkRva: number; readonly iatRva: number }
  | { readonly kind: "ordinal"; readonly ordinal: number; readonly thunkRva: number; readonly iatRva: number };

export interface ImportedDll {
  readonly dllName: string;
  /** RVA of the import lookup table (OriginalFirstThunk); the IAT's when the descriptor has none. */
  readonly importLookupTableRva: number;
  readonly importAddressTableRva: number;
  readonly timeDateStamp: number;
  readonly forwarderChain: number;
  readonly entries: readonly ImportEntry[];
}

export interface DelayImportedDll {
  readonly dllName: string;
  /** 1 when the descriptor holds RVAs; 0 in old (VC6) images whose fields are VAs, converted to RVAs here. */
  readonly attributes: number;
  readonly moduleHandleRva: number;
  readonly importNameTableRva: number;
  readonly importAddressTableRva: number;
  readonly boundImportAddressTableRva: number;
  readonly unloadInformationTableRva: number;
  readonly timeDateStamp: number;
  readonly entries: readonly ImportEntry[];
}

/** The import directory, one record per DLL, up to the all-zero descriptor. */
export function readImportDirectory(image: PeImage): ImportedDll[] {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.IMPORT);
  if (dir === undefined || dir.VirtualAddress === 0) return [];
  const budget = new WalkBudget(image);
  // The loader ignores the directory's Size and stops at the null descriptor; so do we, but never
  // past the end of the section that holds the table.
  const available = image.bytesAvailableAtRva(dir.VirtualAddress, "the import directory");
  const table = new ByteView(image.readAtRva(dir.VirtualAddress, available, "the import directory"), image.fileName);
  const dlls: ImportedDll[] = [];
  for (let at = 0; ; at += ImageImportDescriptor.size) {
    if (at + ImageImportDescriptor.size > table.length) {
      throw new InvalidFieldError("the import directory has no null descriptor before the end of its section", {
        file: image.fileName, offset: image.rvaToFileOffset(dir.VirtualAddress) + at, expected: "a 20-byte all-zero descriptor",
      });
    }
    const d = readStruct(table, ImageImportDescriptor, at);
    if (d.OriginalFirstThunk === 0 && d.Name === 0 && d.FirstThunk === 0 && d.TimeDateStamp === 0 && d.ForwarderChain === 0) break;
    // Some loaders stop at the first descriptor without a name or IAT; a half-zero one is garbage, not an end.
    const dllName = image.cStringAtRva(d.Name, `the DLL name of import descriptor ${dlls.length}`);
    const lookupRva = d.OriginalFirstThunk !== 0 ? d.OriginalFirstThunk : d.FirstThunk;
    dlls.push({
      dllName,
      importLookupTableRva: lookupRva,
      importAddressTableRva: d.FirstThunk,
      timeDateStamp: d.TimeDateStamp,
      forwarderChain: d.ForwarderChain,
      entries: readThunks(image, lookupRva, d.FirstThunk, dllName, budget),
    });
  }
  return dlls;
}

/** The delay-load import directory (`/delayload:`), one record per DLL, up to the null descriptor. */
export function readDelayImportDirectory(image: PeImage): DelayImportedDll[] {
  const dir = image.dataDirectory(IMAGE_DIRECTORY_ENTRY.DELAY_IMPORT);
  if (dir === undefined || dir.VirtualAddress === 0) return [];
  const budget = new WalkBudget(image);
  const available = image.bytesAvailableAtRva(dir.VirtualAddress, "the delay-import directory");
  const table = new ByteView(image.readAtRva(dir.VirtualAddress, available, "the delay-import directory"), image.fileName);
  const dlls: DelayImportedDll[] = [];
  for (let at = 0; ; at += ImageDelayloadDescriptor.size) {
    if (at + ImageDelayloadDescriptor.size > table.length) {
      throw new InvalidFieldError("the delay-import directory has no null descriptor before the end of its section", {
        file: image.fileName, offset: image.rvaToFileOffset(dir.VirtualAddress) + at, expected: "a 32-byte all-zero descriptor",
      });
    }
    const d = readStruct(table, ImageDelayloadDescriptor, at);
    if (d.DllNameRVA === 0) break;
    // Attribute bit 0 clear: VC6-era descriptors whose fields are virtual addresses.
    const rvaBased = (d.Attributes & 1) !== 0;
    const toRva = (value: number, field: string): number =>
      value === 0 || rvaBased ? value : image.vaToRva(value, `${field} of delay-import descriptor ${dlls.length}`);
    const dllName = image.cStringAtRva(toRva(d.DllNameRVA, "DllNameRVA"), `the DLL name of delay-import descriptor ${dlls.length}`);
    const nameTable = toRva(d.ImportNameTableRVA, "ImportNameTableRVA");
    const addressTable = toRva(d.ImportAddressTableRVA, "ImportAddressTableRVA");
    dlls.push({
      dllName,
      attributes: d.Attributes,
      moduleHandleRva: toRva(d.ModuleHandleRVA, "ModuleHandleRVA"),
      importNameTableRva: nameTable,
      importAddressTableRva: addressTable,
      boundImportAddressTableRva: toRva(d.BoundImportAddressTableRVA, "BoundImportAddressTableRVA"),
      unloadInformationTableRva: toRva(d.UnloadInformationTableRVA, "UnloadInformationTableRVA"),
      timeDateStamp: d.TimeDateStamp,
      entries: readThunks(image, nameTable, addressTable, dllName, budget, rvaBased ? undefined : image),
    });
  }
  return dlls;
}

/**
 * Total thunks one directory walk may visit. Real tables hold at most one thunk per 4 bytes of the
 * file, so a walk that needs more is going round shared or garbage tables: stop it there.
 */
class WalkBudget {
  private left: number;
  constructor(private readonly image: PeImage) {
    this.left = Math.ceil(image.bytes.length / 4) + 16;
  }
  spend(): void {
    if (--this.left < 0) {
      throw new InvalidFieldError("the import tables hold more thunks than the file has room for (overlapping or garbage tables)", {
        file: this.image.fileName,
      });
    }
  }
}

function readThunks(
  image: PeImage, lookupRva: number, iatRva: number, dllName: string, budget: WalkBudget, vaBasedImage?: PeImage,
): ImportEntry[] {
  const entries: ImportEntry[] = [];
  if (lookupRva === 0) return entries;
  const size = image.pointerSize;
  const available = image.bytesAvailableAtRva(lookupRva, `the import lookup table of ${dllName}`);
  const table = new ByteView(image.readAtRva(lookupRva, available, `the import lookup table of ${dllName}`), image.fileName);
  for (let at = 0; ; at += size) {
    if (at + size > table.length) {
      throw new InvalidFieldError(`the import lookup table of ${dllName} has no terminating zero before the end of its section`, {
        file: image.fileName, offset: image.rvaToFileOffset(lookupRva) + at,
      });
    }
    budget.spend();
    const thunk = size === 8 ? table.u64(at) : BigInt(table.u32(at));
    if (thunk === 0n) break;
    const thunkRva = lookupRva + at;
    const slotRva = iatRva === 0 ? 0 : iatRva + at;
    const ordinalFlag = size === 8 ? 1n << 63n : 1n << 31n;
    if ((thunk & ordinalFlag) !== 0n) {
      entries.push({ kind: "ordinal", ordinal: Number(thunk & 0xffffn), thunkRva, iatRva: slotRva });
      continue;
    }
    let hintNameRva: number;
    if (vaBasedImage !== undefined) {
      hintNameRva = vaBasedImage.vaToRva(thunk, `an import thunk of ${dllName}`);
    } else {
      if (thunk > 0x7fffffffn) {
        throw new InvalidFieldError(`an import thunk of ${dllName} holds 0x${hex(thunk)}, neither an ordinal nor a 31-bit RVA`, {
          file: image.fileName, offset: image.rvaToFileOffset(lookupRva) + at,
        });
      }
      hintNameRva = Number(thunk);
    }
    const hintName = image.readAtRva(hintNameRva, 2, `the hint of an import of ${dllName}`);
    const hint = hintName[0]! | (hintName[1]! << 8);
    const name = image.cStringAtRva(hintNameRva + 2, `the name of an import of ${dllName}`);
    entries.push({ kind: "name", name, hint, hintNameRva, thunkRva, iatRva: slotRva });
  }
  return entries;
}
