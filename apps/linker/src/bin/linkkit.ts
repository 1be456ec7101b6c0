#!/usr/bin/env node
// linkkit: the lld-link flavoured command line.
import { parseLldLinkArgs } from "../driver/lld-link-args.js";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";
import { faultInjection, watchInputs } from "../watch.js";
import { linkIncrementally, type WarmSession } from "../incremental-state.js";
import { serveCommands, startServer, type CommandIo } from "../server.js";
import { LINKKIT_VERSION } from "../version.js";
import type { LinkOptions } from "../options.js";

/** A command run in this process writes to its own standard output and error, and leaves nothing for later. */
const processIo: CommandIo = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  later: (task) => { task(); },
};

function printTimings(timings: readonly (readonly [string, number])[], io: CommandIo): void {
  let total = 0;
  for (const [phase, ms] of timings) {
    total += ms;
    io.err(`  ${phase.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms\n`);
  }
  io.err(`  ${"total".padEnd(16)} ${total.toFixed(1).padStart(9)} ms\n`);
}

/** In the link server: the session of the last incremental command, kept for the next (see WarmSession). */
let warm: WarmSession | undefined;

function parseCommandLine(argv: readonly string[]): LinkOptions {
  return parseLldLinkArgs(argv, {
    readText: (p) => new TextDecoder().decode(nodeHost.readFile(p)),
    fileExists: nodeHost.fileExists,
    env: nodeHost.env,
  });
}

/** One command line; `served`: run by the link server for a client. */
function main(argv: string[], io: CommandIo, served: boolean): number {
  let options: LinkOptions;
  try {
    options = parseCommandLine(argv);
    for (const w of options.warnings) io.err(`linkkit: warning: ${w}\n`);
    const where = served ? `, link server ${process.pid}` : "";
    if (options.incremental) {
      const start = performance.now();
      const kept = served ? warm : undefined;
      warm = undefined;
      const result = linkIncrementally({ ...options, warnings: [] }, nodeHost, LINKKIT_VERSION, {
        afterWrite: served ? undefined : faultInjection(), warm: kept, deferState: served,
      });
      if (options.verbose) io.err(`linkkit: ${result.summary} (${(performance.now() - start).toFixed(1)} ms${where})\n`);
      if (served) io.later(() => { warm = result.writeState(); });
      if (options.watch && !served) watchInputs("linkkit", { ...options, warnings: [] }, result.session);
      return 0;
    }
    const result = link(options, nodeHost);
    for (const w of result.warnings) io.err(`linkkit: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) printTimings(result.timings, io);
    if (options.verbose) io.err(`linkkit: wrote ${result.output} (${result.bytes.length} bytes${where})\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit", error, io.err);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "--linkkit-server" && argv[1] !== undefined) {
  // The first command's line follows the socket: running it again restores its session (nothing changed).
  const first = argv.slice(2);
  const quiet: CommandIo = { out: () => {}, err: () => {}, later: (task) => { task(); } };
  serveCommands(argv[1], (command, io) => main(command, io, true), () => {
    if (!parseCommandLine(first).incremental) return; // a full link is not repeated
    main(first, quiet, true);
    warm?.session.prepareUpdates();
  });
} else {
  process.exitCode = main(argv, processIo, false);
  // `/server` and no server answered (the launcher said where one would listen): start one for next time.
  if (process.env.LINKKIT_SERVER_SOCKET && process.argv[1]) startServer(process.argv[1]);
}
