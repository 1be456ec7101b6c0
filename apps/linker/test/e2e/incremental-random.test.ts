// The randomized incremental test: a generated multi-module C program goes through random edits (bodies
// grow and shrink, functions and data come and go, definitions move between modules, new imports and
// exports, pointers in data, COMDAT copies, modules added and removed). After each step the changed
// objects are recompiled with clang and the session patches its output in place; the image must then
// behave exactly like lld-link's full link of the same objects: same output and exit code under wine, the
// same imports and exports, and the same code up to layout.
//
// LINKKIT_RANDOM_SEED=<n> replays a run; LINKKIT_RANDOM_STEPS=<n> sets its length (100 by default).
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { LinkSession, type UpdateReport } from "../../src/session.js";
import { parseLldLinkArgs } from "../../src/driver/lld-link-args.js";
import { nodeHost } from "../../src/node-host.js";
import { readSavedSession } from "../../src/incremental-state.js";
import { SessionFileWriter } from "../../src/session-file.js";
import { compileC, describeWithTools, importLibrary, makeTempDir, runWine } from "../harness/toolchain.js";
import { lldLink, readobjFacts } from "../harness/linkers.js";
import { compareImages, normalizeImage } from "../harness/disasm-compare.js";
import { GENERATOR_IMPORTS, ProgramModel, Random } from "../harness/program-generator.js";
import * as programs from "./programs.js";

const target = "x86_64-pc-windows-msvc" as const;
const seed = Number(process.env.LINKKIT_RANDOM_SEED ?? Math.floor(Math.random() * 2 ** 31));
const steps = Number(process.env.LINKKIT_RANDOM_STEPS ?? 100);

describeWithTools("incremental relinking of random edits", ["clang", "dlltool", "lldLink", "objdump", "readobj", "wine"], () => {
  it(`behaves like a full link after every step (seed ${seed}, ${steps} steps)`, () => {
    console.log(`randomized incremental test: LINKKIT_RANDOM_SEED=${seed} LINKKIT_RANDOM_STEPS=${steps}`);
    const dir = makeTempDir("inc-random");
    const random = new Random(seed);
    const model = new ProgramModel(random, 4, 4);
    const k32 = importLibrary(dir, "kernel32.dll", [...programs.kernel32Exports, ...GENERATOR_IMPORTS, "RtlLookupFunctionEntry"], "x64");
    const [rt] = compileC(dir, { "rt.c": programs.runtime }, target);
    const flags = ["-ffunction-sections", "-fdata-sections"];

    // Objects in link order; the session appends added objects, so the reference does too.
    const objects: string[] = [];
    const texts = new Map<string, string>();
    const bytes = new Map<string, Buffer>();
    const compileChanged = (): { replaced: string[]; added: string[]; removed: string[] } => {
      const sources = model.sources();
      const replaced: string[] = [], added: string[] = [], removed: string[] = [];
      for (const [name, text] of sources) {
        if (texts.get(name) === text) continue;
        texts.set(name, text);
        const obj = compileC(dir, { [name]: text }, target, flags)[0]!;
        const content = readFileSync(obj);
        const before = bytes.get(obj);
        bytes.set(obj, content);
        if (!objects.includes(obj)) { objects.push(obj); added.push(obj); }
        else if (!before || !before.equals(content)) replaced.push(obj);
      }
      for (const name of [...texts.keys()]) {
        if (sources.has(name)) continue;
        texts.delete(name);
        const obj = join(dir, name.replace(/\.c$/, ".obj"));
        objects.splice(objects.indexOf(obj), 1);
        bytes.delete(obj);
        removed.push(obj);
      }
      return { replaced, added, removed };
    };

    compileChanged();
    const out = join(dir, "app.exe");
    const common = ["/entry:start", "/subsystem:console", "/debug:none"];
    const options = parseLldLinkArgs([...common, ...objects, rt!, k32, `/out:${out}`, `/map:${out}.map`, "/incremental"], {
      readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
    });
    let session = LinkSession.open(options, nodeHost);
    // What `linkkit /incremental` does between processes: after every step the session is saved, encoded
    // and restored over the output on disk, and the restored session makes the next update. Objects are
    // read only when an update needs them, as they were when linked (the state keeps copies).
    let linkOrder = [...options.inputs];
    const restoreFailures: string[] = [];
    // As a link server saves it: one writer, which patches the pages that changed since its last write.
    const path = join(dir, "session.state");
    const writer = new SessionFileWriter(path);
    let patchedSaves = 0;
    const saveAndRestore = (label: string) => {
      const linked = new Map(bytes);
      try {
        writer.write(session.saveState(), true);
        if (writer.bytesWritten < statSync(path).size) patchedSaves++; // a whole write writes the file's size
        const data = readSavedSession(path);
        const restored = LinkSession.restore({ ...options, inputs: linkOrder }, nodeHost, data, new Uint8Array(readFileSync(out)), (name) => linked.get(name) ?? readFileSync(name));
        expect(Buffer.compare(restored.bytes, session.bytes), label).toBe(0);
        session = restored;
      } catch (e) {
        restoreFailures.push(`${label}: ${(e as Error).message}`);
      }
    };

    const reports: UpdateReport[] = [];
    const check = (label: string) => {
      const reference = join(dir, "ref.exe");
      lldLink([...common, ...objects, rt!, k32, `/out:${reference}`, `/map:${reference}.map`]);
      const expected = runWine(reference);
      const actual = runWine(out);
      const context = `${label}\nseed ${seed}; edits so far:\n  ${model.log.join("\n  ")}`;
      expect({ status: actual.status, stdout: actual.stdout }, context).toEqual({ status: expected.status, stdout: expected.stdout });
      const theirs = readobjFacts(reference), ours = readobjFacts(out);
      expect(ours.errors, context).toBe("");
      expect({ imports: ours.imports, exports: ours.exports }, context).toEqual({ imports: theirs.imports, exports: theirs.exports });
      const differences = compareImages(normalizeImage(reference, `${reference}.map`), normalizeImage(out, `${out}.map`));
      expect(differences, context).toEqual([]);
    };
    check("the first full link");
    saveAndRestore("the first full link");

    for (let step = 1; step <= steps; step++) {
      const edits = [model.edit()];
      if (random.chance(0.4)) edits.push(model.edit());
      const { replaced, added, removed } = compileChanged();
      for (const o of replaced) session.replaceObject(o);
      for (const o of added) session.addObject(o);
      for (const o of removed) session.removeObject(o);
      const report = session.flush();
      reports.push(report);
      linkOrder = [...linkOrder.filter((p) => !removed.includes(p)), ...added];
      const line = `step ${step}: ${edits.join("; ")} → ${report.mode}${report.reason ? ` (${report.reason})` : ""}, ${report.bytesWritten} bytes written${report.sectionsMoved ? `, ${report.sectionsMoved} sections moved` : ""}`;
      model.log.push(`  ${line}`);
      check(line);
      saveAndRestore(line);
    }
    // Every step's session was saved and restored: the next `linkkit /incremental` run stays incremental.
    expect(restoreFailures, `seed ${seed}`).toEqual([]);
    // The saves after the first patched the file rather than writing it whole (most of them at least).
    expect(patchedSaves, `seed ${seed}`).toBeGreaterThan(steps / 2);

    const incremental = reports.filter((r) => r.mode === "incremental").length;
    const reasons = reports.filter((r) => r.mode === "full").map((r) => r.reason);
    const sectionsMoved = reports.reduce((n, r) => n + r.sectionsMoved, 0);
    console.log(`${incremental} of ${reports.length} updates in place (${sectionsMoved} section moves); full links: ${JSON.stringify(reasons)}`);
    // Most edits must be applied in place: a session that always falls back is not incremental.
    expect(incremental / reports.length).toBeGreaterThan(0.8);
  }, 30 * 60_000);
});
