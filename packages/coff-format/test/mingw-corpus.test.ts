// Every object and archive member of the mingw-w64 import and runtime libraries parses, decodes
// fully and writes back byte for byte.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { identifyInput, readCoffObject, readImportObject, toCoffObjectModel, writeCoffObject, writeImportObject } from "../src/index.js";
import { arMembers, decodeFully } from "./helpers.js";

const libDirs = ["/usr/x86_64-w64-mingw32/lib", "/usr/i686-w64-mingw32/lib"];
const present = libDirs.every((d) => existsSync(d));
if (!present && process.env.CI === "true") throw new Error(`mingw-w64 libraries missing: ${libDirs.join(", ")}`);

describe.skipIf(!present)("mingw-w64 libraries", () => {
  test("every object and archive member decodes and round-trips (a third of them)", () => {
    const counts: Record<string, number> = {};
    const failures: string[] = [];
    for (const dir of libDirs) {
      for (const file of readdirSync(dir).sort()) {
        if (!file.endsWith(".a") && !file.endsWith(".o")) continue;
        const path = join(dir, file);
        const bytes = new Uint8Array(readFileSync(path));
        const inputs = file.endsWith(".a") ? arMembers(bytes).map((m) => ({ name: `${path}(${m.name})`, bytes: m.bytes })) : [{ name: path, bytes }];
        for (const [n, input] of inputs.entries()) {
          const kind = identifyInput(input.bytes);
          counts[kind] = (counts[kind] ?? 0) + 1;
          try {
            decodeFully(input.bytes, input.name);
            // Writing back every member costs about as much again: every third member of each archive.
            if (n % 3 !== 0) continue;
            const back = kind === "import-object"
              ? writeImportObject(readImportObject(input.bytes, { fileName: input.name }))
              : kind === "coff-object" || kind === "coff-bigobj"
                ? writeCoffObject(toCoffObjectModel(readCoffObject(input.bytes, { fileName: input.name })))
                : input.bytes;
            if (!Buffer.from(back).equals(Buffer.from(input.bytes))) failures.push(`${input.name}: round trip differs`);
          } catch (e) {
            failures.push(`${input.name}: ${(e as Error).message}`);
          }
        }
      }
    }
    console.log("input kinds:", counts);
    expect(failures.slice(0, 20)).toEqual([]);
    expect((counts["coff-object"] ?? 0) + (counts["import-object"] ?? 0)).toBeGreaterThan(1000);
    expect(counts["unknown"] ?? 0).toBe(0);
  }, 120_000);
});
