// Archive members load only when a still-undefined name needs them, in either order, once each.
import { describe, expect, test } from "vitest";
import { RefFlags, SymbolTable, type InputId } from "./index.js";

describe("lazy loading", () => {
  test("reference first, then the archive", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const member = table.addInput("libc.a(puts.o)");
    table.reference(main, "puts");
    table.defineLazy(member, "puts");
    expect(table.takeLoadRequests()).toEqual([member]);
    expect(table.isLoaded(member)).toBe(true);
  });

  test("archive first, then the reference", () => {
    const table = new SymbolTable();
    const member = table.addInput("libc.a(puts.o)");
    const main = table.addInput("main.o");
    table.defineLazy(member, "puts");
    expect(table.takeLoadRequests()).toEqual([]);
    table.reference(main, "puts");
    expect(table.takeLoadRequests()).toEqual([member]);
  });

  test("an archive nobody needs is never loaded and is no error", () => {
    const table = new SymbolTable();
    const member = table.addInput("libc.a(puts.o)");
    table.defineLazy(member, "puts");
    expect(table.takeLoadRequests()).toEqual([]);
    expect(table.resolution("puts")).toEqual({ kind: "lazy", input: member, loaded: false });
    expect(table.check()).toEqual([]);
  });

  test("a lazy candidate never overrides a definition, strong or weak", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const impl = table.addInput("impl.o");
    const member = table.addInput("libfoo.a(foo.o)");
    table.reference(main, "strong");
    table.reference(main, "weak");
    table.define(impl, "strong", 1, 0);
    table.defineWeak(impl, "weak", 1, 8);
    table.defineLazy(member, "strong");
    table.defineLazy(member, "weak");
    expect(table.takeLoadRequests()).toEqual([]);
    expect(table.resolution("weak").kind).toBe("weak");
  });

  test("chains: a loaded member's own references load more members, each once", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const printf = table.addInput("libc.a(printf.o)");
    const vfprintf = table.addInput("libc.a(vfprintf.o)");
    const otherPrintf = table.addInput("libother.a(printf.o)");
    const contents = new Map<InputId, () => void>([
      [printf, () => { table.define(printf, "printf", 1, 0); table.define(printf, "sprintf", 1, 64); table.reference(printf, "vfprintf"); }],
      [vfprintf, () => { table.define(vfprintf, "vfprintf", 1, 0); table.reference(vfprintf, "printf"); }],
      [otherPrintf, () => { table.define(otherPrintf, "printf", 1, 0); }],
    ]);
    table.reference(main, "printf");
    table.reference(main, "sprintf");
    table.defineLazy(printf, "printf");
    table.defineLazy(printf, "sprintf");
    table.defineLazy(vfprintf, "vfprintf");
    table.defineLazy(otherPrintf, "printf");
    const loaded: InputId[] = [];
    const count = table.loadMembers((member) => {
      loaded.push(member);
      contents.get(member)!();
    });
    // printf.o is wanted twice (printf, sprintf) but loaded once; the second archive's printf stays lazy.
    expect(loaded).toEqual([printf, vfprintf]);
    expect(count).toBe(2);
    expect(table.resolution("printf")).toMatchObject({ kind: "defined", input: printf });
    expect(table.resolution("vfprintf")).toMatchObject({ kind: "defined", input: vfprintf });
    // Seeing the archive's index again (a second pass over the archive) loads nothing more.
    table.defineLazy(printf, "printf");
    expect(table.takeLoadRequests()).toEqual([]);
    expect(table.check()).toEqual([]);
  });

  test("two archives offering one name: the lower input is loaded, the other never", () => {
    const table = new SymbolTable();
    const first = table.addInput("liba.a(x.o)");
    const second = table.addInput("libb.a(x.o)");
    const main = table.addInput("main.o");
    table.defineLazy(second, "x");
    table.defineLazy(first, "x");
    table.reference(main, "x");
    expect(table.loadMembers((m) => table.define(m, "x", 0, 0))).toBe(1);
    expect(table.winnerInput(table.idOf("x")!)).toBe(first);
    expect(table.isLoaded(second)).toBe(false);
  });

  test("ELF weak undefined: does not load, and is no error when nothing defines it", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const member = table.addInput("libfoo.a(foo.o)");
    table.reference(main, "foo", 0, RefFlags.Weak | RefFlags.NoLoad);
    table.defineLazy(member, "foo");
    expect(table.takeLoadRequests()).toEqual([]);
    expect(table.check()).toEqual([]);
    // A strong reference from elsewhere does load it (lld: "%tweakundef.o does not fetch but %tundef.o does").
    const other = table.addInput("other.o");
    table.reference(other, "foo");
    expect(table.takeLoadRequests()).toEqual([member]);
  });

  test("ids let the caller skip hashing on the hot path", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.o");
    const id = table.intern("memcpy");
    expect(table.reference(main, id)).toBe(id);
    expect(table.idOf("memcpy")).toBe(id);
    expect(table.nameOf(id)).toBe("memcpy");
    expect([...table.symbols()]).toEqual([id]);
    expect(table.referenceCount(id)).toBe(1);
  });
});

describe("aliases (COFF weak externals, /alternatename)", () => {
  function setup(mayLoad: boolean) {
    const table = new SymbolTable();
    const main = table.addInput("main.obj");
    const defaults = table.addInput("defaults.obj");
    const member = table.addInput("lib.lib(real.obj)");
    // A weak external is an alias plus the references made through it.
    table.defineAlias(main, "handler", "default_handler", mayLoad);
    table.reference(main, "handler", 0, mayLoad ? 0 : RefFlags.NoLoad);
    table.define(defaults, "default_handler", 1, 0);
    table.defineLazy(member, "handler");
    return { table, main, defaults, member };
  }

  test("used when nothing defines the name", () => {
    const { table, defaults } = setup(false);
    const handler = table.idOf("handler")!;
    expect(table.takeLoadRequests()).toEqual([]);
    expect(table.resolution(handler)).toMatchObject({ kind: "alias", target: table.idOf("default_handler") });
    expect(table.resolveAlias(handler)).toBe(table.idOf("default_handler"));
    expect(table.winnerInput(table.resolveAlias(handler)!)).toBe(defaults);
    expect(table.isDefined(handler)).toBe(true);
    expect(table.check()).toEqual([]);
  });

  test("not used when the name is defined", () => {
    const { table } = setup(false);
    const user = table.addInput("user.obj");
    table.define(user, "handler", 2, 0);
    expect(table.resolution("handler")).toMatchObject({ kind: "defined", input: user });
    expect(table.resolveAlias(table.idOf("handler")!)).toBe(table.idOf("handler"));
  });

  test("no-library mode does not load members; library mode does", () => {
    const noLibrary = setup(false);
    expect(noLibrary.table.takeLoadRequests()).toEqual([]);
    const library = setup(true);
    expect(library.table.takeLoadRequests()).toEqual([library.member]);
    library.table.define(library.member, "handler", 3, 0);
    expect(library.table.resolution("handler")).toMatchObject({ kind: "defined", input: library.member });
  });

  test("an alias in use asks for its target, which may come from an archive", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.obj");
    const member = table.addInput("lib.lib(default.obj)");
    table.defineAlias(main, "handler", "default_handler", false);
    table.reference(main, "handler", 0, RefFlags.NoLoad);
    table.defineLazy(member, "default_handler");
    expect(table.takeLoadRequests()).toEqual([member]);
  });

  test("an alias whose target is undefined leaves the name undefined", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.obj");
    table.defineAlias(main, "handler", "default_handler", false);
    table.reference(main, "handler", 0, RefFlags.NoLoad);
    expect(table.diagnostics().map((d) => d.message)).toEqual(["error: undefined symbol: handler\n>>> referenced by main.obj"]);
  });

  test("an alias cycle resolves to nothing", () => {
    const table = new SymbolTable();
    const main = table.addInput("main.obj");
    table.defineAlias(main, "a", "b", false);
    table.defineAlias(main, "b", "a", false);
    expect(table.resolveAlias(table.idOf("a")!)).toBeUndefined();
    expect(table.isDefined(table.idOf("a")!)).toBe(false);
  });
});

describe("common symbols", () => {
  test("largest size wins, alignment is the maximum (ELF -fcommon)", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    const c = table.addInput("c.o");
    table.defineCommon(a, "buf", 16, 16);
    table.defineCommon(b, "buf", 64, 4);
    table.defineCommon(c, "buf", 64, 8);
    expect(table.resolution("buf")).toEqual({ kind: "common", input: b, size: 64, alignment: 16 });
  });

  test("a regular definition beats common; common beats weak", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    const c = table.addInput("c.o");
    table.defineWeak(a, "buf", 1, 0);
    table.defineCommon(b, "buf", 64, 8);
    expect(table.resolution("buf").kind).toBe("common");
    table.define(c, "buf", 2, 0);
    expect(table.resolution("buf")).toMatchObject({ kind: "defined", input: c });
    expect(table.check()).toEqual([]);
  });

  test("removing the largest common falls back to the next largest, alignment recomputed", () => {
    const table = new SymbolTable();
    const a = table.addInput("a.o");
    const b = table.addInput("b.o");
    table.defineCommon(a, "buf", 16, 4);
    table.defineCommon(b, "buf", 64, 32);
    const report = table.removeInput(b);
    expect(report.symbols).toEqual([table.idOf("buf")]);
    expect(table.resolution("buf")).toEqual({ kind: "common", input: a, size: 16, alignment: 4 });
  });
});
