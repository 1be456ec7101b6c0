// Sorting tables by a 32-bit key (an RVA) without moving their records: the order of their indexes.

/** Below this many keys a comparison sort costs less than the radix passes' bucket arrays. */
const RADIX_MIN = 512;
const DIGIT_BITS = 12;
const BUCKETS = 1 << DIGIT_BITS;

/**
 * The indexes 0..n-1 of `keys` (unsigned 32-bit) in ascending key order, equal keys in index order.
 * An LSD radix sort, 12 bits a pass and only as many passes as the largest key needs (two for an
 * image below 16 MB): linear, where the comparison sorts it replaced were a fifth of a large link's
 * write phase.
 */
export function orderByKey(keys: Uint32Array): Uint32Array {
  const n = keys.length;
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < RADIX_MIN) return order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  let max = 0;
  for (let i = 0; i < n; i++) if (keys[i]! > max) max = keys[i]!;
  let spare = new Uint32Array(n);
  const counts = new Uint32Array(BUCKETS);
  for (let shift = 0; shift < 32 && max >>> shift !== 0; shift += DIGIT_BITS) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & (BUCKETS - 1)]!++;
    let at = 0;
    for (let d = 0; d < BUCKETS; d++) { const c = counts[d]!; counts[d] = at; at += c; }
    for (let i = 0; i < n; i++) {
      const index = order[i]!;
      spare[counts[(keys[index]! >>> shift) & (BUCKETS - 1)]!++] = index;
    }
    [order, spare] = [spare, order];
  }
  return order;
}
