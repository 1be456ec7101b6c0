// What a user gets wrong, reported as lld does: which object, section and symbol; nothing written.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile, describeWithTools, makeTempDir } from "../harness/toolchain.js";
import { linkkitElf } from "../harness/linkkit-elf.js";

describeWithTools("link errors", ["clang"], () => {
  it("names every undefined symbol and who refers to it", () => {
    const dir = makeTempDir("undef");
    const [obj] = compile(dir, "clang", { "u.c": "int nowhere(void); extern int also_nowhere;\nvoid _start(void) { nowhere(); also_nowhere = 1; }\n" }, ["-fno-pic"]);
    const out = join(dir, "out");
    const r = linkkitElf(["-o", out, obj!]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("linkkit-elf: error: undefined symbol: nowhere\n>>> referenced by");
    expect(r.stderr).toContain(`${obj}:(.text)`);
    expect(r.stderr).toContain("undefined symbol: also_nowhere");
    expect(existsSync(out)).toBe(false);
  });

  it("reports a relocation out of range with the object, section, offset and symbol", () => {
    const dir = makeTempDir("range");
    const objs = compile(dir, "clang", {
      "r.s": ".globl _start\n.text\n_start:\n  movl $far_away, %eax\n  ret\n",
      "far.s": ".globl far_away\n.set far_away, 0x123456789\n",
    }, []);
    const r = linkkitElf(["-o", join(dir, "out"), ...objs]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*r\.o:\(\.text\+0x1\): relocation R_X86_64_32 out of range: 4886718345 is not in \[0, 4294967295\]; references 'far_away'/);
  });

  it("reports duplicate strong definitions", () => {
    const dir = makeTempDir("dup");
    const objs = compile(dir, "clang", { "a.c": "int twice = 1; void _start(void) {}\n", "b.c": "int twice = 2;\n" }, ["-fno-pic"]);
    const r = linkkitElf(["-o", join(dir, "out"), ...objs]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("duplicate symbol: twice");
  });

  it("warns when the entry symbol is missing, and -e picks another", () => {
    const dir = makeTempDir("entry");
    const [obj] = compile(dir, "clang", { "e.c": "void begin(void) { for (;;) {} }\n" }, ["-fno-pic"]);
    const missing = linkkitElf(["-o", join(dir, "a"), obj!]);
    expect(missing.status).toBe(0);
    expect(missing.stderr).toMatch(/warning: cannot find entry symbol _start; defaulting to 0x401000/);
    expect(linkkitElf(["-e", "begin", "-o", join(dir, "b"), obj!])).toEqual({ status: 0, stderr: "" });
  });
});

it("rejects unknown options and missing libraries before reading anything", () => {
  expect(linkkitElf(["--frobnicate", "x.o"]).stderr).toContain("error: unknown argument '--frobnicate'");
  const r = linkkitElf(["-lnothere", "-L", "/nonexistent"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("unable to find library -lnothere");
});

it("says what is wrong with a file that is not an object", () => {
  const dir = makeTempDir("bad");
  const path = join(dir, "junk.o");
  writeFileSync(path, "not an object file");
  const r = linkkitElf(["-o", join(dir, "out"), path]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("junk.o: file format not recognized");
});
