// C programs without a C runtime, used by the end-to-end tests: each prints through kernel32 and exits
// with a code computed from what it tested, so a wrong relocation shows up as a wrong number.

/** Tiny runtime: print strings and integers with WriteFile; exit with ExitProcess. */
export const runtime = `
typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(unsigned long which);
__declspec(dllimport) int __stdcall WriteFile(HANDLE, const void *, unsigned long, unsigned long *, void *);
__declspec(dllimport) void __stdcall ExitProcess(unsigned int code);
void print(const char *s) {
  unsigned long n = 0, w;
  while (s[n]) n++;
  WriteFile(GetStdHandle((unsigned long)-11), s, n, &w, 0);
}
void print_int(long v) {
  char buf[32]; int i = 31; int neg = v < 0; unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
  buf[i] = 0;
  do { buf[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  if (neg) buf[--i] = '-';
  print(buf + i);
}
void finish(unsigned int code) { ExitProcess(code); }
`;

export const runtimeHeader = `
void print(const char *s);
void print_int(long v);
void finish(unsigned int code);
`;

export const kernel32Exports = ["GetStdHandle", "WriteFile", "ExitProcess", "GetModuleHandleA", "LoadLibraryA", "GetProcAddress"];

/** Several objects: data, read-only data, .bss, function-pointer tables (base relocations), a library. */
export const multiObject: Record<string, string> = {
  "main.c": `${runtimeHeader}
extern int table_sum(void);
extern const char *names[];
extern int zeroed[100];
extern int from_lib1(int);
int (*dispatch[3])(int);
static int square(int x) { return x * x; }
static int negate(int x) { return -x; }
static const int primes[] = {2, 3, 5, 7, 11, 13};
void start(void) {
  dispatch[0] = square; dispatch[1] = negate; dispatch[2] = from_lib1;
  int total = 0;
  for (int i = 0; i < 3; i++) total += dispatch[i](i + 4);
  for (int i = 0; i < 6; i++) total += primes[i];
  for (int i = 0; i < 100; i++) total += zeroed[i];
  total += table_sum();
  print(names[0]); print(" "); print(names[1]); print("\\n");
  print("total="); print_int(total); print("\\n");
  finish(total & 0xff);
}
`,
  "data.c": `
const char *names[] = {"alpha", "beta"};
int zeroed[100];
static int values[] = {10, 20, 30};
static int *pointers[] = {&values[0], &values[1], &values[2]};
int table_sum(void) { int s = 0; for (int i = 0; i < 3; i++) s += *pointers[i]; return s; }
`,
  "lib1.c": `int from_lib1(int x) { return x * 100; }`,
  "lib2.c": `int from_lib2(int x) { return x * 1000; } int never_used_from_lib2 = 5;`,
};

/** C++ inline functions and templates defined in two objects: COMDAT sections (selection ANY). */
export const comdats: Record<string, string> = {
  "shared.h": `
inline int twice(int x) { return 2 * x; }
template <typename T> T add3(T a, T b, T c) { return a + b + c; }
struct Counter { int n = 0; int bump() { return ++n; } };
__declspec(selectany) int shared_value = 42;
`,
  "a.cpp": `#include "shared.h"
extern "C" { ${runtimeHeader} }
int from_b(int);
extern "C" void start(void) {
  Counter c; c.bump(); c.bump();
  int r = twice(5) + add3(1, 2, 3) + c.n + from_b(7) + shared_value;
  print("comdat="); print_int(r); print("\\n");
  finish(r);
}
`,
  "b.cpp": `#include "shared.h"
int unused_function_dropped_by_opt_ref(int x) { return twice(x) * 3; }
int from_b(int x) { Counter c; c.bump(); return twice(x) + add3(x, x, x) + c.n + shared_value; }
`,
};

/** Weak externals (a default used when nothing else defines the name) and /alternatename. */
export const weakAndAlias: Record<string, string> = {
  "main.c": `${runtimeHeader}
int hook(void);
int missing_feature(void);
int strong_one(void) __attribute__((weak));
int strong_one(void) { return 1; }
void start(void) {
  int r = hook() * 10 + missing_feature() * 100 + strong_one();
  print("weak="); print_int(r); print("\\n");
  finish(r & 0xff);
}
`,
  "defaults.c": `
int hook_default(void) { return 3; }
int missing_feature_default(void) { return 7; }
`,
  "override.c": `int strong_one(void) { return 5; }`,
};

/** Common symbols: \`int counter;\` in several objects (C with -fcommon), the largest wins. */
export const commons: Record<string, string> = {
  "main.c": `${runtimeHeader}
int counter;
char buffer[16];
int bump(void);
void start(void) {
  counter = 40;
  int r = bump() + bump();
  for (int i = 0; i < 64; i++) buffer[i] = (char)i;
  int s = 0; for (int i = 0; i < 64; i++) s += buffer[i];
  print("common="); print_int(r + s); print("\\n");
  finish((r + s) & 0xff);
}
`,
  "other.c": `int counter; char buffer[64]; int bump(void) { return ++counter; }`,
};

/** Thread-local variables (__declspec(thread)) with a minimal TLS directory of our own (no CRT). */
export const threadLocal = (x86: boolean): Record<string, string> => ({
  "main.c": `${runtimeHeader}
__declspec(thread) int tls_counter = 5;
__declspec(thread) int tls_zero;
__declspec(thread) char tls_text[8] = "tls!";
void start(void) {
  tls_counter += 10; tls_zero += 2;
  print(tls_text); print(" "); print_int(tls_counter); print(" "); print_int(tls_zero); print("\\n");
  finish(tls_counter + tls_zero);
}
`,
  "tlssup.c": `
typedef unsigned ${x86 ? "int" : "long long"} uptr;
unsigned long _tls_index = 0;
__attribute__((section(".tls"))) char _tls_start = 0;
__attribute__((section(".tls$ZZZ"))) char _tls_end = 0;
__attribute__((section(".CRT$XLA"))) void *__xl_a = 0;
__attribute__((section(".CRT$XLZ"))) void *__xl_z = 0;
struct tls_directory { uptr start, end, index, callbacks; unsigned int zero_fill, characteristics; };
const struct tls_directory _tls_used = { (uptr)&_tls_start, (uptr)&_tls_end, (uptr)&_tls_index, (uptr)(&__xl_a + 1), 0, 0 };
${x86 ? '/* x86 code finds the TLS array at fs:[__tls_array]; the CRT defines it as the absolute 0x2C. */\n__asm__(".globl __tls_array\\n.set __tls_array, 44");' : ""}
`,
});

/** A DLL exporting functions and data, by name and by ordinal only. */
export const dllSources: Record<string, string> = {
  "mathlib.c": `
int dll_counter = 1000;
static int scale = 3;
static int (*ops[2])(int);
static int inc(int x) { return x + 1; }
static int dbl(int x) { return x * 2; }
__declspec(dllexport) int mul_add(int a, int b) { ops[0] = inc; ops[1] = dbl; return ops[1](a) * scale + ops[0](b); }
int by_ordinal(void) { return 77; }
int from_def(int x) { return x - 1; }
int __stdcall _DllMainCRTStartup(void *h, unsigned long reason, void *r) { return 1; }
`,
};

export const dllDef = `LIBRARY mathlib.dll
EXPORTS
  from_def
  by_ordinal @5 NONAME
  dll_counter DATA
`;

export const dllUser: Record<string, string> = {
  "user.c": `${runtimeHeader}
__declspec(dllimport) int mul_add(int, int);
__declspec(dllimport) int from_def(int);
__declspec(dllimport) int by_ordinal(void);
__declspec(dllimport) extern int dll_counter;
void start(void) {
  int r = mul_add(4, 5) + from_def(10) + by_ordinal() + dll_counter;
  print("dll="); print_int(r); print("\\n");
  finish(r & 0xff);
}
`,
};

/** Two DLLs with the same preferred base: the loader must relocate one; both still compute right. */
export const relocatedDll = (name: string, factor: number): Record<string, string> => ({
  [`${name}.c`]: `
static int table[4] = {1, 2, 3, 4};
static int *pointers[4] = {&table[0], &table[1], &table[2], &table[3]};
static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
static int (*ops[2])(int, int) = {add, mul};
__declspec(dllexport) int ${name}_compute(void) {
  int s = 0;
  for (int i = 0; i < 4; i++) s = ops[i & 1](s, *pointers[i]);
  return s * ${factor};
}
__declspec(dllexport) void *${name}_base(void) { return (void *)&table[0]; }
int __stdcall _DllMainCRTStartup(void *h, unsigned long reason, void *r) { return 1; }
`,
});

export const twoDllUser = `${runtimeHeader}
__declspec(dllimport) int first_compute(void);
__declspec(dllimport) int second_compute(void);
__declspec(dllimport) void *first_base(void);
__declspec(dllimport) void *second_base(void);
void start(void) {
  int r = first_compute() + second_compute();
  print("two="); print_int(r); print(first_base() != second_base() ? " distinct\\n" : " same\\n");
  finish(r & 0xff);
}
`;
