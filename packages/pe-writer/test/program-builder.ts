// Test-only: lays out small hand-assembled images the way a linker would (sections one after another,
// each at the next section-aligned address and file-aligned offset) and assembles rip-relative code.
import { IMAGE_SCN } from "@linkkit/coff-format";
import { computeHeaderSize } from "../src/index.js";
import type { ImageSectionModel, PeFormat } from "../src/index.js";

export const TEXT = IMAGE_SCN.CNT_CODE | IMAGE_SCN.MEM_EXECUTE | IMAGE_SCN.MEM_READ;
export const RDATA = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ;
export const DATA = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE;
export const RELOC = IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_DISCARDABLE;

export const SECTION_ALIGNMENT = 0x1000;
export const FILE_ALIGNMENT = 0x200;

const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Every section gets one page of address space, so RVAs are known before contents: 0x1000, 0x2000, ... */
export function sectionRva(index: number): number {
  return SECTION_ALIGNMENT * (index + 1);
}

export function layOut(format: PeFormat, sections: readonly { name: string; characteristics: number; contents: Uint8Array }[]): ImageSectionModel[] {
  let fileOffset = computeHeaderSize({ format, sectionCount: sections.length, fileAlignment: FILE_ALIGNMENT });
  return sections.map((s, i) => {
    if (s.contents.length > SECTION_ALIGNMENT) throw new Error(`test section ${s.name} is larger than a page`);
    const sizeOfRawData = align(s.contents.length, FILE_ALIGNMENT);
    const section: ImageSectionModel = {
      name: s.name, characteristics: s.characteristics, virtualAddress: sectionRva(i), virtualSize: s.contents.length,
      pointerToRawData: fileOffset, sizeOfRawData, contents: s.contents,
    };
    fileOffset += sizeOfRawData;
    return section;
  });
}

/** A byte buffer for machine code at a known RVA, with rip-relative (disp32 as the instruction's last field) fixups. */
export class Code {
  private readonly out: number[] = [];
  constructor(readonly rva: number) {}

  get here(): number {
    return this.rva + this.out.length;
  }
  bytes(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  u32(v: number): this {
    this.out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  /** disp32 relative to the end of the instruction it closes. */
  rel32(targetRva: number): this {
    return this.u32((targetRva - (this.here + 4)) | 0);
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
