// Typed errors: what the user's inputs got wrong (ResolverError) versus what the caller or we got wrong.
import type { Diagnostic } from "./diagnostics.js";

/** The link has errors: every diagnostic collected, errors and warnings, in report order. */
export class ResolverError extends Error {
  override readonly name = "ResolverError";
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(errors.map((d) => d.message).join("\n"));
    this.diagnostics = diagnostics;
  }
}

/** The caller used the table wrongly (an unknown input id, a COMDAT group added twice by one input...). */
export class SymbolTableUsageError extends Error {
  override readonly name = "SymbolTableUsageError";
  readonly context: Readonly<Record<string, unknown>>;
  constructor(message: string, context: Readonly<Record<string, unknown>>, options?: { cause?: unknown }) {
    super(message, options);
    this.context = context;
  }
}

/** A bug in the resolver itself: an invariant of its tables does not hold. */
export class InternalError extends Error {
  override readonly name = "InternalError";
}
