// Growable typed-array columns: per-item storage without an object per item.

export const NONE = -1;

export function growInt32(column: Int32Array<ArrayBuffer>, capacity: number, fill: number): Int32Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = new Int32Array(Math.max(capacity, column.length * 2, 16));
  grown.set(column);
  if (fill !== 0) grown.fill(fill, column.length);
  return grown;
}

export function growUint8(column: Uint8Array<ArrayBuffer>, capacity: number): Uint8Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = new Uint8Array(Math.max(capacity, column.length * 2, 16));
  grown.set(column);
  return grown;
}

export function growFloat64(column: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  if (column.length >= capacity) return column;
  const grown = new Float64Array(Math.max(capacity, column.length * 2, 16));
  grown.set(column);
  return grown;
}
