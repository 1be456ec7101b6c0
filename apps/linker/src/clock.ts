// Milliseconds for timing phases and waits. Not `performance.now()`: the first use of the `performance`
// global loads node:perf_hooks and ten modules behind it, ~1 ms of every run's start-up (a small link is
// ~80 ms in all).

/** A monotonic time in milliseconds (only differences mean anything). */
export function now(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
