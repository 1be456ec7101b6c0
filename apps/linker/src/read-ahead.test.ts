import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputReader, ReadAhead, readFileAhead, readFromDisk } from "./read-ahead.js";

/** Byte equality without vitest's element-by-element diffing (slow on 200 KB arrays). */
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** Files of distinct sizes (one below Node's pooled-Buffer size, one far above) and contents. */
function makeFiles(count: number): { dir: string; paths: string[]; contents: Uint8Array[] } {
  const dir = mkdtempSync(join(tmpdir(), "linkkit-read-ahead-"));
  const paths: string[] = [];
  const contents: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(i % 2 === 0 ? 100 + i : 200_000 + i).map((_, k) => (k * 7 + i) & 0xff);
    const path = join(dir, `f${i}.o`);
    writeFileSync(path, bytes);
    paths.push(path);
    contents.push(bytes);
  }
  return { dir, paths, contents };
}

describe("ReadAhead", () => {
  it("hands over the files the worker read, each once, even after they are gone from disk", async () => {
    const { dir, paths, contents } = makeFiles(6);
    const ahead = new ReadAhead(paths);
    await settle(); // the worker reads all six meanwhile
    rmSync(dir, { recursive: true }); // so only the worker's copies can answer
    for (let i = 0; i < paths.length; i++) expect(same(ahead.take(paths[i]!), contents[i]!)).toBe(true);
    expect(ahead.take(paths[0]!)).toBeUndefined();
  });

  it("answers undefined for a file it could not read, for one not on its list, and after dispose", async () => {
    const { dir, paths } = makeFiles(3);
    const missing = join(dir, "missing.o");
    const ahead = new ReadAhead([paths[0]!, missing, paths[1]!, paths[2]!]);
    await settle();
    expect(ahead.take(join(dir, "never-listed.o"))).toBeUndefined();
    expect(ahead.take(missing)).toBeUndefined();
    expect(ahead.take(paths[0]!)).toBeDefined();
    ahead.dispose();
    expect(ahead.take(paths[1]!)).toBeUndefined();
  });

  it("gives the same bytes as a plain read whether the worker or the caller gets to a file first", () => {
    const { paths, contents } = makeFiles(40);
    // Taken at once: the first files are read by the caller while the worker starts, the rest by either.
    const ahead = new ReadAhead(paths);
    paths.forEach((p, i) => expect(same(readFileAhead(ahead, p), contents[i]!)).toBe(true));
    expect(() => readFileAhead(ahead, join(tmpdir(), "linkkit-no-such-file.o"))).toThrow(/ENOENT/);
  });
});

/** A clock for InputReader whose i-th read takes `durations[i]` ms (it reads the clock before and after). */
function scriptedClock(durations: readonly number[]): () => number {
  let calls = 0, now = 0;
  return () => {
    if (calls++ % 2 === 1) now += durations[(calls - 2) / 2] ?? 0.01;
    return now;
  };
}

describe("InputReader", () => {
  // The test files alternate 100 bytes and 200 KB: 1 ms is slow for both, 0.01 ms for neither.
  const slow = 1, fast = 0.01;

  it("judges a read by its speed: slower than 0.05 ms and 0.7 MB per ms is the disk's", () => {
    expect(readFromDisk(137_000, 0.1)).toBe(false);
    expect(readFromDisk(137_000, 0.3)).toBe(true);
    expect(readFromDisk(100, 0.03)).toBe(false);
    expect(readFromDisk(100, 0.1)).toBe(true);
  });

  it("reads every file itself while they come from the page cache, whatever the first read took", () => {
    const { paths, contents } = makeFiles(12);
    const started: string[][] = [];
    const reader = new InputReader(paths, (rest) => { started.push([...rest]); return new ReadAhead(rest); },
      scriptedClock([slow, ...paths.slice(1).map(() => fast)]));
    paths.forEach((p, i) => expect(same(reader.read(p), contents[i]!)).toBe(true));
    expect(started).toEqual([]);
    expect(reader.readingAhead).toBe(false);
  });

  it("takes one slow read among fast ones for a hiccup (a garbage collection), not for the disk", () => {
    const { paths } = makeFiles(12);
    const started: string[][] = [];
    const reader = new InputReader(paths, (rest) => { started.push([...rest]); return new ReadAhead(rest); },
      scriptedClock([fast, fast, slow, fast, fast, slow, fast, fast, slow, fast, fast, fast]));
    for (const p of paths) reader.read(p);
    expect(started).toEqual([]);
  });

  it("starts reading ahead the files after the third slow read of four, and takes them from it", () => {
    const { paths, contents } = makeFiles(12);
    const started: string[][] = [];
    // Reads 0-2 fast (the first is not judged), then 3, 5 and 6 slow: three of the four latest at read 6.
    const reader = new InputReader(paths, (rest) => { started.push([...rest]); return new ReadAhead(rest); },
      scriptedClock([fast, fast, fast, slow, fast, slow, slow]));
    for (let i = 0; i <= 5; i++) expect(same(reader.read(paths[i]!), contents[i]!)).toBe(true);
    expect(reader.readingAhead).toBe(false);
    expect(same(reader.read(paths[6]!), contents[6]!)).toBe(true);
    expect(started).toEqual([paths.slice(7)]);
    expect(reader.readingAhead).toBe(true);
    for (let i = 7; i < paths.length; i++) expect(same(reader.read(paths[i]!), contents[i]!)).toBe(true);
    reader.dispose();
    expect(reader.readingAhead).toBe(false);
  });

  it("reads a long list ahead from its 64th file on, fast reads or not, when 64 or more follow", () => {
    const { paths, contents } = makeFiles(128);
    const started: string[][] = [];
    const reader = new InputReader(paths, (rest) => { started.push([...rest]); return new ReadAhead(rest); },
      scriptedClock(paths.map(() => fast)));
    for (let i = 0; i < 63; i++) reader.read(paths[i]!);
    expect(reader.readingAhead).toBe(false);
    reader.read(paths[63]!);
    expect(started).toEqual([paths.slice(64)]);
    for (let i = 64; i < paths.length; i++) expect(same(reader.read(paths[i]!), contents[i]!)).toBe(true);
    reader.dispose();

    // One file short: read to the end without a worker.
    const shorter = new InputReader(paths.slice(0, 127), (rest) => { started.push([...rest]); return new ReadAhead(rest); },
      scriptedClock(paths.map(() => fast)));
    paths.slice(0, 127).forEach((p, i) => expect(same(shorter.read(p), contents[i]!)).toBe(true));
    expect(started).toHaveLength(1);
    expect(shorter.readingAhead).toBe(false);
  });
});
