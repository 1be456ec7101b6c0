#!/usr/bin/env node
// linkkit-ld: the GNU ld (MinGW) flavoured command line, for `gcc -B` and `clang --ld-path`.
import { GNU_LD_VERSION_TEXT, parseGnuLdArgs } from "../driver/gnu-ld-args.js";
import { chmodSync } from "node:fs";
import { link } from "../link.js";
import { nodeHost } from "../node-host.js";
import type { LinkHost } from "../host.js";
import { reportFailure } from "../cli.js";
import { linkIncrementally } from "../incremental-state.js";
import { LINKKIT_VERSION } from "../version.js";
import { faultInjection, watchInputs } from "../watch.js";

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
    if (options.incremental) {
      const start = performance.now();
      const result = linkIncrementally({ ...options, warnings: [] }, hostMakingExecutable(options.output), LINKKIT_VERSION, { afterWrite: faultInjection() });
      const output = result.output;
      if (options.verbose) {
        process.stderr.write(`linkkit-ld: ${result.summary} (${(performance.now() - start).toFixed(1)} ms)\n`);
        process.stderr.write(`linkkit-ld: wrote ${output}\n`);
      }
      if (options.watch) watchInputs("linkkit-ld", { ...options, warnings: [] }, result.session);
      return 0;
    }
    const result = link(options, hostMakingExecutable(options.output));
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
