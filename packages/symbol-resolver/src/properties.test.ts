// Property-based tests: the resolution is a function of the set of contributions, however it was reached.
//
// Tie rule under test: among candidates of equal rank the lowest InputId wins (weak vs weak, lazy vs
// lazy, COMDAT ANY, common of equal size), so ids are registered in one fixed order (the command line)
// and only the order contributions are added in varies.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { ComdatSelection, RefFlags, SymbolTable, type InputId } from "./index.js";

const NAMES = ["n0", "n1", "n2", "n3", "n4"];
const GROUPS = ["g0", "g1"];

type Op = "def" | "weak" | "common" | "abs" | "ref" | "weakref";
interface Contribution {
  readonly op: Op;
  readonly name: number;
  readonly a: number;
  readonly b: number;
}
interface ComdatContribution {
  readonly group: number;
  readonly largest: boolean;
  readonly size: number;
  readonly name: number;
  readonly weak: boolean;
}
interface ObjectSpec {
  readonly symbols: readonly Contribution[];
  readonly comdats: readonly ComdatContribution[];
}
interface World {
  readonly objects: readonly ObjectSpec[];
  /** Archive members: their contents; the lazy names are the names they define. */
  readonly members: readonly (readonly Contribution[])[];
}

const contribution = (ops: readonly Op[]) =>
  fc.record({
    op: fc.constantFrom(...ops),
    name: fc.nat(NAMES.length - 1),
    a: fc.nat(3),
    b: fc.nat(3).map((n) => n * 8),
  });
const comdat = fc.record({
  group: fc.nat(GROUPS.length - 1),
  largest: fc.boolean(),
  size: fc.nat(2).map((n) => n * 4),
  name: fc.nat(NAMES.length - 1),
  weak: fc.boolean(),
});
const objectSpec = fc.record({
  symbols: fc.array(contribution(["def", "weak", "common", "abs", "ref", "weakref"]), { maxLength: 5 }),
  comdats: fc.uniqueArray(comdat, { maxLength: 2, selector: (c) => c.group }),
});
const world: fc.Arbitrary<World> = fc.record({
  objects: fc.array(objectSpec, { minLength: 1, maxLength: 6 }),
  members: fc.array(fc.array(contribution(["def", "weak", "common", "ref"]), { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
});

function addSymbols(table: SymbolTable, input: InputId, symbols: readonly Contribution[]): void {
  for (const s of symbols) {
    const name = NAMES[s.name]!;
    switch (s.op) {
      case "def": table.define(input, name, s.a, s.b); break;
      case "weak": table.defineWeak(input, name, s.a, s.b); break;
      case "common": table.defineCommon(input, name, s.b, 1 << s.a); break;
      case "abs": table.defineAbsolute(input, name, s.b); break;
      case "ref": table.reference(input, name, s.a); break;
      case "weakref": table.reference(input, name, s.a, RefFlags.Weak | RefFlags.NoLoad); break;
    }
  }
}

function addObject(table: SymbolTable, input: InputId, spec: ObjectSpec): void {
  for (const c of spec.comdats) {
    const group = table.addComdat(input, GROUPS[c.group]!, c.largest ? ComdatSelection.Largest : ComdatSelection.Any, c.size);
    if (c.weak) table.defineWeak(input, NAMES[c.name]!, 9, c.size, group);
    else table.define(input, NAMES[c.name]!, 9, c.size, group);
  }
  addSymbols(table, input, spec.symbols);
}

function addLazies(table: SymbolTable, member: InputId, contents: readonly Contribution[]): void {
  for (const s of contents) if (s.op !== "ref") table.defineLazy(member, NAMES[s.name]!);
}

/** Objects get ids 0..n-1, members n..; returns the member ids. */
function register(table: SymbolTable, w: World): InputId[] {
  w.objects.forEach((_, i) => table.addInput(`obj${i}.o`));
  return w.members.map((_, i) => table.addInput(`lib.a(m${i}.o)`));
}

function loadAll(table: SymbolTable, w: World): void {
  table.loadMembers((member) => addSymbols(table, member, w.members[member - w.objects.length]!));
}

/** Everything observable, by name (ids differ between tables). */
function snapshot(table: SymbolTable, loadedExtra: ReadonlySet<InputId> = new Set()) {
  const resolutions: Record<string, unknown> = {};
  for (const name of NAMES) {
    const r = table.resolution(name);
    resolutions[name] = "comdat" in r && r.comdat !== -1 ? { ...r, comdat: table.comdatName(r.comdat) } : r;
  }
  const comdats: Record<string, number> = {};
  for (const name of GROUPS) {
    const id = table.comdatId(name);
    if (id !== undefined && table.comdatWinner(id) !== -1) comdats[name] = table.comdatWinner(id);
  }
  const loaded: InputId[] = [];
  for (let input = 0; input < table.inputCount; input++) if (table.isLoaded(input) || loadedExtra.has(input)) loaded.push(input);
  return {
    resolutions,
    comdats,
    discarded: table.discardedComdats().map((d) => `${d.groupName}@${d.input}`).sort(),
    loaded,
    diagnostics: table.diagnostics().map((d) => d.message).sort(),
  };
}

function build(w: World, order: readonly number[]): SymbolTable {
  const table = new SymbolTable();
  const members = register(table, w);
  const all = [...w.objects.keys(), ...members];
  for (const index of order) {
    const input = all[index]!;
    if (input < w.objects.length) addObject(table, input, w.objects[input]!);
    else addLazies(table, input, w.members[input - w.objects.length]!);
  }
  loadAll(table, w);
  return table;
}

const worldWithOrder = world.chain((w) =>
  fc.tuple(fc.constant(w), fc.shuffledSubarray([...Array(w.objects.length + w.members.length).keys()], {
    minLength: w.objects.length + w.members.length,
  })),
);

describe("properties", () => {
  test("the result does not depend on the order inputs are added in", () => {
    fc.assert(
      fc.property(worldWithOrder, ([w, order]) => {
        const natural = build(w, [...order.keys()]);
        const shuffled = build(w, order);
        expect(snapshot(shuffled)).toEqual(snapshot(natural));
      }),
      { numRuns: 400 },
    );
  });

  test("removing an object and adding it back equals never removing it", () => {
    fc.assert(
      fc.property(world, fc.nat(), (w, pick) => {
        const table = build(w, [...Array(w.objects.length + w.members.length).keys()]);
        const before = snapshot(table);
        const victim = pick % w.objects.length;
        table.removeInput(victim);
        addObject(table, victim, w.objects[victim]!);
        loadAll(table, w);
        expect(snapshot(table)).toEqual(before);
      }),
      { numRuns: 400 },
    );
  });

  test("adding and removing incrementally equals resolving what remains from scratch", () => {
    const steps = fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.boolean()), { maxLength: 12 });
    fc.assert(
      fc.property(world, steps, (w, plan) => {
        const incremental = new SymbolTable();
        const members = register(incremental, w);
        for (const member of members) addLazies(incremental, member, w.members[member - w.objects.length]!);
        const present = new Set<InputId>();
        for (const [pick, add, load] of plan) {
          const input = pick % w.objects.length;
          if (add && !present.has(input)) {
            addObject(incremental, input, w.objects[input]!);
            present.add(input);
          } else if (!add && present.has(input)) {
            incremental.removeInput(input);
            present.delete(input);
          }
          if (load) loadAll(incremental, w);
        }
        loadAll(incremental, w);

        // From scratch: the objects still present, loaded members as plain objects, the rest lazy.
        const scratch = new SymbolTable();
        register(scratch, w);
        const loadedMembers = new Set(members.filter((m) => incremental.isLoaded(m)));
        for (const input of [...present].sort((x, y) => y - x)) addObject(scratch, input, w.objects[input]!);
        for (const member of members) {
          const contents = w.members[member - w.objects.length]!;
          if (loadedMembers.has(member)) addSymbols(scratch, member, contents);
          else addLazies(scratch, member, contents);
        }
        loadAll(scratch, w);
        expect(snapshot(scratch, loadedMembers)).toEqual(snapshot(incremental));
      }),
      { numRuns: 400 },
    );
  });

  test("the change report names exactly the names whose resolution changed", () => {
    const resolutions = (table: SymbolTable) =>
      NAMES.map((name) => {
        const { comdat: _ignored, ...rest } = table.resolution(name) as { comdat?: number };
        return JSON.stringify(rest);
      });
    fc.assert(
      fc.property(world, fc.nat(), objectSpec, fc.boolean(), (w, pick, replacement, replace) => {
        const table = build(w, [...Array(w.objects.length + w.members.length).keys()]);
        table.takeChanges();
        const before = resolutions(table);
        const victim = pick % w.objects.length;
        const removal = table.removeInput(victim);
        const afterRemoval = resolutions(table);
        expect(removal.symbols.map((id) => table.nameOf(id)).sort()).toEqual(
          NAMES.filter((_, i) => afterRemoval[i] !== before[i]),
        );
        if (replace) addObject(table, victim, replacement);
        loadAll(table, w);
        const after = resolutions(table);
        expect(table.takeChanges().symbols.map((id) => table.nameOf(id)).sort()).toEqual(
          NAMES.filter((_, i) => after[i] !== before[i]),
        );
      }),
      { numRuns: 400 },
    );
  });
});
