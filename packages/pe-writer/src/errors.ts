// Typed errors of the PE writer: every one says what was being written and where.

export interface PeWriterErrorDetails {
  /** The section, table or header being written, e.g. "section .text" or "export table". */
  readonly where?: string | undefined;
  /** Byte offset in the output file, when the problem has one. */
  readonly offset?: number | undefined;
  /** Relative virtual address, when the problem has one. */
  readonly rva?: number | undefined;
  /** What a valid model has there. */
  readonly expected?: string | undefined;
  readonly cause?: unknown;
}

/** A model the writer cannot turn into a valid image: overlapping sections, sizes that do not fit, bad names. */
export class PeWriterError extends Error {
  readonly where: string | undefined;
  readonly offset: number | undefined;
  readonly rva: number | undefined;
  readonly expected: string | undefined;

  constructor(problem: string, details: PeWriterErrorDetails = {}) {
    super(formatMessage(problem, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.where = details.where;
    this.offset = details.offset;
    this.rva = details.rva;
    this.expected = details.expected;
  }
}

/** An image handed to a patch function that is not a PE image this package can patch. */
export class NotAnImageError extends PeWriterError {}

function formatMessage(problem: string, d: PeWriterErrorDetails): string {
  const parts: string[] = [];
  if (d.where !== undefined) parts.push(d.where);
  if (d.offset !== undefined) parts.push(`file offset 0x${d.offset.toString(16)}`);
  if (d.rva !== undefined) parts.push(`RVA 0x${d.rva.toString(16)}`);
  const prefix = parts.length === 0 ? "" : `${parts.join(", ")}: `;
  const expected = d.expected === undefined ? "" : ` (expected ${d.expected})`;
  return `${prefix}${problem}${expected}`;
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** A table of `size` bytes placed at `rva` must fit the 32-bit address space of an image. */
export function checkTableRva(rva: number, size: number, where: string): void {
  if (!Number.isInteger(rva) || rva < 0 || rva + size > 0xffff_ffff) {
    throw new PeWriterError(`${size} bytes do not fit at this address`, { where, rva: Number.isInteger(rva) ? rva : undefined, expected: "an RVA below 4 GiB" });
  }
}
