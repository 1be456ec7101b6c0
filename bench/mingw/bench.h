/* The MinGW benchmark program: a text generator, a word counter and an LZ77 round trip. */
#include <stddef.h>
#include <stdint.h>

char *make_text(unsigned seed, size_t words, size_t *length);

struct word_count { char *word; unsigned count; };
struct word_count *count_words(const char *text, size_t *distinct);
void free_counts(struct word_count *counts, size_t distinct);

size_t lz_compress(const uint8_t *in, size_t length, uint8_t *out);
size_t lz_decompress(const uint8_t *in, size_t length, uint8_t *out, size_t capacity);
