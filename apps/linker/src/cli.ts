// Shared by the command-line tools: how a failure is shown (one line per diagnostic, exit code 1).
import { LinkError } from "./errors.js";
import { writeStderr } from "./stdio.js";

export function reportFailure(tool: string, error: unknown, write: (text: string) => void = writeStderr): number {
  if (error instanceof LinkError) {
    for (const d of error.diagnostics) write(`${tool}: error: ${d}\n`);
    return 1;
  }
  const e = error as Error;
  if (e && typeof e === "object" && typeof e.name === "string" && /Error$/.test(e.name) && e.name !== "Error" && e.name !== "InternalError" && !(e instanceof TypeError) && !(e instanceof RangeError)) {
    // Typed errors from the format packages: the input is bad, not linkkit.
    write(`${tool}: error: ${e.message}\n`);
    return 1;
  }
  write(`${tool}: internal error (please report): ${e?.stack ?? String(error)}\n`);
  return 1;
}
