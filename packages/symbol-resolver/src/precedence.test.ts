// Every pair of kinds in the precedence table, against an expectation written out by hand.
import { describe, expect, test } from "vitest";
import { PRECEDENCE, SYMBOL_KIND_NAMES, SymbolTable, type InputId, type SymbolKindName } from "./index.js";

/** What `kind` contributes for the name "x" from `input`; payloads differ per input so winners are visible. */
function contribute(table: SymbolTable, input: InputId, kind: SymbolKindName): void {
  const section = 10 + input;
  const value = 100 + input;
  switch (kind) {
    case "undefined":
      table.reference(input, "x", 0);
      return;
    case "lazy":
      table.defineLazy(input, "x");
      return;
    case "alias":
      table.defineAlias(input, "x", `x_fallback${input}`, false);
      return;
    case "weak":
      table.defineWeak(input, "x", section, value);
      return;
    case "common":
      // The second input's common is larger, the first's more aligned: the merge shows in both.
      table.defineCommon(input, "x", input === 0 ? 8 : 16, input === 0 ? 16 : 4);
      return;
    case "defined":
      table.define(input, "x", section, value);
      return;
    case "absolute":
      table.defineAbsolute(input, "x", value);
      return;
    case "synthetic":
      table.defineSynthetic(input, "x", section, value);
      return;
  }
}

// Row: the kind in the first input (a.o); column: the kind in the second (b.o).
// "a" / "b": that input's candidate wins; "dup": a.o wins and the pair is a duplicate;
// "merge": commons merge (b.o's larger size, a.o's larger alignment); "-": nothing defines x.
type Outcome = "a" | "b" | "dup" | "merge" | "-";
const EXPECTED: Record<SymbolKindName, Record<SymbolKindName, Outcome>> = {
  //          undefined  lazy    alias   weak    common    defined  absolute synthetic
  undefined: { undefined: "-", lazy: "b", alias: "b", weak: "b", common: "b", defined: "b", absolute: "b", synthetic: "b" },
  lazy: { undefined: "a", lazy: "a", alias: "b", weak: "b", common: "b", defined: "b", absolute: "b", synthetic: "b" },
  alias: { undefined: "a", lazy: "a", alias: "a", weak: "b", common: "b", defined: "b", absolute: "b", synthetic: "b" },
  weak: { undefined: "a", lazy: "a", alias: "a", weak: "a", common: "b", defined: "b", absolute: "b", synthetic: "b" },
  common: { undefined: "a", lazy: "a", alias: "a", weak: "a", common: "merge", defined: "b", absolute: "b", synthetic: "b" },
  defined: { undefined: "a", lazy: "a", alias: "a", weak: "a", common: "a", defined: "dup", absolute: "dup", synthetic: "dup" },
  absolute: { undefined: "a", lazy: "a", alias: "a", weak: "a", common: "a", defined: "dup", absolute: "dup", synthetic: "dup" },
  synthetic: { undefined: "a", lazy: "a", alias: "a", weak: "a", common: "a", defined: "dup", absolute: "dup", synthetic: "dup" },
};

describe("precedence table", () => {
  test("is indexed by kind and ranks kinds as documented", () => {
    expect(PRECEDENCE.map((row) => row.kind)).toEqual(SYMBOL_KIND_NAMES);
    const rank = (kind: SymbolKindName) => PRECEDENCE.find((row) => row.kind === kind)!.rank;
    expect(rank("defined")).toBe(rank("absolute"));
    expect(rank("defined")).toBeGreaterThan(rank("common"));
    expect(rank("common")).toBeGreaterThan(rank("weak"));
    expect(rank("weak")).toBeGreaterThan(rank("alias"));
    expect(rank("alias")).toBeGreaterThan(rank("lazy"));
    expect(rank("lazy")).toBeGreaterThan(rank("undefined"));
  });

  for (const first of SYMBOL_KIND_NAMES) {
    for (const second of SYMBOL_KIND_NAMES) {
      const outcome = EXPECTED[first][second];
      for (const order of ["a.o first", "b.o first"] as const) {
        test(`${first} in a.o vs ${second} in b.o (${order}) -> ${outcome}`, () => {
          const table = new SymbolTable();
          const a = table.addInput("a.o");
          const b = table.addInput("b.o");
          if (order === "a.o first") {
            contribute(table, a, first);
            contribute(table, b, second);
          } else {
            contribute(table, b, second);
            contribute(table, a, first);
          }
          const resolution = table.resolution("x");
          const duplicates = table.diagnostics().filter((d) => d.kind === "duplicate");
          switch (outcome) {
            case "-":
              expect(resolution).toEqual({ kind: "undefined" });
              break;
            case "a":
            case "dup":
              expect(resolution.kind).toBe(first);
              expect("input" in resolution && resolution.input).toBe(a);
              break;
            case "b":
              expect(resolution.kind).toBe(second);
              expect("input" in resolution && resolution.input).toBe(b);
              break;
            case "merge":
              expect(resolution).toEqual({ kind: "common", input: b, size: 16, alignment: 16 });
              break;
          }
          if (outcome === "dup") {
            expect(duplicates.map((d) => d.message)).toEqual(["error: duplicate symbol: x\n>>> defined at a.o\n>>> defined at b.o"]);
          } else {
            expect(duplicates).toEqual([]);
          }
        });
      }
    }
  }
});
