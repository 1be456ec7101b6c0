// Errors a user can cause (bad command line, missing file, undefined symbol) versus bugs in linkkit.

/** A failure the user can fix; the CLI prints `error: <message>` and exits with 1. */
export class LinkError extends Error {
  /** Each line is one diagnostic (several are reported at once). */
  readonly diagnostics: readonly string[];
  constructor(diagnostics: string | readonly string[], options?: { cause?: unknown }) {
    const list = typeof diagnostics === "string" ? [diagnostics] : diagnostics;
    super(list.join("\n"), options);
    this.name = "LinkError";
    this.diagnostics = list;
  }
}

/** A broken invariant inside linkkit: a bug to report, never the user's fault. */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`internal error: ${message}`, options);
    this.name = "InternalError";
  }
}
