// Runs the README's examples and checks the output shown there.
import { expect, it } from "vitest";
import { Layout } from "./index.js";

const hex = (n: number): string => `0x${n.toString(16)}`;

it("README PE-like example prints what the README shows", () => {
  const lines: string[] = [];
  const layout = new Layout({ headerSize: 0x400, sectionAlignment: 0x1000, fileAlignment: 0x200, mode: "incremental" });
  const text = layout.addSection(".text");
  const data = layout.addSection(".data");
  layout.addSection(".bss", { noBits: true });
  const main = layout.placeAtom(text, 0x120, 16);
  const helper = layout.placeAtom(text, 0x40, 16);
  layout.placeAtom(data, 0x18, 8);
  for (const s of layout.assignAddresses()) {
    lines.push(`${s.name} rva=${hex(s.address)} reserve=${hex(s.virtualReserve)} file=${hex(s.fileOffset)}+${hex(s.fileReserve)}`);
  }
  const grown = layout.resizeAtom(main.atom, 0x200);
  lines.push(`main: moved=${String(grown.moved)} ${hex(grown.previousAddress ?? -1)} -> ${hex(grown.address)}`);
  layout.freeAtom(helper.atom);
  layout.placeAtom(text, 0x2000, 16);
  for (const m of layout.takeChanges().movedSections) {
    lines.push(`${m.name}: rva ${hex(m.oldAddress)} -> ${hex(m.newAddress)}, file ${hex(m.oldFileOffset)} -> ${hex(m.newFileOffset)}`);
  }
  expect(lines).toEqual([
    ".text rva=0x1000 reserve=0x1000 file=0x400+0x400",
    ".data rva=0x2000 reserve=0x1000 file=0x800+0x200",
    ".bss rva=0x3000 reserve=0x1000 file=0x0+0x0",
    "main: moved=true 0x1000 -> 0x11e0",
    ".text: rva 0x1000 -> 0x1000, file 0x400 -> 0xa00",
    ".data: rva 0x2000 -> 0x6000, file 0x800 -> 0x800",
    ".bss: rva 0x3000 -> 0x7000, file 0x0 -> 0x0",
  ]);
  layout.verify();
});

it("README ELF-like example prints what the README shows", () => {
  const elf = new Layout({ headerSize: 64 + 4 * 56, sectionAlignment: 0x1000, fileAlignment: 0x1000 });
  const textSection = elf.addSection(".text");
  const rodata = elf.addSection(".rodata", { alignment: 32 });
  const bss = elf.addSection(".bss", { noBits: true, alignment: 64 });
  for (let i = 0; i < 1000; i++) elf.addAtom(textSection, 40 + (i % 7) * 8, 16);
  elf.addAtom(rodata, 0x21, 32);
  elf.addAtom(bss, 0x100, 64);
  expect(elf.assignAddresses().map((s) => `${s.name} addr=${hex(s.address)} size=${hex(s.usedSize)} offset=${hex(s.fileOffset)}`)).toEqual([
    ".text addr=0x1000 size=0x10bc0 offset=0x1000",
    ".rodata addr=0x12000 size=0x21 offset=0x12000",
    ".bss addr=0x12040 size=0x100 offset=0x0",
  ]);
  elf.verify();
});
