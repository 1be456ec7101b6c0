// `pnpm bench:incremental` (also run by `pnpm bench`): what an edit of one module costs. For each
// synthetic workload, one module is edited (a function body changes, then a function is added) and
// recompiled; then
//   - lld-link links the edited objects from scratch (the bar),
//   - `linkkit /incremental` relinks: as a user runs it (a resident link server, its default, answers)
//     and in a fresh process from its state next to the output (`/server:no`),
//   - a LinkSession (the engine of `linkkit --watch`) applies the same edit in memory,
// and every output is run under wine against lld-link's. Printed: medians of wall time, bytes written.
//
//   node bench/incremental.mjs [--sizes S,M,L] [--runs N]
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BenchError, buildSynthetic, CLANG_FLAGS, LINK_FLAGS, linkkitArgs, machineDescription, measure, median, missingTools, replaceReadmeSection,
  root, runOk, runUnderWine, workRoot,
} from "./workloads.mjs";
import { moduleSource } from "./generate.mjs";

const EDITED_MODULE = 1;

function parseArguments(argv) {
  const options = { sizes: ["S", "M", "L"], runs: 5, readme: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i]);
    // `pnpm bench ARGS` hands run.mjs's options to this script too: the ones meant for run.mjs are skipped.
    if (arg.startsWith("--sizes")) options.sizes = value().split(",").map((s) => s.toUpperCase()).filter((s) => s !== "MINGW");
    else if (arg.startsWith("--runs")) options.runs = Number(value());
    else if (arg.startsWith("--jobs")) value();
    else if (arg === "--no-readme") options.readme = false;
    else throw new BenchError(`unknown argument ${arg} (expected --sizes S,M,L and --runs N)`);
  }
  return options;
}

/**
 * The edited module's variants: `body` changes one function's constants (same shape), `grow` adds a
 * function that calls others (the module grows and gains references). Each compiled once, up front.
 */
function buildVariants(workload, dir) {
  const original = moduleSource(EDITED_MODULE, workload.modules, workload.functions);
  const firstConstant = /\(x \* (\d+) \+ (\d+)\)/;
  const body = original.replace(firstConstant, (_, mul, add) => `(x * ${Number(mul) + 2} + ${Number(add) + 17})`);
  if (body === original) throw new BenchError("bench/incremental: the generated module has no leaf function to edit");
  const leaf = `m${EDITED_MODULE}_f0`;
  const grow = `${body}\nint m${EDITED_MODULE}_extra(int x) { int y = 0; for (int i = 0; i < x; i++) y += ${leaf}(i) ^ (y >> 2); return y; }\n`;
  const variants = {};
  for (const [name, text] of Object.entries({ original, body, grow })) {
    const vdir = join(dir, name);
    mkdirSync(vdir, { recursive: true });
    writeFileSync(join(vdir, `m${EDITED_MODULE}.c`), text);
    runOk("clang", [...CLANG_FLAGS, `m${EDITED_MODULE}.c`], { cwd: vdir });
    variants[name] = join(vdir, `m${EDITED_MODULE}.o`);
  }
  return variants;
}

async function benchSize(size, runs, LinkSession, parseLldLinkArgs, nodeHost) {
  const workload = await buildSynthetic(size);
  const dir = join(workRoot, `incremental-${size}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const variants = buildVariants(workload, dir);
  // The link reads the edited module from `dir`; the other objects stay where the workload built them.
  const edited = join(dir, `m${EDITED_MODULE}.o`);
  const objects = workload.objects.map((o) => (o.endsWith(`/m${EDITED_MODULE}.o`) ? edited : o));
  const rsp = join(dir, "link.rsp");
  writeFileSync(rsp, [...objects, ...workload.libraries].map((f) => `"${f}"`).join("\n") + "\n");
  const out = join(dir, "app.exe"), ref = join(dir, "ref.exe");
  const args = (output) => [...LINK_FLAGS, `/out:${output}`, `@${rsp}`];
  const verify = (label, image = out) => {
    const expected = runUnderWine(ref, dir), got = runUnderWine(image, dir);
    if (got.code !== expected.code || got.stdout !== expected.stdout) {
      throw new BenchError(`${size} ${label}: linkkit's image differs from lld-link's under wine: exit ${got.code} vs ${expected.code}, output ${JSON.stringify(got.stdout.slice(0, 200))} vs ${JSON.stringify(expected.stdout.slice(0, 200))}`);
    }
  };
  const lldFull = async () => (await measure("lld-link", args(ref))).wall;

  // The one-shot command line: a first full link that keeps state, then edits relinked in place.
  copyFileSync(variants.original, edited);
  const first = await measure(process.execPath, [...linkkitArgs, "/incremental", "/server:no", "/verbose", ...args(out)]);
  if (!/full link: no incremental state/.test(first.output)) throw new BenchError(`${size}: expected a first full link, got: ${first.output}`);
  const oneShot = [], oneShotBytes = [], stateBytes = [], lld = [];
  let stateSize = 0;
  for (let r = 0; r < runs; r++) {
    copyFileSync(r % 2 === 0 ? variants.body : variants.original, edited);
    const m = await measure(process.execPath, [...linkkitArgs, "/incremental", "/server:no", "/verbose", ...args(out)]);
    const line = /incremental link: .*?(\d+) bytes written/.exec(m.output);
    if (!line) throw new BenchError(`${size}: the relink was not incremental: ${m.output}`);
    oneShot.push(m.wall);
    oneShotBytes.push(Number(line[1]));
    // Besides the output, a run writes the saved session (the manifest says how much of it).
    stateBytes.push(await stateWritten(out, size));
    stateSize = statSync(join(`${out}.linkkit`, "session.state")).size;
    lld.push(await lldFull());
    verify(`one-shot run ${r + 1}`);
  }

  // The one-shot command as users run it: `/incremental` hands later runs to a resident linkkit the first
  // run started (apps/linker/src/server.ts). It warms up as --watch does (six untimed runs; the first
  // served run is reported on its own), then the same edits are timed. Its memory is its own peak RSS.
  const serverOut = join(dir, "served.exe");
  const serverArgs = [...linkkitArgs, "/incremental", "/verbose", ...args(serverOut)];
  copyFileSync(variants.original, edited);
  await measure(process.execPath, serverArgs);
  const served = [], servedStateBytes = [];
  let serverPid, firstServedMs, servedRuns = 0;
  for (let r = 0; served.length < runs; r++) {
    if (r > 40) throw new BenchError(`${size}: no link server answered`);
    copyFileSync(r % 2 === 0 ? variants.body : variants.original, edited);
    const m = await measure(process.execPath, serverArgs);
    const line = /incremental link: .*, link server (\d+)\)/.exec(m.output);
    if (!line) { await new Promise((resolve) => setTimeout(resolve, 300)); continue; } // not up yet: this run linked in its own process
    serverPid ??= Number(line[1]);
    firstServedMs ??= m.wall;
    if (++servedRuns <= 6) continue;
    served.push(m.wall);
    servedStateBytes.push(await stateWritten(serverOut, size));
    await lldFull();
    verify(`served run ${served.length}`, serverOut);
  }
  const serverRssMB = serverPid ? Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${serverPid}/status`, "utf8"))?.[1] ?? 0) / 1024 : 0;
  if (serverPid) process.kill(serverPid);

  // The session (what --watch runs on each change): the same edits, in memory, no process start.
  copyFileSync(variants.original, edited);
  const sessionOut = join(dir, "session.exe");
  const options = parseLldLinkArgs([...LINK_FLAGS, `/out:${sessionOut}`, `@${rsp}`], {
    readText: (p) => readFileSync(p, "utf8"), fileExists: nodeHost.fileExists, env: () => undefined,
  });
  const openStart = performance.now();
  const session = LinkSession.open(options, nodeHost);
  const openMs = performance.now() - openStart;
  session.prepareUpdates(); // as --watch does while it waits for the first change
  // --watch is a long-lived process: six updates first, untimed, so that the medians are of optimised code,
  // not of V8 warming up (about five updates; the first update of a fresh process is reported on its own).
  let firstUpdateMs = 0;
  for (const [i, kind] of ["body", "original", "grow", "original", "body", "original"].entries()) {
    const start = performance.now();
    session.replaceObject(edited, readFileSync(variants[kind]));
    session.flush();
    if (i === 0) firstUpdateMs = performance.now() - start;
  }
  const edits = { body: [], grow: [] };
  const bytes = { body: [], grow: [] };
  for (const kind of ["body", "grow"]) {
    for (let r = 0; r < runs * 2; r++) {
      const variant = r % 2 === 0 ? variants[kind] : variants.original;
      session.replaceObject(edited, readFileSync(variant));
      const report = session.flush();
      if (report.mode !== "incremental") throw new BenchError(`${size}: session update fell back to a full link: ${report.reason}`);
      edits[kind].push(report.milliseconds);
      bytes[kind].push(report.bytesWritten);
    }
  }
  // The last flush left the original: check it, then the grown variant.
  copyFileSync(variants.original, edited);
  await lldFull();
  copyFileSync(sessionOut, out);
  verify("session, original");
  session.replaceObject(edited, readFileSync(variants.grow));
  session.flush();
  copyFileSync(variants.grow, edited);
  await lldFull();
  copyFileSync(sessionOut, out);
  verify("session, grown");

  return {
    size, inputMB: workload.inputMB, objects: objects.length, lldWall: median(lld), firstWall: first.wall,
    oneShotWall: median(oneShot), oneShotBytes: median(oneShotBytes), stateBytes: median(stateBytes), openMs, firstUpdateMs,
    servedWall: median(served), firstServedWall: firstServedMs, serverRssMB, servedStateBytes: median(servedStateBytes), stateSize,
    bodyMs: median(edits.body), bodyBytes: median(bytes.body), growMs: median(edits.grow), growBytes: median(bytes.grow),
  };
}

export async function incrementalBenchmarks({ sizes = ["S", "M", "L"], runs = 5 } = {}) {
  const missing = missingTools(false);
  if (missing) throw new BenchError(missing);
  const { LinkSession, parseLldLinkArgs, nodeHost } = await import(pathToFileURL(join(root, "apps/linker/dist/index.js")).href);
  const rows = [];
  for (const size of sizes) {
    process.stdout.write(`incremental ${size}: `);
    const row = await benchSize(size, runs, LinkSession, parseLldLinkArgs, nodeHost);
    console.log(`done (outputs agree with lld-link's under wine)`);
    rows.push(row);
  }
  return rows;
}

/**
 * Bytes the last run's write of the saved session wrote (its manifest says). A link server writes the state
 * after answering, then the manifest: this waits for it.
 */
async function stateWritten(out, size) {
  const path = join(`${out}.linkkit`, "manifest.json");
  for (let tries = 0; tries < 200; tries++) {
    try {
      const written = JSON.parse(readFileSync(path, "utf8")).saved?.written;
      if (typeof written === "number") return written;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new BenchError(`${size}: no state was written after an update`);
}

function readmeSection(rows) {
  return `## Incremental benchmarks

\`node bench/incremental.mjs\` (also run by \`pnpm bench\`): one module of each workload is edited (a function
body changes; then a function is added) and recompiled; lld-link links the edited objects from scratch, and
linkkit relinks them three ways. \`linkkit /incremental\` as users run it: the first run links and starts a
resident link server for the command line, later runs hand it their command (it keeps the session in memory
and writes the state after answering; apps/linker/src/server.ts), timed after six untimed runs, with the
first served run and the server's own peak memory shown. The same command in a fresh process
(\`/server:no\`): it restores the saved session (reading it whole, which grows with the program), updates,
and rewrites the saved session whole (the server patches it: only the pages that changed since its last write). And a \`LinkSession\` (what \`linkkit --watch\` runs on each change) applying the same edits in memory:
its medians come after six untimed updates (V8 optimises the update path over about five), the first update
of a fresh process is shown apart. Every output is run under wine against lld-link's before a time counts.
Targets (issue 5): one-shot at most lld-link ÷ 5, a \`--watch\` update on L under 20 ms, bytes written and time
following the change, not the program.

Latest run on ${machineDescription()}:

${incrementalTable(rows)}
`;
}

export function incrementalTable(rows) {
  const ms = (s) => `${(s * 1000).toFixed(0)} ms`;
  const lines = [
    "| workload | objects | lld-link full link | linkkit `/incremental`, first (full) | linkkit `/incremental`, one module edited (first served; server's peak RSS) | ratio to lld-link | the same in a fresh process (`/server:no`) | ratio to lld-link | bytes written to the output | saved session: size; written by an update, served / fresh process | session: first update | session update: body edit | session update: function added |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(`| ${r.size} | ${r.objects}, ${r.inputMB.toFixed(1)} MB | ${ms(r.lldWall)} | ${ms(r.firstWall)} | ${ms(r.servedWall)} (${ms(r.firstServedWall)}; ${r.serverRssMB.toFixed(0)} MB) | ${(r.servedWall / r.lldWall).toFixed(2)} × | ${ms(r.oneShotWall)} | ${(r.oneShotWall / r.lldWall).toFixed(2)} × | ${(r.oneShotBytes / 1024).toFixed(1)} KB | ${(r.stateSize / 2 ** 20).toFixed(1)} MB; ${(r.servedStateBytes / 1024).toFixed(1)} KB / ${(r.stateBytes / 1024).toFixed(1)} KB | ${r.firstUpdateMs.toFixed(1)} ms | ${r.bodyMs.toFixed(1)} ms, ${(r.bodyBytes / 1024).toFixed(1)} KB | ${r.growMs.toFixed(1)} ms, ${(r.growBytes / 1024).toFixed(1)} KB |`);
  }
  return lines.join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const options = parseArguments(process.argv.slice(2));
    const rows = await incrementalBenchmarks(options);
    console.log(`\n${machineDescription()}\n`);
    console.log(incrementalTable(rows));
    if (options.readme) {
      replaceReadmeSection("## Incremental benchmarks", readmeSection(rows));
      console.log("README.md: Incremental benchmarks section updated");
    }
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    console.error(`bench: ${error.message}`);
    process.exit(1);
  }
}
