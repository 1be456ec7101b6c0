/* Generates a deterministic text of pseudo-words, so the program needs no input file. */
#include <stdlib.h>
#include <string.h>
#include "bench.h"

static const char *const syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zu", "pe", "qua", "xi"};

char *make_text(unsigned seed, size_t words, size_t *length) {
  size_t capacity = words * 12 + 1, used = 0;
  char *text = malloc(capacity);
  if (text == NULL) return NULL;
  size_t line_start = 0;
  for (size_t w = 0; w < words; w++) {
    seed = seed * 1103515245u + 12345u;
    /* Every other line repeats an earlier one, as text does: long matches for the compressor. */
    if (w % 13 == 0 && w > 0 && (seed & 0x10000)) {
      size_t from = (seed >> 17) % line_start, n = 0;
      while (from > 0 && text[from - 1] != '\n') from--;
      while (text[from + n] != '\n') n++;
      if (used + n + 1 < capacity && w + 13 < words) {
        memcpy(text + used, text + from, n + 1);
        used += n + 1;
        line_start = used;
        w += 12;
        continue;
      }
    }
    /* Few syllables and a skewed choice, so that words repeat and compress. */
    unsigned count = 1 + (seed >> 16) % 3;
    for (unsigned s = 0; s < count; s++) {
      seed = seed * 1103515245u + 12345u;
      unsigned pick = (seed >> 16) % 12;
      if (pick > 6 && (seed & 0x100)) pick -= 6;
      const char *syllable = syllables[pick];
      size_t n = strlen(syllable);
      memcpy(text + used, syllable, n);
      used += n;
    }
    text[used++] = (w % 13 == 12) ? '\n' : ' ';
    if (w % 13 == 12) line_start = used;
  }
  text[used] = '\0';
  *length = used;
  return text;
}
