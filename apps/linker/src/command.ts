// How a command-line tool (linkkit, linkkit-ld) runs a command: here, writing to the process's standard
// output and error, or in a link server (server.ts) for a client, writing into the answer. An incremental
// command in a server starts from the session the server kept from its previous command and writes the
// state after the answer is out.
import type { CommandLineHost } from "./driver/lld-link-args.js";
import type { LinkHost } from "./host.js";
import { nodeHost } from "./node-host.js";
import { linkIncrementally, type IncrementalResult, type WarmSession } from "./incremental-state.js";
import type { LinkOptions } from "./options.js";
import { serveCommands, startServer, type CommandIo } from "./server.js";
import { LINKKIT_VERSION } from "./version.js";
import { faultInjection } from "./watch.js";
import { writeStderr, writeStdout } from "./stdio.js";

/** One command line; `served`: run by a link server for a client. Returns the exit code. */
export type ToolMain = (argv: string[], io: CommandIo, served: boolean) => number;

/** A command run in this process writes to its own standard output and error, and leaves nothing for later. */
const processIo: CommandIo = {
  out: writeStdout,
  err: writeStderr,
  later: (task) => { task(); },
};

/** What both command-line parsers read: response files, whether a path is a file, the environment. */
export const commandLineHost: CommandLineHost = {
  readText: (p) => new TextDecoder().decode(nodeHost.readFile(p)),
  fileExists: nodeHost.fileExists,
  env: nodeHost.env,
};

/** In a link server: the session of the last incremental command, kept for the next (see WarmSession). */
let warm: WarmSession | undefined;

/** An incremental link as a command runs it (crash tests inject their faults only outside a server). */
export function incrementalCommand(options: LinkOptions, host: LinkHost, io: CommandIo, served: boolean): IncrementalResult {
  const kept = served ? warm : undefined;
  warm = undefined;
  const result = linkIncrementally({ ...options, warnings: [] }, host, LINKKIT_VERSION, {
    afterWrite: served ? undefined : faultInjection(), warm: kept, deferState: served,
  });
  if (served) io.later(() => { warm = result.writeState(); });
  return result;
}

/**
 * Runs the tool's command line in this process, then starts a link server when the launcher asked for one
 * and found none (LINKKIT_SERVER_SOCKET); or, started that way (`--linkkit-server SOCKET FIRST-COMMAND...`),
 * serves. A server first runs the command that started it again when it was incremental: that takes up the
 * state the command left, before the first client comes.
 */
export function runTool(main: ToolMain, isIncremental: (argv: readonly string[]) => boolean): void {
  const argv = process.argv.slice(2);
  if (argv[0] === "--linkkit-server" && argv[1] !== undefined) {
    const first = argv.slice(2);
    const quiet: CommandIo = { out: () => {}, err: () => {}, later: (task) => { task(); } };
    serveCommands(argv[1], (command, io) => main(command, io, true), () => {
      if (!isIncremental(first)) return; // a full link is not repeated
      main(first, quiet, true);
      warm?.session.prepareUpdates();
    });
    return;
  }
  process.exitCode = main(argv, processIo, false);
  if (process.env.LINKKIT_SERVER_SOCKET && process.argv[1]) startServer(process.argv[1]);
}

/**
 * Tells the launcher (bin/fresh-bundle.js) that this run linked: it keeps V8's code cache only from such a
 * run. A run that only printed a version or an error compiles a fraction of the linker, and every later
 * run would take a cache made then and compile the rest afresh each time (~9 ms of a small link).
 */
export function markLinked(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for("linkkit.linked")] = true;
}

/** `/time`'s table: each phase, then the total. */
export function printTimings(timings: readonly (readonly [string, number])[], io: CommandIo): void {
  let total = 0;
  for (const [phase, ms] of timings) {
    total += ms;
    io.err(`  ${phase.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms\n`);
  }
  io.err(`  ${"total".padEnd(16)} ${total.toFixed(1).padStart(9)} ms\n`);
}
