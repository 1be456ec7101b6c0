import { describe, expect, it } from "vitest";
import { parseLldLinkArgs, type CommandLineHost } from "./lld-link-args.js";
import { splitWindowsCommandLine } from "./response-file.js";
import { LinkError } from "../errors.js";

function host(files: Record<string, string> = {}, env: Record<string, string> = {}): CommandLineHost {
  return {
    readText: (p) => { const t = files[p]; if (t === undefined) throw new Error(`no file ${p}`); return t; },
    fileExists: (p) => p in files,
    env: (n) => env[n],
  };
}

describe("parseLldLinkArgs", () => {
  it("accepts /opt and -opt, case-insensitively, with values after ':'", () => {
    const o = parseLldLinkArgs(["/OUT:a.exe", "-entry:start", "/Subsystem:Console,6.2", "a.obj", "-DLL", "/base:0x180000000", "/STACK:0x200000,0x1000", "/opt:noref"], host());
    expect(o.output).toBe("a.exe");
    expect(o.entry).toBe("start");
    expect(o.subsystem).toBe("console");
    expect(o.subsystemVersion).toEqual([6, 2]);
    expect(o.dll).toBe(true);
    expect(o.imageBase).toBe(0x180000000n);
    expect(o.stack).toEqual([0x200000n, 0x1000n]);
    expect(o.gcSections).toBe(false);
    expect(o.inputs).toEqual(["a.obj"]);
  });

  it("expands response files and reads LINK and LIB from the environment", () => {
    const o = parseLldLinkArgs(["@args.rsp"], host({ "args.rsp": '/out:"my prog.exe" b.obj\r\n/libpath:C:\\libs' }, { LINK: "/verbose", LIB: "/lib1;/lib2" }));
    expect(o.output).toBe("my prog.exe");
    expect(o.verbose).toBe(true);
    expect(o.inputs).toEqual(["b.obj"]);
    expect(o.libPaths).toEqual(["C:\\libs", "/lib1", "/lib2"]);
  });

  it("treats an existing absolute Unix path as an input, other unknown options as warnings", () => {
    const o = parseLldLinkArgs(["/tmp/x.obj", "/frobnicate"], host({ "/tmp/x.obj": "" }));
    expect(o.inputs).toEqual(["/tmp/x.obj"]);
    expect(o.warnings).toEqual(["ignoring unknown argument '/frobnicate'"]);
  });

  it("parses /export, /alternatename, /merge, /include and /force", () => {
    const o = parseLldLinkArgs(["/export:f=impl,@3,NONAME", "/export:v,DATA", "/alternatename:a=b", "/merge:.rdata=.text", "/include:sym", "/force:multiple"], host());
    expect(o.exports.map((e) => [e.name, e.internalName, e.ordinal, e.noName, e.data])).toEqual([["f", "impl", 3, true, false], ["v", undefined, undefined, false, true]]);
    expect([...o.alternateNames]).toEqual([["a", "b"]]);
    expect([...o.merges]).toEqual([[".rdata", ".text"]]);
    expect(o.includes).toEqual(["sym"]);
    expect(o.force).toEqual({ multiple: true, unresolved: false });
  });

  it("rejects malformed values with a LinkError that names the option", () => {
    expect(() => parseLldLinkArgs(["/align:3"], host())).toThrow(/\/align:3: must be a power of two/);
    expect(() => parseLldLinkArgs(["/machine:mips"], host())).toThrow(LinkError);
    expect(() => parseLldLinkArgs(["/subsystem:gui"], host())).toThrow(/unknown subsystem/);
    expect(() => parseLldLinkArgs(["/out"], host())).toThrow(/\/out: missing argument/);
  });
});

describe("splitWindowsCommandLine", () => {
  it("follows the C runtime's quoting rules", () => {
    expect(splitWindowsCommandLine('a "b c" d\\"e "f\\\\" g""h')).toEqual(["a", "b c", 'd"e', "f\\", "gh"]);
    expect(splitWindowsCommandLine('  x\t\ty\n')).toEqual(["x", "y"]);
  });
});
