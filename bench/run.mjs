// `pnpm bench`: builds synthetic workloads with clang, links each with linkkit and lld-link (and a MinGW
// program with linkkit-ld and GNU ld), checks that every output runs like the reference under wine, and
// prints wall time, CPU time, peak memory and output size side by side.
//
//   node bench/run.mjs [--sizes S,M,L,mingw] [--runs N] [--jobs N] [--no-readme]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  BenchError, SYNTHETIC, buildMingw, buildSynthetic, linkerEnv, linkkitArgs, linkkitLdArgs, machineDescription, measure,
  median, mingwLinkArgs, missingTools, replaceReadmeSection, root, runUnderWine, startupCosts, syntheticLinkArgs, workRoot,
} from "./workloads.mjs";
import { microBenchmarks } from "./micro.mjs";

function parseArguments(argv) {
  const options = { sizes: ["S", "M", "L", "mingw"], runs: undefined, jobs: Math.min(availableParallelism(), 8), readme: true, micro: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v;
    };
    if (arg.startsWith("--sizes")) options.sizes = value().split(",").map((s) => (s.toLowerCase() === "mingw" ? "mingw" : s.toUpperCase()));
    else if (arg.startsWith("--runs")) options.runs = Number(value());
    else if (arg.startsWith("--jobs")) options.jobs = Number(value());
    else if (arg === "--no-readme") options.readme = false;
    else if (arg === "--no-micro") options.micro = false;
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: node bench/run.mjs [--sizes S,M,L,mingw] [--runs N] [--jobs N] [--no-readme] [--no-micro]");
      process.exit(0);
    } else fail(`unknown argument ${arg} (try --help)`);
  }
  for (const s of options.sizes) if (s !== "mingw" && !(s in SYNTHETIC)) fail(`unknown size ${s}: expected S, M, L or mingw`);
  if (options.runs !== undefined && !(options.runs >= 1)) fail("--runs expects a positive number");
  return options;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/** linkkit's `/time` lines: `  read   12.3 ms`. */
function parsePhases(output) {
  const phases = {};
  for (const m of output.matchAll(/^\s+(\S+)\s+([\d.]+) ms$/gm)) phases[m[1]] = Number(m[2]);
  return phases;
}

/** Links `workload` with both linkers, alternating which goes first, then checks the outputs under wine. */
async function benchWorkload(workload, linkers, runs) {
  const outDir = join(workload.dir, "out");
  mkdirSync(outDir, { recursive: true });
  const samples = new Map(linkers.map((l) => [l.name, []]));
  // One run of each linker that is not counted: a build leaves linkkit no V8 code cache, which its first run
  // writes (~0.1 s more), and each linker finds its inputs and its own output in the page cache after it.
  for (const linker of linkers) {
    await measure(linker.command, linker.args(join(outDir, linker.output)), { cwd: workload.dir });
    process.stdout.write(`\r  ${workload.name}: warm-up ${linker.name.padEnd(10)}   `);
  }
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? linkers : [...linkers].reverse();
    for (const linker of order) {
      const sample = await measure(linker.command, linker.args(join(outDir, linker.output)), { cwd: workload.dir });
      samples.get(linker.name).push(sample);
      process.stdout.write(`\r  ${workload.name}: run ${run + 1}/${runs} ${linker.name.padEnd(10)} ${sample.wall.toFixed(2)} s   `);
    }
  }
  process.stdout.write("\n");

  // A time counts only if the image it produced behaves exactly like the reference linker's.
  const reference = linkers[linkers.length - 1];
  const expected = runUnderWine(join(outDir, reference.output), outDir);
  if (expected.code === null || expected.code === 0) fail(`${workload.name}: the ${reference.name} image did not run under wine (exit ${expected.code})`);
  for (const linker of linkers.slice(0, -1)) {
    const got = runUnderWine(join(outDir, linker.output), outDir);
    if (got.code !== expected.code || got.stdout !== expected.stdout) {
      fail(`${workload.name}: ${linker.name}'s image differs under wine: exit ${got.code} vs ${expected.code}\n` +
        `--- ${linker.name}\n${got.stdout}--- ${reference.name}\n${expected.stdout}`);
    }
  }
  const lastLine = expected.stdout.split("\n").filter(Boolean).pop() ?? "";
  console.log(`  ${workload.name}: outputs agree under wine: "${lastLine}", exit ${expected.code}`);

  return linkers.map((linker) => {
    const s = samples.get(linker.name);
    const phaseNames = Object.keys(parsePhases(s[0].output));
    return {
      workload: workload.name, linker: linker.name, inputMB: workload.inputMB, objects: workload.objects.length,
      wall: median(s.map((x) => x.wall)), cpu: median(s.map((x) => x.cpu)), peakMB: median(s.map((x) => x.peakMB)),
      outputKB: statSync(join(outDir, linker.output)).size / 1024, runs, isReference: linker === reference,
      phases: Object.fromEntries(phaseNames.map((p) => [p, median(s.map((x) => parsePhases(x.output)[p] ?? 0))])),
    };
  });
}

function syntheticLinkers(workload) {
  return [
    { name: "linkkit", command: process.execPath, output: "linkkit.exe", args: (out) => [...linkkitArgs, "/time", ...syntheticLinkArgs(workload, out)] },
    { name: "lld-link", command: "lld-link", output: "lld-link.exe", args: (out) => syntheticLinkArgs(workload, out) },
  ];
}

function mingwLinkers(workload) {
  return [
    { name: "linkkit-ld", command: process.execPath, output: "linkkit-ld.exe", args: (out) => [...linkkitLdArgs, ...mingwLinkArgs(workload, out)] },
    { name: "GNU ld", command: "x86_64-w64-mingw32-ld", output: "gnu-ld.exe", args: (out) => mingwLinkArgs(workload, out) },
  ];
}

const fmt = (n, digits = 2) => n.toFixed(digits);

function renderTables(results, notes) {
  const lines = [];
  // CPU time is reported beside wall time: on a shared machine it is the steadier of the two.
  lines.push("| workload | input | linker | wall (s) | CPU (s) | peak RSS (MB) | output (KB) | wall ratio | CPU ratio | memory ratio |");
  lines.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const ref = results.find((x) => x.workload === r.workload && x.isReference);
    // GNU time counts CPU in hundredths of a second: a reference that took none has no ratio.
    const ratio = (a, b) => (r.isReference ? "1.00" : b > 0 ? `${fmt(a / b)}×` : "n/a");
    lines.push(`| ${r.workload} | ${r.objects} objects, ${fmt(r.inputMB, 1)} MB | ${r.linker} | ${fmt(r.wall)} | ${fmt(r.cpu)} | ${fmt(r.peakMB, 0)} | ${fmt(r.outputKB, 0)} | ${ratio(r.wall, ref.wall)} | ${ratio(r.cpu, ref.cpu)} | ${ratio(r.peakMB, ref.peakMB)} |`);
  }
  for (const note of notes) lines.push("", note);

  // linkkit's own phases, and time per MB of input: flat from S to L means linear.
  const own = results.filter((r) => r.linker === "linkkit");
  if (own.length > 0) {
    const phaseNames = [...new Set(own.flatMap((r) => Object.keys(r.phases)))].filter((p) => p !== "total");
    lines.push("", "linkkit `/time` phases (median ms; the rest of the wall time is Node's start-up and loading linkkit) and the growth from S to L:", "");
    lines.push(`| workload | ${phaseNames.join(" | ")} | in-process total | wall (ms) | wall per MB (ms) | in-process per MB (ms) |`);
    lines.push(`| --- | ${phaseNames.map(() => "---:").join(" | ")} | ---: | ---: | ---: | ---: |`);
    for (const r of own) {
      const total = phaseNames.reduce((s, p) => s + (r.phases[p] ?? 0), 0);
      lines.push(`| ${r.workload} | ${phaseNames.map((p) => fmt(r.phases[p] ?? 0, 0)).join(" | ")} | ${fmt(total, 0)} | ${fmt(r.wall * 1000, 0)} | ${fmt((r.wall * 1000) / r.inputMB, 1)} | ${fmt(total / r.inputMB, 1)} |`);
    }
    const small = own.find((r) => r.workload === "S"), large = own.find((r) => r.workload === "L");
    if (small && large) {
      const inProcess = (r) => phaseNames.reduce((s, p) => s + (r.phases[p] ?? 0), 0);
      lines.push("", `Growth S → L: input ×${fmt(large.inputMB / small.inputMB, 1)}, wall ×${fmt(large.wall / small.wall, 1)}, ` +
        `in-process time ×${fmt(inProcess(large) / inProcess(small), 1)} (linear would be ×${fmt(large.inputMB / small.inputMB, 1)}; ` +
        `less means the fixed start-up and JIT warm-up weigh on S).`);
    }
  }
  return lines.join("\n");
}

function updateReadme(table, machine, command) {
  const section = `## Benchmarks

\`pnpm bench\` builds synthetic programs with clang (\`bench/generate.mjs\`: modules × 300 small functions,
cross-module calls, data, tables of function pointers, kernel32 imports, \`-ffunction-sections\`) at three
sizes, S ≈ 1 MB, M ≈ 5 MB and L ≈ 50 MB of objects, and a MinGW C program (\`bench/mingw\`); it links each
with linkkit and with the reference linker, once each unmeasured (a build leaves linkkit no code cache, which
its first run writes), then alternating, and counts a time only after both images printed the same output
and exit code under wine. Medians; CPU is user + sys of the linker process, memory its peak RSS
(GNU time). linkkit runs as \`pnpm exec linkkit\` does: \`node\`, the Node flags of the launcher's \`#!\` line
(\`--v8-pool-size=0\`), then \`apps/linker/bin/linkkit.js\`. Every linker runs
without NODE_EXTRA_CA_CERTS, which Node 20 reads at start-up (a TLS setting a linker never needs). Targets
(issue 6): on L at most 1.5× lld-link's wall time and 2× its memory; on S at most 3× its wall time.
\`node bench/run.mjs --help\` lists the options; \`bench/workloads.mjs\` exports the workload builders for
other bench scripts.

Latest run (\`${command}\`) on ${machine}:

${table}
`;
  replaceReadmeSection("## Benchmarks", section);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const missing = missingTools(options.sizes.includes("mingw"));
  if (missing !== undefined) fail(missing);
  if (!existsSync(join(root, "apps/linker/dist/bin/linkkit.js"))) fail("apps/linker is not built: run `pnpm bench` (it builds first) or `pnpm build`");
  mkdirSync(workRoot, { recursive: true });
  const machine = machineDescription();
  const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`bench on ${machine}`);

  const results = [];
  const notes = [];
  for (const size of options.sizes) {
    if (size === "mingw") continue;
    const workload = await buildSynthetic(size, { jobs: options.jobs });
    results.push(...await benchWorkload(workload, syntheticLinkers(workload), options.runs ?? SYNTHETIC[size].runs));
  }
  if (options.sizes.includes("mingw")) {
    const workload = buildMingw();
    const runs = options.runs ?? 7;
    const probe = spawnSync(process.execPath, [...linkkitLdArgs, ...mingwLinkArgs(workload, join(workload.dir, "probe.exe"))], { cwd: workload.dir, env: linkerEnv, encoding: "utf8" });
    if (probe.status !== 0) {
      const note = `MinGW row skipped: linkkit-ld failed: ${(probe.stderr || probe.stdout || String(probe.error)).trim().split("\n").slice(0, 3).join(" / ")}.`;
      console.log(`  mingw: ${note}`);
      notes.push(note);
    } else {
      results.push(...await benchWorkload(workload, mingwLinkers(workload), runs));
    }
  }
  const startup = await startupCosts();
  const loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  notes.push(`Load average before and after the run: ${loadBefore} / ${loadAfter} (${availableParallelism()} CPUs; above that, wall times include waiting for a CPU).`);
  notes.push(`Node's own start-up (\`node -e 0\`) is ${fmt(startup.node * 1000, 0)} ms of each linkkit wall time` +
    (startup.extraCaCerts > 0.002 ? `; NODE_EXTRA_CA_CERTS, when set, would add ${fmt(startup.extraCaCerts * 1000, 0)} ms more.` : "."));

  let micro = [];
  if (options.micro) {
    console.log("  micro-benchmarks of the packages…");
    micro = microBenchmarks();
  }

  let table = renderTables(results, notes);
  if (micro.length > 0) {
    table += "\n\nPackage micro-benchmarks (in-process, JIT warmed up, median of 5):\n\n| what | ms |\n| --- | ---: |\n" +
      micro.map((m) => `| ${m.name} | ${fmt(m.ms, 1)} |`).join("\n");
  }
  console.log(`\n${table}\n`);
  writeFileSync(join(workRoot, "results.json"), JSON.stringify({ machine, date: new Date().toISOString(), results, notes, micro }, null, 2) + "\n");
  if (options.readme) {
    const command = ["pnpm bench", ...process.argv.slice(2).filter((a) => a !== "--no-readme")].join(" ");
    updateReadme(table, machine, command);
    console.log("README.md: Benchmarks section updated");
  }
}

main().catch((error) => fail(error instanceof BenchError ? error.message : error.stack ?? String(error)));
