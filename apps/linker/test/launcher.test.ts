// The launchers (bin/fresh-bundle.js) run the single-file bundle only while it is what the build made of
// the current modules: a module changed since runs the plain build instead; a module a build cache
// restored with a later time but the same contents keeps the bundle.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const launcherSource = join(__dirname, "..", "bin", "fresh-bundle.js");

/** A package with a launcher for command `demo`: the plain build prints "plain", the bundle "bundle". */
function demoPackage(): { dir: string; module: string; bundle: string; run: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "linkkit-launcher-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "dist", "bin"), { recursive: true });
  mkdirSync(join(dir, "dist", "bundle"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  // The launchers are CommonJS in a package of ES modules, as in apps/linker.
  writeFileSync(join(dir, "bin", "package.json"), JSON.stringify({ type: "commonjs" }));
  copyFileSync(launcherSource, join(dir, "bin", "fresh-bundle.js"));
  writeFileSync(join(dir, "bin", "demo.js"), 'require("./fresh-bundle.js").run("demo");\n');
  const module = join(dir, "dist", "answer.js");
  writeFileSync(module, "export const answer = 42;\n");
  writeFileSync(join(dir, "dist", "bin", "demo.js"), 'process.stdout.write("plain");\n');
  const bundle = join(dir, "dist", "bundle", "demo.cjs");
  writeFileSync(bundle, 'process.stdout.write("bundle");\n');
  const sha1 = createHash("sha1").update("export const answer = 42;\n").digest("hex");
  writeFileSync(join(dir, "dist", "bundle", "demo.inputs.json"), JSON.stringify([{ path: "../answer.js", sha1 }]));
  const past = new Date(Date.now() - 60_000);
  utimesSync(module, past, past);
  return { dir, module, bundle, run: () => execFileSync(process.execPath, [join(dir, "bin", "demo.js")], { encoding: "utf8" }) };
}

describe("launcher", () => {
  it("runs the bundle while its modules are older than it", () => {
    expect(demoPackage().run()).toBe("bundle");
  });

  it("keeps the bundle when a module is newer but the same (a build cache restored it), and remembers that", () => {
    const pkg = demoPackage();
    const older = new Date(Date.now() - 30_000), newer = new Date(Date.now() - 10_000);
    utimesSync(pkg.bundle, older, older);
    utimesSync(pkg.module, newer, newer);
    expect(pkg.run()).toBe("bundle");
    // The bundle's time moved past the module's: the next run need not hash it again.
    expect(statSync(pkg.bundle).mtimeMs).toBeGreaterThan(statSync(pkg.module).mtimeMs);
    expect(pkg.run()).toBe("bundle");
  });

  it("runs the plain build when a module changed since the bundle was made", () => {
    const pkg = demoPackage();
    const older = new Date(Date.now() - 30_000);
    utimesSync(pkg.bundle, older, older);
    writeFileSync(pkg.module, "export const answer = 43;\n");
    expect(pkg.run()).toBe("plain");
  });

  it("keeps a code cache per set of Node flags, so that runs with and without the #! line's flags do not undo each other's", () => {
    const pkg = demoPackage();
    const bundleDir = join(pkg.dir, "dist", "bundle");
    // A bundle whose run links (src/command.ts markLinked): only such a run leaves a cache.
    writeFileSync(pkg.bundle, 'globalThis[Symbol.for("linkkit.linked")] = true; process.stdout.write("bundle");\n');
    // A bundle that says whether V8 took the code cache it was compiled with.
    writeFileSync(join(pkg.dir, "bin", "demo.js"), [
      'const vm = require("node:vm"); const Script = vm.Script;',
      "vm.Script = class extends Script { constructor(s, o) { super(s, o); process.stdout.write(o.cachedData === undefined ? 'none ' : this.cachedDataRejected ? 'rejected ' : 'taken '); } };",
      'require("./fresh-bundle.js").run("demo");',
    ].join("\n"));
    const run = (flags: string[]) => execFileSync(process.execPath, [...flags, join(pkg.dir, "bin", "demo.js")], { encoding: "utf8" });
    const flagged = ["--v8-pool-size=0", "--max-lazy"];
    expect(run([])).toBe("none bundle");
    expect(run(flagged)).toBe("none bundle");
    expect(run([])).toBe("taken bundle");
    expect(run(flagged)).toBe("taken bundle");
    const caches = readdirSync(bundleDir).filter((f) => f.endsWith(".cache")).sort();
    expect(caches).toHaveLength(2);
    expect(caches).toContain("demo.cjs.cache");
  });

  it("keeps no code cache from a run that did not link (a version, an error): it holds a fraction of the linker", () => {
    const pkg = demoPackage();
    const bundleDir = join(pkg.dir, "dist", "bundle");
    writeFileSync(join(pkg.dir, "bin", "demo.js"), [
      'const vm = require("node:vm"); const Script = vm.Script;',
      "vm.Script = class extends Script { constructor(s, o) { super(s, o); process.stdout.write(o.cachedData === undefined ? 'none ' : 'taken '); } };",
      'require("./fresh-bundle.js").run("demo");',
    ].join("\n"));
    const caches = () => readdirSync(bundleDir).filter((f) => f.endsWith(".cache"));
    writeFileSync(pkg.bundle, 'if (process.argv[2] === "link") globalThis[Symbol.for("linkkit.linked")] = true; process.stdout.write("bundle");\n');
    const run = (args: string[]) => execFileSync(process.execPath, [join(pkg.dir, "bin", "demo.js"), ...args], { encoding: "utf8" });
    expect(run(["--version"])).toBe("none bundle");
    expect(caches()).toEqual([]);
    expect(run(["link"])).toBe("none bundle");
    expect(caches()).toEqual(["demo.cjs.cache"]);
    expect(run(["--version"])).toBe("taken bundle");
  });

  it("runs the plain build when the record of the bundle's inputs is missing or of an older format", () => {
    const pkg = demoPackage();
    writeFileSync(join(pkg.dir, "dist", "bundle", "demo.inputs.json"), JSON.stringify(["../answer.js"]));
    expect(pkg.run()).toBe("plain");
  });
});

describe("the linkers' launchers", () => {
  // Run as executables (a symlink on the path, a package manager's shim reading the `#!` line), they start
  // Node with V8's background threads one per core beyond the main thread: Node's four compete with a small
  // link for a two-core machine's cores.
  const cases = [
    { name: "linkkit", args: [] as string[], status: 1, output: "linkkit: error: no input files" },
    { name: "linkkit-ld", args: ["--version"], status: 0, output: "GNU ld compatible linkkit" },
  ];
  for (const { name, args, status, output } of cases) {
    it(`${name} runs through its #! line, with --v8-pool-size=0`, () => {
      const launcher = join(__dirname, "..", "bin", `${name}.js`);
      expect(readFileSync(launcher, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env -S node --v8-pool-size=0");
      if (process.platform === "win32") return; // no #! there: npm's shims read the line
      const run = spawnSync(launcher, args, { encoding: "utf8" });
      expect(run.error).toBeUndefined();
      expect(run.stdout + run.stderr).toContain(output);
      expect(run.status).toBe(status);
    });
  }
});
