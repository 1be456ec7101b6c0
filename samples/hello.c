/* A C program without a C runtime: its own entry point, kernel32 through an import library. */
typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(unsigned long which);
__declspec(dllimport) int __stdcall WriteFile(HANDLE file, const void *data, unsigned long size,
                                              unsigned long *written, void *overlapped);
__declspec(dllimport) void __stdcall ExitProcess(unsigned int code);

extern int add_all(const int *values, int count);
extern const char *greeting(void);

static int numbers[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static unsigned long length(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

void mainCRTStartup(void) {
  const char *text = greeting();
  unsigned long written;
  WriteFile(GetStdHandle((unsigned long)-11), text, length(text), &written, 0);
  ExitProcess((unsigned int)add_all(numbers, 10));
}
