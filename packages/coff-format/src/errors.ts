// Typed errors for malformed PE/COFF input: every one names the file, the offset and what was expected.

export interface CoffFormatErrorDetails {
  /** Display name of the input (a path, or `lib.a(member.o)`). */
  readonly file?: string | undefined;
  /** Byte offset in the input where the problem was found. */
  readonly offset?: number | undefined;
  /** What a well-formed input has there, e.g. "a section header (40 bytes)". */
  readonly expected?: string | undefined;
  readonly cause?: unknown;
}

/** Any input that is not valid PE/COFF (or is valid but cannot be represented). */
export class CoffFormatError extends Error {
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly expected: string | undefined;

  constructor(problem: string, details: CoffFormatErrorDetails = {}) {
    super(formatMessage(problem, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.file = details.file;
    this.offset = details.offset;
    this.expected = details.expected;
  }
}

/** The input ends before a structure that it says is there. */
export class TruncatedInputError extends CoffFormatError {}

/** A field holds a value the format does not allow (bad magic, impossible count, ...). */
export class InvalidFieldError extends CoffFormatError {}

function formatMessage(problem: string, d: CoffFormatErrorDetails): string {
  const where = d.file === undefined ? "" : d.offset === undefined ? `${d.file}: ` : `${d.file}+0x${d.offset.toString(16)}: `;
  const where2 = d.file === undefined && d.offset !== undefined ? `at offset 0x${d.offset.toString(16)}: ` : "";
  const expected = d.expected === undefined ? "" : ` (expected ${d.expected})`;
  return `${where}${where2}${problem}${expected}`;
}
