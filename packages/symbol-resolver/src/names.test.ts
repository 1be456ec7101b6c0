// Names: interned once, found again by string or by their ASCII bytes.
import { expect, test } from "vitest";
import { ComdatSelection, SymbolTable } from "./index.js";

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

test("idOfAscii finds names the table holds from their bytes, and nothing else", () => {
  const table = new SymbolTable();
  const names = Array.from({ length: 5000 }, (_, i) => `function_${i}`); // enough to grow the table
  const ids = names.map((name) => table.intern(name));
  expect(new Set(ids).size).toBe(names.length);
  for (const [i, name] of names.entries()) {
    const bytes = ascii(`xx${name}yy`);
    expect(table.idOfAscii(bytes, 2, 2 + name.length)).toBe(ids[i]);
    expect(table.idOf(name)).toBe(ids[i]);
    expect(table.intern(name)).toBe(ids[i]);
  }
  expect(table.idOfAscii(ascii("function_5000"), 0, 13)).toBe(-1);
  expect(table.idOfAscii(ascii("function_1"), 0, 9)).toBe(-1); // "function_" was never interned
  // Non-ASCII bytes are never matched: the caller decodes them and interns the string.
  const utf8 = new TextEncoder().encode("größe");
  const id = table.intern("größe");
  expect(table.idOfAscii(utf8, 0, utf8.length)).toBe(-1);
  expect(table.idOf("größe")).toBe(id);
  expect(table.idOfAscii(new Uint8Array(0), 0, 0)).toBe(-1);
  expect(table.idOfAscii(ascii(""), 0, 0)).toBe(-1);
  const empty = table.intern("");
  expect(table.idOfAscii(new Uint8Array(0), 0, 0)).toBe(empty);
});

test("internAscii interns a name from its bytes once, the same id as intern gives", () => {
  const table = new SymbolTable();
  const names = Array.from({ length: 5000 }, (_, i) => `data_${i}`); // enough to grow the table
  const ids = names.map((name, i) => (i % 2 === 0 ? table.internAscii(ascii(`<${name}>`), 1, 1 + name.length) : table.intern(name)));
  expect(new Set(ids).size).toBe(names.length);
  for (const [i, name] of names.entries()) {
    expect(table.nameOf(ids[i]!)).toBe(name);
    expect(table.internAscii(ascii(name), 0, name.length)).toBe(ids[i]);
    expect(table.intern(name)).toBe(ids[i]);
  }
  expect(table.symbolCount).toBe(names.length);
  // Non-ASCII bytes: nothing interned, the caller decodes them.
  const utf8 = new TextEncoder().encode("größe");
  expect(table.internAscii(utf8, 0, utf8.length)).toBe(-1);
  expect(table.idOf("größe")).toBeUndefined();
  // A name longer than one call's arguments.
  const long = "x".repeat(10000) + "y";
  const id = table.internAscii(ascii(long), 0, long.length);
  expect(table.nameOf(id)).toBe(long);
  expect(table.idOf(long)).toBe(id);
});

test("internAsciiMany interns names in order, as internAscii one at a time would, and stops at a non-ASCII one", () => {
  // Batches against a twin table interning one at a time: known names, new ones, a name twice in one
  // batch, batches that grow the table (rehashing) in the middle.
  const batched = new SymbolTable(), single = new SymbolTable();
  const text = new TextEncoder();
  const pick = (i: number) => `name_${(i * 7919) % 3000}`; // repeats across and within batches
  let next = 0;
  for (let round = 0; round < 40; round++) {
    const names = Array.from({ length: 1 + ((round * 37) % 200) }, () => pick(next++));
    const bytes = text.encode(names.join("|"));
    const starts = new Int32Array(names.length), ends = new Int32Array(names.length);
    let at = 0;
    names.forEach((name, k) => { starts[k] = at; ends[k] = at + name.length; at += name.length + 1; });
    const ids = new Int32Array(names.length);
    expect(batched.internAsciiMany(bytes, starts, ends, names.length, ids)).toBe(names.length);
    expect([...ids]).toEqual(names.map((name) => single.internAscii(ascii(name), 0, name.length)));
  }
  expect(batched.symbolCount).toBe(single.symbolCount);
  for (let id = 0; id < single.symbolCount; id++) expect(batched.nameOf(id)).toBe(single.nameOf(id));

  // A non-ASCII name: the names before it are interned, it and those after are not.
  const bytes = text.encode("before|größe|after");
  const ids = new Int32Array(3);
  expect(batched.internAsciiMany(bytes, Int32Array.of(0, 7, 15), Int32Array.of(6, 14, 20), 3, ids)).toBe(1);
  expect(batched.nameOf(ids[0]!)).toBe("before");
  expect(batched.idOf("größe")).toBeUndefined();
  expect(batched.idOf("after")).toBeUndefined();
  // On an empty table, and with nothing to do.
  const empty = new SymbolTable();
  expect(empty.internAsciiMany(ascii("a"), Int32Array.of(0), Int32Array.of(1), 1, new Int32Array(1))).toBe(1);
  expect(empty.internAsciiMany(new Uint8Array(0), new Int32Array(0), new Int32Array(0), 0, new Int32Array(0))).toBe(0);
  expect(empty.idOf("a")).toBe(0);
});

test("names interned from bytes and from strings, mixed, are one set of names: found either way, saved and restored", () => {
  const table = new SymbolTable();
  const input = table.addInput("a.o");
  const names = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `str_${i}` : `bytes_${i}`));
  const ids = names.map((name) => (name.startsWith("str_") ? table.intern(name) : table.internAscii(ascii(`[${name}]`), 1, 1 + name.length)));
  // Groups keyed by names of both kinds, and one by a name that is no symbol's.
  table.addComdat(input, ids[1]!, ComdatSelection.Any, 8, 0);
  table.addComdat(input, "str_3", ComdatSelection.Any, 8, 0);
  table.addComdat(input, "no_symbol_has_this_name", ComdatSelection.Any, 8, 0);
  const check = (t: SymbolTable) => {
    for (const [i, name] of names.entries()) {
      expect(t.idOf(name)).toBe(ids[i]);
      expect(t.idOfAscii(ascii(name), 0, name.length)).toBe(ids[i]);
      expect(t.nameOf(ids[i]!)).toBe(name);
    }
    expect(t.idOf("bytes_1x")).toBeUndefined();
    expect(t.idOfAscii(ascii("bytes_"), 0, 6)).toBe(-1);
    expect(t.comdatName(0)).toBe("bytes_1");
    expect(t.comdatName(1)).toBe("str_3");
    expect(t.comdatName(2)).toBe("no_symbol_has_this_name");
  };
  check(table);
  const restored = SymbolTable.restoreState(structuredClone(table.saveState()));
  check(restored);
  // Names added after a restore, as bytes, next to the restored ones; then saved and restored again.
  const more = restored.internAscii(ascii("added_later"), 0, 11);
  expect(restored.intern("added_later")).toBe(more);
  const again = SymbolTable.restoreState(structuredClone(restored.saveState()));
  check(again);
  expect(again.nameOf(more)).toBe("added_later");
  expect(again.idOfAscii(ascii("added_later"), 0, 11)).toBe(more);
});

test("reserve makes room at once: names, definitions, references and groups made before and after it all stay found", () => {
  const table = new SymbolTable();
  const input = table.addInput("a.o");
  const before = Array.from({ length: 700 }, (_, i) => `early_${i}`); // past the first slot table's half
  for (const name of before) table.define(input, name, 1, 0);
  table.addComdat(input, "early_0", ComdatSelection.Any, 16, 0);
  expect(table.usage).toEqual({ names: 700, candidates: 700, groups: 1 });
  table.reserve({ names: 40_000, candidates: 60_000, groups: 20_000 });
  expect(table.usage).toEqual({ names: 700, candidates: 700, groups: 1 }); // room, not contents
  // Every name made before is found again through the rebuilt slot table, by string and by bytes.
  for (const [i, name] of before.entries()) {
    expect(table.idOf(name)).toBe(i);
    expect(table.idOfAscii(ascii(name), 0, name.length)).toBe(i);
  }
  const user = table.addInput("b.o");
  const after = Array.from({ length: 30_000 }, (_, i) => `late_${i}`);
  const groups: number[] = [];
  for (const [i, name] of after.entries()) {
    table.reference(user, before[i % before.length]!);
    groups.push(i % 3 === 0 ? table.addComdat(user, name, ComdatSelection.Any, 8, 0) : -1);
    table.define(user, name, 1, i, groups[i]);
  }
  expect(table.usage).toEqual({ names: 30_700, candidates: 60_700, groups: 10_001 });
  for (const [i, name] of after.entries()) {
    expect(table.resolution(table.idOf(name)!)).toEqual({ kind: "defined", input: user, section: 1, value: i, comdat: groups[i] });
  }
  expect(table.diagnostics()).toEqual([]);
  // Less than is held already is no change.
  table.reserve({ names: 10, candidates: 10, groups: 0 });
  expect(table.idOf("late_29999")).toBe(30_699);
});
