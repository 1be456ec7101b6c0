// The lld-link options that shape the image, checked on the bundled sample objects (no toolchain needed):
// link in memory, read the image back with coff-format.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  IMAGE_DLLCHARACTERISTICS, IMAGE_FILE, IMAGE_SCN, IMAGE_SUBSYSTEM, computePeChecksum, readPeImage, writeCoffObject,
  IMAGE_FILE_MACHINE, IMAGE_SYM_CLASS,
} from "@linkkit/coff-format";
import { writeArchive } from "@linkkit/ar";
import { parseLldLinkArgs } from "./driver/lld-link-args.js";
import type { LinkHost } from "./host.js";
import { link } from "./link.js";

const samples = join(__dirname, "..", "..", "..", "samples");
const sampleFiles = ["hello.obj", "util.obj", "kernel32.lib"];

function memoryHost(extra: Record<string, Uint8Array | string> = {}, env: Record<string, string> = {}) {
  const files = new Map<string, Uint8Array>();
  for (const f of sampleFiles) files.set(f, new Uint8Array(readFileSync(join(samples, f))));
  for (const [k, v] of Object.entries(extra)) files.set(k, typeof v === "string" ? new TextEncoder().encode(v) : v);
  const log: string[] = [];
  const host: LinkHost = {
    readFile: (p) => { const f = files.get(p); if (!f) throw new Error("ENOENT"); return f; },
    fileExists: (p) => files.has(p),
    writeFileAtomic: (p, b) => { files.set(p, b.slice()); },
    writeRanges: (p, ranges, size) => {
      const old = files.get(p)!;
      const next = new Uint8Array(size);
      next.set(old.subarray(0, Math.min(size, old.length)));
      for (const r of ranges) next.set(r.bytes, r.offset);
      files.set(p, next);
    },
    dirname: (p) => p.replace(/\/[^/]*$/, "") || ".",
    join: (a, b) => `${a}/${b}`,
    env: (n) => env[n],
    log: (l) => log.push(l),
  };
  return { host, files, log };
}

function linkSample(args: string[], extra: Record<string, Uint8Array | string> = {}, env: Record<string, string> = {}) {
  const { host, files } = memoryHost(extra, env);
  const options = parseLldLinkArgs([...sampleFiles, "/out:a.exe", ...args], { readText: (p) => new TextDecoder().decode(host.readFile(p)), fileExists: host.fileExists, env: host.env });
  const result = link(options, host);
  return { result, image: readPeImage(files.get("a.exe")!, { fileName: "a.exe" }), files };
}

describe("image options", () => {
  it("defaults match lld-link's for an x64 console program", () => {
    const { image } = linkSample(["/entry:mainCRTStartup", "/subsystem:console"]);
    const o = image.optionalHeader;
    expect(image.imageBase).toBe(0x140000000n);
    expect(o.Subsystem).toBe(IMAGE_SUBSYSTEM.WINDOWS_CUI);
    expect(o.DllCharacteristics).toBe(IMAGE_DLLCHARACTERISTICS.HIGH_ENTROPY_VA | IMAGE_DLLCHARACTERISTICS.DYNAMIC_BASE | IMAGE_DLLCHARACTERISTICS.NX_COMPAT | IMAGE_DLLCHARACTERISTICS.TERMINAL_SERVER_AWARE);
    expect(image.fileHeader.Characteristics & IMAGE_FILE.LARGE_ADDRESS_AWARE).toBeTruthy();
    expect(image.fileHeader.TimeDateStamp).toBe(0);
    expect(o.SectionAlignment).toBe(0x1000);
    expect(o.FileAlignment).toBe(0x200);
    expect(image.sections.map((s) => s.name)).toEqual([".text", ".rdata", ".data", ".bss", ".pdata", ".reloc"]);
    expect(o.AddressOfEntryPoint).toBe(0x1000);
  });

  it("infers the entry point from the subsystem, and wants a subsystem when it cannot infer one", () => {
    const { image } = linkSample(["/subsystem:console"]);
    expect(image.optionalHeader.AddressOfEntryPoint).toBe(0x1000);
    expect(() => linkSample([])).toThrow(/subsystem must be defined/);
  });

  it("/base /fixed /dynamicbase:no /highentropyva:no /nxcompat:no /largeaddressaware:no", () => {
    const fixed = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/fixed", "/base:0x150000000"]).image;
    expect(fixed.imageBase).toBe(0x150000000n);
    expect(fixed.fileHeader.Characteristics & IMAGE_FILE.RELOCS_STRIPPED).toBeTruthy();
    expect(fixed.sections.some((s) => s.name === ".reloc")).toBe(false);
    expect(fixed.optionalHeader.DllCharacteristics & IMAGE_DLLCHARACTERISTICS.DYNAMIC_BASE).toBe(0);
    const off = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/dynamicbase:no", "/highentropyva:no", "/nxcompat:no", "/largeaddressaware:no", "/tsaware:no"]).image;
    expect(off.optionalHeader.DllCharacteristics).toBe(0);
    expect(off.fileHeader.Characteristics & IMAGE_FILE.LARGE_ADDRESS_AWARE).toBe(0);
  });

  it("/stack /heap /timestamp /align /filealign /subsystem version /version /osversion", () => {
    const { image } = linkSample(["/entry:mainCRTStartup", "/subsystem:windows,6.2", "/stack:0x200000,0x2000", "/heap:0x300000,0x3000", "/timestamp:1234", "/align:0x2000", "/filealign:0x1000", "/version:3.4", "/osversion:10.0"]);
    const o = image.optionalHeader;
    expect([o.SizeOfStackReserve, o.SizeOfStackCommit, o.SizeOfHeapReserve, o.SizeOfHeapCommit].map(Number)).toEqual([0x200000, 0x2000, 0x300000, 0x3000]);
    expect(image.fileHeader.TimeDateStamp).toBe(1234);
    expect(o.SectionAlignment).toBe(0x2000);
    expect(o.FileAlignment).toBe(0x1000);
    expect(image.sections.every((s) => s.VirtualAddress % 0x2000 === 0 && s.PointerToRawData % 0x1000 === 0)).toBe(true);
    expect(o.Subsystem).toBe(IMAGE_SUBSYSTEM.WINDOWS_GUI);
    expect([o.MajorSubsystemVersion, o.MinorSubsystemVersion, o.MajorImageVersion, o.MinorImageVersion, o.MajorOperatingSystemVersion]).toEqual([6, 2, 3, 4, 10]);
  });

  it("/merge and /section change the section table", () => {
    const { image } = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/merge:.rdata=.text", "/section:.data,RWS"]);
    expect(image.sections.map((s) => s.name)).not.toContain(".rdata");
    const data = image.sections.find((s) => s.name === ".data")!;
    expect(data.Characteristics & IMAGE_SCN.MEM_SHARED).toBeTruthy();
  });

  it("/release writes the checksum; /brepro keeps the timestamp zero", () => {
    const { image, files } = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/release", "/brepro"]);
    expect(image.optionalHeader.CheckSum).not.toBe(0);
    expect(image.optionalHeader.CheckSum).toBe(computePeChecksum(files.get("a.exe")!));
    expect(image.fileHeader.TimeDateStamp).toBe(0);
  });

  it("response files and the LINK environment variable", () => {
    const { image } = linkSample(["@more.rsp"], { "more.rsp": "/entry:mainCRTStartup\n/subsystem:console" }, { LINK: "/base:0x160000000" });
    expect(image.imageBase).toBe(0x160000000n);
  });

  it("/wholearchive loads members nothing refers to; without it they stay out", () => {
    const extra = writeCoffObject({
      machine: IMAGE_FILE_MACHINE.AMD64, characteristics: 0, timeDateStamp: 0,
      sections: [{ name: ".data", characteristics: IMAGE_SCN.CNT_INITIALIZED_DATA | IMAGE_SCN.MEM_READ | IMAGE_SCN.MEM_WRITE | IMAGE_SCN.ALIGN_4BYTES, data: Uint8Array.of(1, 2, 3, 4), relocations: [] }],
      symbols: [{ name: "extra_data", value: 0, sectionNumber: 1, type: 0, storageClass: IMAGE_SYM_CLASS.EXTERNAL, aux: [] }],
    } as never);
    const lib = writeArchive([{ name: "extra.obj", data: extra, symbols: ["extra_data"] }], { format: "coff" });
    const without = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "extra.lib", "/map:a.map"], { "extra.lib": lib });
    expect(new TextDecoder().decode(without.files.get("a.map"))).not.toContain("extra_data");
    const whole = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/wholearchive:extra.lib", "extra.lib", "/map:a.map"], { "extra.lib": lib });
    expect(new TextDecoder().decode(whole.files.get("a.map"))).toContain("extra_data");
  });

  it("/time reports every phase", () => {
    const { result } = linkSample(["/entry:mainCRTStartup", "/subsystem:console", "/time"]);
    expect(result.timings.map(([p]) => p)).toEqual(["read", "resolve", "layout", "relocate", "write"]);
  });
});
