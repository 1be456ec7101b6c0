#!/usr/bin/env node
// linkkit: the lld-link flavoured command line.
import { parseLldLinkArgs } from "../driver/lld-link-args.js";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";

function main(argv: string[]): number {
  try {
    const options = parseLldLinkArgs(argv, {
      readText: (p) => new TextDecoder().decode(nodeHost.readFile(p)),
      fileExists: nodeHost.fileExists,
      env: nodeHost.env,
    });
    const result = link(options, nodeHost);
    for (const w of result.warnings) process.stderr.write(`linkkit: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) {
      let total = 0;
      for (const [phase, ms] of result.timings) {
        total += ms;
        process.stderr.write(`  ${phase.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms\n`);
      }
      process.stderr.write(`  ${"total".padEnd(16)} ${total.toFixed(1).padStart(9)} ms\n`);
    }
    if (options.verbose) process.stderr.write(`linkkit: wrote ${result.output} (${result.bytes.length} bytes)\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit", error);
  }
}

process.exitCode = main(process.argv.slice(2));
