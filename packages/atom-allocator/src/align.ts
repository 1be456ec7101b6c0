// Alignment arithmetic on plain numbers: RVAs and file offsets can pass 2^32, so no bit operators.

export function isPowerOfTwo(value: number): boolean {
  // Bit tricks are exact up to 2^30; larger powers of two (rare) take the slow check.
  if (value > 0 && value <= 0x40000000) return (value | 0) === value && (value & (value - 1)) === 0;
  return Number.isSafeInteger(value) && value > 0 && 2 ** Math.round(Math.log2(value)) === value;
}

/** Rounds up to a multiple of `alignment` (a power of two). Exact for safe integers. */
export function alignUp(value: number, alignment: number): number {
  // A value that fits in 31 bits takes its remainder by a mask: `%` on the doubles the Float64Array columns
  // hold compiles to a call of fmod (once or twice per atom placed).
  const rest = (value | 0) === value && value >= 0 && alignment <= 0x40000000 ? value & (alignment - 1) : value % alignment;
  return rest === 0 ? value : value + alignment - rest;
}

export function log2OfPowerOfTwo(value: number): number {
  return value <= 0x40000000 ? 31 - Math.clz32(value) : Math.round(Math.log2(value));
}

/** 2 ** log2 for an alignment's log2: a shift (V8 compiles `2 ** x` to a call of pow, a hot cost per atom). */
export function powerOfTwo(log2: number): number {
  return log2 <= 30 ? 1 << log2 : 2 ** log2;
}
