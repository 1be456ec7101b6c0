// The linker's scale: ~120,000 functions across many objects, each referenced from elsewhere. Speed is
// measured by `pnpm bench` (bench/micro.mjs), never asserted here: this checks the results at that scale,
// and that replacing one object re-resolves its own names and nothing else.
import { expect, test } from "vitest";
import { SymbolTable } from "./index.js";

const OBJECTS = 1000;
const PER_OBJECT = 120;
const names: string[] = [];
for (let i = 0; i < OBJECTS * PER_OBJECT; i++) names.push(`function_${i}`);
const referenced = (index: number, which: number) => (which === 0 ? (index + 7919) % names.length : (index * 31) % names.length);

test("resolves 120,000 definitions and 240,000 references, and replaces one object of them", () => {
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
  expect(table.check()).toEqual([]);
  expect(table.symbolCount).toBe(OBJECTS * PER_OBJECT);

  table.takeChanges();
  const replaced = 500;
  const report = table.removeInput(replaced);
  for (let k = 0; k < PER_OBJECT; k++) {
    const index = replaced * PER_OBJECT + k;
    table.define(replaced, names[index]!, k, k === 0 ? 16 : 0);
    table.reference(replaced, names[referenced(index, 0)]!, k);
    table.reference(replaced, names[referenced(index, 1)]!, k);
  }
  const changes = table.takeChanges();
  expect(report.symbols).toHaveLength(PER_OBJECT);
  expect(changes.symbols).toEqual([table.idOf(names[replaced * PER_OBJECT]!)]);
  expect(table.winnerValue(table.idOf(names[replaced * PER_OBJECT]!)!)).toBe(16);
});
