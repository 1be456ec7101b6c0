// The linker's scale: ~120,000 functions across many objects, each referenced from elsewhere.
// The machine running the tests may be busy, so time is measured against a baseline that any symbol
// table pays (a Map from name to id) rather than in absolute milliseconds.
import { expect, test } from "vitest";
import { SymbolTable } from "./index.js";

const OBJECTS = 1000;
const PER_OBJECT = 120;
const names: string[] = [];
for (let i = 0; i < OBJECTS * PER_OBJECT; i++) names.push(`function_${i}`);
const referenced = (index: number, which: number) => (which === 0 ? (index + 7919) % names.length : (index * 31) % names.length);

function baseline(): number {
  const started = performance.now();
  const ids = new Map<string, number>();
  for (let i = 0; i < names.length; i++) ids.set(names[i]!, i);
  let sum = 0;
  for (let i = 0; i < names.length; i++) sum += ids.get(names[referenced(i, 0)]!)! + ids.get(names[referenced(i, 1)]!)!;
  expect(sum).toBeGreaterThan(0);
  return performance.now() - started;
}

function link(): { table: SymbolTable; elapsed: number } {
  const started = performance.now();
  const table = new SymbolTable();
  for (let o = 0; o < OBJECTS; o++) {
    const input = table.addInput(`obj${o}.o`);
    for (let k = 0; k < PER_OBJECT; k++) {
      const index = o * PER_OBJECT + k;
      table.define(input, names[index]!, k, 0);
      table.reference(input, names[referenced(index, 0)]!, k);
      table.reference(input, names[referenced(index, 1)]!, k);
    }
  }
  table.check();
  return { table, elapsed: performance.now() - started };
}

// Bounds are loose (other test files run beside this one); they catch quadratic behaviour, not percents.
test("resolves 120,000 definitions and 240,000 references in a small multiple of the name lookups alone", { retry: 2 }, () => {
  link(); // warm up the JIT
  const mapOnly = Math.min(baseline(), baseline());
  const { table, elapsed } = link();
  expect(table.symbolCount).toBe(OBJECTS * PER_OBJECT);
  expect(elapsed).toBeLessThan(15 * mapOnly + 200);

  // Replacing one object re-resolves its own names and nothing else.
  table.takeChanges();
  const replaceStarted = performance.now();
  const replaced = 500;
  const report = table.removeInput(replaced);
  for (let k = 0; k < PER_OBJECT; k++) {
    const index = replaced * PER_OBJECT + k;
    table.define(replaced, names[index]!, k, k === 0 ? 16 : 0);
    table.reference(replaced, names[referenced(index, 0)]!, k);
    table.reference(replaced, names[referenced(index, 1)]!, k);
  }
  const changes = table.takeChanges();
  const replaceElapsed = performance.now() - replaceStarted;
  expect(report.symbols).toHaveLength(PER_OBJECT);
  expect(changes.symbols).toEqual([table.idOf(names[replaced * PER_OBJECT]!)]);
  expect(replaceElapsed).toBeLessThan(Math.max(100, 2 * mapOnly));
  console.log(`120k names: map alone ${mapOnly.toFixed(0)} ms, table ${elapsed.toFixed(0)} ms, replace one object ${replaceElapsed.toFixed(1)} ms`);
});
