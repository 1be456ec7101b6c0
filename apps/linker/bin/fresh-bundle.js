// How a launcher runs its command: the build's single-file bundle (dist/bundle/NAME.cjs) with V8's code
// cache while no module it was made from is newer, else the plain build output (a `tsc` run without the
// bundle step must never leave a launcher running old code). Then it ends the process without tearing the
// heap down. Together these take about 0.1 s off a small link and 0.1 s off a large one.
"use strict";
const { existsSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const vm = require("node:vm");

/** Runs command `name` (its `main` runs on load, as the plain build's bin module does). */
async function run(name) {
  const bundle = freshBundle(name);
  if (bundle === undefined) {
    require("node:module").enableCompileCache?.(); // Node 22.1+; Node 20 has none (checked on 20.20)
    await import(pathToFileURL(join(__dirname, "..", "dist", "bin", `${name}.js`)).href);
  } else {
    runCached(bundle);
  }
  exitWhenDone();
}

/**
 * The bundle's path, unless it is missing or a module it was made from changed since: an input newer than
 * the bundle is compared by hash (a build cache restores files in any order), and when all still match,
 * the bundle's time is brought forward so that the next run need not hash again.
 */
function freshBundle(name) {
  try {
    const dir = join(__dirname, "..", "dist", "bundle");
    const bundle = join(dir, `${name}.cjs`);
    const built = statSync(bundle).mtimeMs;
    let crypto; // node:crypto only when an input must be hashed: loading it costs start-up time every run would pay
    for (const input of JSON.parse(readFileSync(join(dir, `${name}.inputs.json`), "utf8"))) {
      const file = join(dir, input.path);
      if (statSync(file).mtimeMs <= built) continue;
      crypto ??= require("node:crypto");
      if (crypto.createHash("sha1").update(readFileSync(file)).digest("hex") !== input.sha1) return undefined;
    }
    if (crypto) {
      try { const now = new Date(); utimesSync(bundle, now, now); } catch { /* read-only install: hash again next time */ }
    }
    return bundle;
  } catch {
    return undefined; // no bundle (or an input gone, or an older record): the plain build
  }
}

/**
 * Compiles the bundle with the code cache left by an earlier run (V8 checks that it matches the source and
 * the flags, else ignores it) and, when there was none that fit, leaves one after this run if it linked,
 * when it also holds the functions compiled lazily while linking. A run that only printed a version or an
 * error compiles a fraction of the linker: every later run would take a cache made then, and compile the
 * rest afresh each time. The command says that it linked (src/command.ts `markLinked`). A cache that cannot
 * be written is simply not kept.
 */
function runCached(file) {
  const cacheFile = codeCachePath(file);
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  // Latin-1: the bundle is ASCII (scripts/bundle-bins.mjs escapes the rest), and this decoding is a copy.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "latin1")}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const cjsModule = { exports: {} };
  // This module's `require`: the bundle loads only Node's own modules (scripts/bundle-bins.mjs checks), and
  // `createRequire` would load node:module and the ES module loader behind it, ~1 ms of every start.
  script.runInThisContext()(cjsModule.exports, require, cjsModule, file, dirname(file));
  if ((cachedData === undefined || script.cachedDataRejected) && globalThis[Symbol.for("linkkit.linked")] === true) {
    try {
      // Whole or not at all: concurrent runs each write their own file and rename it into place.
      const temp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch { /* read-only install: run without a cache */ }
  }
}

/**
 * Where the code cache of `file` is kept for this process's Node flags. V8 rejects a cache made under other
 * flags, so one cache for all would be rewritten, and the start-up paid, whenever runs with the launcher's
 * flags (a package manager's shim) and without them (`node bin/linkkit.js`) take turns.
 */
function codeCachePath(file) {
  const flags = process.execArgv.join(" ");
  if (flags === "") return `${file}.cache`;
  let hash = 0x811c9dc5; // FNV-1a: node:crypto would cost every start a module load
  for (let i = 0; i < flags.length; i++) hash = Math.imul(hash ^ flags.charCodeAt(i), 0x01000193);
  return `${file}.${(hash >>> 0).toString(16).padStart(8, "0")}.cache`;
}

// Handles that mean the command is not done: file watchers (--watch), timers, child processes, sockets
// (the link server's among them).
const KEEP_ALIVE = new Set(["StatWatcher", "FSEventWrap", "Timeout", "Immediate", "ProcessWrap", "TCPWrap", "TCPServerWrap", "PipeWrap", "PipeServerWrap"]);

/**
 * Ends the process once the command returned, unless it left something running: a normal exit first tears
 * down a heap of hundreds of MB after a large link (about 0.1 s). Standard output and error are written
 * synchronously on Linux and to files, so nothing is lost.
 */
function exitWhenDone() {
  if (process.getActiveResourcesInfo().some((resource) => KEEP_ALIVE.has(resource))) return;
  process.exit();
}

module.exports = { run, exitWhenDone };
