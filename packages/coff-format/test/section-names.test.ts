// Section names: decoded once per distinct name across objects (the recent-name table), and the usual
// names never share a slot in it, else a -ffunction-sections object decodes them at every section.
import { expect, test } from "vitest";
import { recentNameSlot } from "../src/object.js";

const usual = [
  ".text", ".pdata", ".xdata", ".rdata", ".data", ".bss", ".llvm_addrsig", ".drectve", ".debug$S", ".debug$T",
  ".text$mn", ".CRT$XCU", ".tls", ".tls$", ".idata$2", ".idata$4", ".idata$5", ".idata$6", ".idata$7", ".reloc",
  ".rsrc", ".edata", ".00cfg", ".gfids", ".voltbl", ".sxdata", ".ctors", ".dtors", ".eh_frame", ".rdata$r", ".text$x",
];

test("the usual section names each have a slot of their own in the recent-name table", () => {
  const slots = usual.map((name) => {
    const b = new Uint8Array(8);
    for (let i = 0; i < name.length && i < 8; i++) b[i] = name.charCodeAt(i);
    const lo = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
    const hi = b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24);
    return recentNameSlot(lo, hi);
  });
  expect(new Set(slots).size).toBe(usual.length);
  for (const slot of slots) expect(slot >= 0 && slot < 256).toBe(true);
});
