// The saved form of a SymbolTable: its columns as plain data, cheap to serialize (typed arrays and a few
// long strings, no object per symbol), and the checks that a restored state has the shape this code wrote.
import { SymbolTableUsageError } from "./errors.js";

export const STATE_FORMAT = "@linkkit/symbol-resolver/SymbolTable";
/** Bump on any change to the fields below or to what they mean: a state of another version is refused. */
export const STATE_VERSION = 2;

/**
 * Strings as one string and where each starts in it: serializing one long string is several times faster
 * than serializing each (v8.serialize, structuredClone), and any string may be held (a NUL too).
 */
export interface PackedStrings {
  /** The strings one after another, nothing between them. */
  readonly joined: string;
  /** Where each string starts in `joined`, and one more: `joined.length` (string i ends where i + 1 starts). */
  readonly starts: Int32Array<ArrayBuffer>;
}

/**
 * Everything a `SymbolTable` holds, as plain data: numbers, strings, plain objects and typed arrays, so
 * that it survives `structuredClone` and Node's `v8.serialize`. Its fields are the table's internals:
 * read nothing but `format` and `version`.
 *
 * The typed arrays are views of the table's own columns (`subarray`, trimmed to the used length), not
 * copies, which would double the cost of saving: a state describes its table only until the table next
 * changes. Serialize it (or `structuredClone` it) before that. Likewise `restoreState` takes a
 * deserialized state's arrays over as the new table's columns: from then on the state (and the buffer
 * its arrays are views of) changes with that table.
 */
export interface SymbolTableState {
  readonly format: typeof STATE_FORMAT;
  readonly version: typeof STATE_VERSION;
  readonly epoch: number;
  readonly symbols: {
    readonly count: number;
    readonly names: PackedStrings;
    /** The hash table of names as it was: restoring it costs nothing, rebuilding it one probe per name. */
    readonly nameSlots: Int32Array<ArrayBuffer>;
    readonly hash: Int32Array<ArrayBuffer>;
    readonly defHead: Int32Array<ArrayBuffer>;
    readonly defTail: Int32Array<ArrayBuffer>;
    readonly refHead: Int32Array<ArrayBuffer>;
    readonly refTail: Int32Array<ArrayBuffer>;
    readonly winner: Int32Array<ArrayBuffer>;
    readonly align: Int32Array<ArrayBuffer>;
    readonly refCount: Int32Array<ArrayBuffer>;
    readonly strongRefCount: Int32Array<ArrayBuffer>;
    readonly demand: Int32Array<ArrayBuffer>;
    readonly pending: Uint8Array<ArrayBuffer>;
    readonly epoch: Int32Array<ArrayBuffer>;
    readonly group: Int32Array<ArrayBuffer>;
    readonly pendingLoads: Int32Array<ArrayBuffer>;
    readonly aliasWinners: number;
  };
  readonly candidates: {
    readonly count: number;
    readonly free: number;
    readonly kind: Uint8Array<ArrayBuffer>;
    readonly flags: Uint8Array<ArrayBuffer>;
    readonly input: Int32Array<ArrayBuffer>;
    readonly symbol: Int32Array<ArrayBuffer>;
    readonly a: Int32Array<ArrayBuffer>;
    readonly b: Float64Array<ArrayBuffer>;
    readonly instance: Int32Array<ArrayBuffer>;
    readonly next: Int32Array<ArrayBuffer>;
    readonly prev: Int32Array<ArrayBuffer>;
    readonly nextInInput: Int32Array<ArrayBuffer>;
    readonly nextInInstance: Int32Array<ArrayBuffer>;
  };
  readonly inputs: {
    readonly count: number;
    readonly names: PackedStrings;
    readonly candHead: Int32Array<ArrayBuffer>;
    readonly instHead: Int32Array<ArrayBuffer>;
    readonly loaded: Uint8Array<ArrayBuffer>;
  };
  readonly groups: {
    readonly count: number;
    /**
     * The symbol each group is named after and found through (`symbols.group`), or -1 for a group found by
     * its name: most groups are named after a symbol, whose name is then not saved twice.
     */
    readonly symbol: Int32Array<ArrayBuffer>;
    /** The names of the groups whose `symbol` is -1, in group order. */
    readonly names: PackedStrings;
    readonly head: Int32Array<ArrayBuffer>;
    readonly winner: Int32Array<ArrayBuffer>;
    readonly epoch: Int32Array<ArrayBuffer>;
  };
  readonly instances: {
    readonly count: number;
    readonly free: number;
    readonly group: Int32Array<ArrayBuffer>;
    readonly input: Int32Array<ArrayBuffer>;
    readonly selection: Uint8Array<ArrayBuffer>;
    readonly size: Float64Array<ArrayBuffer>;
    readonly checksum: Float64Array<ArrayBuffer>;
    readonly next: Int32Array<ArrayBuffer>;
    readonly prev: Int32Array<ArrayBuffer>;
    readonly nextInInput: Int32Array<ArrayBuffer>;
    readonly defHead: Int32Array<ArrayBuffer>;
    readonly assocHead: Int32Array<ArrayBuffer>;
  };
  readonly associations: {
    readonly count: number;
    readonly free: number;
    readonly section: Int32Array<ArrayBuffer>;
    readonly next: Int32Array<ArrayBuffer>;
  };
  readonly journal: {
    /** The symbol journal's entries, its used length only. */
    readonly entries: Float64Array<ArrayBuffer>;
    readonly groups: Int32Array<ArrayBuffer>;
    readonly groupWinners: Int32Array<ArrayBuffer>;
    /** Names (groups) from this id on were made since the last report and are not in the journal. */
    readonly newNamesFrom: number;
    readonly newGroupsFrom: number;
  };
}

export function packStrings(strings: readonly string[]): PackedStrings {
  const starts = new Int32Array(strings.length + 1);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    at += (strings[i] as string).length;
    starts[i + 1] = at;
  }
  return { joined: strings.join(""), starts };
}

/** The strings back; `packed` has passed `StateReader.strings`. */
export function unpackStrings(packed: PackedStrings): string[] {
  const { joined, starts } = packed;
  const strings = new Array<string>(starts.length - 1);
  for (let i = 0; i < strings.length; i++) strings[i] = joined.slice(starts[i], starts[i + 1]);
  return strings;
}

// ---------------------------------------------------------------- shape checks

interface ColumnTypes {
  readonly int32: Int32Array<ArrayBuffer>;
  readonly uint8: Uint8Array<ArrayBuffer>;
  readonly float64: Float64Array<ArrayBuffer>;
}
const COLUMN_CONSTRUCTORS = { int32: Int32Array, uint8: Uint8Array, float64: Float64Array } as const;

/** Reads the fields of a restored state, refusing anything but the shape `saveState` writes. */
export class StateReader {
  private readonly state: unknown;

  constructor(state: unknown) {
    this.state = state;
    if (typeof state !== "object" || state === null) {
      throw new SymbolTableUsageError(`restoreState: not a saved SymbolTable: ${describe(state)}`, { field: "" });
    }
    const format = this.field("format");
    if (format !== STATE_FORMAT) this.fail("format", `not a saved SymbolTable (format ${describe(format)})`);
    const version = this.field("version");
    if (version !== STATE_VERSION) this.fail("version", `a state of version ${describe(version)}; this table reads version ${STATE_VERSION}`);
  }

  /** A nested object of the state, e.g. "symbols". */
  section(path: string): Record<string, unknown> {
    const value = this.field(path);
    if (typeof value !== "object" || value === null) this.fail(path, `expected an object, found ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  /** An integer in [min, max]. */
  integer(path: string, min: number, max: number): number {
    const value = this.field(path);
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `expected an integer in [${min}, ${max}], found ${describe(value)}`);
    }
    return value as number;
  }

  /** A typed array of `type` and (unless undefined) `length` elements. */
  column<K extends keyof ColumnTypes>(path: string, type: K, length: number | undefined): ColumnTypes[K] {
    const value = this.field(path);
    const constructor = COLUMN_CONSTRUCTORS[type];
    if (!(value instanceof constructor)) this.fail(path, `expected an ${constructor.name}, found ${describe(value)}`);
    const column = value as ColumnTypes[K];
    if (length !== undefined && column.length !== length) this.fail(path, `expected ${length} elements, found ${column.length}`);
    return column;
  }

  /** An Int32Array whose every element is in [min, max] (for the short columns used as indices). */
  indices(path: string, length: number | undefined, min: number, max: number): Int32Array<ArrayBuffer> {
    const column = this.column(path, "int32", length);
    for (let i = 0; i < column.length; i++) {
      const value = column[i] as number;
      if (value < min || value > max) this.fail(path, `element ${i} is ${value}, not in [${min}, ${max}]`);
    }
    return column;
  }

  /** `count` strings: starts that rise from 0 to the joined string's length. */
  strings(path: string, count: number): PackedStrings {
    this.section(path);
    const joined = this.field(`${path}.joined`);
    if (typeof joined !== "string") this.fail(`${path}.joined`, `expected a string, found ${describe(joined)}`);
    const starts = this.column(`${path}.starts`, "int32", count + 1);
    if (starts[0] !== 0 || starts[count] !== (joined as string).length) {
      this.fail(`${path}.starts`, `expected to run from 0 to ${(joined as string).length}, found ${starts[0]} to ${starts[count]}`);
    }
    for (let i = 0; i < count; i++) {
      if ((starts[i] as number) > (starts[i + 1] as number)) this.fail(`${path}.starts`, `string ${i} ends before it starts`);
    }
    return { joined: joined as string, starts };
  }

  fail(path: string, problem: string): never {
    throw new SymbolTableUsageError(`restoreState: malformed state: ${path}: ${problem}`, { field: path });
  }

  private field(path: string): unknown {
    let value: unknown = this.state;
    for (const key of path.split(".")) {
      if (typeof value !== "object" || value === null) this.fail(path, `expected an object, found ${describe(value)}`);
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object without prototype";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return String(value);
}
