// `linkkit /incremental`: the state a later run needs to patch the output instead of linking again.
// It lives in a directory next to the output (`app.exe.linkkit/`): a manifest (options, the output's
// size, time and change time, each input's path, size, time and hash), a copy of each object as it was
// linked, and the session itself (`session.state`, see session-file.ts): the symbol table, the
// resolution, the layout, the relocation-site index and the emitter's tables. The next run restores the
// session from it over the output's bytes without reading, registering or laying out any object (an
// object's copy is read only when an update must apply one of its relocations again), then applies the
// objects that changed as an update. The output's change time is the safety net: an output written
// behind linkkit's back, even with its old size and time put back, is never patched.
//
// The state is written only after the output is complete, the manifest last, and the manifest is removed
// before the output is touched, so a crash in between leaves no state that a later run would trust.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync, type Stats } from "node:fs";
import { basename, join } from "node:path";
import { LinkError } from "./errors.js";
import type { LinkHost } from "./host.js";
import { processAlive } from "./node-host.js";
import type { LinkOptions } from "./options.js";
import { LinkSession, type SessionStateData, type UpdateReport } from "./session.js";
import { readSessionFile, SessionFileWriter } from "./session-file.js";

export const STATE_VERSION = 6;

const SESSION_FILE = "session.state";

/**
 * A file modified this close before its size and time were recorded may have changed again within the
 * file system's timestamp granularity (coarse clocks tick in milliseconds, FAT in seconds) without its
 * size or time changing: such a record is not trusted by its size and time alone, the file is hashed.
 */
const RACY_MARGIN_MS = 2000;
/** How long a run waits for another process's run on the same output before it gives up. */
const LOCK_WAIT_MS = 120_000;

/**
 * What says a file is the one this state was written with: size, time and change time. A change time
 * cannot be set back (as a modification time can, with utimes): any write or copy over the file moves it.
 */
interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

function stampOf(st: Stats): FileStamp {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function isStamp(v: unknown): v is FileStamp {
  const r = v as FileStamp | null;
  return typeof r === "object" && r !== null && typeof r.size === "number" && typeof r.mtimeMs === "number" && typeof r.ctimeMs === "number";
}

function sameStamp(st: Stats, stamp: FileStamp): boolean {
  return st.size === stamp.size && st.mtimeMs === stamp.mtimeMs && st.ctimeMs === stamp.ctimeMs;
}

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
  /** The saved session (bound to this manifest by its size and time), or why there is none. */
  readonly saved: ({ readonly session: string; /** bytes the write of it wrote (a patch writes only what changed) */ readonly written?: number } & FileStamp) | { readonly unavailable: string };
  readonly output: FileStamp;
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
  readonly output: string;
  readonly report: UpdateReport;
  readonly session: LinkSession;
  /** One line for /verbose: whether the run was incremental and, if not, why. */
  readonly summary: string;
  /**
   * Writes the state the next run needs, unless it is written already (see `deferState`), and returns
   * what a process that stays (the link server) keeps to skip restoring it next time.
   */
  readonly writeState: () => WarmSession;
}

/**
 * A session a resident process kept from its previous run, with the stamp of the manifest that run wrote:
 * while the manifest on disk still has that stamp, the session in memory is what the state on disk holds
 * (nobody linked or wrote the state since), and restoring it from disk can be skipped.
 */
export interface WarmSession {
  readonly session: LinkSession;
  readonly manifest: FileStamp;
  /** What that manifest says, as written: a manifest that still has the stamp is not read again. */
  readonly contents?: unknown;
}

export interface IncrementalOptions {
  /** Called after each range an update writes (crash tests). */
  readonly afterWrite?: ((i: number) => void) | undefined;
  /** The session this process kept from its previous run (the link server). */
  readonly warm?: WarmSession | undefined;
  /** Leave writing the state to the caller (`writeState`): the server answers its client first. */
  readonly deferState?: boolean | undefined;
}

export function stateDirectory(output: string): string {
  return `${output}.linkkit`;
}

function hashBytes(bytes: Uint8Array): string {
  // node:crypto on first use: loading it costs every run ~3 ms of start-up, and only incremental links hash.
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}

function optionsKey(options: LinkOptions): string {
  const { inputs: _inputs, verbose: _v, time: _t, warnings: _w, server: _s, watch: _watch, ...rest } = options;
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

function isSavedRecord(s: unknown): s is Manifest["saved"] {
  const r = s as { session?: unknown; unavailable?: unknown } | null;
  if (typeof r !== "object" || r === null) return false;
  if (typeof r.unavailable === "string") return true;
  return typeof r.session === "string" && basename(r.session) === r.session && isStamp(r);
}

/** Reads a manifest; any problem (missing, corrupt, another version, another output) is a reason. */
function readManifest(dir: string, output: string, options: LinkOptions, linkerVersion: string, warm: WarmSession | undefined): Manifest | string {
  const path = join(dir, "manifest.json");
  // The manifest this process wrote last, unless something wrote it since: its form and copies were checked.
  const kept = warm?.contents !== undefined && hasStamp(path, warm.manifest) ? (warm.contents as Manifest) : undefined;
  const manifest = kept ?? parseManifest(path, linkerVersion);
  if (typeof manifest === "string") return manifest;
  if (manifest.optionsKey !== optionsKey(options)) return "the link options changed";
  const st = statOrUndefined(output);
  if (st === undefined) return "the output is missing";
  // An output written or copied over since (even with its old time put back) is not patched.
  if (!sameStamp(st, manifest.output)) return "the incremental state does not match the output";
  if (kept === undefined) {
    const copies = new Set(readdirSafe(join(dir, "objects")));
    for (const input of manifest.inputs) {
      if (input.copy !== undefined && !copies.has(basename(input.copy))) return "the incremental state is incomplete";
    }
  }
  return manifest;
}

/** The manifest file's contents, checked for form and version; or why it cannot be used. */
function parseManifest(path: string, linkerVersion: string): Manifest | string {
  if (!existsSync(path)) return "no incremental state";
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return "the incremental state is corrupt";
  }
  if (manifest?.magic !== "linkkit-incremental-state" || !isStamp(manifest.output)) return "the incremental state is corrupt";
  if (manifest.version !== STATE_VERSION || manifest.linker !== linkerVersion) return "the incremental state is from another version of linkkit";
  if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0 || !manifest.inputs.every(isInputRecord)
    || !Array.isArray(manifest.linkOrder) || manifest.linkOrder.length !== manifest.inputs.length || !sameMembers(manifest.linkOrder, manifest.inputs.map((i) => i.path))
    || !isSavedRecord(manifest.saved) || typeof manifest.statedAtMs !== "number") {
    return "the incremental state is corrupt";
  }
  return manifest;
}

/** Whether `a` is as long as `b` and holds only strings of `b` (a GNU ld command line repeats libraries). */
function sameMembers(a: readonly unknown[], b: readonly string[]): boolean {
  const set = new Set(b);
  return a.length === b.length && a.every((p) => typeof p === "string" && set.has(p));
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** An input's hash: the manifest's when its size and time are unchanged (and not racy), else from its bytes. */
function currentInput(path: string, manifest: Manifest | undefined, records: ReadonlyMap<string, InputRecord>, host: LinkHost): CurrentInput {
  const st = statOrUndefined(path);
  const record = records.get(path);
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
export function linkIncrementally(options: LinkOptions, host: LinkHost, linkerVersion: string, how: IncrementalOptions = {}): IncrementalResult {
  const output = options.output ?? options.inputs[0]!.replace(/\.[^.\\/]*$/, "") + (options.dll ? ".dll" : ".exe");
  const opts = { ...options, output };
  const dir = stateDirectory(output);
  const unlock = lockState(dir);
  try {
    return linkLocked(opts, output, dir, host, linkerVersion, how, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

/**
 * One run at a time per output, from reading the state to writing it: two runs patching one output each
 * from the same state would leave bytes of both under a manifest of one. A build tool may start two links
 * of one output; a link server taking up a state races the runs that found no server yet. The lock file
 * names its process; a run waits for a live holder and takes over from a dead one. A process takes its own
 * lock again (a link server's next command while its last one's state is still to be written).
 */
function lockState(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "lock");
  const me = String(process.pid);
  const release = () => {
    try {
      if (readFileSync(path, "utf8") === me) rmSync(path, { force: true });
    } catch { /* gone already */ }
  };
  const waitedSince = Date.now();
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      try { writeSync(fd, me); } finally { closeSync(fd); }
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder: string;
    try { holder = readFileSync(path, "utf8"); } catch { continue; } // released meanwhile
    if (holder === me) return release;
    if (holder !== "" && !processAlive(Number(holder))) { rmSync(path, { force: true }); continue; }
    if (Date.now() - waitedSince > LOCK_WAIT_MS) throw new LinkError(`another linkkit (process ${holder || "?"}) has been updating this output for ${LOCK_WAIT_MS / 1000} s (${path})`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

function linkLocked(opts: LinkOptions & { output: string }, output: string, dir: string, host: LinkHost, linkerVersion: string, how: IncrementalOptions, unlock: () => void): IncrementalResult {
  const { afterWrite } = how;
  const manifest = readManifest(dir, output, opts, linkerVersion, how.warm);
  const statedAtMs = Date.now();
  const known = typeof manifest === "string" ? undefined : manifest;
  const records = new Map((known?.inputs ?? []).map((i) => [i.path, i] as const));
  const current = opts.inputs.map((path) => currentInput(path, known, records, host));

  let session: LinkSession | undefined;
  let report: UpdateReport | undefined;
  let reason: string | undefined = typeof manifest === "string" ? manifest : undefined;
  let linkOrder = opts.inputs;
  if (typeof manifest !== "string") {
    // Inputs that are not objects (libraries) must be unchanged, and the list of inputs the same order.
    // Sets, not `includes`: hundreds of inputs with long common prefixes made these quadratic scans ~15 ms.
    const last = manifest.inputs;
    const before = last.map((i) => i.path);
    const after = opts.inputs;
    const beforeSet = new Set(before);
    const afterIndex = new Map(after.map((p, k) => [p, k]));
    const removed = before.filter((p) => !afterIndex.has(p));
    const added = after.filter((p) => !beforeSet.has(p));
    const sameOrder = before.filter((p) => afterIndex.has(p)).join("\n") === after.filter((p) => beforeSet.has(p)).join("\n");
    const libraryChanged = last.find((i) => !isObjectPath(i.path) && afterIndex.has(i.path) && current[afterIndex.get(i.path)!]!.hash !== i.hash);
    if (!sameOrder) reason = "the order of the inputs changed";
    else if (libraryChanged) reason = `${libraryChanged.path} changed (only objects are updated in place)`;
    else if ([...removed, ...added].some((p) => !isObjectPath(p))) reason = "a library was added or removed";
    const warm = how.warm !== undefined && hasStamp(join(dir, "manifest.json"), how.warm.manifest) ? how.warm.session : undefined;
    if (reason === undefined && (warm !== undefined || savedSessionIntact(dir, manifest)) && before.length === after.length && last.every((i, k) => i.path === after[k] && i.hash === current[k]!.hash)) {
      const result = unchanged(dir, manifest, opts, current, statedAtMs, host, afterWrite, warm);
      unlock(); // the manifest is written; restoring the session later (--watch, a server) only reads
      return result;
    }
    if (reason === undefined) {
      const restored = warm ?? restoreSavedSession(dir, manifest, opts, host, afterWrite);
      if (typeof restored === "string") {
        reason = restored;
      } else {
        // The state is about to stop describing the output: remove it before the first byte is written.
        rmSync(join(dir, "manifest.json"), { force: true });
        session = restored;
        applyDifference(session, last, current.map((c) => ({ path: c.path, hash: c.hash, bytes: () => c.bytes ?? host.readFile(c.path) })));
        // The session appends the objects an update adds: the next run must link them in that order.
        const gone = new Set(removed);
        linkOrder = [...manifest.linkOrder.filter((p) => !gone.has(p)), ...added];
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
  const linked = session;
  let kept: WarmSession | undefined;
  const persist = (): WarmSession => {
    try {
      kept ??= { session: linked, ...writeState(dir, opts, output, current, statedAtMs, linkOrder, linked, host, linkerVersion, how.deferState === true) };
    } finally {
      unlock();
    }
    return kept;
  };
  if (!how.deferState) persist();
  const r = report;
  const summary = r.mode === "incremental"
    ? `incremental link: ${r.changed.length} input(s) changed, ${r.bytesWritten} bytes written, ${r.relocationsApplied} relocations applied`
    : `full link: ${r.reason ?? "requested"}`;
  return { output, report: r, session, summary, writeState: persist };
}

/** Whether the file at `path` is there with `stamp`. */
function hasStamp(path: string, stamp: FileStamp): boolean {
  const st = statOrUndefined(path);
  return st !== undefined && sameStamp(st, stamp);
}

/**
 * The session saved with the output, restored over the output's bytes. Nothing else is read: an object's
 * copy is read only when the update needs its bytes. Otherwise the reason to link fully.
 */
function restoreSavedSession(dir: string, manifest: Manifest, opts: LinkOptions, host: LinkHost, afterWrite: ((i: number) => void) | undefined): LinkSession | string {
  const saved = manifest.saved;
  if ("unavailable" in saved) return `the incremental state has no saved session (${saved.unavailable})`;
  let data: SessionStateData;
  try {
    // Bound to the manifest by its size and times, as the output is: it is written before the manifest and
    // never touched after (hashing tens of megabytes would cost more than the rest of a small update).
    const path = join(dir, saved.session);
    const st = statSync(path);
    if (!sameStamp(st, saved)) return "the saved session is corrupt (its size or time differs from the manifest's)";
    data = readSavedSession(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "the saved session is missing";
    return `the saved session cannot be read (${(e as Error).message})`;
  }
  // Room to grow: an update that adds to the file's end must not copy the whole image first.
  const image = readBytes(opts.output!, manifest.output.size >> 3);
  if (image.length !== manifest.output.size) return "the output changed while it was read";
  const copies = new Map(manifest.inputs.flatMap((i) => (i.copy === undefined ? [] : [[i.path, join(dir, i.copy)] as const])));
  const objectBytes = (name: string) => {
    const copy = copies.get(name);
    if (copy === undefined) throw new LinkError(`${name}: the incremental state has no copy of this object`);
    return readBytes(copy);
  };
  try {
    // The session's buffer is the whole allocation: the file's bytes, then room to grow.
    const buffer = new Uint8Array(image.buffer, image.byteOffset, image.buffer.byteLength - image.byteOffset);
    return LinkSession.restore({ ...opts, inputs: [...manifest.linkOrder] }, host, data, buffer, objectBytes, { afterWrite });
  } catch (e) {
    // Nothing was written yet: a state that cannot be restored must not fail every later run too.
    return `the saved session could not be restored (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`;
  }
}

/** The saved session at `path`, checked for the shape `LinkSession.restore` expects at its top. */
export function readSavedSession(path: string): SessionStateData {
  const data = readSessionFile(path) as SessionStateData;
  if (typeof data !== "object" || data === null || typeof data.link !== "object" || typeof data.sites !== "object" || !Array.isArray(data.importUse)) throw new LinkError("the saved session is malformed");
  return data;
}

/** A file's bytes; with `slack`, in a buffer that many bytes larger (the view is the file's length). */
function readBytes(path: string, slack = 0): Uint8Array {
  if (slack === 0) {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buffer = new Uint8Array(new ArrayBuffer(size + slack), 0, size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buffer, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buffer.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Queues on `session` what turns the input list `from` into `to` (removals first, then in `to`'s order). */
function applyDifference(session: LinkSession, from: readonly InputRecord[], to: readonly { path: string; hash: string; bytes: () => Uint8Array }[]): void {
  const next = new Set(to.map((t) => t.path));
  const before = new Map(from.map((i) => [i.path, i]));
  for (const i of from) if (!next.has(i.path)) session.removeObject(i.path);
  for (const t of to) {
    const old = before.get(t.path);
    if (!old) session.addObject(t.path, t.bytes());
    else if (old.hash !== t.hash) session.replaceObject(t.path, t.bytes());
  }
}

function savedSessionIntact(dir: string, manifest: Manifest): boolean {
  return "session" in manifest.saved && hasStamp(join(dir, manifest.saved.session), manifest.saved);
}

/**
 * Nothing changed (a build tool relinks after a time changed, not a byte): the output is what a link of
 * these inputs gives, and nothing is restored or written but the inputs' new times in the manifest. The
 * session is restored only if asked for (--watch).
 */
function unchanged(dir: string, manifest: Manifest, opts: LinkOptions, current: readonly CurrentInput[], statedAtMs: number, host: LinkHost, afterWrite: ((i: number) => void) | undefined, warm: LinkSession | undefined): IncrementalResult {
  const inputs = manifest.inputs.map((record, k) => ({ ...record, size: current[k]!.size, mtimeMs: current[k]!.mtimeMs }));
  const written = writeManifest(dir, { ...manifest, inputs, statedAtMs });
  const report: UpdateReport = { mode: "incremental", changed: [], atomsPlaced: 0, atomsResizedInPlace: 0, atomsMoved: 0, atomsFreed: 0, sectionsMoved: 0, relocationsApplied: 0, bytesWritten: 0, milliseconds: 0 };
  let session = warm;
  const restored = (): LinkSession => {
    if (session === undefined) {
      const r = restoreSavedSession(dir, manifest, opts, host, afterWrite);
      if (typeof r === "string") throw new LinkError(`the incremental state could not be restored: ${r}`);
      session = r;
    }
    return session;
  };
  return {
    output: opts.output!,
    report,
    summary: "incremental link: 0 input(s) changed, 0 bytes written, 0 relocations applied",
    get session(): LinkSession {
      return restored();
    },
    writeState: () => ({ session: restored(), ...written }),
  };
}

/**
 * The writer of each session a resident process (the link server) saves: it keeps an image of what it
 * wrote last and patches the file where the session changed. A fresh process writes the session whole:
 * comparing with the file would mean reading it back, which costs more than the write (L: ~60 ms against
 * ~28 ms from the page cache), and it restored the session from that file a moment ago.
 */
const sessionWriters = new WeakMap<LinkSession, SessionFileWriter>();

/**
 * Copies of the objects, then the session, then (last: it makes the state trusted) the manifest, whose
 * stamp it returns.
 */
function writeState(dir: string, options: LinkOptions, output: string, current: readonly CurrentInput[], statedAtMs: number, linkOrder: readonly string[], session: LinkSession, host: LinkHost, linkerVersion: string, resident: boolean): Omit<WarmSession, "session"> {
  mkdirSync(join(dir, "objects"), { recursive: true });
  const inputs: InputRecord[] = current.map((c) => {
    const record = { path: c.path, hash: c.hash, size: c.size, mtimeMs: c.mtimeMs };
    if (!isObjectPath(c.path)) return { ...record, copy: undefined };
    const copy = join("objects", `${c.hash}-${basename(c.path)}`);
    writeAtomically(join(dir, copy), () => c.bytes ?? host.readFile(c.path), true);
    return { ...record, copy };
  });
  // A resident process saves the same session after every update: its writer writes only what changed.
  let writer = sessionWriters.get(session);
  if (writer === undefined) {
    writer = new SessionFileWriter(join(dir, SESSION_FILE));
    if (resident) sessionWriters.set(session, writer);
  }
  const written = writer.write(session.saveState(), resident);
  let saved: Manifest["saved"] = { session: SESSION_FILE, ...stampOf(written), written: writer.bytesWritten };
  const st = statSync(output);
  const image = session.bytes;
  if (image.length !== st.size) saved = { unavailable: `the output is ${st.size} bytes, the session's image ${image.length}` };
  const manifest: Manifest = {
    magic: "linkkit-incremental-state", version: STATE_VERSION, linker: linkerVersion, optionsKey: optionsKey(options),
    inputs, linkOrder, saved, output: stampOf(st), statedAtMs,
  };
  // Copies no manifest names any more are garbage.
  const keep = new Set(inputs.flatMap((i) => (i.copy ? [basename(i.copy)] : [])));
  for (const name of readdirSafe(join(dir, "objects"))) {
    if (keep.has(name) || isRecentTemporary(join(dir, "objects", name))) continue;
    rmSync(join(dir, "objects", name), { force: true });
  }
  return writeManifest(dir, manifest);
}

/** The manifest, written whole or not at all; returns its stamp and contents (what a link server keeps). */
function writeManifest(dir: string, manifest: Manifest): Omit<WarmSession, "session"> {
  const path = join(dir, "manifest.json");
  writeAtomically(path, () => JSON.stringify(manifest), false);
  return { manifest: stampOf(statSync(path)), contents: manifest };
}

/**
 * A temporary file then a rename: a crash leaves the old file or the new one. `once`: an existing file is
 * kept (named by its hash). The temporary name is this process's: a link server taking up a state and a
 * run that found no server yet may write the same state at once (each manifest stamps what its own
 * writer wrote, so the state the last rename leaves is trusted only if it is whole).
 */
function writeAtomically(path: string, contents: () => Uint8Array | string, once: boolean): void {
  if (once && existsSync(path)) return;
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, contents());
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** Another process's copy being written (see `writeAtomically`); one a crash left behind goes after a minute. */
function isRecentTemporary(path: string): boolean {
  if (!path.endsWith(".tmp")) return false;
  try {
    return Date.now() - statSync(path).mtimeMs < 60_000;
  } catch {
    return false;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
