/* Called from hello.c: code in another object, a table of function pointers (so base relocations). */
static int twice(int x) { return 2 * x; }
static int same(int x) { return x; }
static int (*const steps[2])(int) = {same, twice};
int counter; /* common in C without -fno-common */

int add_all(const int *values, int count) {
  int sum = 0;
  for (int i = 0; i < count; i++) sum += steps[i & 1](values[i]);
  counter = sum;
  return sum; /* 1+4+3+8+5+12+7+16+9+20 = 85 */
}

const char *greeting(void) { return "hello from linkkit\n"; }
