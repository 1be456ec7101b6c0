// The command-line tools' standard output and error, written with a system call per message instead of
// through process.stdout and process.stderr: the first use of those streams on a pipe loads Node's net and
// stream modules, ~4 ms each (a run that prints to two pipes paid ~9 ms of a 90 ms small link).
import { writeSync } from "node:fs";

/** Waits without spinning while a non-blocking pipe (one a parent set so) is full. */
const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeStdout(text: string): void {
  writeFully(1, text);
}

export function writeStderr(text: string): void {
  writeFully(2, text);
}

function writeFully(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // the reader is gone (`linkkit ... | head`): the rest goes nowhere
      if (code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
