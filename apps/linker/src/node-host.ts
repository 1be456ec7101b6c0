// The LinkHost of the command-line tools: Node's file system, writes that replace files atomically.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LinkHost } from "./host.js";
import { InputReader, readFileAhead } from "./read-ahead.js";
import { writeStderr } from "./stdio.js";

/** Fewer inputs than this are read as they come: a worker thread costs more than it saves on a small link. */
const READ_AHEAD_MIN_INPUTS = 64;
let inputs: InputReader | undefined;

export const nodeHost: LinkHost = {
  readFile: (path) => (inputs === undefined ? readFileAhead(undefined, path) : inputs.read(path)),
  readAhead: (paths) => {
    inputs?.dispose();
    inputs = paths.length >= READ_AHEAD_MIN_INPUTS ? new InputReader(paths) : undefined;
  },
  fileExists: (path) => {
    try { return statSync(path).isFile(); } catch { return false; }
  },
  writeFileAtomic: (path, bytes) => {
    // A temporary file next to the target, then rename: a failure never leaves a half-written output.
    const temp = `${path}.linkkit-${process.pid}.tmp`;
    try {
      writeFileSync(temp, bytes);
      // The old output goes first: ext4 writes back a file renamed over another at once (its auto_da_alloc
      // guard against empty files after a crash), ~8 ms for a 16 MB image, where a rename to a free name
      // waits for nothing. Between the two, no output is there: never a half-written one.
      try { unlinkSync(path); } catch { /* none yet, or not removable: the rename says what is wrong */ }
      renameSync(temp, path);
    } catch (e) {
      if (existsSync(temp)) rmSync(temp, { force: true });
      throw e;
    }
  },
  writeRanges: (path, ranges, size, afterWrite) => {
    const fd = openSync(path, "r+");
    try {
      ranges.forEach((r, i) => {
        writeSync(fd, r.bytes, 0, r.bytes.length, r.offset);
        afterWrite?.(i);
      });
      ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  dirname,
  join,
  env: (name) => process.env[name],
  log: (line) => writeStderr(`${line}\n`),
};

/** Whether process `pid` is alive (someone else's counts): what a lock or pid file names may have died. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
