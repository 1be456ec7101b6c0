// Growable typed-array columns: per-item storage without an object per item.

export const NONE = -1;

/**
 * The memory of every table's columns. `restoreState` takes a state's arrays over as columns when their
 * memory is no table's (a deserialized or cloned state), and copies them when it is (a state straight
 * from `saveState`, or one restored already): two tables never write into one array.
 */
const columnMemory = new WeakSet<ArrayBufferLike>();

/** `column`, its memory now counted as a table's. */
export function ownColumn<T extends ArrayBufferView>(column: T): T {
  columnMemory.add(column.buffer);
  return column;
}

type Column = Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Float64Array<ArrayBuffer>;

/**
 * Takes the arrays of one state over as one table's columns: each array itself, or a copy when its memory
 * was some table's already. The arrays of one deserialized state are views into one buffer: sharing it
 * with each other is no reason to copy.
 */
export function columnAdopter(): <T extends Column>(column: T) => T {
  const adopted = new Set<ArrayBufferLike>();
  return (column) => {
    const memory = column.buffer;
    if (columnMemory.has(memory) && !adopted.has(memory)) return ownColumn(column.slice() as typeof column);
    adopted.add(memory);
    return ownColumn(column);
  };
}

export function growInt32(column: Int32Array<ArrayBuffer>, capacity: number, fill: number): Int32Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = ownColumn(new Int32Array(Math.max(capacity, column.length * 2, 16)));
  grown.set(column);
  if (fill !== 0) grown.fill(fill, column.length);
  return grown;
}

export function growUint8(column: Uint8Array<ArrayBuffer>, capacity: number): Uint8Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = ownColumn(new Uint8Array(Math.max(capacity, column.length * 2, 16)));
  grown.set(column);
  return grown;
}

export function growFloat64(column: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = ownColumn(new Float64Array(Math.max(capacity, column.length * 2, 16)));
  grown.set(column);
  return grown;
}
