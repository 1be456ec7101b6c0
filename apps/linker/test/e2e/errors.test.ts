// What a user sees when the link cannot succeed: lld-shaped messages, exit code 1, no output file, and
// an existing output left as it was.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readCoffObject, toCoffObjectModel, writeCoffObject } from "@linkkit/coff-format";
import { compileC, describeWithTools, importLibrary, makeTempDir } from "../harness/toolchain.js";
import { linkkit } from "../harness/linkers.js";

describeWithTools("link errors", ["clang", "dlltool"], () => {
  const target = "x86_64-pc-windows-msvc" as const;

  it("undefined symbols: every one at once, with the references in lld's shape", () => {
    const dir = makeTempDir("undef");
    const [a, b] = compileC(dir, {
      "a.c": "int missing(int); int also_missing(void); void start(void) { missing(also_missing()); }",
      "b.c": "int missing(int); int helper(void) { return missing(1) + missing(2); }",
    }, target);
    const out = join(dir, "out.exe");
    const r = linkkit(["/entry:start", "/subsystem:console", a!, b!, `/out:${out}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("linkkit: error: undefined symbol: missing\n>>> referenced by");
    expect(r.stderr).toMatch(/>>> referenced by .*a\.obj:\(start\)/);
    expect(r.stderr).toMatch(/>>> referenced by .*b\.obj:\(helper\)/);
    expect(r.stderr).toContain("undefined symbol: also_missing");
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(existsSync(out)).toBe(false);
  });

  it("duplicate symbols name both definitions; /force:multiple turns them into warnings", () => {
    const dir = makeTempDir("dup");
    const [a, b] = compileC(dir, { "a.c": "int twice(int x) { return 2 * x; } void start(void) {}", "b.c": "int twice(int x) { return x + x; }" }, target);
    const out = join(dir, "out.exe");
    const r = linkkit(["/entry:start", "/subsystem:console", a!, b!, `/out:${out}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: duplicate symbol: twice\n>>> defined at .*a\.obj\n>>> defined at .*b\.obj/);
    expect(existsSync(out)).toBe(false);
    const forced = linkkit(["/entry:start", "/subsystem:console", "/force:multiple", a!, b!, `/out:${out}`]);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toMatch(/warning: duplicate symbol: twice/);
  });

  it("an unknown relocation type is an error naming the object, section and symbol", () => {
    const dir = makeTempDir("reloc");
    const [a] = compileC(dir, { "a.c": "extern int value; int start(void) { return value; } int value = 3;" }, target);
    const model = toCoffObjectModel(readCoffObject(readFileSync(a!)));
    const text = model.sections.find((s) => s.name.startsWith(".text"))!;
    const bad = { ...model, sections: model.sections.map((s) => s === text ? { ...s, relocations: (s.relocations ?? []).map((r) => ({ ...r, type: 0x11 })) } : s) };
    const broken = join(dir, "broken.obj");
    writeFileSync(broken, writeCoffObject(bad));
    const out = join(dir, "out.exe");
    const r = linkkit(["/entry:start", "/subsystem:console", broken, `/out:${out}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.obj:\(\.text\+0x[0-9a-f]+\): unsupported relocation type 0x11 against value/);
    expect(existsSync(out)).toBe(false);
  });

  it("a corrupt object is a one-line error, and an existing output is not destroyed", () => {
    const dir = makeTempDir("corrupt");
    const [a] = compileC(dir, { "a.c": "void start(void) {}" }, target);
    const bytes = readFileSync(a!);
    const truncated = join(dir, "truncated.obj");
    writeFileSync(truncated, bytes.subarray(0, 60));
    const out = join(dir, "out.exe");
    writeFileSync(out, "previous output");
    const r = linkkit(["/entry:start", "/subsystem:console", truncated, `/out:${out}`]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^linkkit: error: .*truncated\.obj/);
    expect(readFileSync(out, "utf8")).toBe("previous output");
  });

  it("a missing input and a machine mismatch are errors", () => {
    const dir = makeTempDir("misc");
    const [a] = compileC(dir, { "a.c": "void start(void) {}" }, target);
    const [b] = compileC(dir, { "b.c": "int f(void) { return 1; }" }, "i686-pc-windows-msvc");
    expect(linkkit(["/entry:start", "/subsystem:console", join(dir, "nope.obj")]).stderr).toMatch(/could not open '.*nope\.obj'/);
    const r = linkkit(["/entry:start", "/subsystem:console", a!, b!, `/out:${join(dir, "x.exe")}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/machine type x86 conflicts with x64/);
    void importLibrary;
  });
});
