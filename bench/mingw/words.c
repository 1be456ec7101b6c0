/* Counts words with an open-addressing hash table, then sorts them by count and spelling. */
#include <stdlib.h>
#include <string.h>
#include "bench.h"

static uint32_t hash_word(const char *word, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)word[i]) * 16777619u;
  return h;
}

static int by_count_then_word(const void *a, const void *b) {
  const struct word_count *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

struct word_count *count_words(const char *text, size_t *distinct) {
  size_t capacity = 1024, used = 0;
  struct word_count *table = calloc(capacity, sizeof *table);
  if (table == NULL) return NULL;
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\n') p++;
    const char *start = p;
    while (*p && *p != ' ' && *p != '\n') p++;
    size_t n = (size_t)(p - start);
    if (n == 0) continue;
    if (used * 2 >= capacity) {
      /* Grow and rehash: keeps probes short. */
      struct word_count *bigger = calloc(capacity * 2, sizeof *bigger);
      if (bigger == NULL) return NULL;
      for (size_t i = 0; i < capacity; i++) {
        if (table[i].word == NULL) continue;
        size_t j = hash_word(table[i].word, strlen(table[i].word)) & (capacity * 2 - 1);
        while (bigger[j].word != NULL) j = (j + 1) & (capacity * 2 - 1);
        bigger[j] = table[i];
      }
      free(table);
      table = bigger;
      capacity *= 2;
    }
    size_t j = hash_word(start, n) & (capacity - 1);
    while (table[j].word != NULL && (strncmp(table[j].word, start, n) != 0 || table[j].word[n] != '\0')) j = (j + 1) & (capacity - 1);
    if (table[j].word == NULL) {
      table[j].word = malloc(n + 1);
      memcpy(table[j].word, start, n);
      table[j].word[n] = '\0';
      used++;
    }
    table[j].count++;
  }
  size_t k = 0;
  for (size_t i = 0; i < capacity; i++) if (table[i].word != NULL) table[k++] = table[i];
  qsort(table, k, sizeof *table, by_count_then_word);
  *distinct = k;
  return table;
}

void free_counts(struct word_count *counts, size_t distinct) {
  for (size_t i = 0; i < distinct; i++) free(counts[i].word);
  free(counts);
}
