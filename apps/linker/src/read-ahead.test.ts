import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReadAhead, readFileAhead } from "./read-ahead.js";

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
