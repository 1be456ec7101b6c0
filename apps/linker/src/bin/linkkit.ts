#!/usr/bin/env node
// linkkit: the lld-link flavoured command line.
import { parseLldLinkArgs } from "../driver/lld-link-args.js";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";
import { commandLineHost, incrementalCommand, markLinked, printTimings, runTool } from "../command.js";
import { watchInputs } from "../watch.js";
import type { CommandIo } from "../server.js";
import type { LinkOptions } from "../options.js";
import { now } from "../clock.js";

function parseCommandLine(argv: readonly string[]): LinkOptions {
  return parseLldLinkArgs(argv, commandLineHost);
}

/** One command line; `served`: run by the link server for a client. */
function main(argv: string[], io: CommandIo, served: boolean): number {
  let options: LinkOptions;
  try {
    options = parseCommandLine(argv);
    for (const w of options.warnings) io.err(`linkkit: warning: ${w}\n`);
    const where = served ? `, link server ${process.pid}` : "";
    if (options.incremental) {
      const start = now();
      const result = incrementalCommand(options, nodeHost, io, served);
      markLinked();
      if (options.verbose) io.err(`linkkit: ${result.summary} (${(now() - start).toFixed(1)} ms${where})\n`);
      if (options.watch && !served) watchInputs("linkkit", { ...options, warnings: [] }, result.session);
      return 0;
    }
    const result = link(options, nodeHost);
    markLinked();
    for (const w of result.warnings) io.err(`linkkit: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) printTimings(result.timings, io);
    if (options.verbose) io.err(`linkkit: wrote ${result.output} (${result.bytes.length} bytes${where})\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit", error, io.err);
  }
}

runTool(main, (argv) => parseCommandLine(argv).incremental);
