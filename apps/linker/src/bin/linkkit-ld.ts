#!/usr/bin/env node
// linkkit-ld: the GNU ld (MinGW) flavoured command line, for `gcc -B` and `clang --ld-path`.
import { GNU_LD_VERSION_TEXT, parseGnuLdArgs, type GnuLdCommand } from "../driver/gnu-ld-args.js";
import { chmodSync } from "node:fs";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import type { LinkHost } from "../host.js";
import { reportFailure } from "../cli.js";
import { commandLineHost, incrementalCommand, markLinked, printTimings, runTool } from "../command.js";
import type { CommandIo } from "../server.js";
import { watchInputs } from "../watch.js";
import { now } from "../clock.js";

/** GNU ld makes its output executable; Wine and configure scripts expect that. */
function makeExecutable(path: string): void {
  try { chmodSync(path, 0o755); } catch { /* a file system without modes */ }
}

/**
 * Node's file system, the output made executable as soon as it is written whole: before `--incremental`
 * records the output's change time (a later chmod would make the state look stale).
 */
function hostMakingExecutable(output: string | undefined): LinkHost {
  return {
    ...nodeHost,
    writeFileAtomic: (path, bytes) => {
      nodeHost.writeFileAtomic(path, bytes);
      if (path === output) makeExecutable(path);
    },
  };
}

function parseCommandLine(argv: readonly string[]): GnuLdCommand {
  return parseGnuLdArgs(argv, commandLineHost);
}

/** One command line; `served`: run by a link server (`--server`) for a client. */
function main(argv: string[], io: CommandIo, served: boolean): number {
  try {
    const { options, printVersion } = parseCommandLine(argv);
    if (printVersion) {
      io.out(`${GNU_LD_VERSION_TEXT}\n`);
      if (options.inputs.length === 0) return 0;
    }
    const where = served ? `, link server ${process.pid}` : "";
    if (options.incremental) {
      const start = now();
      const result = incrementalCommand(options, hostMakingExecutable(options.output), io, served);
      markLinked();
      if (options.verbose) {
        io.err(`linkkit-ld: ${result.summary} (${(now() - start).toFixed(1)} ms${where})\n`);
        io.err(`linkkit-ld: wrote ${result.output}\n`);
      }
      if (options.watch && !served) watchInputs("linkkit-ld", { ...options, warnings: [] }, result.session);
      return 0;
    }
    const result = link(options, hostMakingExecutable(options.output));
    markLinked();
    for (const w of result.warnings) io.err(`linkkit-ld: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) printTimings(result.timings, io);
    if (options.verbose) io.err(`linkkit-ld: wrote ${result.output} (${result.bytes.length} bytes${where})\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit-ld", error, io.err);
  }
}

runTool(main, (argv) => parseCommandLine(argv).options.incremental);
