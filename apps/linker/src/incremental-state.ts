// `linkkit /incremental`: the state a later run needs to patch the output instead of linking again.
// It lives in a directory next to the output (`app.exe.linkkit/`): a manifest (options, the output's
// size and time, each input's hash) and a copy of each object as it was linked. The next run rebuilds the
// session from those copies in memory, then applies the objects that changed as an update. A manifest is
// written only after the output is complete, and removed before the output is touched, so a crash in
// between leaves no state that a later run would trust.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { LinkHost } from "./host.js";
import type { LinkOptions } from "./options.js";
import { LinkSession, type UpdateReport } from "./session.js";

export const STATE_VERSION = 1;

interface Manifest {
  readonly magic: "linkkit-incremental-state";
  readonly version: number;
  readonly linker: string;
  /** Everything but the list of inputs, normalised: a change links fully. */
  readonly optionsKey: string;
  readonly inputs: readonly { readonly path: string; readonly hash: string; readonly copy: string | undefined }[];
  readonly output: { readonly size: number; readonly mtimeMs: number };
}

export interface IncrementalResult {
  readonly report: UpdateReport;
  readonly session: LinkSession;
  /** One line for /verbose: whether the run was incremental and, if not, why. */
  readonly summary: string;
}

export function stateDirectory(output: string): string {
  return `${output}.linkkit`;
}

function hashBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}

function optionsKey(options: LinkOptions): string {
  const { inputs: _inputs, verbose: _v, time: _t, warnings: _w, ...rest } = options;
  return JSON.stringify(rest, (_k, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Map ? [...v] : v));
}

function isObjectPath(path: string): boolean {
  return /\.(obj|o)$/i.test(path);
}

/** Reads a manifest; any problem (missing, corrupt, another version, another output) is a reason. */
function readManifest(dir: string, output: string, options: LinkOptions, linkerVersion: string): Manifest | string {
  const path = join(dir, "manifest.json");
  if (!existsSync(path)) return "no incremental state";
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return "the incremental state is corrupt";
  }
  if (manifest?.magic !== "linkkit-incremental-state" || !Array.isArray(manifest.inputs) || typeof manifest.output?.size !== "number") {
    return "the incremental state is corrupt";
  }
  if (manifest.version !== STATE_VERSION || manifest.linker !== linkerVersion) return "the incremental state is from another version of linkkit";
  if (manifest.optionsKey !== optionsKey(options)) return "the link options changed";
  if (!existsSync(output)) return "the output is missing";
  const st = statSync(output);
  if (st.size !== manifest.output.size || st.mtimeMs !== manifest.output.mtimeMs) return "the incremental state does not match the output";
  for (const input of manifest.inputs) {
    if (input.copy !== undefined && !existsSync(join(dir, input.copy))) return "the incremental state is incomplete";
  }
  return manifest;
}

/**
 * Links with `/incremental`: patches the output when the state allows it, else links fully with room to
 * grow. Either way writes a fresh state for the next run.
 */
export function linkIncrementally(options: LinkOptions, host: LinkHost, linkerVersion: string, afterWrite?: (i: number) => void): IncrementalResult {
  const output = options.output ?? options.inputs[0]!.replace(/\.[^.\\/]*$/, "") + (options.dll ? ".dll" : ".exe");
  const opts = { ...options, output };
  const dir = stateDirectory(output);
  const current = opts.inputs.map((path) => ({ path, bytes: host.readFile(path) }));
  const hashes = current.map((c) => hashBytes(c.bytes));
  const manifest = readManifest(dir, output, opts, linkerVersion);

  let session: LinkSession | undefined;
  let report: UpdateReport | undefined;
  let reason: string | undefined = typeof manifest === "string" ? manifest : undefined;
  if (typeof manifest !== "string") {
    // Inputs that are not objects (libraries) must be unchanged, and the list of inputs the same order.
    const before = manifest.inputs.map((i) => i.path);
    const after = opts.inputs;
    const removed = before.filter((p) => !after.includes(p));
    const added = after.filter((p) => !before.includes(p));
    const sameOrder = before.filter((p) => after.includes(p)).join("\n") === after.filter((p) => before.includes(p)).join("\n");
    const libraryChanged = manifest.inputs.find((i, k) => !isObjectPath(i.path) && after.includes(i.path) && hashes[after.indexOf(i.path)] !== manifest.inputs[k]!.hash);
    if (!sameOrder) reason = "the order of the inputs changed";
    else if (libraryChanged) reason = `${libraryChanged.path} changed (only objects are updated in place)`;
    else if ([...removed, ...added].some((p) => !isObjectPath(p))) reason = "a library was added or removed";
    if (reason === undefined) {
      // Rebuild the previous link in memory from the copies, then apply what changed.
      const previous = new Map(manifest.inputs.map((i) => [i.path, i.copy === undefined ? undefined : readFileSync(join(dir, i.copy))]));
      const replayHost: LinkHost = {
        ...host,
        readFile: (p) => {
          const copy = previous.get(p);
          return copy ? new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength) : host.readFile(p);
        },
        // The replay must not touch the output: it only rebuilds the session's picture of it.
        writeFileAtomic: () => {},
        writeRanges: () => {},
      };
      // The state is about to stop describing the output: remove it before the first byte is written.
      rmSync(join(dir, "manifest.json"), { force: true });
      const replayed = LinkSession.open({ ...opts, inputs: before }, host, { initialHost: replayHost, afterWrite });
      for (const p of removed) replayed.removeObject(p);
      current.forEach((c, k) => {
        const old = manifest.inputs.find((i) => i.path === c.path);
        if (!old) replayed.addObject(c.path, c.bytes);
        else if (old.hash !== hashes[k]) replayed.replaceObject(c.path, c.bytes);
      });
      session = replayed;
      report = replayed.flush();
      reason = report.reason;
    }
  }
  if (session === undefined || report === undefined) {
    rmSync(join(dir, "manifest.json"), { force: true });
    session = LinkSession.open(opts, host, { afterWrite });
    report = { mode: "full", reason, changed: [], atomsPlaced: session.atomCount, atomsResizedInPlace: 0, atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: 0, bytesWritten: session.bytes.length, milliseconds: 0 };
  }
  writeState(dir, opts, output, current, hashes, linkerVersion);
  const r = report;
  const summary = r.mode === "incremental"
    ? `incremental link: ${r.changed.length} input(s) changed, ${r.bytesWritten} bytes written, ${r.relocationsApplied} relocations applied`
    : `full link: ${r.reason ?? "requested"}`;
  return { report: r, session, summary };
}

function writeState(dir: string, options: LinkOptions, output: string, current: readonly { path: string; bytes: Uint8Array }[], hashes: readonly string[], linkerVersion: string): void {
  mkdirSync(join(dir, "objects"), { recursive: true });
  const inputs = current.map((c, k) => {
    if (!isObjectPath(c.path)) return { path: c.path, hash: hashes[k]!, copy: undefined };
    const copy = join("objects", `${hashes[k]}-${basename(c.path)}`);
    const target = join(dir, copy);
    if (!existsSync(target)) {
      writeFileSync(`${target}.tmp`, c.bytes);
      renameSync(`${target}.tmp`, target);
    }
    return { path: c.path, hash: hashes[k]!, copy };
  });
  const st = statSync(output);
  const manifest: Manifest = {
    magic: "linkkit-incremental-state", version: STATE_VERSION, linker: linkerVersion, optionsKey: optionsKey(options),
    inputs, output: { size: st.size, mtimeMs: st.mtimeMs },
  };
  const path = join(dir, "manifest.json");
  writeFileSync(`${path}.tmp`, JSON.stringify(manifest));
  renameSync(`${path}.tmp`, path);
  // Copies no manifest names any more are garbage.
  const keep = new Set(inputs.flatMap((i) => (i.copy ? [basename(i.copy)] : [])));
  for (const name of readdirSafe(join(dir, "objects"))) if (!keep.has(name)) rmSync(join(dir, "objects", name), { force: true });
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
