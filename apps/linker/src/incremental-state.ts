// `linkkit /incremental`: the state a later run needs to patch the output instead of linking again.
// It lives in a directory next to the output (`app.exe.linkkit/`): a manifest (options, the output's
// size and time, the history of input sets since the last full link, each input's hash) and a copy of
// each object as it was linked. The next run replays that history in memory (the full link, then each
// update in order: the layout on disk is the result of all of them, not of a fresh link of the last
// inputs), then applies the objects that changed as an update. A manifest is written only after the
// output is complete, and removed before the output is touched, so a crash in between leaves no state
// that a later run would trust.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { LinkHost } from "./host.js";
import type { LinkOptions } from "./options.js";
import { LinkSession, type UpdateReport } from "./session.js";

export const STATE_VERSION = 2;

/** Updates replayed at most; after that many the next run links fully (a replay costs one update each). */
const MAX_HISTORY = 16;

type InputRecord = { readonly path: string; readonly hash: string; readonly copy: string | undefined };

interface Manifest {
  readonly magic: "linkkit-incremental-state";
  readonly version: number;
  readonly linker: string;
  /** Everything but the list of inputs, normalised: a change links fully. */
  readonly optionsKey: string;
  /** The inputs of the last full link, then of each update since, in order; the last is the output's. */
  readonly history: readonly (readonly InputRecord[])[];
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

/** An input updated in place (an object); others (libraries) link fully when they change. */
export function isObjectPath(path: string): boolean {
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
  if (manifest?.magic !== "linkkit-incremental-state" || typeof manifest.output?.size !== "number") return "the incremental state is corrupt";
  if (manifest.version !== STATE_VERSION || manifest.linker !== linkerVersion) return "the incremental state is from another version of linkkit";
  if (!Array.isArray(manifest.history) || manifest.history.length === 0 || !manifest.history.every((g) => Array.isArray(g))) return "the incremental state is corrupt";
  if (manifest.optionsKey !== optionsKey(options)) return "the link options changed";
  if (!existsSync(output)) return "the output is missing";
  const st = statSync(output);
  if (st.size !== manifest.output.size || st.mtimeMs !== manifest.output.mtimeMs) return "the incremental state does not match the output";
  for (const input of manifest.history.flat()) {
    if (input.copy !== undefined && !existsSync(join(dir, input.copy))) return "the incremental state is incomplete";
  }
  if (manifest.history.length > MAX_HISTORY) return `${MAX_HISTORY} updates since the last full link (a full link starts a new history)`;
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
  let history: (readonly InputRecord[])[] = [];
  if (typeof manifest !== "string") {
    // Inputs that are not objects (libraries) must be unchanged, and the list of inputs the same order.
    const last = manifest.history[manifest.history.length - 1]!;
    const before = last.map((i) => i.path);
    const after = opts.inputs;
    const removed = before.filter((p) => !after.includes(p));
    const added = after.filter((p) => !before.includes(p));
    const sameOrder = before.filter((p) => after.includes(p)).join("\n") === after.filter((p) => before.includes(p)).join("\n");
    const libraryChanged = last.find((i) => !isObjectPath(i.path) && after.includes(i.path) && hashes[after.indexOf(i.path)] !== i.hash);
    if (!sameOrder) reason = "the order of the inputs changed";
    else if (libraryChanged) reason = `${libraryChanged.path} changed (only objects are updated in place)`;
    else if ([...removed, ...added].some((p) => !isObjectPath(p))) reason = "a library was added or removed";
    if (reason === undefined) {
      // Rebuild the session in memory, writing nothing: the full link, then each update in order.
      const copies = new Map<string, Uint8Array>();
      const copyOf = (i: InputRecord) => {
        let bytes = copies.get(i.copy!);
        if (!bytes) { const b = readFileSync(join(dir, i.copy!)); bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); copies.set(i.copy!, bytes); }
        return bytes;
      };
      const first = new Map(manifest.history[0]!.map((i) => [i.path, i.copy === undefined ? undefined : copyOf(i)]));
      let writing = false;
      const replayHost: LinkHost = {
        ...host,
        readFile: (p) => (writing ? host.readFile(p) : first.get(p) ?? host.readFile(p)),
        writeFileAtomic: (p, b) => { if (writing) host.writeFileAtomic(p, b); },
        writeRanges: (p, r, size, after) => { if (writing) host.writeRanges(p, r, size, after); },
      };
      // The state is about to stop describing the output: remove it before the first byte is written.
      rmSync(join(dir, "manifest.json"), { force: true });
      const replayed = LinkSession.open({ ...opts, inputs: manifest.history[0]!.map((i) => i.path) }, replayHost, { afterWrite });
      for (let g = 1; g < manifest.history.length && reason === undefined; g++) {
        applyDifference(replayed, manifest.history[g - 1]!, manifest.history[g]!.map((i) => ({ path: i.path, hash: i.hash, bytes: () => copyOf(i) })));
        const r = replayed.flush();
        if (r.mode !== "incremental") reason = `the incremental state cannot be replayed (${r.reason})`;
      }
      if (reason === undefined) {
        writing = true;
        applyDifference(replayed, last, current.map((c, k) => ({ path: c.path, hash: hashes[k]!, bytes: () => c.bytes })));
        session = replayed;
        report = replayed.flush();
        reason = report.reason;
        // A run that changed nothing adds nothing to replay: its input set is already the last one.
        history = report.mode !== "incremental" ? [] : report.changed.length === 0 ? manifest.history.slice(0, -1) : [...manifest.history];
      }
    }
  }
  if (session === undefined || report === undefined) {
    rmSync(join(dir, "manifest.json"), { force: true });
    session = LinkSession.open(opts, host, { afterWrite });
    report = { mode: "full", reason, changed: [], atomsPlaced: session.atomCount, atomsResizedInPlace: 0, atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: 0, bytesWritten: session.bytes.length, milliseconds: 0 };
  }
  writeState(dir, opts, output, history, current, hashes, linkerVersion);
  const r = report;
  const summary = r.mode === "incremental"
    ? `incremental link: ${r.changed.length} input(s) changed, ${r.bytesWritten} bytes written, ${r.relocationsApplied} relocations applied`
    : `full link: ${r.reason ?? "requested"}`;
  return { report: r, session, summary };
}

/** Queues on `session` what turns the input list `from` into `to` (removals first, then in `to`'s order). */
function applyDifference(session: LinkSession, from: readonly InputRecord[], to: readonly { path: string; hash: string; bytes: () => Uint8Array }[]): void {
  for (const i of from) if (!to.some((t) => t.path === i.path)) session.removeObject(i.path);
  for (const t of to) {
    const old = from.find((i) => i.path === t.path);
    if (!old) session.addObject(t.path, t.bytes());
    else if (old.hash !== t.hash) session.replaceObject(t.path, t.bytes());
  }
}

function writeState(dir: string, options: LinkOptions, output: string, history: readonly (readonly InputRecord[])[], current: readonly { path: string; bytes: Uint8Array }[], hashes: readonly string[], linkerVersion: string): void {
  mkdirSync(join(dir, "objects"), { recursive: true });
  const inputs: InputRecord[] = current.map((c, k) => {
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
    history: [...history, inputs], output: { size: st.size, mtimeMs: st.mtimeMs },
  };
  const path = join(dir, "manifest.json");
  writeFileSync(`${path}.tmp`, JSON.stringify(manifest));
  renameSync(`${path}.tmp`, path);
  // Copies no manifest names any more are garbage.
  const keep = new Set(manifest.history.flat().flatMap((i) => (i.copy ? [basename(i.copy)] : [])));
  for (const name of readdirSafe(join(dir, "objects"))) if (!keep.has(name)) rmSync(join(dir, "objects", name), { force: true });
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
