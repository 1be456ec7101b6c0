// Names: interned once, found again by string or by their ASCII bytes.
import { expect, test } from "vitest";
import { SymbolTable } from "./index.js";

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
