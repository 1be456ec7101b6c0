// Reading inputs on the other core while the linker parses: a worker thread reads the files of a link in
// command-line order into shared memory and hands each over (shared, not copied); the linker, which is
// synchronous, takes them in the same order, reading a file itself when the worker has not got to it.
// On a large link reading is ~5% of the time (400 objects, 54 MB from the page cache).
//
// The worker then stays for the link's relocation: it relocates part of the objects, from the shared input
// bytes into the shared output buffer, with the same code as the linker (relocate-kernel.ts), while the
// linker relocates the rest (`RelocationHelper`).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { MessagePort, Worker } from "node:worker_threads";
import type { RelocationHelper, RelocationJob } from "./host.js";
import { relocateFileSections, type KernelOutput } from "./relocate-kernel.js";

// Loaded when a link reads ahead, not at start-up: every process would pay ~2 ms for it.
const workerThreads = () => process.getBuiltinModule("node:worker_threads");

/** Who reads file i: claimed with a compare-and-swap, so that each file is read once, by whoever comes first. */
const UNCLAIMED = 0, LINKER = 1, WORKER_READING = 2, WORKER_POSTED = 3;
/** The relocation job's flag: running, or answered. */
const JOB_RUNNING = 0, JOB_DONE = 1;
/**
 * How long the linker waits for the worker's relocation. Far more than any link takes (400 objects: ~70 ms);
 * a worker that does not answer is an internal error, not something to work around: it may still be writing.
 */
const JOB_TIMEOUT_MS = 120_000;

/** A file's bytes in shared memory (the worker's and the linker's reads alike; the worker may relocate them). */
function readShared(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    // Cut short (the file shrank while it was read): a buffer of the bytes there were.
    if (at < size) { const short = new Uint8Array(new SharedArrayBuffer(at)); short.set(bytes.subarray(0, at)); return short; }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * The worker: plain CommonJS evaluated on its own (it loads nothing of linkkit but the relocation kernel,
 * from its source text). It takes ~30 ms to start, during which the linker reads the first files itself;
 * from then on it runs ahead of the linker. Then it waits for a relocation job.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { closeSync, fstatSync, openSync, readSync } = require("node:fs");
const { paths, port, status, done } = workerData;
${readShared.toString()}
const relocateFileSections = ${relocateFileSections.toString()};
for (let i = 0; i < paths.length; i++) {
  if (Atomics.compareExchange(status, i, ${UNCLAIMED}, ${WORKER_READING}) !== ${UNCLAIMED}) continue;
  let buffer;
  try {
    buffer = readShared(paths[i]).buffer;
  } catch {
    buffer = undefined; // the linker reads it itself and reports why it cannot
  }
  port.postMessage({ i, buffer });
  Atomics.store(status, i, ${WORKER_POSTED});
  Atomics.notify(status, i);
}
port.on("message", (job) => {
  let outputs;
  try {
    const view = new DataView(job.out.buffer, job.out.byteOffset, job.out.byteLength);
    outputs = job.files.map((file) => {
      const output = { applied: 0, baseRelocs: [], slow: [] };
      relocateFileSections(file, job.places, job.out, view, job.globalRva, job.kind, job.absoluteKind, job.is64, job.imageBase, -1, output);
      return output;
    });
  } catch (e) {
    outputs = undefined; // the linker relocates these files itself
  }
  port.postMessage({ relocated: outputs });
  Atomics.store(done, 0, ${JOB_DONE});
  Atomics.notify(done, 0);
});
`;

/** How long the linker waits for a file the worker is reading before it reads all files itself. */
const STALL_MS = 5000;

export class ReadAhead {
  private readonly index = new Map<string, number>();
  private readonly arrived = new Map<number, SharedArrayBuffer | undefined>();
  private readonly status: Int32Array;
  /** The relocation job's flag (JOB_RUNNING, JOB_DONE). */
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker | undefined;
  /** Reading ahead is over: every file taken, or stopped. */
  private stopped = false;
  /** The worker is gone (disposed, stalled, or it could not start): it reads and relocates nothing more. */
  private gone = false;
  private helperTaken = false;

  constructor(paths: readonly string[]) {
    const unique = [...new Set(paths)];
    unique.forEach((p, i) => this.index.set(p, i));
    this.status = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, unique.length)));
    const { port1, port2 } = new (workerThreads().MessageChannel)();
    this.port = port1;
    try {
      this.worker = new (workerThreads().Worker)(WORKER_SOURCE, { eval: true, workerData: { paths: unique, port: port2, status: this.status, done: this.done }, transferList: [port2] });
      this.worker.unref();
      // A worker that fails shows as a stall; its error must not end the process.
      this.worker.on("error", () => { this.gone = true; });
    } catch {
      this.gone = true;
      this.stopped = true;
    }
  }

  /** Whether the linker should read files into shared memory too (the worker may relocate any of them). */
  get shared(): boolean {
    return !this.gone;
  }

  /**
   * The bytes of `path` when the worker read it (waiting if it is reading it now); undefined when the
   * caller must read it: not on the list, or not reached by the worker yet (then it never will be).
   */
  take(path: string): Uint8Array | undefined {
    const i = this.index.get(path);
    if (i === undefined || this.stopped) return undefined;
    this.index.delete(path);
    if (Atomics.compareExchange(this.status, i, UNCLAIMED, LINKER) === UNCLAIMED) return undefined;
    const since = performance.now();
    while (!this.arrived.has(i)) {
      const received = workerThreads().receiveMessageOnPort(this.port);
      if (received !== undefined) {
        const { i: at, buffer } = received.message as { i: number; buffer: SharedArrayBuffer | undefined };
        this.arrived.set(at, buffer);
        continue;
      }
      // Posted means queued (the worker queues the message first): then only look again.
      if (Atomics.load(this.status, i) === WORKER_READING) Atomics.wait(this.status, i, WORKER_READING, 50);
      if (performance.now() - since > STALL_MS) { this.dispose(); return undefined; }
    }
    const buffer = this.arrived.get(i);
    this.arrived.delete(i);
    if (this.index.size === 0) this.stopReading();
    return buffer === undefined ? undefined : new Uint8Array(buffer);
  }

  /** Stops reading ahead (the worker skips every file not started) and lets go of files not taken. */
  stopReading(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (let i = 0; i < this.status.length; i++) Atomics.compareExchange(this.status, i, UNCLAIMED, LINKER);
    this.index.clear();
    this.arrived.clear();
  }

  /**
   * The worker as a relocation helper, once: after reading, it waits for one relocation job. Undefined
   * when it is gone or was asked already.
   */
  helper(): RelocationHelper | undefined {
    if (this.gone || this.helperTaken || this.worker === undefined) return undefined;
    this.helperTaken = true;
    this.stopReading();
    let started = false;
    return {
      start: (job: RelocationJob) => {
        Atomics.store(this.done, 0, JOB_RUNNING);
        this.port.postMessage(ownedJob(job));
        started = true;
      },
      finish: () => {
        if (!started) return undefined;
        try {
          for (const since = performance.now(); ;) {
            const received = workerThreads().receiveMessageOnPort(this.port);
            if (received !== undefined) {
              const answer = received.message as { relocated?: KernelOutput[] | undefined };
              if ("relocated" in answer) return answer.relocated; // else a file read ahead and never taken
              continue;
            }
            if (performance.now() - since > JOB_TIMEOUT_MS) throw new Error("internal: the relocation worker did not answer");
            Atomics.wait(this.done, 0, JOB_RUNNING, 50);
          }
        } finally {
          this.dispose();
        }
      },
    };
  }

  /** Stops reading ahead and ends the worker. */
  dispose(): void {
    this.stopReading();
    if (this.gone) return;
    this.gone = true;
    this.port.close();
    void this.worker?.terminate();
  }
}

/**
 * The job as posted: typed arrays in ordinary memory are copied by postMessage with all of their buffer,
 * so a view of a larger buffer goes as a copy of its own bytes. Shared memory is shared, not copied.
 */
function ownedJob(job: RelocationJob): RelocationJob {
  const own = <T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(a: T): T =>
    a.buffer instanceof SharedArrayBuffer || a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
  return {
    ...job,
    kind: own(job.kind),
    files: job.files.map((f) => ({
      ...f, bytes: own(f.bytes), symbolIds: own(f.symbolIds), sectionAtom: own(f.sectionAtom),
      relocationStart: own(f.relocationStart), relocationCount: own(f.relocationCount),
    })),
  };
}

/** A file's bytes: from `ahead` when it read the file, else read here (into shared memory while `ahead` is on). */
export function readFileAhead(ahead: ReadAhead | undefined, path: string): Uint8Array {
  const early = ahead?.take(path);
  if (early !== undefined) return early;
  if (ahead?.shared) return readShared(path);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
