#!/usr/bin/env node
// linkkit: the lld-link flavoured command line.
import { watchFile, unwatchFile } from "node:fs";
import { parseLldLinkArgs } from "../driver/lld-link-args.js";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";
import { isObjectPath, linkIncrementally } from "../incremental-state.js";
import { LINKKIT_VERSION } from "../version.js";
import type { LinkOptions } from "../options.js";
import type { LinkSession } from "../session.js";

/** Crash tests stop the process after the N-th write of an update (LINKKIT_CRASH_AFTER_WRITE=N). */
function faultInjection(): ((i: number) => void) | undefined {
  const n = Number(process.env.LINKKIT_CRASH_AFTER_WRITE);
  if (!Number.isInteger(n) || n < 0) return undefined;
  return (i) => { if (i + 1 >= n) process.exit(99); };
}

function printTimings(timings: readonly (readonly [string, number])[]): void {
  let total = 0;
  for (const [phase, ms] of timings) {
    total += ms;
    process.stderr.write(`  ${phase.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms\n`);
  }
  process.stderr.write(`  ${"total".padEnd(16)} ${total.toFixed(1).padStart(9)} ms\n`);
}

function main(argv: string[]): number {
  let options: LinkOptions;
  try {
    options = parseLldLinkArgs(argv, {
      readText: (p) => new TextDecoder().decode(nodeHost.readFile(p)),
      fileExists: nodeHost.fileExists,
      env: nodeHost.env,
    });
    for (const w of options.warnings) process.stderr.write(`linkkit: warning: ${w}\n`);
    if (options.incremental) {
      const start = performance.now();
      const result = linkIncrementally({ ...options, warnings: [] }, nodeHost, LINKKIT_VERSION, faultInjection());
      if (options.verbose) process.stderr.write(`linkkit: ${result.summary} (${(performance.now() - start).toFixed(1)} ms)\n`);
      if (options.watch) watch({ ...options, warnings: [] }, result.session);
      return 0;
    }
    const result = link(options, nodeHost);
    for (const w of result.warnings) process.stderr.write(`linkkit: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) printTimings(result.timings);
    if (options.verbose) process.stderr.write(`linkkit: wrote ${result.output} (${result.bytes.length} bytes)\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit", error);
  }
}

/** --watch: relink in place on every change of an input object, one line per update. */
function watch(options: LinkOptions, session: LinkSession): void {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const objects = options.inputs.filter((p) => /\.(obj|o|lib|a)$/i.test(p));
  const update = () => {
    timer = undefined;
    const paths = [...changed];
    changed.clear();
    try {
      for (const p of paths) {
        if (isObjectPath(p)) session.replaceObject(p);
        else session.replaceLibrary(p);
      }
      const r = session.flush();
      const how = r.mode === "incremental" ? `incremental, ${r.atomsPlaced} placed, ${r.atomsMoved} moved, ${r.relocationsApplied} relocations, ${r.bytesWritten} bytes written` : `full link (${r.reason})`;
      process.stdout.write(`linkkit: updated ${session.output} for ${paths.join(", ")}: ${how} in ${r.milliseconds.toFixed(1)} ms\n`);
    } catch (error) {
      reportFailure("linkkit", error);
    }
  };
  for (const path of objects) {
    watchFile(path, { interval: 50 }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
      changed.add(path);
      // Debounce: a compiler writes in several steps.
      if (timer) clearTimeout(timer);
      timer = setTimeout(update, 30);
    });
  }
  process.stdout.write(`linkkit: watching ${objects.length} inputs (Ctrl-C to stop)\n`);
  // While nothing has changed yet: the first update then costs what the next ones do.
  setImmediate(() => session.prepareUpdates());
  process.on("SIGINT", () => { for (const p of objects) unwatchFile(p); process.exit(0); });
  process.on("SIGTERM", () => { for (const p of objects) unwatchFile(p); process.exit(0); });
}

process.exitCode = main(process.argv.slice(2));
