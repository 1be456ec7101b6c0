// The order a full link gives inputs and the atoms of a list section, reproduced for an incremental
// update: a list the program walks from marker to marker (`.CRT$XC*`, `.tls$`, one DLL's `.idata$4`
// entries, `.ctors`) must come out of an update exactly as a full link of the same inputs lays it out.
import type { AtomId, SectionId } from "@linkkit/atom-allocator";
import { InternalError } from "./errors.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { ObjectFile } from "./inputs/object-file.js";
import { AtomKind, compareNames, SYNTHETIC_SECTION_NAME, type ImageLayout } from "./layout.js";

/** Where `layOut` adds synthetic chunks: after every object's sections, in this order. */
const SYNTHETIC_ORDER: Readonly<Record<Exclude<AtomKind, AtomKind.InputSection>, number>> = {
  [AtomKind.Common]: 1, [AtomKind.ImportTables]: 2, [AtomKind.ImportThunk]: 3, [AtomKind.ExportTable]: 4, [AtomKind.BaseRelocations]: 5,
};

interface OrderKey {
  readonly atom: AtomId;
  /** The input section name the atom goes as (`.CRT$XCU`). */
  readonly name: string;
  /** 0 for input sections, else `SYNTHETIC_ORDER`. */
  readonly group: number;
  /** Object index in link order, common symbol id, or import index in load order. */
  readonly first: number;
  /** Section index within the object. */
  readonly second: number;
}

/**
 * The live atoms of an output section in the order `layOut` gives them for the current inputs: by input
 * section name (byte order), then in the order it adds chunks: objects in link order (`inputs.objects`, each
 * object's sections in order), common symbols by id, the import tables, thunks in import order, the
 * export table.
 */
export function fullLinkOrder(image: ImageLayout, inputs: LoadedInputs, section: SectionId): AtomId[] {
  const objectIndex = new Map<number, number>();
  inputs.objects.forEach((f, i) => objectIndex.set(f.input, i));
  const importIndex = new Map<number, number>();
  inputs.imports.forEach((f, i) => importIndex.set(f.input, i));
  const keys = image.layout.atomsInSection(section).map((atom): OrderKey => {
    const kind = image.atomKind[atom] as AtomKind;
    const input = image.atomInput[atom]!, detail = image.atomDetail[atom]!;
    if (kind === AtomKind.InputSection) {
      const file = inputs.files[input];
      const index = objectIndex.get(input);
      if (!(file instanceof ObjectFile) || index === undefined) throw new InternalError(`atom ${atom} belongs to input ${input}, which is not an object of the link`);
      return { atom, name: file.coff.sectionName(detail), group: 0, first: index, second: detail };
    }
    const first = kind === AtomKind.Common ? detail : kind === AtomKind.ImportThunk ? importIndex.get(input) ?? -1 : 0;
    return { atom, name: SYNTHETIC_SECTION_NAME[kind], group: SYNTHETIC_ORDER[kind], first, second: 0 };
  });
  keys.sort((a, b) => compareNames(a.name, b.name) || a.group - b.group || a.first - b.first || a.second - b.second);
  return keys.map((k) => k.atom);
}

/**
 * lld-link's object order after an update: objects named on the command line in its order (an object an
 * update adds comes after the others named, not after the archive members, as a full link would read it),
 * then archive members in the order they were loaded. Sorts `objects` in place.
 */
export function orderObjectsAsLldLink(objects: ObjectFile[], commandLine: readonly string[]): void {
  const position = new Map<string, number>();
  commandLine.forEach((p, i) => { if (!position.has(p)) position.set(p, i); });
  const members = commandLine.length;
  const keyed = objects.map((file, index) => ({ file, index, rank: position.get(file.name) ?? members }));
  keyed.sort((a, b) => a.rank - b.rank || a.index - b.index);
  keyed.forEach((k, i) => { objects[i] = k.file; });
}
