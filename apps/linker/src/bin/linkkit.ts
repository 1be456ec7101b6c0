#!/usr/bin/env node
// linkkit: the lld-link flavoured command line.
import { parseLldLinkArgs } from "../driver/lld-link-args.js";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import { reportFailure } from "../cli.js";
import { faultInjection, watchInputs } from "../watch.js";
import { linkIncrementally } from "../incremental-state.js";
import { LINKKIT_VERSION } from "../version.js";
import type { LinkOptions } from "../options.js";

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
      if (options.watch) watchInputs("linkkit", { ...options, warnings: [] }, result.session);
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

process.exitCode = main(process.argv.slice(2));
