// ElfSession: one full link, then objects replaced and the executable patched in place; after each
// update the program behaves as a fresh ld.lld link of the same objects, and only changed bytes are written.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ElfSession, ElfLinkError } from "../../src/index.js";
import { compile, describeWithTools, makeTempDir, run, runOk, tools } from "../harness/toolchain.js";
import { multiObject } from "./programs.js";

const read = (path: string) => new Uint8Array(readFileSync(path));

describeWithTools("ElfSession: in-place updates", ["clang", "llvmAr", "ldLld", "readelf"], () => {
  it("replaces objects, patches only what changed, and runs like a full ld.lld link", () => {
    const dir = makeTempDir("session");
    const flags = multiObject.cflags ?? [];
    const objects = compile(dir, "clang", multiObject.sources, flags);
    const members = compile(dir, "clang", multiObject.library!, flags);
    const lib = join(dir, "libprog.a");
    runOk(tools.llvmAr, ["rcs", lib, ...members]);
    const inputs = [...objects, lib].map((path) => ({ name: path, bytes: read(path) }));
    const output = join(dir, "app");
    const session = ElfSession.create({ output, inputs });
    expect(run(output, [])).toMatchObject({ stdout: multiObject.expectedOutput, status: multiObject.expectedStatus });

    const hook = objects.find((o) => o.endsWith("hook.o"))!;
    const checkAgainstLld = (expectedStdout: string, expectedStatus: number) => {
      const mine = run(output, []);
      expect({ stdout: mine.stdout, status: mine.status }).toEqual({ stdout: expectedStdout, status: expectedStatus });
      const lldOut = join(dir, "lld.out");
      runOk(tools.ldLld, ["-static", "-o", lldOut, ...objects, lib]);
      const lld = run(lldOut, []);
      expect({ stdout: lld.stdout, status: lld.status }).toEqual({ stdout: expectedStdout, status: expectedStatus });
      const dump = run(tools.readelf, ["-a", "-W", output]);
      expect(dump.stderr).toBe("");
      expect(dump.stdout).not.toMatch(/warning/i);
    };

    // 1. A small change: hook() returns 9. Its atom is resized in place; a few bytes are written.
    compile(dir, "clang", { "hook.c": "int counter;\nint hook(void) { return 9; }\nconst char *hook_text(void) { return \"world\"; }\n" }, flags);
    const small = session.replaceObject(hook, read(hook));
    checkAgainstLld("hello world\nworld\n5\n9\n42\n", 14);
    expect(small.bytesWritten).toBeGreaterThan(0);
    expect(small.bytesWritten).toBeLessThan(small.fileSize / 4);
    expect(statSync(output).size).toBe(small.fileSize);
    expect(new Uint8Array(readFileSync(output))).toEqual(session.bytes);

    // 2. The object grows far past its capacity, with a new string and a new global: atoms move.
    const big = Array.from({ length: 60 }, (_, i) => `int filler${i}(int x) { return x * ${i + 3} + hook_text()[0]; }`).join("\n");
    compile(dir, "clang", {
      "hook.c": `int counter;\nconst char *hook_text(void) { return "a brand new string"; }\n${big}\nint hook(void) { return filler7(1) - 'a' - 8 + hook_text()[2] - 'b'; }\n`,
    }, flags);
    const grown = session.replaceObject(hook, read(hook));
    checkAgainstLld("hello world\nworld\n5\n2\n42\n", 7);
    expect(grown.atomsMoved + grown.atomsPlaced + grown.atomsResized).toBeGreaterThan(0);
    expect(grown.bytesWritten).toBeLessThan(grown.fileSize);

    // 3. A broken object (undefined symbol) fails and writes nothing; the session keeps working.
    const before = read(output);
    compile(dir, "clang", { "hook.c": "int counter;\nint missing_function(void);\nint hook(void) { return missing_function(); }\nconst char *hook_text(void) { return \"\"; }\n" }, flags);
    expect(() => session.replaceObject(hook, read(hook))).toThrow(ElfLinkError);
    expect(read(output)).toEqual(before);
    compile(dir, "clang", { "hook.c": "int counter;\nint hook(void) { return 3; }\nconst char *hook_text(void) { return \"world\"; }\n" }, flags);
    session.replaceObject(hook, read(hook));
    checkAgainstLld("hello world\nworld\n5\n3\n42\n", 8);
  });
});
