// Random sequences of place / resize / free / arrange / section growth on COFF-like and ELF-like images, with every
// invariant and every change report checked against an independent model after each step.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Layout } from "./index.js";
import type { ArrangedAtom, AtomId, AtomPlacement, SectionChanges, SectionInfo, SectionMode } from "./index.js";

interface Format {
  readonly name: string;
  readonly headerSize: number;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly sections: readonly { readonly name: string; readonly noBits?: boolean; readonly alignment?: number }[];
}

const COFF: Format = {
  name: "coff",
  headerSize: 0x2f8,
  sectionAlignment: 0x1000,
  fileAlignment: 0x200,
  sections: [{ name: ".text" }, { name: ".rdata" }, { name: ".data" }, { name: ".bss", noBits: true }],
};

const ELF: Format = {
  name: "elf",
  headerSize: 64 + 56 * 4,
  sectionAlignment: 0x1000,
  fileAlignment: 0x1000,
  sections: [
    { name: ".text", alignment: 0x1000 },
    { name: ".rodata", alignment: 64 },
    { name: ".data", alignment: 64 },
    { name: ".bss", noBits: true, alignment: 64 },
  ],
};

type Command =
  | { readonly kind: "place"; readonly section: number; readonly size: number; readonly alignLog2: number }
  | { readonly kind: "resize"; readonly pick: number; readonly size: number }
  | { readonly kind: "free"; readonly pick: number }
  | { readonly kind: "refill"; readonly pick: number }
  | { readonly kind: "grow"; readonly section: number; readonly virtualExtra: number; readonly fileExtra: number }
  | { readonly kind: "fileRange"; readonly size: number }
  | { readonly kind: "arrange"; readonly section: number; readonly shuffle: number; readonly sizes: readonly number[] }
  | { readonly kind: "takeChanges" };

const atomSize = fc.oneof(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 3000 }));
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("place" as const), section: fc.nat(3), size: atomSize, alignLog2: fc.nat(6) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("resize" as const), pick: fc.nat(), size: atomSize }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }) },
  // Exactly fill the hole after some atom: exact fits are where off-by-one errors live.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refill" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("grow" as const), section: fc.nat(3), virtualExtra: fc.nat(0x3000), fileExtra: fc.nat(0x3000) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fileRange" as const), size: fc.integer({ min: 1, max: 0x800 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "takeChanges" as const }) },
  // A section laid out again in another order with some atoms resized (a list an update changed).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("arrange" as const), section: fc.nat(3), shuffle: fc.nat(), sizes: fc.array(atomSize, { maxLength: 8 }) }) },
);

const scenario = fc.record({
  format: fc.constantFrom(COFF, ELF),
  modes: fc.array(fc.constantFrom<SectionMode>("packed", "incremental", "packed-growable"), { minLength: 4, maxLength: 4 }),
  growthFactor: fc.constantFrom(1, 1.25, 1.5, 2),
  minimumVirtualReserve: fc.constantFrom(0, 0x1000, 0x10000),
  minHoleSize: fc.constantFrom(0, 16, 64),
  initial: fc.array(fc.record({ section: fc.nat(3), size: atomSize, alignLog2: fc.nat(6) }), { maxLength: 40, size: "max" }),
  commands: fc.array(command, { maxLength: 80, size: "max" }),
});

interface ModelAtom {
  readonly section: number;
  size: number;
  readonly alignment: number;
}

interface AtomState {
  readonly section: number;
  readonly offset: number;
  readonly address: number;
  readonly size: number;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function snapshotAtoms(layout: Layout): Map<AtomId, AtomState> {
  const atoms = new Map<AtomId, AtomState>();
  for (let section = 0; section < layout.sectionCount; section++) {
    for (const id of layout.atomsInSection(section)) {
      const info = layout.atom(id);
      atoms.set(id, { section: info.section, offset: info.offset, address: info.address, size: info.size });
    }
  }
  return atoms;
}

function idealCapacity(layout: Layout, section: number, bytes: number): number {
  const { surplusNumerator, surplusDenominator } = layout.options.capacity;
  return layout.section(section).mode !== "incremental" ? bytes : bytes + Math.floor((bytes * surplusNumerator) / surplusDenominator);
}

/** The largest atom size whose ideal capacity fits in `room` bytes. */
function largestFitting(layout: Layout, section: number, room: number): number {
  let size = room;
  while (size > 0 && idealCapacity(layout, section, size) > room) size--;
  return size;
}

/**
 * The spec of placement, computed from public views only: the lowest tracked hole that fits, else the end.
 * Empty atoms mark positions and always go to the end.
 */
function expectedPlacement(layout: Layout, section: number, size: number, alignment: number): { offset: number; inHole: boolean } {
  const info = layout.section(section);
  const ideal = (bytes: number): number => idealCapacity(layout, section, bytes);
  if (ideal(size) === 0) return { offset: alignUp(info.usedSize, alignment), inHole: false };
  const ids = layout.atomsInSection(section);
  const first = ids[0];
  if (first !== undefined && ideal(size) <= layout.atom(first).offset) return { offset: 0, inHole: true };
  let best = Infinity;
  for (const id of ids) {
    const atom = layout.atom(id);
    const surplus = atom.capacity - ideal(atom.size);
    if (surplus <= 0 || surplus < layout.options.minHoleSize) continue;
    const start = alignUp(atom.offset + ideal(atom.size), alignment);
    if (start + ideal(size) <= atom.offset + atom.capacity) best = Math.min(best, start);
  }
  if (best !== Infinity) return { offset: best, inHole: true };
  return { offset: alignUp(info.usedSize, alignment), inHole: false };
}

function checkInvariants(layout: Layout, model: Map<AtomId, ModelAtom>, format: Format): void {
  layout.verify();
  const sections = layout.sections();
  let virtualEnd = format.headerSize;
  const fileRanges: { start: number; end: number; owner: string }[] = [];
  for (const range of layout.fileSpace.ranges) if (!sections.some((s) => s.name === range.owner)) fileRanges.push({ start: range.offset, end: range.offset + range.size, owner: range.owner });
  let liveCount = 0;
  for (const section of sections) {
    expect(section.address % section.alignment).toBe(0);
    expect(section.address).toBeGreaterThanOrEqual(virtualEnd);
    virtualEnd = section.address + section.virtualReserve;
    expect(section.usedSize).toBeLessThanOrEqual(section.virtualReserve);
    if (section.noBits) {
      expect(section.fileReserve).toBe(0);
    } else {
      expect(section.usedSize).toBeLessThanOrEqual(section.fileReserve);
      expect(section.fileOffset % format.fileAlignment).toBe(0);
      if (section.fileReserve > 0) fileRanges.push({ start: section.fileOffset, end: section.fileOffset + section.fileReserve, owner: section.name });
    }
    const ids = layout.atomsInSection(section.id);
    liveCount += ids.length;
    let previousEnd = 0;
    // Plain checks per atom (expect() per atom per step would dominate the run time).
    ids.forEach((id, index) => {
      const atom = layout.atom(id);
      const expected = model.get(id);
      const where = `${section.name} atom ${String(id)}`;
      check(expected !== undefined, `${where} is not in the model`);
      check(atom.section === expected?.section && atom.size === expected.size && atom.alignment === expected.alignment, `${where} differs from the model`);
      check(atom.address % atom.alignment === 0, `${where} misaligned at ${String(atom.address)}`);
      check(atom.address === section.address + atom.offset, `${where} address is not section address + offset`);
      check(atom.offset >= previousEnd, `${where} overlaps the previous atom`);
      previousEnd = atom.offset + atom.size;
      const next = ids[index + 1];
      const capacityEnd = next === undefined ? section.usedSize : layout.atom(next).offset;
      check(atom.capacity === capacityEnd - atom.offset, `${where} capacity ${String(atom.capacity)} is not the distance to the next atom`);
      check(atom.size <= atom.capacity, `${where} is larger than its capacity`);
    });
  }
  expect(liveCount).toBe(model.size);
  expect(layout.liveAtomCount).toBe(model.size);
  fileRanges.sort((a, b) => a.start - b.start);
  for (let index = 1; index < fileRanges.length; index++) {
    expect(fileRanges[index]?.start).toBeGreaterThanOrEqual(fileRanges[index - 1]?.end ?? 0);
  }
  expect(fileRanges[0]?.owner).toBe("headers");
}

/** Section moves and growth reported by one operation must equal the before/after difference exactly. */
function checkSectionChanges(before: readonly SectionInfo[], after: readonly SectionInfo[], changes: SectionChanges): void {
  const moved = after
    .filter((s, i) => s.address !== before[i]?.address || s.fileOffset !== before[i]?.fileOffset)
    .map((s) => ({ section: s.id, name: s.name, oldAddress: before[s.id]?.address, newAddress: s.address, oldFileOffset: before[s.id]?.fileOffset, newFileOffset: s.fileOffset }));
  expect([...changes.movedSections].sort((a, b) => a.section - b.section)).toEqual(moved);
  const grown = after
    .filter((s, i) => s.virtualReserve !== before[i]?.virtualReserve || s.fileReserve !== before[i]?.fileReserve)
    .map((s) => ({
      section: s.id,
      name: s.name,
      oldVirtualReserve: before[s.id]?.virtualReserve,
      newVirtualReserve: s.virtualReserve,
      oldFileReserve: before[s.id]?.fileReserve,
      newFileReserve: s.fileReserve,
    }));
  expect([...changes.grownSections].sort((a, b) => a.section - b.section)).toEqual(grown);
}

/** The section's atoms in an order `shuffle` picks, the first ones with the sizes `sizes` gives. */
function arrangement(layout: Layout, step: { readonly section: number; readonly shuffle: number; readonly sizes: readonly number[] }): ArrangedAtom[] {
  const key = (id: AtomId): number => (Math.imul(id + 1, 2654435761) ^ step.shuffle) >>> 0;
  const ids = layout.atomsInSection(step.section).sort((a, b) => key(a) - key(b));
  return ids.map((atom, i) => ({ atom, size: step.sizes[i] ?? layout.atom(atom).size }));
}

/** Atoms not operated on (nor in an arranged section) keep their offsets; their addresses change exactly by their section's move. */
function checkBystanders(before: Map<AtomId, AtomState>, after: Map<AtomId, AtomState>, sectionsAfter: readonly SectionInfo[], sectionsBefore: readonly SectionInfo[], operated: AtomId | null, arranged: number | null): void {
  for (const [id, old] of before) {
    if (id === operated || old.section === arranged) continue;
    const now = after.get(id);
    check(now !== undefined, `atom ${String(id)} lost`);
    check(now?.section === old.section && now.offset === old.offset && now.size === old.size, `atom ${String(id)} changed though it was not operated on`);
    const delta = (sectionsAfter[old.section]?.address ?? 0) - (sectionsBefore[old.section]?.address ?? 0);
    check(now?.address === old.address + delta, `atom ${String(id)} address changed by other than its section's move`);
  }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function checkPlacementResult(result: AtomPlacement, layout: Layout, old: AtomState | undefined): void {
  const info = layout.atom(result.atom);
  expect(result.offset).toBe(info.offset);
  expect(result.address).toBe(info.address);
  expect(result.capacity).toBe(info.capacity);
  expect(result.previousOffset).toBe(old?.offset ?? null);
  expect(result.previousAddress).toBe(old?.address ?? null);
  expect(result.moved).toBe(old !== undefined && old.offset !== info.offset);
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function newLayout(input: Scenario): Layout {
  const { format } = input;
  const layout = new Layout({
    headerSize: format.headerSize,
    sectionAlignment: format.sectionAlignment,
    fileAlignment: format.fileAlignment,
    growthFactor: input.growthFactor,
    minimumVirtualReserve: input.minimumVirtualReserve,
    minHoleSize: input.minHoleSize,
  });
  format.sections.forEach((section, index) => {
    layout.addSection(section.name, { noBits: section.noBits ?? false, alignment: section.alignment ?? format.sectionAlignment, mode: input.modes[index] ?? "packed" });
  });
  return layout;
}

function run(input: Scenario): void {
  const { format } = input;
  const layout = newLayout(input);
  const model = new Map<AtomId, ModelAtom>();
  for (const place of input.initial) {
    const result = layout.placeAtom(place.section, place.size, 2 ** place.alignLog2);
    model.set(result.atom, { section: place.section, size: place.size, alignment: 2 ** place.alignLog2 });
  }
  layout.assignAddresses();
  checkInvariants(layout, model, format);
  let batchAtoms = snapshotAtoms(layout);
  let batchSections = layout.sections();
  let symbolRanges = 0;

  for (const step of input.commands) {
    const atomsBefore = snapshotAtoms(layout);
    const sectionsBefore = layout.sections();
    const live = [...model.keys()];
    let changes: SectionChanges = { movedSections: [], grownSections: [] };
    let operated: AtomId | null = null;
    let arranged: number | null = null;
    switch (step.kind) {
      case "place":
      case "refill": {
        let section: number;
        let size: number;
        let alignment: number;
        if (step.kind === "place") {
          section = step.section;
          size = step.size;
          alignment = 2 ** step.alignLog2;
        } else {
          if (live.length === 0) continue;
          const holder = layout.atom(live[step.pick % live.length] as AtomId);
          section = holder.section;
          alignment = 1;
          size = largestFitting(layout, section, Math.max(0, holder.capacity - idealCapacity(layout, section, holder.size)));
        }
        const expected = expectedPlacement(layout, section, size, alignment);
        const result = layout.placeAtom(section, size, alignment);
        model.set(result.atom, { section, size, alignment });
        checkPlacementResult(result, layout, undefined);
        expect(result.offset).toBe(expected.offset);
        // A hole that fits is used before the section's used end grows.
        if (expected.inHole) expect(layout.section(section).usedSize).toBe(sectionsBefore[section]?.usedSize);
        changes = result;
        operated = result.atom;
        break;
      }
      case "resize": {
        if (live.length === 0) continue;
        operated = live[step.pick % live.length] as AtomId;
        const old = layout.atom(operated);
        const mustMove = step.size > old.capacity && layout.atomsInSection(old.section).at(-1) !== operated;
        let expectedOffset: number | null = null;
        if (mustMove) {
          // A move places the atom anew, as if freed first: check it against a copy where it is freed.
          const copy = Layout.deserialize(layout.serialize());
          copy.freeAtom(operated);
          expectedOffset = expectedPlacement(copy, old.section, step.size, old.alignment).offset;
        }
        const result = layout.resizeAtom(operated, step.size);
        if (expectedOffset !== null) expect(result.offset).toBe(expectedOffset);
        else expect(result.offset).toBe(old.offset);
        (model.get(operated) as ModelAtom).size = step.size;
        checkPlacementResult(result, layout, atomsBefore.get(operated));
        changes = result;
        break;
      }
      case "free": {
        if (live.length === 0) continue;
        operated = live[step.pick % live.length] as AtomId;
        const result = layout.freeAtom(operated);
        expect(result.previousOffset).toBe(atomsBefore.get(operated)?.offset);
        expect(result.previousAddress).toBe(atomsBefore.get(operated)?.address);
        model.delete(operated);
        expect(layout.isLive(operated)).toBe(false);
        break;
      }
      case "grow": {
        const before = sectionsBefore[step.section] as SectionInfo;
        changes = layout.growSection(step.section, { virtualReserve: before.virtualReserve + step.virtualExtra, fileReserve: before.fileReserve + step.fileExtra });
        break;
      }
      case "arrange": {
        // Back to back in the given order, each at its alignment with its ideal capacity, from offset 0.
        const order = arrangement(layout, step);
        changes = layout.arrangeSection(step.section, order);
        let end = 0;
        for (const { atom, size } of order) {
          const info = layout.atom(atom);
          expect(info.offset).toBe(alignUp(end, info.alignment));
          expect(info.size).toBe(size);
          end = info.offset + idealCapacity(layout, step.section, size);
          (model.get(atom) as ModelAtom).size = size;
        }
        expect(layout.section(step.section).usedSize).toBe(end);
        arranged = step.section;
        break;
      }
      case "fileRange": {
        // Something else (a symbol table, a debug directory) claims file room, blocking in-place growth.
        layout.fileSpace.allocate(step.size, 0x200, `.symtab${String(symbolRanges++)}`);
        break;
      }
      case "takeChanges": {
        const report = layout.takeChanges();
        const now = snapshotAtoms(layout);
        const sectionsNow = layout.sections();
        expect(report.placedAtoms).toEqual([...now.keys()].filter((id) => !batchAtoms.has(id)).sort((a, b) => a - b));
        expect(report.freedAtoms).toEqual([...batchAtoms.keys()].filter((id) => !now.has(id)).sort((a, b) => a - b));
        const moved = [...now]
          .filter(([id, state]) => batchAtoms.has(id) && batchAtoms.get(id)?.offset !== state.offset)
          .map(([id, state]) => ({
            atom: id,
            section: state.section,
            oldOffset: batchAtoms.get(id)?.offset,
            newOffset: state.offset,
            oldAddress: batchAtoms.get(id)?.address,
            newAddress: state.address,
          }))
          .sort((a, b) => a.atom - b.atom);
        expect(report.movedAtoms).toEqual(moved);
        const resized = [...now]
          .filter(([id, state]) => batchAtoms.has(id) && batchAtoms.get(id)?.size !== state.size)
          .map(([id, state]) => ({ atom: id, oldSize: batchAtoms.get(id)?.size, newSize: state.size }))
          .sort((a, b) => a.atom - b.atom);
        expect(report.resizedAtoms).toEqual(resized);
        checkSectionChanges(batchSections, sectionsNow, { movedSections: report.movedSections, grownSections: report.grownSections });
        batchAtoms = now;
        batchSections = sectionsNow;
        break;
      }
    }
    const sectionsAfter = layout.sections();
    checkSectionChanges(sectionsBefore, sectionsAfter, changes);
    checkBystanders(atomsBefore, snapshotAtoms(layout), sectionsAfter, sectionsBefore, operated, arranged);
    checkInvariants(layout, model, format);
  }

  // The saved state restores the same layout, which saves to the same bytes.
  const saved = layout.serialize();
  const restored = Layout.deserialize(saved);
  restored.verify();
  expect(restored.sections()).toEqual(layout.sections());
  expect(snapshotAtoms(restored)).toEqual(snapshotAtoms(layout));
  expect(restored.fileSpace.ranges).toEqual(layout.fileSpace.ranges);
  expect(restored.serialize()).toEqual(saved);
}

/** Live atoms in section then address order: the same list for a layout and its restored copy. */
function liveAtoms(layout: Layout): AtomId[] {
  const atoms: AtomId[] = [];
  for (let section = 0; section < layout.sectionCount; section++) atoms.push(...layout.atomsInSection(section));
  return atoms;
}

/** Runs one command as `run` does, without the checks, and returns what the layout answered (or threw). */
function apply(layout: Layout, step: Command, fileRanges: number): unknown {
  try {
    const live = liveAtoms(layout);
    switch (step.kind) {
      case "place":
        return layout.placeAtom(step.section, step.size, 2 ** step.alignLog2);
      case "refill": {
        if (live.length === 0) return null;
        const holder = layout.atom(live[step.pick % live.length] as AtomId);
        return layout.placeAtom(holder.section, largestFitting(layout, holder.section, Math.max(0, holder.capacity - idealCapacity(layout, holder.section, holder.size))));
      }
      case "resize":
        return live.length === 0 ? null : layout.resizeAtom(live[step.pick % live.length] as AtomId, step.size);
      case "free":
        return live.length === 0 ? null : layout.freeAtom(live[step.pick % live.length] as AtomId);
      case "grow": {
        const before = layout.section(step.section);
        return layout.growSection(step.section, { virtualReserve: before.virtualReserve + step.virtualExtra, fileReserve: before.fileReserve + step.fileExtra });
      }
      case "fileRange":
        return layout.fileSpace.allocate(step.size, 0x200, `.symtab${String(fileRanges)}`);
      case "arrange":
        return layout.arrangeSection(step.section, arrangement(layout, step));
      case "takeChanges":
        return layout.takeChanges();
    }
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

const twinScenario = fc.record({
  base: scenario,
  after: fc.array(command, { maxLength: 80, size: "max" }),
  restoreAgainAt: fc.nat(80),
});

/**
 * Saves a layout after random operations (holes, moved atoms, grown and moved sections, foreign file
 * ranges), restores it, and runs the same further operations on both: every answer, the change reports
 * and the saved bytes must be the same. Midway the copy is saved and restored once more.
 */
function runTwins(input: typeof twinScenario extends fc.Arbitrary<infer T> ? T : never): void {
  const original = newLayout(input.base);
  for (const place of input.base.initial) original.placeAtom(place.section, place.size, 2 ** place.alignLog2);
  original.assignAddresses();
  let fileRanges = 0;
  for (const step of input.base.commands) apply(original, step, fileRanges++);
  // A restored layout tracks changes from the moment it was saved: start both on a new batch.
  original.takeChanges();
  let copy = Layout.deserialize(original.serialize());
  copy.verify();
  input.after.forEach((step, index) => {
    if (index === input.restoreAgainAt) {
      expect(copy.takeChanges()).toEqual(original.takeChanges());
      copy = Layout.deserialize(copy.serialize());
      copy.verify();
    }
    const expected = apply(original, step, fileRanges);
    expect(apply(copy, step, fileRanges)).toEqual(expected);
    fileRanges++;
  });
  copy.verify();
  expect(copy.takeChanges()).toEqual(original.takeChanges());
  expect(copy.serialize()).toEqual(original.serialize());
}

describe("layout properties", () => {
  it("keeps every invariant and reports every change exactly under random operations", () => {
    // ATOM_ALLOCATOR_RUNS=5000 for a longer soak. The time limit bounds shrinking after a failure (the
    // synchronous run would otherwise block vitest's own timeout); a passing run takes a few seconds.
    const numRuns = Number(process.env["ATOM_ALLOCATOR_RUNS"] ?? 150);
    fc.assert(fc.property(scenario, run), { numRuns, interruptAfterTimeLimit: Math.max(90_000, numRuns * 300), markInterruptAsFailure: true });
  });

  it("a restored layout answers every later operation exactly as the original does", () => {
    const numRuns = Number(process.env["ATOM_ALLOCATOR_RUNS"] ?? 150);
    fc.assert(fc.property(twinScenario, runTwins), { numRuns, interruptAfterTimeLimit: Math.max(90_000, numRuns * 300), markInterruptAsFailure: true });
  });
});
