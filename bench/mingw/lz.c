/* A byte-oriented LZ77: literal runs and (distance, length) matches found through a hash of 3 bytes. */
#include <string.h>
#include "bench.h"

/* A match costs 4 bytes and may split a literal run (1 more), so shorter ones would expand the output. */
enum { WINDOW = 65535, MIN_MATCH = 6, MAX_MATCH = 255, HASH_BITS = 14 };

static uint32_t hash3(const uint8_t *p) { return ((p[0] << 16 | p[1] << 8 | p[2]) * 2654435761u) >> (32 - HASH_BITS); }

static size_t flush_literals(const uint8_t *from, size_t n, uint8_t *out) {
  size_t o = 0;
  while (n > 0) {
    size_t run = n > 127 ? 127 : n;
    out[o++] = (uint8_t)run;
    memcpy(out + o, from, run);
    o += run, from += run, n -= run;
  }
  return o;
}

size_t lz_compress(const uint8_t *in, size_t length, uint8_t *out) {
  static size_t last[1 << HASH_BITS];
  memset(last, 0, sizeof last);
  size_t i = 0, o = 0, literal_start = 0;
  while (i + MIN_MATCH <= length) {
    uint32_t h = hash3(in + i);
    size_t candidate = last[h];
    last[h] = i + 1;
    size_t n = 0;
    if (candidate > 0 && i - (candidate - 1) <= WINDOW) {
      const uint8_t *m = in + candidate - 1;
      while (n < MAX_MATCH && i + n < length && m[n] == in[i + n]) n++;
    }
    if (n < MIN_MATCH) { i++; continue; }
    o += flush_literals(in + literal_start, i - literal_start, out + o);
    size_t distance = i - (candidate - 1);
    out[o++] = 0x80;
    out[o++] = (uint8_t)n;
    out[o++] = (uint8_t)(distance >> 8);
    out[o++] = (uint8_t)distance;
    i += n;
    literal_start = i;
  }
  o += flush_literals(in + literal_start, length - literal_start, out + o);
  return o;
}

size_t lz_decompress(const uint8_t *in, size_t length, uint8_t *out, size_t capacity) {
  size_t i = 0, o = 0;
  while (i < length) {
    uint8_t tag = in[i++];
    if (tag < 0x80) {
      if (o + tag > capacity) return (size_t)-1;
      memcpy(out + o, in + i, tag);
      i += tag, o += tag;
    } else {
      size_t n = in[i], distance = (size_t)in[i + 1] << 8 | in[i + 2];
      i += 3;
      if (distance == 0 || distance > o || o + n > capacity) return (size_t)-1;
      for (size_t k = 0; k < n; k++, o++) out[o] = out[o - distance]; /* overlapping copies are fine */
    }
  }
  return o;
}
