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

/** C++: exceptions through several frames and objects, static constructors and destructors, the standard library, thread_local. */
export const cxxProgram: Record<string, string> = {
  "shapes.h": String.raw`
#include <stdexcept>
#include <string>
#include <vector>
struct parse_error : std::runtime_error {
  int position;
  parse_error(const std::string &what, int at) : std::runtime_error(what), position(at) {}
};
struct Tracer {
  std::string name;
  explicit Tracer(std::string n);
  ~Tracer();
};
std::vector<int> parse_numbers(const std::string &text);
extern std::vector<std::string> unwound;
int thread_sum(int threads);
`,
  "cxxmain.cc": String.raw`
#include "shapes.h"
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <algorithm>

struct Registry {
  std::map<std::string, int> counts;
  Registry() { std::printf("static ctor: Registry\n"); }
  ~Registry() { std::printf("static dtor: Registry with %d entries\n", (int)counts.size()); std::fflush(stdout); }
};
static Registry registry;
static std::string greeting = std::string("hello, ") + "static init";
__attribute__((constructor(200))) static void early(void) { std::printf("constructor attribute runs first\n"); }

struct Base { virtual ~Base() {} virtual int area() const = 0; virtual std::string name() const = 0; };
struct Rect : Base { int w, h; Rect(int a, int b) : w(a), h(b) {} int area() const override { return w * h; } std::string name() const override { return "rect"; } };
struct Square : Rect { explicit Square(int s) : Rect(s, s) {} std::string name() const override { return "square"; } };

static int level3(const std::string &s) { Tracer t("level3"); return (int)parse_numbers(s).size(); }
static int level2(const std::string &s) { Tracer t("level2"); return level3(s) + 1; }
static int level1(const std::string &s) { Tracer t("level1"); return level2(s) + 1; }

int main() {
  std::cout << greeting << std::endl;
  int failures = 0;
  try {
    level1("1 2 x 4");
    failures++;
  } catch (const parse_error &e) {
    std::cout << "caught parse_error '" << e.what() << "' at " << e.position << std::endl;
  }
  std::cout << "unwound:";
  for (const auto &n : unwound) std::cout << ' ' << n;
  std::cout << std::endl;
  try {
    try { throw std::out_of_range("inner"); }
    catch (const std::logic_error &e) { std::cout << "rethrowing " << e.what() << std::endl; throw; }
  } catch (const std::exception &e) { std::cout << "outer caught " << e.what() << std::endl; }
  try { std::vector<int> v(3); (void)v.at(7); failures++; } catch (const std::out_of_range &) { std::cout << "vector::at threw" << std::endl; }
  try { throw 42; } catch (int v) { std::cout << "caught int " << v << std::endl; }

  std::vector<std::unique_ptr<Base>> shapes;
  for (int i = 1; i <= 4; i++) shapes.push_back(i % 2 ? std::unique_ptr<Base>(new Rect(i, i + 1)) : std::unique_ptr<Base>(new Square(i)));
  int total = 0;
  for (const auto &s : shapes) { registry.counts[s->name()]++; total += s->area(); }
  std::cout << "areas " << total << ", rect " << registry.counts["rect"] << ", square " << registry.counts["square"] << std::endl;

  std::vector<int> numbers = parse_numbers("5 3 9 1 7 4");
  std::sort(numbers.begin(), numbers.end());
  std::ostringstream joined;
  for (int n : numbers) joined << n << ',';
  std::string text = joined.str();
  text.pop_back();
  std::cout << "sorted " << text << " (" << text.size() << " chars)" << std::endl;
  std::map<std::string, std::vector<int>> groups;
  for (int n : numbers) groups[n % 2 ? "odd" : "even"].push_back(n);
  for (const auto &g : groups) std::cout << g.first << '=' << g.second.size() << ' ';
  std::cout << std::endl;
  std::cout.setf(std::ios::fixed);
  std::cout.precision(3);
  std::cout << "iostream float " << 22.0 / 7.0 << std::endl;

  int sum = thread_sum(3);
  std::cout << "thread_local sum " << sum << std::endl;
  std::cout << "failures " << failures << std::endl;
  return failures == 0 ? 31 : 1;
}
`,
  "cxxlib.cc": String.raw`
#include "shapes.h"
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <windows.h>

std::vector<std::string> unwound;
Tracer::Tracer(std::string n) : name(std::move(n)) {}
Tracer::~Tracer() { unwound.push_back(name); }

std::vector<int> parse_numbers(const std::string &text) {
  Tracer t("parse_numbers");
  std::istringstream in(text);
  std::vector<int> out;
  std::string word;
  int position = 0;
  while (in >> word) {
    char *end;
    long v = std::strtol(word.c_str(), &end, 10);
    if (*end != 0) throw parse_error("not a number: " + word, position);
    out.push_back((int)v);
    position++;
  }
  return out;
}

struct PerThread {
  int value;
  PerThread() : value(100) {}
  ~PerThread() { InterlockedIncrement(&destroyed); }
  static LONG destroyed;
};
LONG PerThread::destroyed;
static thread_local PerThread per_thread;
static thread_local int counter = 7;

static DWORD WINAPI work(LPVOID arg) {
  int id = (int)(INT_PTR)arg;
  for (int i = 0; i < id; i++) { per_thread.value += 10; counter++; }
  return (DWORD)(per_thread.value + counter);
}

int thread_sum(int threads) {
  int sum = 0;
  for (int t = 1; t <= threads; t++) {
    HANDLE h = CreateThread(0, 0, work, (LPVOID)(INT_PTR)t, 0, 0);
    WaitForSingleObject(h, INFINITE);
    DWORD code;
    GetExitCodeThread(h, &code);
    CloseHandle(h);
    sum += (int)code;
  }
  return sum + per_thread.value + counter;
}

struct AtExitReport { ~AtExitReport() { std::printf("per-thread destructors ran: %s\n", PerThread::destroyed >= 3 ? "yes" : "no"); std::fflush(stdout); } };
static AtExitReport report;
`,
};

export const cxxExpected = `constructor attribute runs first
static ctor: Registry
hello, static init
caught parse_error 'not a number: x' at 2
unwound: parse_numbers level3 level2 level1
rethrowing inner
outer caught inner
vector::at threw
caught int 42
areas 34, rect 2, square 2
sorted 1,3,4,5,7,9 (11 chars)
even=1 odd=5 
iostream float 3.143
thread_local sum 494
failures 0
static dtor: Registry with 2 entries
per-thread destructors ran: yes
`;

/** A C DLL exporting functions and data (everything, GNU ld's default without explicit exports). */
export const dllProgram: Record<string, string> = {
  "mathdll.c": String.raw`
#include <windows.h>
int shared_counter = 100;
int shared_table[4] = {1, 2, 3, 4};
const char *dll_greeting = "hello from the dll";
int dll_attached;
int add_scaled(int a, int b) { return a + b * shared_counter; }
int bump(void) { return ++shared_counter; }
static int hidden_helper(void) { return 7; }
int uses_hidden(void) { return hidden_helper() * 6; }
BOOL WINAPI DllMain(HINSTANCE h, DWORD reason, LPVOID reserved) {
  (void)h; (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) dll_attached++;
  return TRUE;
}
`,
  /** Uses the DLL's data without dllimport: auto-import and runtime pseudo relocations make it work. */
  "dlluser.c": String.raw`
#include <stdio.h>
extern int shared_counter;
extern int shared_table[4];
extern const char *dll_greeting;
extern int dll_attached;
int add_scaled(int a, int b);
int bump(void);
__declspec(dllimport) int uses_hidden(void);
static int *counter_pointer = &shared_counter;
static int *third_entry = &shared_table[2];
int main(void) {
  printf("%s (attached %d)\n", dll_greeting, dll_attached);
  printf("counter %d via pointer %d\n", shared_counter, *counter_pointer);
  bump();
  printf("after bump %d %d\n", shared_counter, *counter_pointer);
  shared_counter = 7;
  printf("add_scaled %d\n", add_scaled(1, 2));
  shared_table[3] += 40;
  printf("table %d %d %d\n", shared_table[1], shared_table[3], *third_entry);
  printf("uses_hidden %d\n", uses_hidden());
  return add_scaled(shared_table[3], 1) + *third_entry;
}
`,
};

export const dllExpected = `hello from the dll (attached 1)
counter 100 via pointer 100
after bump 101 101
add_scaled 15
table 2 44 3
uses_hidden 42
`;

/** i686 only: stdcall functions exported from a DLL with --kill-at, and their users. */
export const stdcallDll: Record<string, string> = {
  "stdcalldll.c": String.raw`
int counter = 5;
__attribute__((stdcall)) int scaled_sum(int a, int b) { return (a + b) * counter; }
__attribute__((stdcall)) void set_counter(int v) { counter = v; }
int __cdecl plain_add(int a, int b) { return a + b; }
`,
  "stdcalluser.c": String.raw`
#include <stdio.h>
extern int counter;
__attribute__((stdcall)) int scaled_sum(int a, int b);
__attribute__((stdcall)) void set_counter(int v);
int plain_add(int a, int b);
int main(void) {
  set_counter(counter + 1);
  printf("%d %d\n", scaled_sum(2, 3), plain_add(4, 5));
  return 0;
}
`,
};

/** The driver of the larger program: Duktape (an ECMAScript engine, ~100k lines of C) runs a script of checks. */
export const duktapeDriver = String.raw`
#include <stdio.h>
#include <string.h>
#include "duktape.h"

static int failures;

static duk_ret_t native_print(duk_context *ctx) {
  duk_push_string(ctx, " ");
  duk_insert(ctx, 0);
  duk_join(ctx, duk_get_top(ctx) - 1);
  printf("%s\n", duk_safe_to_string(ctx, -1));
  return 0;
}
static duk_ret_t native_fail(duk_context *ctx) {
  failures++;
  printf("FAILED: %s\n", duk_safe_to_string(ctx, 0));
  return 0;
}
static duk_ret_t native_throws(duk_context *ctx) {
  return duk_error(ctx, DUK_ERR_RANGE_ERROR, "thrown from C with %d", (int)duk_require_int(ctx, 0));
}

static const char *script =
  "function check(c, what) { if (!c) fail(what); }\n"
  "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n"
  "print('fib', fib(22));\n"
  "var counter = (function () { var n = 0; return function () { return ++n; }; })();\n"
  "counter(); counter(); check(counter() === 3, 'closure');\n"
  "var obj = { name: 'linkkit', list: [3, 1, 2], nested: { pi: Math.PI, yes: true, no: null } };\n"
  "var text = JSON.stringify(obj);\n"
  "print('json', text);\n"
  "check(JSON.parse(text).nested.pi === Math.PI, 'json round trip');\n"
  "print('sorted', [5, 3, 9, 1, 7, 10].sort(function (a, b) { return a - b; }).join(','));\n"
  "print('reduce', [1, 2, 3, 4].map(function (x) { return x * x; }).reduce(function (a, b) { return a + b; }, 0));\n"
  "var m = /(\\w+)@(\\w+)\\.org/.exec('mail: someone@example.org today');\n"
  "print('regexp', m[1], m[2], 'a-b-c'.replace(/-/g, '+'), 'x1y22z333'.split(/\\d+/).join('|'));\n"
  "print('numbers', (1 / 3).toFixed(5), (255).toString(16), 1e21, 0.1 + 0.2, (123.456).toPrecision(4), parseInt('0x1f'), Number('3.5e3'));\n"
  "print('math', Math.floor(Math.sqrt(2) * 1e6), Math.round(Math.exp(1) * 1000), Math.max.apply(null, [4, 8, 2]), Math.pow(2, 0.5).toFixed(6));\n"
  "print('date', new Date(Date.UTC(2020, 1, 29, 12, 30)).toISOString());\n"
  "var caught = [];\n"
  "try { null.property; } catch (e) { caught.push(e.name); }\n"
  "try { throwsFromC(7); } catch (e) { caught.push(e.name + ':' + e.message); }\n"
  "try { try { throw new Error('inner'); } finally { caught.push('finally'); } } catch (e) { caught.push(e.message); }\n"
  "function deep(n) { if (n === 0) throw new TypeError('deep'); return deep(n - 1) + 1; }\n"
  "try { deep(200); } catch (e) { caught.push(e.name); }\n"
  "print('errors', caught.join(' '));\n"
  "function Animal(name) { this.name = name; }\n"
  "Animal.prototype.speak = function () { return this.name + ' makes a sound'; };\n"
  "function Dog(name) { Animal.call(this, name); }\n"
  "Dog.prototype = Object.create(Animal.prototype);\n"
  "Dog.prototype.speak = function () { return Animal.prototype.speak.call(this) + ': woof'; };\n"
  "print('prototype', new Dog('rex').speak(), new Dog('x') instanceof Animal);\n"
  "var acc = { _v: 1, get v() { return this._v * 10; }, set v(x) { this._v = x; } };\n"
  "acc.v = 4; check(acc.v === 40, 'accessors');\n"
  "var words = 'the quick brown fox jumps over the lazy dog the end'.split(' ');\n"
  "var freq = {}; words.forEach(function (w) { freq[w] = (freq[w] || 0) + 1; });\n"
  "print('freq', Object.keys(freq).sort().map(function (k) { return k + '=' + freq[k]; }).join(' '));\n"
  "var bytes = new Uint8Array([1, 2, 250]); var view = new DataView(new ArrayBuffer(8)); view.setFloat64(0, 1.5);\n"
  "print('typed', bytes[2] + bytes[1], view.getUint8(0), view.getUint8(1));\n"
  "var garbage = []; for (var i = 0; i < 20000; i++) { garbage.push({ i: i, s: 'item' + i }); if (garbage.length > 500) garbage = []; }\n"
  "outer: for (var a = 0; a < 5; a++) { for (var b = 0; b < 5; b++) { if (a * b === 6) break outer; } }\n"
  "print('labels', a, b, String.fromCharCode(72, 105), 'abc'.charCodeAt(1), encodeURIComponent('a b&c'), escape('\\u00e9'));\n"
  "check(typeof undefinedName === 'undefined', 'typeof');\n"
  "check([1, [2, [3]]].toString() === '1,2,3', 'array toString');\n";

int main(int argc, char **argv) {
  (void)argc; (void)argv;
  duk_context *ctx = duk_create_heap_default();
  if (!ctx) { printf("no heap\n"); return 99; }
  duk_push_c_function(ctx, native_print, DUK_VARARGS);
  duk_put_global_string(ctx, "print");
  duk_push_c_function(ctx, native_fail, 1);
  duk_put_global_string(ctx, "fail");
  duk_push_c_function(ctx, native_throws, 1);
  duk_put_global_string(ctx, "throwsFromC");
  if (duk_peval_string(ctx, script) != 0) {
    printf("script error: %s\n", duk_safe_to_string(ctx, -1));
    failures++;
  }
  duk_pop(ctx);
  duk_gc(ctx, 0);
  duk_eval_string(ctx, "[1,2,3].length * 7");
  int code = (int)duk_get_int(ctx, -1);
  duk_destroy_heap(ctx);
  printf("failures: %d\n", failures);
  return failures == 0 ? code : 100 + failures;
}
`;

/** i686 only: a cdecl declaration (`_twice`) of a stdcall definition (`_twice@4`), joined by the stdcall fixup. */
export const stdcallFixup: Record<string, string> = {
  "fixupmain.c": String.raw`
#include <stdio.h>
extern int twice(int);
int main(void) { printf("%d\n", twice(21)); return 0; }
`,
  "fixupdef.c": String.raw`
__attribute__((stdcall)) int twice(int x) { return 2 * x; }
`,
};
