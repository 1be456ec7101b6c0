// Programs for the MinGW end-to-end tests, written against the real C and C++ runtimes (msvcrt,
// libmingwex, libgcc, libstdc++). Each prints what it computed and exits with a code that counts its
// failed checks, so a wrong relocation or a missing constructor shows in the output or the exit code.

/** printf of integers and floating point, malloc/free, qsort, files, setjmp/longjmp, atexit, argv, environment. */
export const cProgram: Record<string, string> = {
  "cprog.c": String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <math.h>

int failures;
#define CHECK(c) do { if (!(c)) { printf("FAILED: %s (line %d)\n", #c, __LINE__); failures++; } } while (0)

extern double mean(const int *v, int n);
extern const char *const weekdays[];

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static jmp_buf escape;
static volatile int depth_reached;
static void descend(int n) {
  char pad[64];
  memset(pad, n, sizeof pad);
  depth_reached = n + pad[5] - n;
  if (n == 12) longjmp(escape, 40 + n);
  descend(n + 1);
}

static void first_registered(void) { printf("atexit: first registered, runs last\n"); fflush(stdout); }
static void second_registered(void) { printf("atexit: second registered, runs first\n"); }

int main(int argc, char **argv) {
  printf("integers: %d %u %ld %lld %x %05d %+d\n", -42, 4000000000u, 123456789L, -9007199254740993LL, 0xbeef, 42, 7);
  printf("floats: %.3f %.2e %g %.10f %.1f\n", 3.14159, 6.02214076e23, 1e-5, sqrt(2.0), pow(2.0, 10.5));
  char buf[64];
  snprintf(buf, sizeof buf, "%.4f|%s|%c", strtod("2.71828", 0) * 2, weekdays[3], 'x');
  printf("snprintf: %s\n", buf);

  int n = 5000;
  int *values = malloc(n * sizeof *values);
  CHECK(values != 0);
  for (int i = 0; i < n; i++) values[i] = (i * 7919) % 10007 - 5000;
  qsort(values, n, sizeof *values, compare_ints);
  int sorted = 1;
  for (int i = 1; i < n; i++) sorted &= values[i - 1] <= values[i];
  CHECK(sorted);
  printf("qsort: min %d max %d median %d mean %.3f\n", values[0], values[n - 1], values[n / 2], mean(values, n));
  values = realloc(values, 2 * n * sizeof *values);
  CHECK(values[n - 1] == 5006);
  free(values);
  char *text = calloc(100, 1);
  strcpy(text, "calloc'd");
  printf("heap: %s %u\n", text, (unsigned)strlen(text));
  free(text);

  const char *path = argc > 1 ? argv[1] : "cprog-file.txt";
  FILE *f = fopen(path, "w");
  CHECK(f != 0);
  for (int i = 1; i <= 100; i++) fprintf(f, "line %d %.2f\n", i, i / 8.0);
  fclose(f);
  f = fopen(path, "r");
  CHECK(f != 0);
  int lines = 0; long total = 0; double fsum = 0; int k; double d;
  while (fscanf(f, "line %d %lf\n", &k, &d) == 2) { lines++; total += k; fsum += d; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  CHECK(remove(path) == 0);
  printf("file: %d lines, sum %ld, %.3f, %ld bytes\n", lines, total, fsum, size);

  int code = setjmp(escape);
  if (code == 0) {
    descend(0);
    CHECK(!"longjmp did not happen");
  } else {
    printf("longjmp: %d from depth %d\n", code, depth_reached);
  }

  atexit(first_registered);
  atexit(second_registered);

  printf("argc: %d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);

  const char *greeting = getenv("LINKKIT_GREETING");
  printf("env: %s\n", greeting ? greeting : "(unset)");
  CHECK(_putenv("LINKKIT_SET_HERE=42") == 0);
  CHECK(getenv("LINKKIT_SET_HERE") && atoi(getenv("LINKKIT_SET_HERE")) == 42);
  printf("failures: %d\n", failures);
  return failures == 0 ? 23 : 100 + failures;
}
`,
  "cutil.c": String.raw`
double mean(const int *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s / n;
}
const char *const weekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
`,
};

export const cArgs = ["cprog-file.txt", "second argument", "three"];
export const cEnv = { LINKKIT_GREETING: "bonjour" };

export const cExpected = `integers: -42 4000000000 123456789 -9007199254740993 beef 00042 +7
floats: 3.142 6.02e+23 1e-05 1.4142135624 1448.2
snprintf: 5.4366|Thu|x
qsort: min -5000 max 5006 median 9 mean 6.216
heap: calloc'd 8
file: 100 lines, sum 5050, 631.250, 1413 bytes
longjmp: 52 from depth 12
argc: 4
argv[1]: cprog-file.txt
argv[2]: second argument
argv[3]: three
env: bonjour
failures: 0
atexit: second registered, runs first
atexit: first registered, runs last
`;

/** Threads made with CreateThread, each with its own `__thread` / `_Thread_local` variables, and a TLS callback. */
export const threadProgram: Record<string, string> = {
  "threads.c": String.raw`
#include <windows.h>
#include <stdio.h>

static __thread int tls_counter = 1000;
static _Thread_local char tls_name[16] = "main";
static int results[4];
static volatile LONG attaches;
static DWORD slot;

static void NTAPI on_tls_event(PVOID module, DWORD reason, PVOID reserved) {
  (void)module; (void)reserved;
  if (reason == DLL_THREAD_ATTACH) InterlockedIncrement(&attaches);
}
/* A TLS callback of the program's own, placed as the MinGW CRT places its own. */
__attribute__((section(".CRT$XLY"), used)) PIMAGE_TLS_CALLBACK const program_tls_callback = on_tls_event;

static DWORD WINAPI worker(LPVOID arg) {
  int id = (int)(INT_PTR)arg;
  snprintf(tls_name, sizeof tls_name, "worker%d", id);
  TlsSetValue(slot, (LPVOID)(INT_PTR)(id * 3));
  for (int i = 0; i <= id * 10; i++) { tls_counter += i; Sleep(0); }
  results[id] = tls_counter + (int)(INT_PTR)TlsGetValue(slot);
  return (DWORD)(tls_name[6] - '0') * 10 + id;
}

int main(void) {
  slot = TlsAlloc();
  HANDLE threads[4];
  for (int i = 0; i < 4; i++) threads[i] = CreateThread(0, 0, worker, (LPVOID)(INT_PTR)i, 0, 0);
  WaitForMultipleObjects(4, threads, TRUE, INFINITE);
  int codes = 0;
  for (int i = 0; i < 4; i++) {
    DWORD code = 0;
    GetExitCodeThread(threads[i], &code);
    codes += (int)code;
    CloseHandle(threads[i]);
    printf("thread %d: %d\n", i, results[i]);
  }
  printf("main: %d %s, exit codes %d, callback saw threads: %s\n", tls_counter, tls_name, codes, attaches >= 4 ? "yes" : "no");
  return tls_counter == 1000 && codes == 66 ? 5 : 1;
}
`,
};

export const threadExpected = `thread 0: 1000
thread 1: 1058
thread 2: 1216
thread 3: 1474
main: 1000 main, exit codes 66, callback saw threads: yes
`;
