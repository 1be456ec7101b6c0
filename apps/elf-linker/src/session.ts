// ElfSession: a linked executable kept open with its link state, patched in place when an object changes.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { ElfLinker, type InputFile, type LinkerOptions } from "./linker.js";

export interface ElfSessionOptions extends Omit<LinkerOptions, "incremental"> {
  /** The executable to write and later patch. */
  readonly output: string;
  readonly inputs: readonly InputFile[];
}

export interface UpdateReport {
  /** Bytes written to the output file (the changed ranges only). */
  readonly bytesWritten: number;
  /** How many separate ranges were written. */
  readonly rangesWritten: number;
  readonly fileSize: number;
  /** Atoms the allocator placed, moved, resized and freed, and sections it moved or grew. */
  readonly atomsPlaced: number;
  readonly atomsMoved: number;
  readonly atomsResized: number;
  readonly atomsFreed: number;
  readonly sectionsMoved: number;
  readonly warnings: readonly string[];
}

/** Ranges where two images differ; ranges closer than `joinGap` are written as one. */
export function diffRanges(before: Uint8Array, after: Uint8Array, joinGap = 16): [number, number][] {
  const ranges: [number, number][] = [];
  const n = after.length;
  let i = 0;
  while (i < n) {
    if (i < before.length && before[i] === after[i]) {
      i++;
      continue;
    }
    const start = i;
    let end = i + 1;
    for (let j = end; j < n && j < end + joinGap; j++) if (j >= before.length || before[j] !== after[j]) end = j + 1;
    ranges.push([start, end]);
    i = end;
  }
  return ranges;
}

/**
 * A full link written to `output`, then `replaceObject` for each change: the layout is incremental
 * (atoms have surplus capacity, sections reserves), and only the bytes that differ are written.
 */
export class ElfSession {
  readonly output: string;
  private readonly linker: ElfLinker;
  private image: Uint8Array;

  private constructor(options: ElfSessionOptions) {
    this.output = options.output;
    this.linker = new ElfLinker(options.inputs, { ...options, incremental: true, readFile: options.readFile ?? ((p) => readFileSync(p)) });
    const result = this.linker.link();
    this.linker.layout.takeChanges();
    this.image = result.bytes;
    const fd = openSync(this.output, "w", 0o755);
    try {
      writeSync(fd, this.image, 0, this.image.length, 0);
    } finally {
      closeSync(fd);
    }
    this.warnings = result.warnings;
  }

  readonly warnings: readonly string[];

  static create(options: ElfSessionOptions): ElfSession {
    return new ElfSession(options);
  }

  /** The executable as it is now on disk. */
  get bytes(): Uint8Array {
    return this.image;
  }

  /** Replaces object `name` with `bytes` and patches the output file; nothing is written if the link fails. */
  replaceObject(name: string, bytes: Uint8Array): UpdateReport {
    const result = this.linker.replaceObject(name, bytes);
    const changes = this.linker.layout.takeChanges();
    const ranges = diffRanges(this.image, result.bytes);
    const fd = openSync(this.output, "r+");
    let written = 0;
    try {
      for (const [start, end] of ranges) written += writeSync(fd, result.bytes, start, end - start, start);
      if (result.bytes.length !== this.image.length) ftruncateSync(fd, result.bytes.length);
    } finally {
      closeSync(fd);
    }
    this.image = result.bytes;
    return {
      bytesWritten: written, rangesWritten: ranges.length, fileSize: result.bytes.length,
      atomsPlaced: changes.placedAtoms.length, atomsMoved: changes.movedAtoms.length, atomsResized: changes.resizedAtoms.length,
      atomsFreed: changes.freedAtoms.length, sectionsMoved: changes.movedSections.length, warnings: result.warnings,
    };
  }
}
