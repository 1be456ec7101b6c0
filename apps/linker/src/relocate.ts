// Relocation formulas for AMD64 and I386 (PE/COFF spec §5.2.1). COFF addends are implicit: the bytes at
// the site hold A. Every formula works on RVAs except the absolute ones, which add the image base and
// ask for a base relocation so the loader can move the image.
import { IMAGE_REL_AMD64, IMAGE_REL_BASED, IMAGE_REL_I386 } from "@linkkit/coff-format";

export type RelocMachine = "x64" | "x86";

/** What a relocation needs to know about its site and its target. */
export interface RelocationTarget {
  /** RVA of the target (for absolute symbols: their value minus the image base). */
  readonly rva: number;
  /** The target is an absolute symbol: no base relocation, SECTION/SECREL make no sense. */
  readonly absolute: boolean;
  /** 1-based index of the output section holding the target (SECTION relocations). */
  readonly sectionIndex: number;
  /** RVA of that output section (SECREL relocations are offsets from it). */
  readonly sectionRva: number;
}

export type RelocationProblem =
  | { readonly kind: "unknown-type"; readonly type: number }
  | { readonly kind: "out-of-range"; readonly type: number; readonly value: number }
  | { readonly kind: "truncated"; readonly type: number };

const TWO32 = 4294967296;

/**
 * Applies one relocation at `view[site]`; returns the base-relocation type to record for it
 * (0 when none) or a problem for the caller to report with the object, section and symbol names.
 */
export function applyRelocation(
  machine: RelocMachine,
  type: number,
  view: DataView,
  site: number,
  siteRva: number,
  target: RelocationTarget,
  imageBase: number,
): number | RelocationProblem {
  const size = relocationSize(machine, type);
  if (size === undefined) return { kind: "unknown-type", type };
  if (site < 0 || site + size > view.byteLength) return { kind: "truncated", type };
  if (machine === "x64") {
    switch (type) {
      case IMAGE_REL_AMD64.ABSOLUTE: return 0;
      case IMAGE_REL_AMD64.ADDR64: {
        const addend = view.getInt32(site + 4, true) * TWO32 + view.getUint32(site, true);
        const va = imageBase + target.rva + addend;
        view.setUint32(site, va % TWO32 >>> 0, true);
        view.setUint32(site + 4, Math.floor(va / TWO32) >>> 0, true);
        return target.absolute ? 0 : IMAGE_REL_BASED.DIR64;
      }
      case IMAGE_REL_AMD64.ADDR32: {
        const va = imageBase + target.rva + view.getUint32(site, true);
        if (va >= TWO32 || va < 0) return { kind: "out-of-range", type, value: va };
        view.setUint32(site, va, true);
        return target.absolute ? 0 : IMAGE_REL_BASED.HIGHLOW;
      }
      case IMAGE_REL_AMD64.ADDR32NB:
        return write32(view, site, target.rva + view.getInt32(site, true), type, false);
      case IMAGE_REL_AMD64.REL32: case IMAGE_REL_AMD64.REL32_1: case IMAGE_REL_AMD64.REL32_2:
      case IMAGE_REL_AMD64.REL32_3: case IMAGE_REL_AMD64.REL32_4: case IMAGE_REL_AMD64.REL32_5: {
        // The displacement is relative to the end of the instruction: 4 bytes of field plus 0-5 of immediate.
        const extra = type - IMAGE_REL_AMD64.REL32;
        const value = target.rva + view.getInt32(site, true) - (siteRva + 4 + extra);
        return write32(view, site, value, type, true);
      }
      case IMAGE_REL_AMD64.SECTION:
        view.setUint16(site, target.sectionIndex + view.getUint16(site, true), true);
        return 0;
      case IMAGE_REL_AMD64.SECREL:
        return write32(view, site, target.rva - target.sectionRva + view.getInt32(site, true), type, false);
      case IMAGE_REL_AMD64.SECREL7: {
        const value = target.rva - target.sectionRva + (view.getUint8(site) & 0x7f);
        if (value < 0 || value > 0x7f) return { kind: "out-of-range", type, value };
        view.setUint8(site, (view.getUint8(site) & 0x80) | value);
        return 0;
      }
    }
  } else {
    switch (type) {
      case IMAGE_REL_I386.ABSOLUTE: return 0;
      case IMAGE_REL_I386.DIR32: {
        const va = imageBase + target.rva + view.getInt32(site, true);
        view.setUint32(site, va >>> 0, true);
        return target.absolute ? 0 : IMAGE_REL_BASED.HIGHLOW;
      }
      case IMAGE_REL_I386.DIR32NB:
        return write32(view, site, target.rva + view.getInt32(site, true), type, false);
      case IMAGE_REL_I386.REL32:
        return write32(view, site, target.rva + view.getInt32(site, true) - (siteRva + 4), type, true);
      case IMAGE_REL_I386.SECTION:
        view.setUint16(site, target.sectionIndex + view.getUint16(site, true), true);
        return 0;
      case IMAGE_REL_I386.SECREL:
        return write32(view, site, target.rva - target.sectionRva + view.getInt32(site, true), type, false);
      case IMAGE_REL_I386.SECREL7: {
        const value = target.rva - target.sectionRva + (view.getUint8(site) & 0x7f);
        if (value < 0 || value > 0x7f) return { kind: "out-of-range", type, value };
        view.setUint8(site, (view.getUint8(site) & 0x80) | value);
        return 0;
      }
    }
  }
  return { kind: "unknown-type", type };
}

function write32(view: DataView, site: number, value: number, type: number, signed: boolean): number | RelocationProblem {
  if (signed ? value < -0x80000000 || value > 0x7fffffff : value < -0x80000000 || value > 0xffffffff) {
    return { kind: "out-of-range", type, value };
  }
  view.setUint32(site, value >>> 0, true);
  return 0;
}

/** Bytes a relocation type touches, or undefined for types linkkit does not apply. */
export function relocationSize(machine: RelocMachine, type: number): number | undefined {
  if (machine === "x64") {
    if (type === IMAGE_REL_AMD64.ABSOLUTE) return 0;
    if (type === IMAGE_REL_AMD64.ADDR64) return 8;
    if (type === IMAGE_REL_AMD64.SECTION) return 2;
    if (type === IMAGE_REL_AMD64.SECREL7) return 1;
    if (type >= IMAGE_REL_AMD64.ADDR32 && type <= IMAGE_REL_AMD64.SECREL) return 4;
    return undefined;
  }
  switch (type) {
    case IMAGE_REL_I386.ABSOLUTE: return 0;
    case IMAGE_REL_I386.DIR32: case IMAGE_REL_I386.DIR32NB: case IMAGE_REL_I386.REL32: case IMAGE_REL_I386.SECREL: return 4;
    case IMAGE_REL_I386.SECTION: return 2;
    case IMAGE_REL_I386.SECREL7: return 1;
    default: return undefined;
  }
}
