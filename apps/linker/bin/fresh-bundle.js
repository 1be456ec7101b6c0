// Which file a launcher runs: the build's single-file bundle (dist/bundle/NAME.mjs, one module for Node to
// load instead of about sixty) while no module it was made from is newer, else the plain build output (a
// `tsc` run without the bundle step must never leave a launcher running old code).
import { readFileSync, statSync } from "node:fs";

export function entryOf(name) {
  const plain = new URL(`../dist/bin/${name}.js`, import.meta.url);
  try {
    const dir = new URL("../dist/bundle/", import.meta.url);
    const bundle = new URL(`${name}.mjs`, dir);
    const built = statSync(bundle).mtimeMs;
    for (const input of JSON.parse(readFileSync(new URL(`${name}.inputs.json`, dir), "utf8"))) {
      if (statSync(new URL(input, dir)).mtimeMs > built) return plain;
    }
    return bundle;
  } catch {
    return plain; // no bundle (or an input gone): the plain build
  }
}

// Handles that mean the command is not done: file watchers (--watch), timers, child processes, sockets.
const KEEP_ALIVE = new Set(["StatWatcher", "FSEventWrap", "Timeout", "Immediate", "ProcessWrap", "TCPWrap", "TCPServerWrap"]);

/**
 * Ends the process once the command returned, unless it left something running: a normal exit first tears
 * down a heap of hundreds of MB after a large link (about 0.1 s). Standard output and error are written
 * synchronously on Linux and to files, so nothing is lost.
 */
export function exitWhenDone() {
  if (process.getActiveResourcesInfo().some((resource) => KEEP_ALIVE.has(resource))) return;
  process.exit();
}
