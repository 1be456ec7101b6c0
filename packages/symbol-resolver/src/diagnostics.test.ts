// Diagnostics: collected all at once, in lld's shape, naming the files.
import { describe, expect, test } from "vitest";
import { RefFlags, ResolverError, SymbolTable, SymbolTableUsageError } from "./index.js";

describe("undefined symbols", () => {
  test("at most three references, then how many more", () => {
    const functions = ["main", "helper", "init", "run", "stop"];
    const table = new SymbolTable({ where: (_input, site) => functions[site] });
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.reference(b, "foo", 1);
    table.reference(a, "foo", 0);
    table.reference(b, "foo", 2);
    table.reference(b, "foo", 3);
    table.reference(b, "foo", 4);
    const [diagnostic, ...rest] = table.diagnostics();
    expect(rest).toEqual([]);
    expect(diagnostic!.message).toBe(
      "error: undefined symbol: foo\n" +
        ">>> referenced by a.obj:(main)\n" +
        ">>> referenced by b.obj:(helper)\n" +
        ">>> referenced by b.obj:(init)\n" +
        ">>> referenced 2 more times",
    );
    expect(diagnostic).toMatchObject({ kind: "undefined", severity: "error", symbol: "foo", referenceCount: 5 });
    expect(diagnostic!.kind === "undefined" && diagnostic!.references.map((r) => r.site)).toEqual([0, 1, 2]);
  });

  test("the where hook is only asked when there is an error", () => {
    let asked = 0;
    const table = new SymbolTable({ where: () => `f${asked++}` });
    const a = table.addInput("a.obj");
    table.reference(a, "foo", 7);
    table.define(a, "foo", 1, 0);
    expect(table.check()).toEqual([]);
    expect(asked).toBe(0);
  });

  test("without a where hook the file alone is named", () => {
    const table = new SymbolTable();
    const a = table.addInput("libfoo.a(bar.o)");
    table.reference(a, "baz");
    expect(table.diagnostics()[0]!.message).toBe("error: undefined symbol: baz\n>>> referenced by libfoo.a(bar.o)");
  });

  test("weak references list no error, and are not listed beside strong ones", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.reference(a, "opt", 0, RefFlags.Weak);
    expect(table.check()).toEqual([]);
    table.reference(b, "opt", 0);
    expect(table.diagnostics()[0]!.message).toBe("error: undefined symbol: opt\n>>> referenced by b.o");
  });

  test("/force:unresolved makes them warnings", () => {
    const table = new SymbolTable({ undefinedSymbols: "warning" });
    table.reference(table.addInput("a.obj"), "foo");
    const warnings = table.check();
    expect(warnings.map((d) => d.message)).toEqual(["warning: undefined symbol: foo\n>>> referenced by a.obj"]);
  });
});

describe("duplicate symbols", () => {
  test("name both files", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.define(b, "foo", 1, 0);
    table.define(a, "foo", 1, 0);
    const [diagnostic] = table.diagnostics();
    expect(diagnostic!.message).toBe("error: duplicate symbol: foo\n>>> defined at a.obj\n>>> defined at b.obj");
    expect(diagnostic).toMatchObject({ kind: "duplicate", symbol: "foo", definitions: [{ input: a }, { input: b }], comdat: false });
  });

  test("/force turns them into warnings; the first definition wins", () => {
    const table = new SymbolTable({ duplicates: "warning" });
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.define(a, "foo", 1, 0);
    table.define(b, "foo", 2, 0);
    expect(table.check().map((d) => d.message)).toEqual(["warning: duplicate symbol: foo\n>>> defined at a.obj\n>>> defined at b.obj"]);
    expect(table.winnerInput(table.idOf("foo")!)).toBe(a);
  });
});

describe("reporting", () => {
  test("check throws one ResolverError with every diagnostic, display names applied", () => {
    const table = new SymbolTable({ displayName: (name) => (name === "?f@@YAXXZ" ? "void __cdecl f(void)" : name) });
    const a = table.addInput("a.obj");
    const b = table.addInput("b.obj");
    table.reference(a, "?f@@YAXXZ", 0);
    table.define(a, "dup", 0, 0);
    table.define(b, "dup", 0, 0);
    let error: unknown;
    try {
      table.check();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ResolverError);
    const resolverError = error as ResolverError;
    expect(resolverError.diagnostics.map((d) => d.kind)).toEqual(["undefined", "duplicate"]);
    expect(resolverError.message).toBe(
      "error: undefined symbol: void __cdecl f(void)\n>>> referenced by a.obj\n" +
        "error: duplicate symbol: dup\n>>> defined at a.obj\n>>> defined at b.obj",
    );
  });

  test("unknown ids are usage errors with context", () => {
    const table = new SymbolTable();
    expect(() => table.reference(3, "x")).toThrow(SymbolTableUsageError);
    expect(() => table.nameOf(9)).toThrow(/unknown symbol id 9/);
    try {
      table.define(-1, "x", 0, 0);
    } catch (error) {
      expect((error as SymbolTableUsageError).context).toEqual({ input: -1, inputCount: 0 });
    }
  });
});
