// Typed errors for archives: malformed input names the file, the offset and what was expected.

/** Malformed archive bytes. */
export class ArchiveFormatError extends Error {
  override readonly name = "ArchiveFormatError";
  readonly fileName: string;
  /** Byte offset in the archive where the problem is. */
  readonly offset: number;
  /** What a well-formed archive has there. */
  readonly expected: string;
  /** What was found instead, when it helps. */
  readonly found: string | undefined;

  constructor(fileName: string, offset: number, expected: string, found?: string, options?: { cause?: unknown }) {
    super(`${fileName}: malformed archive at offset ${offset} (0x${offset.toString(16)}): expected ${expected}${found === undefined ? "" : `, found ${found}`}`, options);
    this.fileName = fileName;
    this.offset = offset;
    this.expected = expected;
    this.found = found;
  }
}

/** Input that writeArchive cannot store (a name the format cannot hold, too many members, ...). */
export class ArchiveWriteError extends Error {
  override readonly name = "ArchiveWriteError";
  /** The member concerned, when there is one. */
  readonly memberName: string | undefined;

  constructor(message: string, memberName?: string) {
    super(memberName === undefined ? message : `member ${JSON.stringify(memberName)}: ${message}`);
    this.memberName = memberName;
  }
}

/** A bug in this package (a size computed in one phase differs from what the next wrote). */
export class ArchiveInternalError extends Error {
  override readonly name = "ArchiveInternalError";
}

/** A call this package cannot answer: an index past the symbol table, say. */
export class ArchiveUsageError extends Error {
  override readonly name = "ArchiveUsageError";
}
