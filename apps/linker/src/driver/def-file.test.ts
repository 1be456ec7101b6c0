import { describe, expect, it } from "vitest";
import { parseModuleDefinition } from "./def-file.js";
import { LinkError } from "../errors.js";

describe("parseModuleDefinition", () => {
  it("reads LIBRARY, BASE, EXPORTS with ordinals, NONAME, DATA, PRIVATE, internal names and forwarders", () => {
    const def = parseModuleDefinition(
      [
        "; a comment",
        "LIBRARY mylib.dll BASE=0x10000000",
        "EXPORTS",
        "  add @1",
        "  sub @ 7 NONAME",
        "  counter DATA",
        "  hidden PRIVATE",
        "  renamed = impl_renamed",
        "  HeapAlloc2 = kernel32.HeapAlloc",
        "HEAPSIZE 0x100000,0x1000",
        "STACKSIZE 65536",
        "VERSION 2.5",
      ].join("\n"),
      "my.def",
    );
    expect(def.kind).toBe("library");
    expect(def.moduleName).toBe("mylib.dll");
    expect(def.imageBase).toBe(0x10000000n);
    expect(def.exports.map((e) => [e.name, e.internalName, e.forwardTo, e.ordinal, e.noName, e.data, e.private])).toEqual([
      ["add", undefined, undefined, 1, false, false, false],
      ["sub", undefined, undefined, 7, true, false, false],
      ["counter", undefined, undefined, undefined, false, true, false],
      ["hidden", undefined, undefined, undefined, false, false, true],
      ["renamed", "impl_renamed", undefined, undefined, false, false, false],
      ["HeapAlloc2", undefined, "kernel32.HeapAlloc", undefined, false, false, false],
    ]);
    expect(def.heap).toEqual([0x100000n, 0x1000n]);
    expect(def.stack).toEqual([65536n, -1n]);
    expect(def.version).toEqual([2, 5]);
  });

  it("names the file and line of a mistake", () => {
    expect(() => parseModuleDefinition("EXPORTS\n  f @x\n", "bad.def")).toThrow(LinkError);
    expect(() => parseModuleDefinition("EXPORTS\n  f @x\n", "bad.def")).toThrow(/bad\.def:2: /);
    expect(() => parseModuleDefinition("FROBNICATE\n", "bad.def")).toThrow(/unknown directive: FROBNICATE/);
  });
});
