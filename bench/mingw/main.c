/* Builds a text, counts its words, compresses and restores it, prints a summary and a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

int main(void) {
  size_t length;
  char *text = make_text(20240607u, 200000, &length);
  size_t distinct;
  struct word_count *counts = count_words(text, &distinct);
  if (text == NULL || counts == NULL) { fputs("out of memory\n", stderr); return 2; }
  printf("%zu bytes, %zu distinct words\n", length, distinct);
  for (size_t i = 0; i < 5 && i < distinct; i++) printf("  %-12s %u\n", counts[i].word, counts[i].count);

  uint8_t *packed = malloc(length + length / 64 + 16), *restored = malloc(length);
  size_t packed_length = lz_compress((const uint8_t *)text, length, packed);
  size_t restored_length = lz_decompress(packed, packed_length, restored, length);
  int same = restored_length == length && memcmp(restored, text, length) == 0;
  printf("lz77: %zu -> %zu bytes (%.1f%%), round trip %s\n", length, packed_length, 100.0 * packed_length / length, same ? "ok" : "FAILED");

  unsigned checksum = 0;
  for (size_t i = 0; i < packed_length; i++) checksum = checksum * 31 + packed[i];
  char line[32];
  snprintf(line, sizeof line, "%08x", checksum);
  printf("checksum %s\n", line);
  free_counts(counts, distinct);
  free(text), free(packed), free(restored);
  return same ? (int)(1 + checksum % 250) : 1;
}
