// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time and the most
// total (inclusive) time, with their source file and line, so a profile can be read without DevTools.
//
//   node bench/profile-summary.mjs profile.cpuprofile [--top N] [--lines] [--under NAME]
//
// --under NAME keeps only the samples taken while a function named NAME was on the stack (one command of
// a link server, say, without its idle time and state writing).
// --lines adds the hottest source lines (V8's per-line ticks), with the line's text when the file is local.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  console.error("usage: node bench/profile-summary.mjs profile.cpuprofile [--top N]");
  process.exit(2);
}
const topAt = rest.indexOf("--top");
const top = topAt >= 0 ? Number(rest[topAt + 1]) : 25;
const lines = rest.includes("--lines");
const underAt = rest.indexOf("--under");
const under = underAt >= 0 ? rest[underAt + 1] : undefined;
const profile = JSON.parse(readFileSync(file, "utf8"));

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts → milliseconds, from the time deltas between samples.
const selfMs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
}

const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(packages|apps)\//, "$1/").replace(/^file:\/\//, "")}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"} ${where}`.trim();
};

const self = new Map();
const total = new Map();
let all = 0;
const onStack = (id, name) => {
  for (let at = id; at !== undefined; at = parent.get(at)) if (nodes.get(at).callFrame.functionName === name) return true;
  return false;
};
for (const [id, ms] of selfMs) {
  if (under !== undefined && !onStack(id, under)) continue;
  all += ms;
  const n = nodes.get(id);
  self.set(label(n), (self.get(label(n)) ?? 0) + ms);
  // Inclusive time: each function on the stack once, however deep the recursion.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const l = label(nodes.get(at));
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + ms);
  }
}

const print = (title, map) => {
  console.log(`\n${title} (of ${all.toFixed(0)} ms sampled)`);
  for (const [l, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / all).toFixed(1).padStart(5)}%  ${l}`);
  }
};
print("self time", self);
print("total time", total);

if (lines) {
  // Ticks per source line; a line's share of the samples stands for its share of the time.
  const ticks = new Map();
  let tickTotal = 0;
  for (const n of profile.nodes) {
    if (under !== undefined && !onStack(n.id, under)) continue;
    tickTotal += n.hitCount ?? 0;
    for (const t of n.positionTicks ?? []) {
      const key = `${n.callFrame.url}:${t.line}`;
      ticks.set(key, (ticks.get(key) ?? 0) + t.ticks);
    }
  }
  const sources = new Map();
  const text = (url, line) => {
    if (!url.startsWith("file://")) return "";
    if (!sources.has(url)) {
      try { sources.set(url, readFileSync(fileURLToPath(url), "utf8").split("\n")); } catch { sources.set(url, []); }
    }
    return (sources.get(url)[line - 1] ?? "").trim().slice(0, 100);
  };
  console.log(`\nhottest lines (share of ${tickTotal} samples)`);
  for (const [key, n] of [...ticks].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const at = key.lastIndexOf(":");
    const url = key.slice(0, at);
    const line = Number(key.slice(at + 1));
    const where = `${url.replace(/^.*\/(packages|apps)\//, "$1/")}:${line}`;
    console.log(`${((100 * n) / tickTotal).toFixed(1).padStart(5)}%  ${where.padEnd(44)} ${text(url, line)}`);
  }
}
