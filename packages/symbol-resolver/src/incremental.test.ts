// Removing an input's contributions and adding inputs later: names fall back, changes are reported.
import { describe, expect, test } from "vitest";
import { ComdatSelection, RefFlags, SymbolTable } from "./index.js";

describe("removal and re-resolution", () => {
  test("a strong definition removed falls back to a weak one, then to undefined", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const strong = table.addInput("strong.o");
    const weak = table.addInput("weak.o");
    table.reference(main, "foo");
    table.define(main, "main", 1, 0);
    table.define(strong, "foo", 1, 0);
    table.defineWeak(weak, "foo", 1, 16);
    table.takeChanges();
    const foo = table.idOf("foo")!;
    expect(table.removeInput(strong)).toEqual({ symbols: [foo], comdats: [] });
    expect(table.resolution(foo)).toMatchObject({ kind: "weak", input: weak, value: 16 });
    expect(table.removeInput(weak)).toEqual({ symbols: [foo], comdats: [] });
    expect(table.resolution(foo)).toEqual({ kind: "undefined" });
    expect(table.diagnostics().map((d) => d.kind)).toEqual(["undefined"]);
  });

  test("falling back to a lazy candidate requests the member", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const impl = table.addInput("impl.o");
    const member = table.addInput("libfoo.a(foo.o)");
    table.reference(main, "foo");
    table.define(impl, "foo", 1, 0);
    table.defineLazy(member, "foo");
    expect(table.takeLoadRequests()).toEqual([]);
    table.removeInput(impl);
    expect(table.takeLoadRequests()).toEqual([member]);
  });

  test("replacing an object: the same id, new contents; only changed names reported", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.define(a, "f", 1, 0);
    table.define(a, "g", 1, 32);
    table.reference(a, "h");
    table.define(b, "h", 2, 0);
    table.takeChanges();
    table.removeInput(a);
    table.define(a, "f", 1, 0); // unchanged
    table.define(a, "g", 1, 48); // moved
    table.reference(a, "h");
    expect(table.takeChanges()).toEqual({ symbols: [table.idOf("g")], comdats: [] });
    expect(table.check()).toEqual([]);
  });

  test("removeInput reports its own changes; takeChanges reports everything since the last take", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.define(a, "x", 1, 0);
    table.define(b, "y", 1, 0);
    table.takeChanges();
    table.define(b, "z", 1, 0);
    expect(table.removeInput(a)).toEqual({ symbols: [table.idOf("x")], comdats: [] });
    expect(table.takeChanges().symbols).toEqual([table.idOf("x"), table.idOf("z")]);
    expect(table.takeChanges().symbols).toEqual([]);
  });

  test("a name that changes and changes back is not reported", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    table.define(a, "x", 1, 0);
    table.takeChanges();
    table.removeInput(a);
    table.define(a, "x", 1, 0);
    expect(table.takeChanges().symbols).toEqual([]);
  });

  test("an alias in use is reported when its target changes", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.obj");
    const impl = table.addInput("impl.obj");
    table.defineAlias(main, "handler", "default_handler", false);
    table.define(impl, "default_handler", 1, 0);
    table.takeChanges();
    const report = table.removeInput(impl);
    expect(report.symbols.map((id) => table.nameOf(id)).sort()).toEqual(["default_handler", "handler"]);
  });

  test("removing references clears undefined-symbol errors", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    table.reference(a, "missing");
    expect(() => table.check()).toThrow(/undefined symbol: missing/);
    table.removeInput(a);
    expect(table.check()).toEqual([]);
    expect(table.referenceCount(table.idOf("missing")!)).toBe(0);
  });

  test("referencesOf lists what an input asks for: loading references and the targets of aliases in use", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.reference(a, "foo");
    table.reference(a, "quiet", 0, RefFlags.NoLoad);
    table.defineAlias(a, "handler", "default_handler", true);
    table.defineAlias(a, "overridden", "fallback", true);
    table.define(b, "overridden", 1, 0);
    table.define(a, "bar", 1, 0);
    expect(table.referencesOf(a).map((id) => table.nameOf(id)).sort()).toEqual(["default_handler", "foo"]);
    expect(table.referencesOf(b)).toEqual([]);
    table.removeInput(b);
    expect(table.referencesOf(a).map((id) => table.nameOf(id)).sort()).toEqual(["default_handler", "fallback", "foo"]);
  });

  test("a removed archive member may be loaded again", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const member = table.addInput("libfoo.a(foo.o)");
    table.reference(main, "foo");
    table.defineLazy(member, "foo");
    expect(table.loadMembers((m) => table.define(m, "foo", 1, 0))).toBe(1);
    table.removeInput(member);
    expect(table.isLoaded(member)).toBe(false);
    table.defineLazy(member, "foo");
    expect(table.takeLoadRequests()).toEqual([member]);
  });
});

describe("diagnostics of what a change touched", () => {
  test("diagnosticsOf reports exactly what diagnostics reports for the names and groups asked about", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    const c = table.addInput("c.o");
    table.reference(a, "missing");
    table.reference(a, "fine");
    table.define(b, "fine", 1, 0);
    table.define(b, "twice", 1, 0);
    table.define(c, "twice", 1, 0);
    const g1 = table.addComdat(b, "group", ComdatSelection.NoDuplicates);
    table.addComdat(c, "group", ComdatSelection.NoDuplicates);
    const all = table.diagnostics();
    expect(all.map((d) => d.kind).sort()).toEqual(["duplicate", "duplicate", "undefined"]);
    const ids = ["missing", "fine", "twice"].map((n) => table.idOf(n)!);
    expect(table.diagnosticsOf(ids, [g1])).toEqual(all);
    // Only what is asked about, once each, whatever the order and repetition of the ids.
    expect(table.diagnosticsOf([ids[1]!], [])).toEqual([]);
    expect(table.diagnosticsOf([ids[2]!, ids[0]!, ids[0]!], [])).toEqual(all.filter((d) => !(d.kind === "duplicate" && d.comdat)));
    expect(table.diagnosticsOf([], [g1])).toEqual(all.filter((d) => d.kind === "duplicate" && d.comdat));
  });
});

describe("discardChanges", () => {
  test("forgets what happened so far: the next takeChanges reports only what follows", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.define(a, "x", 1, 0);
    table.define(a, "y", 1, 0);
    table.discardChanges();
    table.removeInput(a);
    table.define(b, "x", 1, 4);
    expect(table.takeChanges().symbols.map((id) => table.nameOf(id)).sort()).toEqual(["x", "y"]);
    table.define(b, "z", 1, 0);
    table.discardChanges();
    expect(table.takeChanges()).toEqual({ symbols: [], comdats: [] });
  });
});
