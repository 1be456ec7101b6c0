// Reading inputs on the other core while the linker parses: a worker thread reads the files of a link in
// command-line order and hands each over (its memory transferred, not copied); the linker, which is
// synchronous, takes them in the same order, reading a file itself when the worker has not got to it.
// A worker's start competes with V8's compiler thread, which compiles the linker's hot code during the
// first objects. So InputReader starts one once most of its latest reads were slow (from the disk), or,
// for a long command line, once the first 64 files are read and the compiler is done with the hot code.
import { readFileSync } from "node:fs";
import type { MessagePort, Worker } from "node:worker_threads";
import { now } from "./clock.js";

// Loaded when a link reads ahead, not at start-up: every process would pay ~2 ms for it.
const workerThreads = () => process.getBuiltinModule("node:worker_threads");

/** Who reads file i: claimed with a compare-and-swap, so that each file is read once, by whoever comes first. */
const UNCLAIMED = 0, LINKER = 1, WORKER_READING = 2, WORKER_POSTED = 3;

/**
 * The worker: plain CommonJS evaluated on its own (it loads nothing of linkkit). It takes ~30 ms to start,
 * during which the linker reads the first files itself; from then on it runs ahead of the linker.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const { paths, port, status } = workerData;
for (let i = 0; i < paths.length; i++) {
  if (Atomics.compareExchange(status, i, ${UNCLAIMED}, ${WORKER_READING}) !== ${UNCLAIMED}) continue;
  let buffer;
  try {
    const b = readFileSync(paths[i]);
    // A small file's Buffer is a slice of Node's shared pool, which must not be handed over.
    buffer = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : new Uint8Array(b).buffer;
  } catch {
    buffer = undefined; // the linker reads it itself and reports why it cannot
  }
  port.postMessage({ i, buffer }, buffer ? [buffer] : []);
  Atomics.store(status, i, ${WORKER_POSTED});
  Atomics.notify(status, i);
}
port.close();
`;

/** How long the linker waits for a file the worker is reading before it reads all files itself. */
const STALL_MS = 5000;

export class ReadAhead {
  private readonly index = new Map<string, number>();
  private readonly arrived = new Map<number, ArrayBuffer | undefined>();
  private readonly status: Int32Array;
  private readonly port: MessagePort;
  private readonly worker: Worker | undefined;
  private abandoned = false;

  constructor(paths: readonly string[]) {
    const unique = [...new Set(paths)];
    unique.forEach((p, i) => this.index.set(p, i));
    this.status = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, unique.length)));
    const { port1, port2 } = new (workerThreads().MessageChannel)();
    this.port = port1;
    try {
      this.worker = new (workerThreads().Worker)(WORKER_SOURCE, { eval: true, workerData: { paths: unique, port: port2, status: this.status }, transferList: [port2] });
      this.worker.unref();
      // A worker that fails shows as a stall; its error must not end the process.
      this.worker.on("error", () => { this.abandoned = true; });
    } catch {
      this.abandoned = true;
    }
  }

  /**
   * The bytes of `path` when the worker read it (waiting if it is reading it now); undefined when the
   * caller must read it: not on the list, or not reached by the worker yet (then it never will be).
   */
  take(path: string): Uint8Array | undefined {
    const i = this.index.get(path);
    if (i === undefined || this.abandoned) return undefined;
    this.index.delete(path);
    if (Atomics.compareExchange(this.status, i, UNCLAIMED, LINKER) === UNCLAIMED) return undefined;
    const since = now();
    while (!this.arrived.has(i)) {
      const received = workerThreads().receiveMessageOnPort(this.port);
      if (received !== undefined) {
        const { i: at, buffer } = received.message as { i: number; buffer: ArrayBuffer | undefined };
        this.arrived.set(at, buffer);
        continue;
      }
      // Posted means queued (the worker queues the message first): then only look again.
      if (Atomics.load(this.status, i) === WORKER_READING) Atomics.wait(this.status, i, WORKER_READING, 50);
      if (now() - since > STALL_MS) { this.dispose(); return undefined; }
    }
    const buffer = this.arrived.get(i);
    this.arrived.delete(i);
    if (this.index.size === 0) this.dispose();
    return buffer === undefined ? undefined : new Uint8Array(buffer);
  }

  /** Stops reading ahead (the worker skips every file not started) and lets go of files not taken. */
  dispose(): void {
    if (this.abandoned && this.index.size === 0) return;
    this.abandoned = true;
    for (let i = 0; i < this.status.length; i++) Atomics.compareExchange(this.status, i, UNCLAIMED, LINKER);
    this.index.clear();
    this.arrived.clear();
    this.port.close();
    void this.worker?.terminate();
  }
}

/** `readFileSync` as a Uint8Array, unless `ahead` has the file already. */
export function readFileAhead(ahead: ReadAhead | undefined, path: string): Uint8Array {
  const early = ahead?.take(path);
  if (early !== undefined) return early;
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * `InputReader` starts reading ahead when this many of its latest READS_JUDGED reads came from the disk:
 * one slow read may be a garbage collection (a Buffer's allocation may start one).
 */
const READS_JUDGED = 4, SLOW_READS = 3;

/**
 * A long command line is read ahead from its WARM_READS-th file on, from the page cache too, when at least
 * as many files follow. By then V8 has compiled the linker's hot code on its background thread, and the
 * other core is free for a worker: on the 400-object benchmark (files in the page cache) a worker from the
 * 60th file took the link from ~455 to ~445 ms (medians of 16 alternating runs, twice), from the 64th ~459
 * to ~452 ms, where one from the start had cost ~18 ms (it competed with the compiler thread during the
 * first objects). From the 24th or 40th file: no better than the 64th.
 */
const WARM_READS = 64;

/**
 * Whether a read of `bytes` that took `ms` came from the disk rather than the page cache: slower than
 * 0.05 ms (opening and closing) plus 1 ms per 0.7 MB. Here 137 KB objects came from the page cache in
 * 0.1 ms (0.2 at the 99th percentile) and from the disk in 0.3 ms.
 */
export function readFromDisk(bytes: number, ms: number): boolean {
  return ms > 0.05 + bytes / 0.7e6;
}

/**
 * The files of one link, read in command-line order, by the linker itself until most of its latest reads
 * came from the disk (`readFromDisk`), or it has read WARM_READS of a long list; from then on a ReadAhead
 * reads the files after them. A 400-object link (55 MB) whose files were in the page cache took 0.528 s
 * without a worker and 0.545 s with one from the start (15 runs each); whose files were not (caches
 * dropped), ~0.72 s without and ~0.65 s with.
 */
export class InputReader {
  private readonly position = new Map<string, number>();
  private ahead: ReadAhead | undefined;
  /** Bit i: whether the i-th latest read came from the disk. The first read is not judged. */
  private recentSlow = 0;
  private reads = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly startReadAhead: (rest: readonly string[]) => ReadAhead = (rest) => new ReadAhead(rest),
    private readonly clock: () => number = () => now(),
  ) {
    paths.forEach((p, i) => { if (!this.position.has(p)) this.position.set(p, i); });
  }

  /** Whether a worker reads ahead (once reads came from the disk). */
  get readingAhead(): boolean {
    return this.ahead !== undefined;
  }

  read(path: string): Uint8Array {
    if (this.ahead !== undefined) return readFileAhead(this.ahead, path);
    const start = this.clock();
    const bytes = readFileAhead(undefined, path);
    const ms = this.clock() - start;
    // A process's first read pays for Node's warm-up (~2.5 ms for 137 KB from the page cache).
    if (this.reads++ === 0) return bytes;
    this.recentSlow = ((this.recentSlow << 1) | (readFromDisk(bytes.length, ms) ? 1 : 0)) & ((1 << READS_JUDGED) - 1);
    const at = this.position.get(path);
    if (at !== undefined && at + 1 < this.paths.length && (bitCount(this.recentSlow) >= SLOW_READS || this.manyLeftAfterWarmUp(at))) {
      this.ahead = this.startReadAhead(this.paths.slice(at + 1));
    }
    return bytes;
  }

  /** Whether this is read WARM_READS, with at least as many files after file `at`. */
  private manyLeftAfterWarmUp(at: number): boolean {
    return this.reads === WARM_READS && this.paths.length - (at + 1) >= WARM_READS;
  }

  /** Stops reading ahead; files read ahead and not taken are forgotten. */
  dispose(): void {
    this.ahead?.dispose();
    this.ahead = undefined;
  }
}

function bitCount(bits: number): number {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
}
