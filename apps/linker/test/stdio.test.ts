// The tools' standard output and error (src/stdio.ts) are written with system calls, not Node's streams:
// all of a large message arrives through a pipe its reader drains slowly, and a reader that went away
// ends nothing but the writing.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const stdio = pathToFileURL(join(__dirname, "..", "dist", "stdio.js")).href;

/** Runs `body` in a Node child with `writeStdout` and `writeStderr` imported; its status and what it wrote. */
function child(body: string, readSlowly: boolean, closeStdoutEarly = false): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const script = `import { writeStdout, writeStderr } from ${JSON.stringify(stdio)};\n${body}`;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let err = "";
  proc.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  if (closeStdoutEarly) proc.stdout.destroy();
  else proc.stdout.on("data", (d: Buffer) => {
    out.push(d);
    // Let the pipe fill up now and then, so that the writer has to wait for room.
    if (readSlowly) { proc.stdout.pause(); setTimeout(() => proc.stdout.resume(), 2); }
  });
  return new Promise((resolve) => proc.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err })));
}

describe("standard output and error", () => {
  it("delivers all of a message larger than a pipe holds, in order", async () => {
    const { status, stdout, stderr } = await child(
      `for (let i = 0; i < 4; i++) writeStdout(String(i).repeat(300000) + "\\n"); writeStderr("done\\n");`, true);
    expect(stderr).toBe("done\n");
    expect(status).toBe(0);
    expect(stdout.toString()).toBe([0, 1, 2, 3].map((i) => String(i).repeat(300000) + "\n").join(""));
  });

  it("writes non-ASCII text as UTF-8", async () => {
    const { stdout } = await child(`writeStdout("é→✓\\n");`, false);
    expect(stdout.toString("utf8")).toBe("é→✓\n");
  });

  it("stops writing, without failing, when the reader is gone", async () => {
    const { status, stderr } = await child(
      `for (let i = 0; i < 64; i++) writeStdout("x".repeat(65536)); writeStderr("survived\\n");`, false, true);
    expect(stderr).toBe("survived\n");
    expect(status).toBe(0);
  });
});
