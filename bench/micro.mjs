// Package micro-benchmarks, measured here rather than asserted in unit tests (a loaded CI machine makes timed
// assertions flaky): each workload runs once to warm the JIT, then five times; the median is reported.
//
//   node bench/micro.mjs
import { fileURLToPath } from "node:url";
import { StringTable, readStringTable } from "../packages/strtab/dist/index.js";

function timed(name, run) {
  run(); // JIT warm-up: the linker's inner loops run warm after the first object
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { name, ms: times[2] };
}

/** The string-table workload of a large link: 120k mangled names (formerly a timed test in packages/strtab). */
function strtab120k() {
  const list = Array.from({ length: 120_000 }, (_, i) => `?function_${i}@@YAXH@Z`);
  return [
    timed("strtab: add 120k names, serialize, read each back (COFF)", () => {
      const t = new StringTable("coff");
      for (const s of list) t.add(s);
      const r = readStringTable(t.serialize(), "coff");
      for (const s of list) if (r.getString(t.offsetOf(s)) !== s) throw new Error(`strtab read back ${s} wrongly`);
    }),
    timed("strtab: 120k names with tail merging (ELF)", () => {
      const merged = StringTable.from(list, "elf", { tailMerge: true });
      if (merged.count !== list.length + 1) throw new Error("strtab tail merge lost names");
    }),
  ];
}

export function microBenchmarks() {
  return [...strtab120k()];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const m of microBenchmarks()) console.log(`${m.ms.toFixed(1).padStart(8)} ms  ${m.name}`);
}
