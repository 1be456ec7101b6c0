#!/usr/bin/env node
// linkkit-ld: the GNU ld (MinGW) flavoured command line, for `gcc -B` and `clang --ld-path`.
import { GNU_LD_VERSION_TEXT, parseGnuLdArgs } from "../driver/gnu-ld-args.js";
import { chmodSync } from "node:fs";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";

function main(argv: string[]): number {
  try {
    const { options, printVersion } = parseGnuLdArgs(argv, {
      readText: (p) => new TextDecoder().decode(nodeHost.readFile(p)),
      fileExists: nodeHost.fileExists,
      env: nodeHost.env,
    });
    if (printVersion) {
      process.stdout.write(`${GNU_LD_VERSION_TEXT}\n`);
      if (options.inputs.length === 0) return 0;
    }
    const result = link(options, nodeHost);
    // GNU ld makes its output executable; Wine and configure scripts expect that.
    try { chmodSync(result.output, 0o755); } catch { /* a file system without modes */ }
    for (const w of result.warnings) process.stderr.write(`linkkit-ld: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.time) {
      for (const [phase, ms] of result.timings) process.stderr.write(`  ${phase.padEnd(16)} ${ms.toFixed(1).padStart(9)} ms\n`);
    }
    if (options.verbose) process.stderr.write(`linkkit-ld: wrote ${result.output} (${result.bytes.length} bytes)\n`);
    return 0;
  } catch (error) {
    return reportFailure("linkkit-ld", error);
  }
}

process.exitCode = main(process.argv.slice(2));
