// Liveness: which sections go into the image. COMDAT instances that lost their group are dropped; with
// /opt:ref (the default) so is every COMDAT section nothing reachable refers to, as in lld: non-COMDAT
// sections, the entry point, /include and exported symbols are the roots. Also finds the imports in use.
import type { SymbolId } from "@linkkit/symbol-resolver";
import { ObjectFile, NO_COMDAT } from "./inputs/object-file.js";
import { ImportFile } from "./inputs/import-file.js";
import type { LoadedInputs } from "./inputs/loader.js";
import { TargetKind, type ResolvedSymbols } from "./resolve.js";

export function markLive(inputs: LoadedInputs, resolved: ResolvedSymbols, gcSections: boolean, rootSymbols: readonly SymbolId[]): void {
  const { symbols, files } = inputs;
  // Which sections may be in the image at all: included and (for COMDATs) the kept instance.
  const allowed = new Map<ObjectFile, Uint8Array>();
  for (const file of inputs.objects) {
    const ok = file.sectionIncluded.slice();
    for (let s = 0; s < file.sectionCount; s++) {
      const group = file.sectionComdat[s]!;
      if (ok[s] && group !== NO_COMDAT && !symbols.isComdatKept(group, file.input)) ok[s] = 0;
    }
    allowed.set(file, ok);
  }

  const stackFiles: ObjectFile[] = [];
  const stackSections: number[] = [];
  const mark = (file: ObjectFile, s: number) => {
    if (file.sectionLive[s] || !allowed.get(file)![s]) return;
    file.sectionLive[s] = 1;
    stackFiles.push(file);
    stackSections.push(s);
  };
  const markSymbol = (id: number) => {
    switch (resolved.kind[id]) {
      case TargetKind.Section: {
        const file = files[resolved.input[id]!];
        if (file instanceof ObjectFile) mark(file, resolved.section[id]! - 1);
        break;
      }
      case TargetKind.ImportThunk: {
        const file = files[resolved.input[id]!] as ImportFile;
        file.thunkUsed = true;
        file.slotUsed = true;
        break;
      }
      case TargetKind.ImportSlot:
        (files[resolved.input[id]!] as ImportFile).slotUsed = true;
        break;
    }
  };

  for (const file of inputs.objects) {
    for (let s = 0; s < file.sectionCount; s++) {
      if (!gcSections || file.sectionComdat[s] === NO_COMDAT) mark(file, s);
    }
  }
  for (const id of rootSymbols) markSymbol(id);

  // Sections associated with a live leader come with it (unwind info, debug info of a COMDAT function).
  const children = new Map<ObjectFile, Map<number, number[]>>();
  for (const file of inputs.objects) {
    for (let s = 0; s < file.sectionCount; s++) {
      const leader = file.associatedWith[s]!;
      if (leader === 0) continue;
      let byLeader = children.get(file);
      if (!byLeader) children.set(file, (byLeader = new Map()));
      const list = byLeader.get(leader - 1) ?? [];
      list.push(s);
      byLeader.set(leader - 1, list);
    }
  }

  while (stackFiles.length > 0) {
    const file = stackFiles.pop()!;
    const s = stackSections.pop()!;
    const coff = file.coff;
    const relocs = coff.relocations(s);
    for (let r = 0; r < relocs.length; r++) {
      const index = relocs.symbolIndex(r);
      const id = index < file.symbolCount ? file.symbolIds[index]! : -1;
      if (id >= 0) {
        markSymbol(id);
      } else if (index < file.symbolCount) {
        const section = coff.symbolSectionNumber(index);
        if (section > 0 && section <= file.sectionCount) mark(file, section - 1);
      }
    }
    const kids = children.get(file)?.get(s);
    if (kids) for (const k of kids) mark(file, k);
  }
}
