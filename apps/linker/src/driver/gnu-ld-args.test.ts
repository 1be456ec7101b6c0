import { describe, expect, it } from "vitest";
import { GNU_LD_VERSION_TEXT, parseGnuLdArgs, searchLibrary, splitGnuCommandLine } from "./gnu-ld-args.js";
import type { CommandLineHost } from "./lld-link-args.js";
import { LinkError } from "../errors.js";

function host(files: Record<string, string> = {}): CommandLineHost {
  return {
    readText: (p) => { const t = files[p]; if (t === undefined) throw new Error(`no file ${p}`); return t; },
    fileExists: (p) => p in files,
    env: () => undefined,
  };
}

function errorOf(f: () => unknown): string {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(LinkError); return (e as Error).message; }
  throw new Error("no error");
}

describe("parseGnuLdArgs", () => {
  it("takes what x86_64-w64-mingw32-gcc passes to collect2 and ld", () => {
    const libs = { "/gcc/libgcc.a": "", "/mingw/lib/libmingw32.a": "", "/mingw/lib/libkernel32.a": "", "/mingw/lib/libmsvcrt.a": "" };
    const { options: o, printVersion } = parseGnuLdArgs([
      "-plugin", "/gcc/liblto_plugin.so", "-plugin-opt=/gcc/lto-wrapper", "-plugin-opt=-pass-through=-lgcc",
      "-m", "i386pep", "-Bdynamic", "-o", "hello.exe", "/mingw/lib/crt2.o", "/gcc/crtbegin.o", "-L/gcc", "-L/mingw/lib",
      "/tmp/cc1.o", "-lmingw32", "-lgcc", "-lkernel32", "-lmsvcrt", "/gcc/crtend.o",
    ], host(libs));
    expect(printVersion).toBe(false);
    expect(o.machine).toBe("x64");
    expect(o.output).toBe("hello.exe");
    expect(o.inputs).toEqual(["/mingw/lib/crt2.o", "/gcc/crtbegin.o", "/tmp/cc1.o", "/mingw/lib/libmingw32.a", "/gcc/libgcc.a", "/mingw/lib/libkernel32.a", "/mingw/lib/libmsvcrt.a", "/gcc/crtend.o"]);
    expect(o.subsystem).toBe("console");
    expect(o.entry).toBe("mainCRTStartup");
    expect(o.gcSections).toBe(false);
    expect(o.mingw?.autoImport).toBe(true);
    expect(o.mingw?.runtimePseudoReloc).toBe(true);
  });

  it("accepts the image options, in --name=value, --name value and -name forms", () => {
    const { options: o } = parseGnuLdArgs([
      "-mi386pe", "--subsystem", "windows:6.1", "--image-base=0x10000000", "--major-os-version", "6", "--minor-os-version=2",
      "--major-image-version", "3", "--minor-image-version", "4", "--dynamicbase", "--nxcompat", "--high-entropy-va",
      "--large-address-aware", "--gc-sections", "-e", "_start", "--stack", "0x400000,0x2000", "-Map", "out.map", "a.o",
    ], host());
    expect(o.machine).toBe("x86");
    expect(o.subsystem).toBe("windows");
    expect(o.subsystemVersion).toEqual([6, 1]);
    expect(o.imageBase).toBe(0x10000000n);
    expect(o.osVersion).toEqual([6, 2]);
    expect(o.imageVersion).toEqual([3, 4]);
    expect([o.dynamicBase, o.nxCompat, o.highEntropyVa, o.largeAddressAware, o.gcSections]).toEqual([true, true, true, true, true]);
    expect(o.entry).toBe("_start");
    expect(o.stack).toEqual([0x400000n, 0x2000n]);
    expect(o.map).toBe("out.map");
    const { options: m } = parseGnuLdArgs(["--major-subsystem-version", "5", "--minor-subsystem-version", "2", "--entry=main2", "-o", "x.exe", "a.o"], host());
    expect(m.subsystemVersion).toEqual([5, 2]);
    expect(m.entry).toBe("main2");
    const { options: d } = parseGnuLdArgs(["--disable-dynamicbase", "--disable-nxcompat", "--disable-high-entropy-va", "--disable-large-address-aware", "a.o"], host());
    expect([d.dynamicBase, d.nxCompat, d.highEntropyVa, d.largeAddressAware]).toEqual([false, false, false, false]);
  });

  it("DLLs: --shared with --out-implib, the DLL entry point, and the export switches", () => {
    const { options: o } = parseGnuLdArgs(["--shared", "--out-implib", "libm.dll.a", "--export-all-symbols", "--kill-at", "-o", "m.dll", "m.o"], host());
    expect(o.dll).toBe(true);
    expect(o.implib).toBe("libm.dll.a");
    expect(o.entry).toBe("DllMainCRTStartup");
    expect(o.mingw?.exportAll).toBe(true);
    expect(o.mingw?.killAt).toBe(true);
    const { options: x } = parseGnuLdArgs(["-m", "i386pe", "-shared", "--exclude-all-symbols", "--enable-auto-import", "--enable-runtime-pseudo-reloc", "m.o"], host());
    expect(x.entry).toBe("DllMainCRTStartup@12");
    expect(x.output).toBe("a.dll");
    expect(x.mingw?.excludeAll).toBe(true);
    const { options: n } = parseGnuLdArgs(["--disable-auto-import", "--disable-runtime-pseudo-reloc", "a.o"], host());
    expect([n.mingw?.autoImport, n.mingw?.runtimePseudoReloc]).toEqual([false, false]);
  });

  it("-s and --strip-all drop debug sections", () => {
    expect(parseGnuLdArgs(["-s", "a.o"], host()).options.mingw?.strip).toBe(true);
    expect(parseGnuLdArgs(["--strip-all", "a.o"], host()).options.mingw?.strip).toBe(true);
    expect(parseGnuLdArgs(["a.o"], host()).options.mingw?.strip).toBe(false);
  });

  it("searches -l the MinGW way: import libraries first unless -Bstatic, all -L directories, -l:file", () => {
    const files = { "/a/libfoo.a": "", "/b/libfoo.dll.a": "", "/b/bar.lib": "", "/a/baz.dll.a": "", "/b/exact.name": "" };
    const { options: o } = parseGnuLdArgs(["-lfoo", "-L/a", "-L", "/b", "-Bstatic", "-lfoo", "-Bdynamic", "-lbar", "-lbaz", "-l:exact.name", "--library=foo", "x.o"], host(files));
    expect(o.inputs).toEqual(["/a/libfoo.a", "/a/libfoo.a", "/b/bar.lib", "/a/baz.dll.a", "/b/exact.name", "/a/libfoo.a", "x.o"]);
    // In one directory the import library wins; a directory searched earlier wins over the kind.
    expect(searchLibrary("foo", ["/b", "/a"], false, host(files))).toBe("/b/libfoo.dll.a");
    expect(searchLibrary("foo", ["/b", "/a"], true, host(files))).toBe("/a/libfoo.a");
    expect(searchLibrary("bar", ["/a", "/b"], true, host(files))).toBe("/b/bar.lib");
    expect(errorOf(() => parseGnuLdArgs(["-lmissing", "-L/a"], host(files)))).toMatch(/unable to find library -lmissing/);
  });

  it("--whole-archive applies to the archives until --no-whole-archive; groups are accepted", () => {
    const files = { "/l/liba.a": "", "/l/libb.a": "" };
    const { options: o } = parseGnuLdArgs(["-L/l", "--whole-archive", "-la", "--no-whole-archive", "--start-group", "-lb", "--end-group", "-(", "-)"], host(files));
    expect(o.inputs).toEqual(["/l/liba.a", "/l/libb.a"]);
    expect(o.wholeArchiveLibs).toEqual(["/l/liba.a"]);
  });

  it("--version, -v and -V print the version; without inputs nothing is linked", () => {
    for (const flag of ["--version", "-v", "-V", "-version"]) {
      const r = parseGnuLdArgs([flag], host());
      expect(r.printVersion).toBe(true);
      expect(r.options.inputs).toEqual([]);
    }
    // Configure scripts look for "GNU ld" to pick GNU-style options.
    expect(GNU_LD_VERSION_TEXT).toMatch(/GNU ld/);
  });

  it("reads @file response files with GNU quoting", () => {
    expect(splitGnuCommandLine(`-o 'my prog.exe' "a b.o" c\\ d.o\n-lfoo`)).toEqual(["-o", "my prog.exe", "a b.o", "c d.o", "-lfoo"]);
    const files = { "args.rsp": "-o out.exe @more.rsp", "more.rsp": "x.o --gc-sections" };
    const { options: o } = parseGnuLdArgs(["@args.rsp", "y.o"], host(files));
    expect(o.output).toBe("out.exe");
    expect(o.inputs).toEqual(["x.o", "y.o"]);
    expect(o.gcSections).toBe(true);
    expect(errorOf(() => splitGnuCommandLine("'open"))).toMatch(/unterminated quote/);
  });

  it("unknown options and bad values are errors, all reported at once", () => {
    const message = errorOf(() => parseGnuLdArgs(["--frobnicate", "-Zq", "a.o", "--no-such-thing=1"], host()));
    expect(message).toMatch(/unknown argument '--frobnicate'/);
    expect(message).toMatch(/unknown argument '-Zq'/);
    expect(message).toMatch(/unknown argument '--no-such-thing=1'/);
    expect(errorOf(() => parseGnuLdArgs(["-m", "elf_x86_64"], host()))).toMatch(/unsupported emulation/);
    expect(errorOf(() => parseGnuLdArgs(["--subsystem", "gui"], host()))).toMatch(/unknown subsystem/);
    expect(errorOf(() => parseGnuLdArgs(["-o"], host()))).toMatch(/missing argument/);
  });
});
