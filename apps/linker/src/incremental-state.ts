// `linkkit /incremental`: the state a later run needs to patch the output instead of linking again.
// It lives in a directory next to the output (`app.exe.linkkit/`): a manifest (options, the output's
// size and time, each input's path, size, time and hash), a copy of each object as it was linked, and a
// snapshot of the output's layout (the allocator's state and what each atom holds, by name). The layout
// on disk is the product of the full link and every update since, so the next run links the last inputs
// in memory with the snapshot's layout instead of laying out afresh, checks that this reproduces the
// output (every byte of headers, atoms and tables: the safety net, a snapshot that does not is never
// trusted), then applies the objects that changed as an update. The snapshot and the manifest are written only after the output is
// complete, the manifest last, and the manifest is removed before the output is touched, so a crash in
// between leaves no state that a later run would trust.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from "node:fs";
import { basename, join } from "node:path";
import { LinkError } from "./errors.js";
import type { LinkHost } from "./host.js";
import { LayoutSnapshotError, type LayoutSnapshot } from "./layout.js";
import { decodeLayoutSnapshot, encodeLayoutSnapshot } from "./layout-snapshot.js";
import type { LinkOptions } from "./options.js";
import { LinkSession, type UpdateReport } from "./session.js";

export const STATE_VERSION = 3;

const SNAPSHOT_FILE = "layout.snapshot";

/**
 * A file modified this close before its size and time were recorded may have changed again within the
 * file system's timestamp granularity (coarse clocks tick in milliseconds, FAT in seconds) without its
 * size or time changing: such a record is not trusted by its size and time alone, the file is hashed.
 */
const RACY_MARGIN_MS = 2000;

type InputRecord = { readonly path: string; readonly hash: string; readonly copy: string | undefined; readonly size: number; readonly mtimeMs: number };

interface Manifest {
  readonly magic: "linkkit-incremental-state";
  readonly version: number;
  readonly linker: string;
  /** Everything but the list of inputs, normalised: a change links fully. */
  readonly optionsKey: string;
  /** The inputs of the run that wrote the output, in command-line order. */
  readonly inputs: readonly InputRecord[];
  /** The same paths in the order the session links them (an update appends the objects it adds). */
  readonly linkOrder: readonly string[];
  /** The layout snapshot, bound to this manifest by its hash; or why there is none. */
  readonly snapshot: { readonly file: string; readonly hash: string } | { readonly unavailable: string };
  readonly output: { readonly size: number; readonly mtimeMs: number };
  /** When the inputs' sizes and times were taken (before any was read). */
  readonly statedAtMs: number;
}

/** An input of this run: its hash, and its bytes when they had to be read to hash them. */
interface CurrentInput {
  readonly path: string;
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly bytes: Uint8Array | undefined;
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

function isInputRecord(i: unknown): i is InputRecord {
  const r = i as InputRecord;
  return typeof r === "object" && r !== null && typeof r.path === "string" && typeof r.hash === "string" && typeof r.size === "number"
    && typeof r.mtimeMs === "number" && (r.copy === undefined || typeof r.copy === "string");
}

function isSnapshotRecord(s: unknown): s is Manifest["snapshot"] {
  const r = s as { file?: unknown; hash?: unknown; unavailable?: unknown } | null;
  return typeof r === "object" && r !== null && (typeof r.unavailable === "string" || (typeof r.file === "string" && basename(r.file) === r.file && typeof r.hash === "string"));
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
  if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0 || !manifest.inputs.every(isInputRecord)
    || !Array.isArray(manifest.linkOrder) || manifest.linkOrder.length !== manifest.inputs.length || !manifest.linkOrder.every((p) => manifest.inputs.some((i) => i.path === p))
    || !isSnapshotRecord(manifest.snapshot) || typeof manifest.statedAtMs !== "number") {
    return "the incremental state is corrupt";
  }
  if (manifest.optionsKey !== optionsKey(options)) return "the link options changed";
  if (!existsSync(output)) return "the output is missing";
  const st = statSync(output);
  if (st.size !== manifest.output.size || st.mtimeMs !== manifest.output.mtimeMs) return "the incremental state does not match the output";
  for (const input of manifest.inputs) {
    if (input.copy !== undefined && !existsSync(join(dir, input.copy))) return "the incremental state is incomplete";
  }
  return manifest;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** An input's hash: the manifest's when its size and time are unchanged (and not racy), else from its bytes. */
function currentInput(path: string, manifest: Manifest | undefined, host: LinkHost): CurrentInput {
  const st = statOrUndefined(path);
  const record = manifest?.inputs.find((i) => i.path === path);
  if (st && record && record.size === st.size && record.mtimeMs === st.mtimeMs && st.mtimeMs < manifest!.statedAtMs - RACY_MARGIN_MS) {
    return { path, hash: record.hash, size: st.size, mtimeMs: st.mtimeMs, bytes: undefined };
  }
  const bytes = host.readFile(path);
  return { path, hash: hashBytes(bytes), size: st?.size ?? bytes.length, mtimeMs: st?.mtimeMs ?? 0, bytes };
}

/**
 * Links with `/incremental`: patches the output when the state allows it, else links fully with room to
 * grow. Either way writes a fresh state for the next run.
 */
export function linkIncrementally(options: LinkOptions, host: LinkHost, linkerVersion: string, afterWrite?: (i: number) => void): IncrementalResult {
  const output = options.output ?? options.inputs[0]!.replace(/\.[^.\\/]*$/, "") + (options.dll ? ".dll" : ".exe");
  const opts = { ...options, output };
  const dir = stateDirectory(output);
  const manifest = readManifest(dir, output, opts, linkerVersion);
  const statedAtMs = Date.now();
  const current = opts.inputs.map((path) => currentInput(path, typeof manifest === "string" ? undefined : manifest, host));

  let session: LinkSession | undefined;
  let report: UpdateReport | undefined;
  let reason: string | undefined = typeof manifest === "string" ? manifest : undefined;
  let linkOrder = opts.inputs;
  if (typeof manifest !== "string") {
    // Inputs that are not objects (libraries) must be unchanged, and the list of inputs the same order.
    const last = manifest.inputs;
    const before = last.map((i) => i.path);
    const after = opts.inputs;
    const removed = before.filter((p) => !after.includes(p));
    const added = after.filter((p) => !before.includes(p));
    const sameOrder = before.filter((p) => after.includes(p)).join("\n") === after.filter((p) => before.includes(p)).join("\n");
    const libraryChanged = last.find((i) => !isObjectPath(i.path) && after.includes(i.path) && current[after.indexOf(i.path)]!.hash !== i.hash);
    if (!sameOrder) reason = "the order of the inputs changed";
    else if (libraryChanged) reason = `${libraryChanged.path} changed (only objects are updated in place)`;
    else if ([...removed, ...added].some((p) => !isObjectPath(p))) reason = "a library was added or removed";
    if (reason === undefined) {
      const restored = restoreSession(dir, manifest, opts, output, host, afterWrite);
      if (typeof restored === "string") {
        reason = restored;
      } else {
        // The state is about to stop describing the output: remove it before the first byte is written.
        rmSync(join(dir, "manifest.json"), { force: true });
        session = restored;
        applyDifference(session, last, current.map((c) => ({ path: c.path, hash: c.hash, bytes: () => c.bytes ?? host.readFile(c.path) })));
        // The session appends the objects an update adds: the next run must link them in that order.
        linkOrder = [...manifest.linkOrder.filter((p) => !removed.includes(p)), ...added];
        report = session.flush();
        reason = report.reason;
      }
    }
  }
  if (session === undefined || report === undefined) {
    rmSync(join(dir, "manifest.json"), { force: true });
    session = LinkSession.open(opts, host, { afterWrite });
    linkOrder = opts.inputs;
    report = { mode: "full", reason, changed: [], atomsPlaced: session.atomCount, atomsResizedInPlace: 0, atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: 0, bytesWritten: session.bytes.length, milliseconds: 0 };
  }
  writeState(dir, opts, output, current, statedAtMs, linkOrder, session, host, linkerVersion);
  const r = report;
  const summary = r.mode === "incremental"
    ? `incremental link: ${r.changed.length} input(s) changed, ${r.bytesWritten} bytes written, ${r.relocationsApplied} relocations applied`
    : `full link: ${r.reason ?? "requested"}`;
  return { report: r, session, summary };
}

/**
 * The session of the output on disk, rebuilt in memory without writing: the last inputs (the objects'
 * copies as they were linked) linked with the snapshot's layout, trusted only when the image it produces
 * is the output (`reproducesOutput`). Otherwise the reason to link fully.
 */
function restoreSession(dir: string, manifest: Manifest, opts: LinkOptions, output: string, host: LinkHost, afterWrite: ((i: number) => void) | undefined): LinkSession | string {
  if ("unavailable" in manifest.snapshot) return `the incremental state has no layout snapshot (${manifest.snapshot.unavailable})`;
  let snapshot: LayoutSnapshot;
  try {
    const bytes = readBytes(join(dir, manifest.snapshot.file));
    if (hashBytes(bytes) !== manifest.snapshot.hash) return "the layout snapshot is corrupt (its hash differs from the manifest's)";
    snapshot = decodeLayoutSnapshot(bytes);
  } catch (e) {
    if (e instanceof LayoutSnapshotError) return e.message;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "the layout snapshot is missing";
    return `the layout snapshot cannot be read (${(e as Error).message})`;
  }
  const copies = new Map(manifest.inputs.flatMap((i) => (i.copy === undefined ? [] : [[i.path, join(dir, i.copy)] as const])));
  let restoring = true;
  // While restoring, objects are read from their copies; afterwards (updates, a fallback link) from their paths.
  const restoreHost: LinkHost = {
    ...host,
    readFile: (p) => {
      const copy = restoring ? copies.get(p) : undefined;
      return copy === undefined ? host.readFile(p) : readBytes(copy);
    },
  };
  let session: LinkSession;
  try {
    session = LinkSession.open({ ...opts, inputs: [...manifest.linkOrder] }, restoreHost, { afterWrite, restore: snapshot });
  } catch (e) {
    if (e instanceof LayoutSnapshotError) return `the layout snapshot does not fit the inputs (${e.message})`;
    if (e instanceof LinkError) return `the last inputs no longer link as they did (${e.diagnostics[0]})`;
    // Nothing was written yet: a state that cannot be restored must not fail every later run too.
    return `the incremental state could not be restored (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`;
  } finally {
    restoring = false;
  }
  if (!reproducesOutput(session, readBytes(output))) return "the layout snapshot does not reproduce the output";
  return session;
}

/**
 * Whether the file `disk` holds `session`'s image: the same bytes in every range the image consists of
 * (headers, atoms, what follows the sections). Padding and free room may differ: an update leaves them
 * as they were, and a restored link cannot know them.
 */
export function reproducesOutput(session: LinkSession, disk: Uint8Array): boolean {
  const ours = session.bytes;
  if (disk.length < ours.length) return false;
  const same = (offset: number, size: number) => Buffer.compare(ours.subarray(offset, offset + size), disk.subarray(offset, offset + size)) === 0;
  // Whole sections first (one compare each, the usual answer); atom by atom only where a section differs.
  return session.imageFileRanges().every((r) => same(r.offset, r.size) || (r.parts !== undefined && r.parts().every((p) => same(p.offset, p.size))));
}

function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
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

/** Copies of the objects, then the layout snapshot, then (last: it makes the state trusted) the manifest. */
function writeState(dir: string, options: LinkOptions, output: string, current: readonly CurrentInput[], statedAtMs: number, linkOrder: readonly string[], session: LinkSession, host: LinkHost, linkerVersion: string): void {
  mkdirSync(join(dir, "objects"), { recursive: true });
  const inputs: InputRecord[] = current.map((c) => {
    const record = { path: c.path, hash: c.hash, size: c.size, mtimeMs: c.mtimeMs };
    if (!isObjectPath(c.path)) return { ...record, copy: undefined };
    const copy = join("objects", `${c.hash}-${basename(c.path)}`);
    writeAtomically(join(dir, copy), () => c.bytes ?? host.readFile(c.path), true);
    return { ...record, copy };
  });
  let snapshot: Manifest["snapshot"];
  try {
    const bytes = encodeLayoutSnapshot(session.layoutSnapshot());
    writeAtomically(join(dir, SNAPSHOT_FILE), () => bytes, false);
    snapshot = { file: SNAPSHOT_FILE, hash: hashBytes(bytes) };
  } catch (e) {
    if (!(e instanceof LayoutSnapshotError)) throw e;
    // The next run links fully and says why.
    rmSync(join(dir, SNAPSHOT_FILE), { force: true });
    snapshot = { unavailable: e.message };
  }
  const st = statSync(output);
  const manifest: Manifest = {
    magic: "linkkit-incremental-state", version: STATE_VERSION, linker: linkerVersion, optionsKey: optionsKey(options),
    inputs, linkOrder, snapshot, output: { size: st.size, mtimeMs: st.mtimeMs }, statedAtMs,
  };
  writeAtomically(join(dir, "manifest.json"), () => JSON.stringify(manifest), false);
  // Copies no manifest names any more are garbage.
  const keep = new Set(inputs.flatMap((i) => (i.copy ? [basename(i.copy)] : [])));
  for (const name of readdirSafe(join(dir, "objects"))) if (!keep.has(name)) rmSync(join(dir, "objects", name), { force: true });
}

/** A temporary file then a rename: a crash leaves the old file or the new one. `once`: an existing file is kept (named by its hash). */
function writeAtomically(path: string, contents: () => Uint8Array | string, once: boolean): void {
  if (once && existsSync(path)) return;
  writeFileSync(`${path}.tmp`, contents());
  renameSync(`${path}.tmp`, path);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
