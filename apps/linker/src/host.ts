// What the linker needs from its surroundings. Node's file system in the CLI; tests and the session API
// may pass their own (in-memory inputs, fault injection).

export interface LinkHost {
  readFile(path: string): Uint8Array;
  /**
   * The linker is about to read these files, in this order (a full link's inputs): a host may start
   * reading them now, on another thread. Optional; a later call replaces the earlier list, and an empty
   * one ends reading ahead (a file read ahead but not taken is then forgotten).
   */
  readAhead?(paths: readonly string[]): void;
  fileExists(path: string): boolean;
  /**
   * Replaces `path` with `bytes` so that a crash leaves the old file, the new one or (between removing the
   * one and renaming the other into place) none: never a half-written one.
   */
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
