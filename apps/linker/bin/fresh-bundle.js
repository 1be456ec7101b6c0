// How a launcher runs its command: the build's single-file bundle (dist/bundle/NAME.cjs) with V8's code
// cache while no module it was made from is newer, else the plain build output (a `tsc` run without the
// bundle step must never leave a launcher running old code). Then it ends the process without tearing the
// heap down. Together these take about 0.1 s off a small link and 0.1 s off a large one.
import { existsSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import module, { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

/** Runs command `name` (its `main` runs on load, as the plain build's bin module does). */
export async function run(name) {
  if (name === "linkkit" && wantsServer(process.argv.slice(2))) {
    // `/server`: a resident linkkit runs the command if one is there (apps/linker/src/server.ts).
    const socket = serverSocket(name);
    if (await askServer(socket)) return exitWhenDone();
    process.env.LINKKIT_SERVER_SOCKET = socket; // the command starts one when it is done
  }
  const bundle = freshBundle(name);
  if (bundle === undefined) {
    module.enableCompileCache?.(); // Node 22.1+; Node 20 has none (checked on 20.20)
    await import(new URL(`../dist/bin/${name}.js`, import.meta.url));
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
    const dir = new URL("../dist/bundle/", import.meta.url);
    const bundle = new URL(`${name}.cjs`, dir);
    const built = statSync(bundle).mtimeMs;
    let crypto; // node:crypto only when an input must be hashed: loading it costs start-up time every run would pay
    for (const input of JSON.parse(readFileSync(new URL(`${name}.inputs.json`, dir), "utf8"))) {
      const file = new URL(input.path, dir);
      if (statSync(file).mtimeMs <= built) continue;
      crypto ??= createRequire(import.meta.url)("node:crypto");
      if (crypto.createHash("sha1").update(readFileSync(file)).digest("hex") !== input.sha1) return undefined;
    }
    if (crypto) {
      try { const now = new Date(); utimesSync(bundle, now, now); } catch { /* read-only install: hash again next time */ }
    }
    return fileURLToPath(bundle);
  } catch {
    return undefined; // no bundle (or an input gone, or an older record): the plain build
  }
}

/**
 * Compiles the bundle with the code cache left by an earlier run (V8 checks that it matches the source and
 * the flags, else ignores it) and, when there was none that fit, leaves one after this run, when it also
 * holds the functions compiled lazily while linking. A cache that cannot be written is simply not kept.
 */
function runCached(file) {
  const cacheFile = `${file}.cache`;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "utf8")}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const cjsModule = { exports: {} };
  script.runInThisContext()(cjsModule.exports, createRequire(file), cjsModule, file, dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      // Whole or not at all: concurrent runs each write their own file and rename it into place.
      const temp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch { /* read-only install: run without a cache */ }
  }
}

/** `/server` on the command line itself (not in a response file), and no crash test or --watch. */
function wantsServer(argv) {
  if (process.env.LINKKIT_CRASH_AFTER_WRITE !== undefined) return false;
  let server = false;
  for (const arg of argv) {
    if (/^[/-]-?server(:yes)?$/i.test(arg)) server = true;
    else if (/^[/-]-?server:no$/i.test(arg)) server = false;
    else if (/^[/-]-?watch$/i.test(arg)) return false;
  }
  return server;
}

/**
 * The server's socket for this command line, in this directory, of this build of linkkit (a rebuilt
 * linkkit gets servers of its own; the old ones leave when idle). Any hash does: a server runs whatever
 * command it is sent, a collision only shares one.
 */
function serverSocket(name) {
  const built = (url) => { try { return statSync(url).mtimeMs; } catch { return 0; } };
  const build = [built(new URL(`../dist/bundle/${name}.cjs`, import.meta.url)), built(new URL(`../dist/bin/${name}.js`, import.meta.url))];
  const key = JSON.stringify([process.cwd(), process.argv.slice(2), fileURLToPath(import.meta.url), build]);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(tmpdir(), `linkkit-${uid}`, `${h1.toString(16).padStart(8, "0")}${h2.toString(16).padStart(8, "0")}.sock`);
}

/** Sends the command to the server on `socket`; false when there is none (then the command runs here). */
async function askServer(socket) {
  if (!existsSync(socket)) return false;
  const { connect } = createRequire(import.meta.url)("node:net");
  const reply = await new Promise((resolve) => {
    let text = "", answered = false;
    const conn = connect(socket);
    conn.setEncoding("utf8");
    conn.on("connect", () => {
      conn.write(`${JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(2), env: process.env })}\n`);
    });
    // The answer is one line: taken as soon as it is whole (the server goes on to write its state).
    const take = () => {
      answered = true;
      conn.destroy();
      try { resolve(JSON.parse(text)); } catch { resolve(undefined); }
    };
    conn.on("data", (chunk) => { text += chunk; if (!answered && text.endsWith("\n")) take(); });
    conn.on("end", () => { if (!answered) take(); });
    conn.on("error", () => { if (!answered) resolve(undefined); });
  });
  if (reply === undefined || typeof reply.code !== "number") return false;
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  process.exitCode = reply.code;
  return true;
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
