// saveState / restoreState: a restored table behaves exactly as the saved one would have, whatever comes next.
import { deserialize, serialize } from "node:v8";
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import {
  ComdatSelection,
  RefFlags,
  SymbolTable,
  SymbolTableUsageError,
  type ComdatSelection as Selection,
  type SymbolTableOptions,
  type SymbolTableState,
} from "./index.js";
import { STATE_VERSION } from "./state.js";

// Names with a NUL, non-ASCII characters, an empty name; "g0" and "g1" also name COMDAT groups, "g2" only a group.
const NAMES = ["a", "b", "c", "d", "g0", "g1", "caf\u00e9", "nul\0name", "", "a_rather_long_name_of_some_function@@YAXXZ"];
const GROUPS = ["g0", "g1", "g2"];
const SELECTIONS: readonly Selection[] = [ComdatSelection.Any, ComdatSelection.NoDuplicates, ComdatSelection.SameSize, ComdatSelection.ExactMatch, ComdatSelection.Largest];

const OPTIONS: SymbolTableOptions = {
  where: (input, site) => (site % 2 === 0 ? `f${input}_${site}` : undefined),
  displayName: (name) => `<${name}>`,
};

type Op =
  | { readonly op: "addInput" }
  | { readonly op: "define" | "defineWeak"; readonly input: number; readonly name: number; readonly a: number; readonly b: number; readonly comdat: number }
  | { readonly op: "defineCommon"; readonly input: number; readonly name: number; readonly a: number; readonly b: number }
  | { readonly op: "defineAbsolute" | "defineSynthetic"; readonly input: number; readonly name: number; readonly a: number; readonly b: number }
  | { readonly op: "defineLazy"; readonly input: number; readonly name: number }
  | { readonly op: "defineAlias"; readonly input: number; readonly name: number; readonly target: number; readonly mayLoad: boolean }
  | { readonly op: "reference"; readonly input: number; readonly name: number; readonly site: number; readonly flags: number }
  | { readonly op: "addComdat"; readonly input: number; readonly group: number; readonly selection: number; readonly size: number; readonly checksum: number; readonly byId: boolean }
  | { readonly op: "addAssociative"; readonly input: number; readonly group: number; readonly section: number }
  | { readonly op: "removeInput"; readonly input: number }
  | { readonly op: "takeChanges" }
  | { readonly op: "discardChanges" }
  | { readonly op: "takeLoadRequests" }
  | { readonly op: "loadMembers" }
  | { readonly op: "intern"; readonly name: number }
  | { readonly op: "internAscii"; readonly name: number }
  | { readonly op: "idOf"; readonly name: number }
  | { readonly op: "idOfAscii"; readonly name: number };

const input = fc.nat(7);
const name = fc.nat(NAMES.length - 1);
const small = fc.nat(3);
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ op: "addInput" as const }),
  fc.record({ op: fc.constantFrom("define" as const, "defineWeak" as const), input, name, a: small, b: small.map((n) => n * 8), comdat: fc.integer({ min: -1, max: 3 }) }),
  fc.record({ op: fc.constantFrom("defineCommon" as const, "defineAbsolute" as const, "defineSynthetic" as const), input, name, a: small, b: small.map((n) => n * 8) }),
  fc.record({ op: fc.constant("defineLazy" as const), input, name }),
  fc.record({ op: fc.constant("defineAlias" as const), input, name, target: name, mayLoad: fc.boolean() }),
  fc.record({ op: fc.constant("reference" as const), input, name, site: small, flags: fc.constantFrom(0, RefFlags.Weak, RefFlags.NoLoad, RefFlags.Weak | RefFlags.NoLoad) }),
  fc.record({ op: fc.constant("addComdat" as const), input, group: fc.nat(GROUPS.length - 1), selection: fc.nat(SELECTIONS.length - 1), size: small, checksum: small, byId: fc.boolean() }),
  fc.record({ op: fc.constant("addAssociative" as const), input, group: small, section: small }),
  fc.record({ op: fc.constant("removeInput" as const), input }),
  fc.constantFrom<Op>({ op: "takeChanges" }, { op: "discardChanges" }, { op: "takeLoadRequests" }, { op: "loadMembers" }),
  fc.record({ op: fc.constantFrom("intern" as const, "internAscii" as const, "idOf" as const, "idOfAscii" as const), name }) as fc.Arbitrary<Op>,
);
const ops = (maxLength: number) => fc.array(opArbitrary, { maxLength });

const ascii = (text: string): Uint8Array | undefined => (/^[\x00-\x7f]*$/.test(text) ? Uint8Array.from(text, (c) => c.charCodeAt(0)) : undefined);

/** Applies one operation; its result (or the error it threw) is what the caller sees. */
function apply(table: SymbolTable, op: Op): unknown {
  try {
    if (op.op === "addInput") return table.addInput(`input${table.inputCount}.o`);
    if (op.op === "takeChanges") return table.takeChanges();
    if (op.op === "discardChanges") return table.discardChanges();
    if (op.op === "takeLoadRequests") return table.takeLoadRequests();
    if (op.op === "loadMembers") return table.loadMembers((member) => table.define(member, NAMES[member % NAMES.length]!, 1, member));
    if (op.op === "intern") return table.intern(NAMES[op.name]!);
    if (op.op === "idOf") return table.idOf(NAMES[op.name]!);
    if (op.op === "internAscii" || op.op === "idOfAscii") {
      const bytes = ascii(NAMES[op.name]!);
      if (bytes === undefined) return "not ascii";
      // Inside a larger buffer: the range matters, not the whole array.
      const padded = new Uint8Array(bytes.length + 4).fill(0x7a);
      padded.set(bytes, 2);
      return op.op === "internAscii" ? table.internAscii(padded, 2, 2 + bytes.length) : table.idOfAscii(padded, 2, 2 + bytes.length);
    }
    if (table.inputCount === 0) return "no input";
    const input = op.input % table.inputCount;
    switch (op.op) {
      case "define":
      case "defineWeak": {
        const comdat = op.comdat < 0 || table.comdatCount === 0 ? -1 : op.comdat % table.comdatCount;
        return table[op.op](input, NAMES[op.name]!, op.a, op.b, comdat);
      }
      case "defineCommon":
        return table.defineCommon(input, NAMES[op.name]!, op.b, 1 << op.a);
      case "defineAbsolute":
        return table.defineAbsolute(input, NAMES[op.name]!, op.b);
      case "defineSynthetic":
        return table.defineSynthetic(input, NAMES[op.name]!, op.a, op.b);
      case "defineLazy":
        return table.defineLazy(input, NAMES[op.name]!);
      case "defineAlias":
        return table.defineAlias(input, NAMES[op.name]!, NAMES[op.target]!, op.mayLoad);
      case "reference":
        return table.reference(input, NAMES[op.name]!, op.site, op.flags);
      case "addComdat": {
        const groupName = GROUPS[op.group]!;
        return table.addComdat(input, op.byId ? table.intern(groupName) : groupName, SELECTIONS[op.selection]!, op.size, op.checksum);
      }
      case "addAssociative":
        return table.addAssociative(input, table.comdatCount === 0 ? 0 : op.group % table.comdatCount, op.section);
      case "removeInput":
        return table.removeInput(input);
    }
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Everything a caller can see of a table without changing it. */
function observe(table: SymbolTable) {
  const ids = [...table.symbols()];
  const groups = Array.from({ length: table.comdatCount }, (_, g) => g);
  const inputs = Array.from({ length: table.inputCount }, (_, i) => i);
  let check: unknown;
  try {
    check = table.check();
  } catch (error) {
    check = { error: (error as Error).message };
  }
  return {
    counts: [table.symbolCount, table.inputCount, table.comdatCount],
    symbols: ids.map((id) => ({
      name: table.nameOf(id),
      resolution: table.resolution(id),
      winner: [table.winnerKind(id), table.winnerInput(id), table.winnerSection(id), table.winnerValue(id)],
      references: table.referenceCount(id),
      defined: table.isDefined(id),
      alias: table.resolveAlias(id),
    })),
    byName: NAMES.map((n) => [table.idOf(n), table.resolution(n)]),
    inputs: inputs.map((i) => ({ name: table.inputName(i), loaded: table.isLoaded(i), references: table.referencesOf(i) })),
    groups: groups.map((g) => ({
      name: table.comdatName(g),
      id: table.comdatId(table.comdatName(g)),
      winner: table.comdatWinner(g),
      inputs: table.comdatInputs(g),
      kept: inputs.map((i) => table.isComdatKept(g, i)),
    })),
    groupIds: GROUPS.map((n) => table.comdatId(n)),
    discarded: table.discardedComdats(),
    diagnostics: table.diagnostics(),
    diagnosticsOf: table.diagnosticsOf(ids, groups),
    check,
  };
}

/** What `structuredClone` does to the state is what v8.serialize and deserialize do. */
const roundTrip = (state: SymbolTableState): SymbolTableState => structuredClone(state);

function build(prefix: readonly Op[], options: SymbolTableOptions = OPTIONS): SymbolTable {
  const table = new SymbolTable(options);
  for (const op of prefix) apply(table, op);
  return table;
}

/** Applies `ops` to both tables one by one, requiring the same results, then the same view and the same state. */
function expectSameFuture(original: SymbolTable, restored: SymbolTable, ops: readonly Op[]): void {
  for (const op of ops) expect(apply(restored, op)).toEqual(apply(original, op));
  expect(observe(restored)).toEqual(observe(original));
  expect(restored.saveState()).toEqual(original.saveState());
  expect(restored.takeChanges()).toEqual(original.takeChanges());
  expect(restored.takeLoadRequests()).toEqual(original.takeLoadRequests());
}

/** A table with some of everything: COMDAT groups (kept, discarded, associative), aliases, archive members, pending changes. */
function linkedTable(options: SymbolTableOptions = OPTIONS): SymbolTable {
  const table = new SymbolTable(options);
  const main = table.addInput("main.obj");
  const util = table.addInput("util.obj");
  const other = table.addInput("other.obj");
  const member = table.addInput("libc.lib(puts.obj)");
  const unused = table.addInput("libc.lib(printf.obj)");
  table.define(main, "main", 1, 0);
  table.reference(main, "puts", 0);
  table.reference(main, "missing", 2);
  table.reference(util, "missing", 3, RefFlags.Weak);
  table.defineLazy(member, "puts");
  table.defineLazy(unused, "printf");
  table.defineAlias(util, "handler", "default_handler", true);
  table.define(other, "default_handler", 1, 64);
  table.define(util, "twice", 1, 0);
  table.define(other, "twice", 2, 0);
  table.defineCommon(util, "buffer", 16, 8);
  table.defineCommon(other, "buffer", 32, 4);
  for (const input of [main, util, other]) {
    const group = table.addComdat(input, table.intern("inline_fn"), ComdatSelection.Any, 8);
    table.define(input, "inline_fn", 2, 0, group);
    table.addAssociative(input, group, 7);
  }
  table.addComdat(util, "$unnamed_group", ComdatSelection.SameSize, 4);
  table.addComdat(other, "$unnamed_group", ComdatSelection.SameSize, 8);
  table.loadMembers((m) => table.define(m, "puts", 1, 0));
  table.takeChanges();
  table.removeInput(main); // frees candidates, instances and associations: free lists to save
  table.define(main, "main", 1, 16);
  table.reference(main, "puts", 0);
  table.defineLazy(member, "late"); // pending loads and journal entries not yet taken
  table.reference(main, "late");
  return table;
}

describe("saveState and restoreState", () => {
  test("a linked table restored behaves like the original in every later operation", () => {
    const original = linkedTable();
    const restored = SymbolTable.restoreState(roundTrip(original.saveState()), OPTIONS);
    expect(observe(restored)).toEqual(observe(original));
    expectSameFuture(original, restored, [
      { op: "takeLoadRequests" },
      { op: "removeInput", input: 2 },
      { op: "addInput" },
      { op: "define", input: 5, name: 0, a: 1, b: 8, comdat: -1 },
      { op: "addComdat", input: 5, group: 0, selection: 0, size: 8, checksum: 0, byId: true },
      { op: "takeChanges" },
      { op: "removeInput", input: 1 },
      { op: "loadMembers" },
    ]);
  });

  test("the state is plain data: numbers, strings, plain objects and typed arrays only", () => {
    const visit = (value: unknown, path: string): void => {
      if (typeof value === "number" || typeof value === "string") return;
      if (ArrayBuffer.isView(value)) {
        expect(value, path).toSatisfy((v) => v instanceof Int32Array || v instanceof Uint8Array || v instanceof Float64Array);
        return;
      }
      expect(typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype, `${path} is a plain object`).toBe(true);
      for (const [key, field] of Object.entries(value as object)) visit(field, `${path}.${key}`);
    };
    visit(linkedTable().saveState(), "state");
  });

  test("a v8.serialize round trip, as the linker does it between processes", () => {
    const original = linkedTable();
    const restored = SymbolTable.restoreState(deserialize(serialize(original.saveState())) as SymbolTableState, OPTIONS);
    expectSameFuture(original, restored, [{ op: "takeLoadRequests" }, { op: "removeInput", input: 0 }, { op: "takeChanges" }]);
  });

  test("names with a NUL, non-ASCII characters or nothing at all are found again, by string and by bytes", () => {
    const original = new SymbolTable();
    const input = original.addInput("a.o");
    for (const [i, n] of NAMES.entries()) original.define(input, n, i, 0);
    const restored = SymbolTable.restoreState(roundTrip(original.saveState()));
    for (const [i, n] of NAMES.entries()) {
      expect(restored.idOf(n)).toBe(i);
      expect(restored.nameOf(i)).toBe(n);
      const bytes = ascii(n);
      if (bytes !== undefined) expect(restored.idOfAscii(bytes, 0, bytes.length)).toBe(i);
    }
    expect(restored.idOf("nul")).toBeUndefined();
    expect(restored.idOf("a\0")).toBeUndefined();
    expect(restored.intern("caf\u00e9")).toBe(6);
    expect(restored.symbolCount).toBe(NAMES.length);
  });

  test("a state straight from saveState, or restored twice, gives tables that share nothing", () => {
    const original = linkedTable();
    const direct = SymbolTable.restoreState(original.saveState(), OPTIONS);
    const cloned = roundTrip(original.saveState());
    const first = SymbolTable.restoreState(cloned, OPTIONS);
    const second = SymbolTable.restoreState(cloned, OPTIONS);
    // Node's deserialize makes the arrays views into the one buffer: two states of one buffer, restored.
    const bytes = serialize(original.saveState());
    const third = SymbolTable.restoreState(deserialize(bytes) as SymbolTableState, OPTIONS);
    const fourth = SymbolTable.restoreState(deserialize(bytes) as SymbolTableState, OPTIONS);
    const before = observe(original);
    for (const [i, table] of [original, direct, first, second, third, fourth].entries()) {
      table.removeInput(i % table.inputCount);
      table.define(0, `only_in_table_${i}`, 1, i);
    }
    for (const [i, table] of [direct, first, second, third, fourth].entries()) {
      const reference = linkedTable();
      reference.removeInput((i + 1) % reference.inputCount);
      reference.define(0, `only_in_table_${i + 1}`, 1, i + 1);
      expect(observe(table)).toEqual(observe(reference));
    }
    expect(before).not.toEqual(observe(original));
  });

  test("a restored table saved again (names added since) restores the same", () => {
    const original = linkedTable();
    const restored = SymbolTable.restoreState(roundTrip(original.saveState()), OPTIONS);
    for (const table of [original, restored]) {
      table.define(1, "added_after_restore", 1, 0);
      table.removeInput(0);
    }
    const again = SymbolTable.restoreState(roundTrip(restored.saveState()), OPTIONS);
    expectSameFuture(original, again, [{ op: "intern", name: 3 }, { op: "takeChanges" }, { op: "removeInput", input: 3 }]);
  });

  test("the options are the restoring caller's: severities and callbacks", () => {
    const state = roundTrip(linkedTable().saveState());
    const lenient = SymbolTable.restoreState(state, { duplicates: "warning", undefinedSymbols: "warning" });
    expect(lenient.check().map((d) => d.severity)).toEqual(lenient.diagnostics().map(() => "warning"));
    expect(lenient.diagnostics().map((d) => d.message)).toContain("warning: undefined symbol: late\n>>> referenced by main.obj");
    const strict = SymbolTable.restoreState(roundTrip(linkedTable().saveState()), OPTIONS);
    expect(() => strict.check()).toThrow(/undefined symbol: <late>\n>>> referenced by main\.obj:\(f0_0\)/);
  });

  test("an empty table round-trips", () => {
    const restored = SymbolTable.restoreState(roundTrip(new SymbolTable().saveState()));
    expectSameFuture(new SymbolTable(), restored, [{ op: "addInput" }, { op: "define", input: 0, name: 1, a: 1, b: 0, comdat: -1 }]);
  });

  test("every field of the table is saved (a field added later must be saved too, or listed here as not saved)", () => {
    const fields = Object.keys(new SymbolTable()).sort();
    expect(fields).toEqual(
      [
        // Not saved: the restoring caller's options; removeInput's scratch (all zero between calls).
        "options", "symMarked",
        // Saved as the state's names, and made from them again.
        "names", "savedNames", "savedNameStarts", "savedNameCount", "nameBytes", "nameBytesLength", "nameStart", "nameEnd", "groupNames", "groupSymbol", "groupIdsByName", "inputNames",
        "nameSlots", "symHash", "symDefHead", "symDefTail", "symRefHead", "symRefTail", "symWinner", "symAlign", "symRefCount",
        "symStrongRefCount", "symDemand", "symPending", "symEpoch", "symGroup", "pendingLoads", "aliasWinners",
        "candKind", "candFlags", "candInput", "candSymbol", "candA", "candB", "candInstance", "candNext", "candPrev",
        "candNextInInput", "candNextInInstance", "candCount", "candFree",
        "inputCandHead", "inputInstHead", "inputLoaded",
        "groupHead", "groupWinner", "groupEpoch",
        "instGroup", "instInput", "instSelection", "instSize", "instChecksum", "instNext", "instPrev", "instNextInInput",
        "instDefHead", "instAssocHead", "instCount", "instFree",
        "assocSection", "assocNext", "assocCount", "assocFree",
        "epoch", "journal", "journalLength", "journalGroup", "journalGroupWinner", "newNamesFrom", "newGroupsFrom",
        // Not saved: removeInput's flag (false between calls).
        "journalEverything",
      ].sort(),
    );
  });
});

describe("properties of saveState and restoreState", () => {
  test("after any history, a restored table answers every later operation as the original does", () => {
    fc.assert(
      fc.property(ops(40), ops(25), (before, after) => {
        const original = build(before);
        // Observed only after the operations: asking every name first would make them all strings at once.
        const restored = SymbolTable.restoreState(roundTrip(original.saveState()), OPTIONS);
        expectSameFuture(original, restored, after);
      }),
      { numRuns: 300 },
    );
  });

  test("saving a restored table after further changes, and restoring that, changes nothing either", () => {
    fc.assert(
      fc.property(ops(30), ops(15), ops(15), (before, between, after) => {
        const original = build(before);
        const restored = SymbolTable.restoreState(roundTrip(original.saveState()), OPTIONS);
        for (const op of between) expect(apply(restored, op)).toEqual(apply(original, op));
        const again = SymbolTable.restoreState(roundTrip(restored.saveState()), OPTIONS);
        expectSameFuture(original, again, after);
      }),
      { numRuns: 200 },
    );
  });
});

describe("a malformed or foreign state", () => {
  /** A copy of `state` with the field at `path` set to `value` (undefined deletes it). */
  function withField(state: SymbolTableState, path: string, value: unknown): unknown {
    const copy = structuredClone(state) as unknown as Record<string, unknown>;
    const keys = path.split(".");
    let at = copy;
    for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
    if (value === undefined) delete at[keys.at(-1)!];
    else at[keys.at(-1)!] = value;
    return copy;
  }

  const state = linkedTable().saveState();
  const symbolCount = state.symbols.count;
  const cases: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["a string", "state"],
    ["an array", []],
    ["an empty object", {}],
    ["another format", withField(state, "format", "something-else")],
    ["a later version", withField(state, "version", STATE_VERSION + 1)],
    ["a version as a string", withField(state, "version", "1")],
    ["no epoch", withField(state, "epoch", undefined)],
    ["a fractional epoch", withField(state, "epoch", 1.5)],
    ["no symbols", withField(state, "symbols", undefined)],
    ["symbols as null", withField(state, "symbols", null)],
    ["a symbol count that disagrees with the columns", withField(state, "symbols.count", symbolCount + 1)],
    ["a negative count", withField(state, "candidates.count", -1)],
    ["a column as a plain array", withField(state, "symbols.winner", Array.from(state.symbols.winner))],
    ["a column of the wrong type", withField(state, "symbols.hash", new Float64Array(symbolCount))],
    ["a short column", withField(state, "candidates.next", state.candidates.next.slice(1))],
    ["names not a string", withField(state, "symbols.names.joined", 7)],
    ["names shorter than their starts", withField(state, "symbols.names.joined", state.symbols.names.joined.slice(1))],
    ["starts that go backwards", withField(state, "symbols.names.starts", state.symbols.names.starts.map((s, i) => (i === 1 ? 1000 : s)))],
    ["too few name slots", withField(state, "symbols.nameSlots", new Int32Array(symbolCount).fill(-1))],
    ["name slots not a power of two", withField(state, "symbols.nameSlots", new Int32Array(3000).fill(-1))],
    ["a free list head out of range", withField(state, "candidates.free", state.candidates.count)],
    ["a group named after a symbol of another group", withField(state, "groups.symbol", state.groups.symbol.map((s) => (s === -1 ? s : 0)))],
    ["a pending load out of range", withField(state, "symbols.pendingLoads", Int32Array.of(symbolCount))],
    ["a journal of partial entries", withField(state, "journal.entries", new Float64Array(3))],
    ["a journal floor past the names", withField(state, "journal.newNamesFrom", symbolCount + 1)],
    ["group journal columns of different lengths", withField(state, "journal.groupWinners", new Int32Array(state.journal.groups.length + 1))],
    ["a JSON round trip (typed arrays become objects)", JSON.parse(JSON.stringify(state))],
  ];

  test.each(cases)("%s is refused with a SymbolTableUsageError", (_what, bad) => {
    let thrown: unknown;
    try {
      SymbolTable.restoreState(bad as SymbolTableState, OPTIONS);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SymbolTableUsageError);
    expect((thrown as Error).message).toMatch(/^restoreState: /);
  });

  test("the state itself is fine: each case above breaks one thing", () => {
    expect(observe(SymbolTable.restoreState(structuredClone(state), OPTIONS))).toEqual(observe(linkedTable()));
  });
});
