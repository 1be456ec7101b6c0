// Freestanding test programs: their own _start, write/exit through inline-asm syscalls, no libc.

export const SYS_H = `
static inline long sys_write(int fd, const void *buf, unsigned long n) {
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(1), "D"(fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
  return r;
}
static inline __attribute__((noreturn)) void sys_exit(int code) {
  __asm__ volatile ("syscall" : : "a"(60), "D"(code));
  __builtin_unreachable();
}
#ifdef __cplusplus
extern "C" {
#endif
void put_line(const char *s);
void put_number(long n);
#ifdef __cplusplus
}
#endif
`;

export const UTIL_C = `#include "sys.h"
int counter; /* a common symbol (compiled with -fcommon) */
void put_line(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  sys_write(1, s, n);
  sys_write(1, "\\n", 1);
}
void put_number(long n) {
  char b[24];
  int i = 23;
  b[i] = 0;
  if (n == 0) b[--i] = '0';
  while (n) { b[--i] = (char)('0' + n % 10); n /= 10; }
  put_line(b + i);
}
`;

export interface Program {
  readonly name: string;
  /** Files compiled and linked as objects, in this order. */
  readonly sources: Record<string, string>;
  /** Files compiled and put into libprog.a (linked with -L. -lprog after the objects). */
  readonly library?: Record<string, string>;
  readonly cflags?: readonly string[];
  /** Extra linker arguments (GNU ld syntax, given to every linker). */
  readonly ldflags?: readonly string[];
  /** Linker-independent expectations on the program's stdout. */
  readonly expectedOutput: string;
  readonly expectedStatus: number;
}

/** Several objects and an archive: merged strings, a weak definition overridden, a common symbol. */
export const multiObject: Program = {
  name: "objects + archive, weak, common, merged strings",
  sources: {
    "sys.h": SYS_H,
    "main.c": `#include "sys.h"
extern int counter;                                /* common in util.c and hook.c */
int hook(void) __attribute__((weak));
int hook(void) { return 1; }                       /* weak: hook.c's strong definition wins */
int lib_twice(int);                                /* from libprog.a */
void _start(void) {
  put_line("hello world");
  put_line("world");                               /* tail-merged into "hello world" */
  counter += 5;
  put_number(counter);
  put_number(hook());
  put_number(lib_twice(21));
  sys_exit(counter + hook());
}
`,
    "util.c": UTIL_C,
    "hook.c": `int counter;
int hook(void) { return 7; }
const char *hook_text(void) { return "world"; }     /* the same string in another object */
`,
  },
  library: {
    "twice.c": "int lib_twice(int x) { return 2 * x; }\n",
    "never.c": "int lib_never(int x) { return x + 1; }\n",
  },
  cflags: ["-fno-pic", "-fcommon"],
  expectedOutput: "hello world\nworld\n5\n7\n42\n",
  expectedStatus: 12,
};

/** A C++ inline function in two objects: one COMDAT group instance survives. */
export const comdat: Program = {
  name: "C++ COMDAT inline function in two objects",
  sources: {
    "sys.h": SYS_H,
    "square.h": "__attribute__((noinline)) inline int square(int x) { return x * x + 1; }\nint from_a(int); int from_b(int);\n",
    "a.cc": `#include "sys.h"
#include "square.h"
int from_a(int x) { return square(x); }
extern "C" void _start() {
  put_number(from_a(3));
  put_number(from_b(4));
  sys_exit(from_a(2) + from_b(1));
}
`,
    "b.cc": `#include "square.h"
int from_b(int x) { return square(x) * 2; }
`,
    "util.c": UTIL_C,
  },
  cflags: ["-fno-pic"],
  expectedOutput: "10\n34\n",
  expectedStatus: 9,
};

/** --gc-sections drops a function and data nothing reaches from _start. */
export const gcSections: Program = {
  name: "--gc-sections drops unused functions",
  sources: {
    "sys.h": SYS_H,
    "main.c": `#include "sys.h"
int used_value = 40;
int unused_value = 13;
int unused_function(int x) { return x * unused_value; }
__attribute__((noinline)) int used_function(int x) { return x + used_value; }
void _start(void) { put_number(used_function(2)); sys_exit(3); }
`,
    "util.c": UTIL_C,
  },
  cflags: ["-fno-pic", "-ffunction-sections", "-fdata-sections"],
  ldflags: ["--gc-sections"],
  expectedOutput: "42\n",
  expectedStatus: 3,
};

/** -fpie objects: GOTPCRELX loads and calls relaxed to lea/direct calls; a weak undefined keeps a GOT slot. */
export const pieRelaxation: Program = {
  name: "-fpie GOTPCRELX relaxation and a GOT slot for a weak undefined",
  sources: {
    "sys.h": SYS_H,
    "main.c": `#include "sys.h"
extern int shared_value;
extern int maybe_missing __attribute__((weak));
int get_bonus(void);
void _start(void) {
  int missing = &maybe_missing ? 1000 : 0;
  put_number(shared_value + get_bonus() + missing);
  sys_exit(shared_value);
}
`,
    "data.c": "int shared_value = 30;\nint get_bonus(void) { return 12; }\n",
    "util.c": UTIL_C,
  },
  cflags: ["-fpie", "-fno-plt"],
  expectedOutput: "42\n",
  expectedStatus: 30,
};

export const programs: readonly Program[] = [multiObject, comdat, gcSections, pieRelaxation];
