// linkkit-ld as a command: found by `pnpm exec` at the repository root, answers --version and -v as
// configure scripts ask, and stops at an unknown option with exit code 1 and nothing written.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { linkkitLd } from "../harness/mingw.js";
import { makeTempDir, run } from "../harness/toolchain.js";

const root = join(__dirname, "..", "..", "..", "..");

describe("linkkit-ld command", () => {
  it("`pnpm exec linkkit-ld --version` works at the repository root", () => {
    const r = run("npx", ["-y", "pnpm@9.15.9", "exec", "linkkit-ld", "--version"], { cwd: root });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^GNU ld compatible linkkit \d+\.\d+\.\d+\n$/);
  });

  it("-v prints the same line; unknown options are errors and nothing is written", () => {
    const v = run(process.execPath, [linkkitLd, "-v"]);
    expect({ status: v.status, stdout: v.stdout }).toEqual({ status: 0, stdout: run(process.execPath, [linkkitLd, "--version"]).stdout });
    const dir = makeTempDir("linkkit-ld-cli");
    const out = join(dir, "a.exe");
    const bad = run(process.execPath, [linkkitLd, "--no-such-option", "-o", out, "x.o"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("linkkit-ld: error: unknown argument '--no-such-option'\n");
    expect(existsSync(out)).toBe(false);
  });
});
