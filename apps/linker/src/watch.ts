// Shared by linkkit and linkkit-ld: the incremental link's --watch loop and its crash-test hook.
import { unwatchFile, watchFile } from "node:fs";
import { reportFailure } from "./cli.js";
import { isObjectPath } from "./incremental-state.js";
import type { LinkOptions } from "./options.js";
import type { LinkSession } from "./session.js";
import { writeStdout } from "./stdio.js";

/** Crash tests stop the process after the N-th write of an update (LINKKIT_CRASH_AFTER_WRITE=N). */
export function faultInjection(): ((i: number) => void) | undefined {
  const n = Number(process.env.LINKKIT_CRASH_AFTER_WRITE);
  if (!Number.isInteger(n) || n < 0) return undefined;
  return (i) => { if (i + 1 >= n) process.exit(99); };
}

/** --watch: relink in place on every change of an input object, one line per update. */
export function watchInputs(tool: string, options: LinkOptions, session: LinkSession): void {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const objects = options.inputs.filter((p) => /\.(obj|o|lib|a)$/i.test(p));
  const update = () => {
    timer = undefined;
    const paths = [...changed];
    changed.clear();
    try {
      for (const p of paths) {
        if (isObjectPath(p)) session.replaceObject(p);
        else session.replaceLibrary(p);
      }
      const r = session.flush();
      const how = r.mode === "incremental" ? `incremental, ${r.atomsPlaced} placed, ${r.atomsMoved} moved, ${r.relocationsApplied} relocations, ${r.bytesWritten} bytes written` : `full link (${r.reason})`;
      writeStdout(`${tool}: updated ${session.output} for ${paths.join(", ")}: ${how} in ${r.milliseconds.toFixed(1)} ms\n`);
    } catch (error) {
      reportFailure(tool, error);
    }
  };
  for (const path of objects) {
    watchFile(path, { interval: 50 }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
      changed.add(path);
      // Debounce: a compiler writes in several steps.
      if (timer) clearTimeout(timer);
      timer = setTimeout(update, 30);
    });
  }
  writeStdout(`${tool}: watching ${objects.length} inputs (Ctrl-C to stop)\n`);
  // While nothing has changed yet: the first update then costs what the next ones do.
  setImmediate(() => session.prepareUpdates());
  process.on("SIGINT", () => { for (const p of objects) unwatchFile(p); process.exit(0); });
  process.on("SIGTERM", () => { for (const p of objects) unwatchFile(p); process.exit(0); });
}
