// COMDAT groups: which input's instance is kept, what is discarded, and the mismatches reported.
import { describe, expect, test } from "vitest";
import { ComdatSelection, SymbolTable, type ComdatSelection as Selection } from "./index.js";

/** Three inputs each with one instance of group "inline_fn", defining the symbol "inline_fn" in it. */
function threeInstances(selection: Selection, sizes: readonly number[], checksums: readonly number[] = [0, 0, 0]) {
  const table = new SymbolTable();
  const inputs = ["a.obj", "b.obj", "c.obj"].map((name) => table.addInput(name));
  for (const [i, input] of inputs.entries()) {
    const group = table.addComdat(input, "inline_fn", selection, sizes[i], checksums[i]);
    table.define(input, "inline_fn", 5, 0, group);
  }
  return { table, inputs, group: table.comdatId("inline_fn")! };
}

describe("COMDAT selection", () => {
  test("ANY keeps the lowest input's instance; the others are discarded silently", () => {
    const { table, inputs, group } = threeInstances(ComdatSelection.Any, [8, 12, 16]);
    expect(table.comdatWinner(group)).toBe(inputs[0]);
    expect(table.isComdatKept(group, inputs[0]!)).toBe(true);
    expect(table.isComdatKept(group, inputs[1]!)).toBe(false);
    expect(table.resolution("inline_fn")).toMatchObject({ kind: "defined", input: inputs[0], comdat: group });
    expect(table.discardedComdats().map((d) => d.input)).toEqual([inputs[1], inputs[2]]);
    expect(table.check()).toEqual([]);
  });

  test("ANY does not depend on the order instances arrive in", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.define(b, "f", 1, 0, table.addComdat(b, "f", ComdatSelection.Any));
    const group = table.addComdat(a, "f", ComdatSelection.Any);
    table.define(a, "f", 1, 0, group);
    expect(table.comdatWinner(group)).toBe(a);
    expect(table.resolution("f")).toMatchObject({ input: a });
  });

  test("comdatInputs lists the inputs holding an instance, and forgets a removed one", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    const c = table.addInput("c.obj");
    const group = table.addComdat(b, "g", ComdatSelection.Any);
    table.addComdat(a, "g", ComdatSelection.Any);
    table.addComdat(c, "other", ComdatSelection.Any);
    expect(table.comdatInputs(group).sort()).toEqual([a, b]);
    table.removeInput(b);
    expect(table.comdatInputs(group)).toEqual([a]);
  });

  test("NODUPLICATES: a second instance is a duplicate symbol", () => {
    const { table } = threeInstances(ComdatSelection.NoDuplicates, [8, 8, 8]);
    const diagnostics = table.diagnostics();
    expect(diagnostics.map((d) => d.message)).toEqual([
      "error: duplicate symbol: inline_fn\n>>> defined at a.obj\n>>> defined at b.obj",
      "error: duplicate symbol: inline_fn\n>>> defined at a.obj\n>>> defined at c.obj",
    ]);
    expect(diagnostics[0]).toMatchObject({ kind: "duplicate", comdat: true });
  });

  test("SAME_SIZE: equal sizes pass, a different size is reported", () => {
    expect(threeInstances(ComdatSelection.SameSize, [8, 8, 8]).table.check()).toEqual([]);
    const { table } = threeInstances(ComdatSelection.SameSize, [8, 8, 16]);
    const diagnostics = table.diagnostics();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ kind: "comdat-mismatch", rule: "SAME_SIZE", kept: { inputName: "a.obj", size: 8 }, discarded: { inputName: "c.obj", size: 16 } });
    expect(diagnostics[0]!.message).toBe(
      "error: COMDAT SAME_SIZE mismatch: inline_fn\n>>> kept from a.obj (size 8)\n>>> discarded from c.obj (size 16)",
    );
  });

  test("EXACT_MATCH: the caller's checksum decides", () => {
    expect(threeInstances(ComdatSelection.ExactMatch, [8, 8, 8], [0xabc, 0xabc, 0xabc]).table.check()).toEqual([]);
    const { table } = threeInstances(ComdatSelection.ExactMatch, [8, 8, 8], [0xabc, 0xdef, 0xabc]);
    expect(table.diagnostics().map((d) => d.message)).toEqual([
      "error: COMDAT EXACT_MATCH mismatch: inline_fn\n>>> kept from a.obj (size 8, checksum 0xabc)\n>>> discarded from b.obj (size 8, checksum 0xdef)",
    ]);
  });

  test("LARGEST keeps the largest instance, the lowest input among equals", () => {
    const { table, inputs, group } = threeInstances(ComdatSelection.Largest, [8, 32, 32]);
    expect(table.comdatWinner(group)).toBe(inputs[1]);
    expect(table.resolution("inline_fn")).toMatchObject({ input: inputs[1] });
    expect(table.check()).toEqual([]);
  });

  test("ASSOCIATIVE sections are kept and discarded with their leader", () => {
    const { table, inputs, group } = threeInstances(ComdatSelection.Any, [8, 8, 8]);
    table.addAssociative(inputs[0]!, group, 6);
    table.addAssociative(inputs[1]!, group, 6);
    table.addAssociative(inputs[1]!, group, 7);
    expect(table.discardedComdats()).toEqual([
      { group, groupName: "inline_fn", input: inputs[1], associatedSections: [6, 7] },
      { group, groupName: "inline_fn", input: inputs[2], associatedSections: [] },
    ]);
    // Once the kept instance goes, its associated sections follow the new leader.
    table.removeInput(inputs[0]!);
    expect(table.isComdatKept(group, inputs[1]!)).toBe(true);
    expect(table.discardedComdats()).toEqual([{ group, groupName: "inline_fn", input: inputs[2], associatedSections: [] }]);
  });

  test("conflicting selections are reported", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.addComdat(a, "g", ComdatSelection.Any);
    table.addComdat(b, "g", ComdatSelection.NoDuplicates);
    expect(table.diagnostics().map((d) => d.message)).toEqual([
      "error: conflicting COMDAT selections: g\n>>> kept from a.obj (selection ANY)\n>>> discarded from b.obj (selection NODUPLICATES)",
    ]);
  });

  test("ELF section groups (GRP_COMDAT) are groups with selection ANY", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    for (const input of [a, b]) {
      const group = table.addComdat(input, "_ZN3FooC2Ev", ComdatSelection.Any);
      table.defineWeak(input, "_ZN3FooC2Ev", 3, 0, group);
      table.defineWeak(input, "_ZN3FooC1Ev", 3, 0, group);
    }
    expect(table.resolution("_ZN3FooC1Ev")).toMatchObject({ kind: "weak", input: a });
    expect(table.check()).toEqual([]);
  });

  test("removing the winner re-awards the group and reports the group and its names", () => {
    const { table, inputs, group } = threeInstances(ComdatSelection.Any, [8, 8, 8]);
    const report = table.removeInput(inputs[0]!);
    expect(report).toEqual({ symbols: [table.idOf("inline_fn")], comdats: [group] });
    expect(table.comdatWinner(group)).toBe(inputs[1]);
    expect(table.resolution("inline_fn")).toMatchObject({ kind: "defined", input: inputs[1] });
    // Removing a loser changes nothing.
    expect(table.removeInput(inputs[2]!)).toEqual({ symbols: [], comdats: [] });
    table.removeInput(inputs[1]!);
    expect(table.comdatWinner(group)).toBe(-1);
    expect(table.resolution("inline_fn")).toEqual({ kind: "undefined" });
  });

  test("misuse is a typed error", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.obj");
    const group = table.addComdat(a, "g", ComdatSelection.Any);
    expect(() => table.addComdat(a, "g", ComdatSelection.Any)).toThrow(/already has COMDAT group g/);
    const b = table.addInput("b.obj");
    expect(() => table.define(b, "g", 0, 0, group)).toThrow(/never added that group/);
    expect(() => table.addAssociative(b, group, 3)).toThrow(/has no instance/);
    expect(() => table.addComdat(a, "h", ComdatSelection.Associative)).toThrow(/addAssociative/);
  });
});

describe("COMDAT groups named by symbol id", () => {
  test("a group named by id and the same group named by string are one group, in either order", () => {
    const table = new SymbolTable();
    const [a, b, c] = ["a.obj", "b.obj", "c.obj"].map((name) => table.addInput(name)) as [number, number, number];
    // Made by name before any symbol has that name, then found by id once it is interned.
    const byName = table.addComdat(a, "f", ComdatSelection.Any);
    const f = table.intern("f");
    expect(table.addComdat(b, f, ComdatSelection.Any)).toBe(byName);
    // Made by id, then found by name.
    const g = table.intern("g");
    const byId = table.addComdat(a, g, ComdatSelection.Any);
    expect(table.addComdat(c, "g", ComdatSelection.Any)).toBe(byId);
    expect(table.comdatId("f")).toBe(byName);
    expect(table.comdatId("g")).toBe(byId);
    expect(table.comdatName(byId)).toBe("g");
    expect(table.comdatId("h")).toBeUndefined();
    expect(() => table.addComdat(a, g, ComdatSelection.Any)).toThrow(/already has COMDAT group g/);
  });
});
