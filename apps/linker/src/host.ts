// What the linker needs from its surroundings. Node's file system in the CLI; tests and the session API
// may pass their own (in-memory inputs, fault injection).
import type { AtomPlaces, KernelOutput, RelocationFile } from "./relocate-kernel.js";

/** Objects for another thread to relocate: all memory it writes (`out`) or shares is a SharedArrayBuffer. */
export interface RelocationJob {
  readonly files: readonly RelocationFile[];
  readonly places: AtomPlaces;
  readonly out: Uint8Array;
  readonly globalRva: Float64Array;
  readonly kind: Uint8Array;
  readonly absoluteKind: number;
  readonly is64: boolean;
  readonly imageBase: number;
}

/** A second thread that relocates part of a full link while the linker relocates the rest. */
export interface RelocationHelper {
  /** Starts relocating `job.files` on the other thread. */
  start(job: RelocationJob): void;
  /**
   * Waits for the job and answers what relocating each file left over, in `job.files` order; undefined
   * when the thread failed (relocate those files here: relocating a section again starts from its copy).
   */
  finish(): KernelOutput[] | undefined;
}

export interface LinkHost {
  readFile(path: string): Uint8Array;
  /**
   * The linker is about to read these files, in this order (a full link's inputs): a host may start
   * reading them now, on another thread. Optional; a later call replaces the earlier list, and an empty
   * one ends reading ahead (a file read ahead but not taken is then forgotten).
   */
  readAhead?(paths: readonly string[]): void;
  /**
   * A second thread for the relocation of this full link, when the host has one idle (the thread that read
   * ahead) and the inputs it read are in shared memory. Taken once per link.
   */
  relocationHelper?(): RelocationHelper | undefined;
  fileExists(path: string): boolean;
  /** Replaces `path` with `bytes` so that a crash leaves either the old file or the new one, never half. */
  writeFileAtomic(path: string, bytes: Uint8Array): void;
  /**
   * Patches `path` in place: writes each range at its offset, then sets the file's size. `afterWrite`
   * runs after each range (fault injection for crash tests).
   */
  writeRanges(path: string, ranges: readonly { readonly offset: number; readonly bytes: Uint8Array }[], size: number, afterWrite?: (index: number) => void): void;
  /** Directory of a path, and joining, with the host's separator rules. */
  dirname(path: string): string;
  join(dir: string, name: string): string;
  env(name: string): string | undefined;
  log(line: string): void;
}
