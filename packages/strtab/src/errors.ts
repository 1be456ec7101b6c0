// Typed errors for string tables: each names the offset and what was wrong.

/** What kind of problem a {@link StringTableError} reports. */
export type StringTableErrorCode =
  | "offset-out-of-range"
  | "offset-in-header"
  | "missing-terminator"
  | "truncated-size-prefix"
  | "size-prefix-too-large"
  | "invalid-string"
  | "unknown-flavour"
  | "bad-header";

/** A malformed table, a bad offset, or a string that cannot be stored. */
export class StringTableError extends Error {
  override readonly name = "StringTableError";
  readonly code: StringTableErrorCode;
  /** The offset involved, or -1 when the problem is not about an offset. */
  readonly offset: number;

  constructor(code: StringTableErrorCode, message: string, offset = -1, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.offset = offset;
  }
}
