// A full link of many inputs reads them on a worker thread ahead of the parser once they come from the
// disk (src/read-ahead.ts): the image must be the image of the same link read in order, byte for byte,
// and run like lld-link's, whoever read each file.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readCoffObject, toCoffObjectModel, writeCoffObject } from "@linkkit/coff-format";
import { link } from "../../src/link.js";
import { parseLldLinkArgs } from "../../src/driver/lld-link-args.js";
import { nodeHost } from "../../src/node-host.js";
import { InputReader, ReadAhead, readFileAhead } from "../../src/read-ahead.js";
import type { LinkHost } from "../../src/host.js";
import { compileC, describeWithTools, importLibrary, makeTempDir, runWine } from "../harness/toolchain.js";
import { lldLink } from "../harness/linkers.js";
import * as programs from "./programs.js";

const target = "x86_64-pc-windows-msvc" as const;
/** More than the 64 inputs from which nodeHost reads ahead. */
const COUNT = 90;

describeWithTools("reading inputs ahead", ["clang", "dlltool", "lldLink", "wine"], () => {
  it(`links ${COUNT} objects read by a worker exactly as read in order, and the image runs like lld-link's`, () => {
    const dir = makeTempDir("read-ahead");
    const decls = Array.from({ length: COUNT }, (_, i) => `int part_${i}(void);`).join("\n");
    const sum = Array.from({ length: COUNT }, (_, i) => `part_${i}()`).join(" + ");
    const [main, template, rt] = compileC(dir, {
      "main.c": `${programs.runtimeHeader}\n${decls}\nvoid start(void) { long s = ${sum}; print("sum="); print_int(s); print("\\n"); finish(s & 0xff); }`,
      "part.c": "int part_template(void) { return 7; }",
      "rt.c": programs.runtime,
    }, target);
    const k32 = importLibrary(dir, "kernel32.dll", programs.kernel32Exports, "x64");
    // Objects of distinct sizes and contents: each defines part_<i> and returns i * 3 + 1 (as a different constant).
    const model = toCoffObjectModel(readCoffObject(readFileSync(template!)));
    const parts: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const renamed = {
        ...model,
        symbols: model.symbols.map((s) => (s.name === "part_template" ? { ...s, name: `part_${i}`, nameOffset: undefined, rawName: undefined } : s)),
        sections: model.sections.map((s) => (s.name.startsWith(".text") ? { ...s, data: patchReturn(s.data, i * 3 + 1) } : s)),
      };
      const path = join(dir, `part${i}.obj`);
      writeFileSync(path, writeCoffObject(renamed));
      parts.push(path);
    }
    const inputs = [main!, ...parts, rt!, k32];
    const common = ["/entry:start", "/subsystem:console"];
    const linkWith = (host: LinkHost, out: string) => {
      const options = parseLldLinkArgs([...common, ...inputs, `/out:${out}`], { readText: (p) => readFileSync(p, "utf8"), fileExists: host.fileExists, env: () => undefined });
      return link(options, host).bytes;
    };
    const ahead = linkWith(nodeHost, join(dir, "ahead.exe"));
    // A worker for all inputs, and a host that waits until it has read them all: every input comes from it.
    let worker: ReadAhead | undefined;
    const patient: LinkHost = {
      ...nodeHost,
      readFile: (path) => readFileAhead(worker, path),
      readAhead: (paths) => {
        worker?.dispose();
        worker = paths.length > 0 ? new ReadAhead(paths) : undefined;
        if (worker) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      },
    };
    const fromWorker = linkWith(patient, join(dir, "from-worker.exe"));
    // nodeHost's reader, on a clock by which every read takes 1 ms (as from a disk): the linker reads the
    // first files, a worker the rest.
    let reader: InputReader | undefined;
    let now = 0, readAheadFromDisk = false;
    const slowDisk: LinkHost = {
      ...nodeHost,
      readFile: (path) => (reader ? reader.read(path) : readFileAhead(undefined, path)),
      readAhead: (paths) => {
        readAheadFromDisk ||= reader?.readingAhead ?? false;
        reader?.dispose();
        reader = paths.length > 0 ? new InputReader(paths, undefined, () => (now += 0.5)) : undefined;
      },
    };
    const fromDisk = linkWith(slowDisk, join(dir, "from-disk.exe"));
    const inOrder = linkWith({ ...nodeHost, readAhead: undefined }, join(dir, "in-order.exe"));
    expect(Buffer.compare(ahead, inOrder)).toBe(0);
    expect(Buffer.compare(fromWorker, inOrder)).toBe(0);
    expect(Buffer.compare(fromDisk, inOrder)).toBe(0);
    expect(readAheadFromDisk).toBe(true);

    const reference = join(dir, "ref.exe");
    lldLink([...common, ...inputs, `/out:${reference}`]);
    const expected = runWine(reference);
    const actual = runWine(join(dir, "ahead.exe"));
    const total = Array.from({ length: COUNT }, (_, i) => i * 3 + 1).reduce((a, b) => a + b, 0);
    expect(actual.stdout).toBe(`sum=${total}\n`);
    expect({ status: actual.status, stdout: actual.stdout }).toEqual({ status: expected.status, stdout: expected.stdout });
  });

  it("a missing input among many is the same error with or without reading ahead", () => {
    const dir = makeTempDir("read-ahead-missing");
    const [a] = compileC(dir, { "a.c": "void start(void) {}" }, target);
    const inputs = [a!, ...Array.from({ length: COUNT }, () => a!), join(dir, "missing.obj")];
    const attempt = (host: LinkHost) => {
      try {
        link(parseLldLinkArgs(["/entry:start", "/subsystem:console", ...inputs, `/out:${join(dir, "x.exe")}`], { readText: (p) => readFileSync(p, "utf8"), fileExists: () => true, env: () => undefined }), host);
        return "linked";
      } catch (e) {
        return (e as Error).message;
      }
    };
    const message = attempt(nodeHost);
    expect(message).toMatch(/could not open '.*missing\.obj'/);
    expect(attempt({ ...nodeHost, readAhead: undefined })).toBe(message);
  });
});

/** `mov eax, imm32` (B8 imm32) in the template's code gets `value` as its immediate. */
function patchReturn(data: Uint8Array | undefined, value: number): Uint8Array | undefined {
  if (!data) return data;
  const out = new Uint8Array(data); // a copy (a Buffer's slice would be a view of the template)
  const at = out.findIndex((b, i) => b === 0xb8 && out[i + 1] === 7 && out[i + 2] === 0 && out[i + 3] === 0 && out[i + 4] === 0);
  if (at < 0) throw new Error("the template's code has no `mov eax, 7`");
  new DataView(out.buffer, out.byteOffset).setUint32(at + 1, value, true);
  return out;
}
