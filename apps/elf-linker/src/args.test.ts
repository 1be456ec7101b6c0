import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";
import { ElfLinkError } from "./errors.js";

describe("GNU ld command line", () => {
  it("takes values joined, separate and as --long=value", () => {
    const o = parseArgs(["-oout", "-L", "lib", "-Lother", "a.o", "-lfoo", "--library=bar", "--entry=main", "--gc-sections", "-static", "-m", "elf_x86_64", "-z", "noexecstack"]);
    expect(o.output).toBe("out");
    expect(o.libraryPaths).toEqual(["lib", "other"]);
    expect(o.inputs).toEqual([{ kind: "file", path: "a.o" }, { kind: "library", name: "foo" }, { kind: "library", name: "bar" }]);
    expect(o.entry).toBe("main");
    expect(o.gcSections).toBe(true);
    expect(parseArgs(["-e", "go", "--output", "x", "b.o"])).toMatchObject({ entry: "go", output: "x" });
  });

  it("defaults to a.out and _start", () => {
    expect(parseArgs(["a.o"])).toMatchObject({ output: "a.out", entry: "_start", gcSections: false });
  });

  it("rejects unknown options, all of them at once", () => {
    try {
      parseArgs(["--frob", "a.o", "-pie", "-m", "elf_i386"]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ElfLinkError);
      expect((error as ElfLinkError).messages).toEqual([
        "unknown argument '--frob'",
        "unknown argument '-pie'",
        "unknown emulation: elf_i386: linkkit-elf supports elf_x86_64 only",
      ]);
    }
    expect(() => parseArgs([])).toThrow("no input files");
  });
});
