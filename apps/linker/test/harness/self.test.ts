// The harness checks itself on an lld-link image compared with itself and with a changed program.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compareImages, normalizeImage } from "./disasm-compare.js";
import { compileC, describeWithTools, importLibrary, makeTempDir, runOk, tools } from "./toolchain.js";

const a = `
extern int g(int);
static int table[4] = {1, 2, 3, 4};
int (*fp)(int) = g;
int f(int x) { return g(x) + table[x & 3] + fp(x); }
void start(void) { f(3); }
`;
const b = `int g(int x) { return x * 7; }`;

describeWithTools("layout-independent disassembly comparison", ["clang", "lldLink", "objdump", "dlltool"], () => {
  it("sees no difference between two layouts of one program, and sees a real change", () => {
    const dir = makeTempDir("harness");
    const [ao, bo] = compileC(dir, { "a.c": a, "b.c": b }, "x86_64-pc-windows-msvc");
    const k32 = importLibrary(dir, "kernel32.dll", ["ExitProcess"], "x64");
    const link = (out: string, order: string[], extra: string[] = []) =>
      runOk(tools.lldLink, ["/nologo", "/entry:start", "/subsystem:console", `/out:${out}`, `/map:${out}.map`, ...order, k32, ...extra]);
    link(join(dir, "one.exe"), [ao!, bo!]);
    link(join(dir, "two.exe"), [bo!, ao!], ["/align:8192"]);
    const one = normalizeImage(join(dir, "one.exe"), join(dir, "one.exe.map"));
    const two = normalizeImage(join(dir, "two.exe"), join(dir, "two.exe.map"));
    expect(one.functions.size).toBeGreaterThanOrEqual(3);
    expect(compareImages(one, two)).toEqual([]);

    const [bo2] = compileC(dir, { "b2.c": `int g(int x) { return x * 9; }` }, "x86_64-pc-windows-msvc");
    copyFileSync(bo2!, join(dir, "b.obj"));
    link(join(dir, "three.exe"), [ao!, join(dir, "b.obj")]);
    const three = normalizeImage(join(dir, "three.exe"), join(dir, "three.exe.map"));
    expect(compareImages(one, three).join("\n")).toMatch(/g \(b\.obj\): instruction/);
  });
});
