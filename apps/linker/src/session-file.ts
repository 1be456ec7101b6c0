// The saved session's file (`app.exe.linkkit/session.state`): data made of plain objects, arrays, numbers,
// strings and typed arrays, stored so that writing and reading cost little more than the bytes. The typed
// arrays (almost all of it: symbol columns, atoms, relocation sites) go to the file straight from their
// memory, each 8-aligned, and come back as views into the one buffer the file is read into: nothing is
// copied or parsed element by element. Long strings (the symbol names, joined) are stored as UTF-8 the
// same way. What remains, a small tree, is JSON. V8's own serialiser copies every array twice over.
//
//   "linkkit-session\n" u32 version  u32 JSON byte length  f64 blob bytes  JSON  padding to 8  blobs, each 8-aligned
//
// The JSON is padded with spaces, and each blob has a little room after it, so that a writer that saves
// the same session again (a link server, after each update) can put every part back where it was and
// write only the pages that changed (`SessionFileWriter`). Readers ignore the padding.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync, writevSync, type Stats } from "node:fs";
import { LinkError } from "./errors.js";

const MAGIC = "linkkit-session\n";
const VERSION = 1;
const HEADER = MAGIC.length + 16;
/** Strings at least this long are stored as UTF-8 blobs, not JSON (escaping a name list's separators is slow). */
const LONG_STRING = 4096;
/** The tag of a placeholder object in the JSON: a blob, a long string, undefined in an array, a number JSON cannot spell. */
const TAG = "\u0000linkkit";

const ARRAY_TYPES = {
  Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array,
} as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;
type TypedArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>;

export class SessionFileError extends LinkError {}

function arrayTypeName(value: unknown): ArrayTypeName | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  const name = value.constructor.name;
  return name in ARRAY_TYPES ? (name as ArrayTypeName) : undefined;
}

/**
 * Writes `data` over the file at `path`, in place: no temporary file, because replacing a file of tens
 * of megabytes frees and reallocates all its pages, which costs more than the write. For the saved
 * session that is safe: the manifest, which alone makes it trusted, is removed first and written last.
 */
export function writeSessionFile(path: string, data: unknown): Stats {
  return new SessionFileWriter(path).write(data);
}

/** Bytes compared, and written when they differ, at a time when a file is patched. */
const PAGE = 4096;

/**
 * Room for `n` bytes: a little more, so that a column that grows by a few entries keeps its place and
 * the next write patches it rather than moving it (and every blob after it) to the end.
 */
function roomFor(n: number): number {
  const room = n + (n >> 4) + 64;
  return room + ((8 - (room % 8)) % 8);
}

/** Where the last write put the i-th blob: `key` is the property that held it. */
interface PlacedBlob {
  readonly key: string;
  readonly at: number;
  readonly room: number;
}

/** What a writer that keeps its file's image knows of the file as it last wrote it. */
interface WrittenFile {
  /** Size, times and inode after that write: a file with another stamp was written by someone else. */
  readonly stamp: string;
  readonly jsonRoom: number;
  readonly blobs: readonly PlacedBlob[];
  /** Bytes of the blob region, rooms and all. */
  readonly blobBytes: number;
  /** Bytes of live blobs: what a compacting rewrite would need. */
  readonly liveBytes: number;
  /**
   * The file's bytes, as written (its first `size` bytes), exactly: the slack of every room included, which
   * a later write may fill without writing pages that look unchanged.
   */
  readonly image: Uint8Array;
  readonly size: number;
}

function stampOfFile(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * Writes one session file, again and again. With `keepImage` (a link server, which saves its session after
 * every update), the writer keeps a copy of what it wrote, and the next write puts each blob back in the
 * room it had, compares it page by page with the copy and writes only the pages that differ: an update
 * that changed a few symbols writes a few pages, not the whole file. A blob that outgrew its room goes to
 * the end of the file; when rooms left behind make up half the file, or the JSON outgrows its room, or the
 * file is not as this writer left it, the file is written whole.
 */
export class SessionFileWriter {
  /** Bytes the last `write` wrote. */
  bytesWritten = 0;
  private last: WrittenFile | undefined;

  constructor(private readonly path: string) {}

  /**
   * Writes `data`, patching the file when this writer wrote it last with `keepImage` and nobody wrote it
   * since. `keepImage`: keep a copy of what was written, to patch the next write.
   */
  write(data: unknown, keepImage = false): Stats {
    const previous = this.last !== undefined && stampOfFile(this.path) === this.last.stamp ? this.last : undefined;
    this.last = undefined;
    const encoded = (previous && encode(data, previous)) ?? encode(data, undefined)!;
    const fd = openSync(this.path, existsSync(this.path) ? "r+" : "w");
    try {
      let image: Uint8Array | undefined;
      if (encoded.patched) ({ written: this.bytesWritten, image } = this.patch(fd, encoded, previous!));
      else this.bytesWritten = writeWhole(fd, encoded);
      if (keepImage) this.keep(encoded, image);
      return fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Writes the pages of `encoded` that differ from `previous.image`, the file as last written, and brings
   * the image up to date; answers the bytes written and the image (grown when the file grew).
   */
  private patch(fd: number, encoded: Encoded, previous: WrittenFile): { written: number; image: Uint8Array } {
    const size = encoded.blobsAt + encoded.blobBytes;
    let image = previous.image;
    if (image.length < size) {
      // Rooms appended at the end: the file grows, and the image with slack for the next ones.
      const grown = new Uint8Array(roomFor(size + (size >> 3)));
      grown.set(image.subarray(0, previous.size));
      image = grown;
    }
    const mirror = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    let written = 0;
    const flush = (bytes: Uint8Array, at: number, from: number, to: number): void => {
      writeAll(fd, bytes.subarray(from, to), at + from);
      image.set(bytes.subarray(from, to), at + from);
      written += to - from;
    };
    const put = (bytes: Uint8Array, at: number): void => {
      const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let dirty = -1;
      for (let p = 0; p < bytes.length; p += PAGE) {
        const end = Math.min(p + PAGE, bytes.length);
        if (source.compare(mirror, at + p, at + end, p, end) !== 0) {
          if (dirty < 0) dirty = p;
        } else if (dirty >= 0) {
          flush(bytes, at, dirty, p);
          dirty = -1;
        }
      }
      if (dirty >= 0) flush(bytes, at, dirty, bytes.length);
    };
    put(encoded.head, 0);
    for (let i = 0; i < encoded.blobs.length; i++) put(encoded.blobs[i]!, encoded.blobsAt + encoded.placed[i]!.at);
    // Pages of zeros never written past the old end read as zeros once the file is extended.
    if (size !== previous.size) ftruncateSync(fd, size);
    return { written, image };
  }

  private keep(encoded: Encoded, image: Uint8Array | undefined): void {
    const size = encoded.blobsAt + encoded.blobBytes;
    if (image === undefined) {
      // With the slack patches need when rooms are added at the end: growing copies the whole image.
      image = new Uint8Array(size + (size >> 4));
      image.set(encoded.head);
      for (let i = 0; i < encoded.blobs.length; i++) image.set(encoded.blobs[i]!, encoded.blobsAt + encoded.placed[i]!.at);
    }
    const stamp = stampOfFile(this.path);
    if (stamp === undefined) return;
    this.last = {
      stamp, jsonRoom: encoded.jsonRoom, blobs: encoded.placed, blobBytes: encoded.blobBytes,
      liveBytes: encoded.liveBytes, image, size,
    };
  }
}

interface Encoded {
  /** Header and JSON, the JSON padded with spaces to its room. */
  readonly head: Uint8Array;
  readonly jsonRoom: number;
  readonly blobsAt: number;
  readonly blobs: readonly Uint8Array[];
  readonly placed: readonly PlacedBlob[];
  readonly blobBytes: number;
  readonly liveBytes: number;
  /** Placed in the rooms of `previous` (a patch), or laid out afresh (a whole file). */
  readonly patched: boolean;
}

/**
 * The file's parts for `data`: blobs placed in the rooms `previous` gave them where they still fit, the
 * others after them. Undefined when `previous`'s layout cannot take this data (then lay out afresh).
 */
function encode(data: unknown, previous: WrittenFile | undefined): Encoded | undefined {
  const blobs: Uint8Array[] = [];
  const placed: PlacedBlob[] = [];
  let blobBytes = previous?.blobBytes ?? 0;
  let liveBytes = 0;
  const addBlob = (key: string, bytes: Uint8Array): number => {
    const before = previous?.blobs[blobs.length];
    let room: PlacedBlob;
    if (before !== undefined && before.key === key && bytes.length <= before.room) {
      room = before;
    } else {
      room = { key, at: blobBytes, room: roomFor(bytes.length) };
      blobBytes += room.room;
    }
    blobs.push(bytes);
    placed.push(room);
    liveBytes += room.room;
    return room.at;
  };
  const encoder = new TextEncoder();
  const json = JSON.stringify(data, function (this: unknown, key, value: unknown) {
    const type = arrayTypeName(value);
    if (type !== undefined) {
      const array = value as TypedArray;
      return { [TAG]: "array", type, at: addBlob(key, new Uint8Array(array.buffer, array.byteOffset, array.byteLength)), length: array.length };
    }
    if (typeof value === "string" && value.length >= LONG_STRING) {
      const bytes = encoder.encode(value);
      return { [TAG]: "string", at: addBlob(key, bytes), length: bytes.length };
    }
    if (value === undefined && Array.isArray(this)) return { [TAG]: "undefined" };
    if (typeof value === "number" && !Number.isFinite(value)) return { [TAG]: "number", value: String(value) };
    if (typeof value === "bigint") return { [TAG]: "bigint", value: value.toString() };
    return value;
  });
  const jsonBytes = encoder.encode(json);
  const jsonRoom = previous?.jsonRoom ?? roomFor(jsonBytes.length);
  if (jsonBytes.length > jsonRoom || (previous !== undefined && blobBytes > 2 * liveBytes + (1 << 20))) return undefined;
  const blobsAt = HEADER + jsonRoom + ((8 - ((HEADER + jsonRoom) % 8)) % 8);
  const head = new Uint8Array(blobsAt).fill(0x20, HEADER + jsonBytes.length, HEADER + jsonRoom);
  for (let i = 0; i < MAGIC.length; i++) head[i] = MAGIC.charCodeAt(i);
  const view = new DataView(head.buffer);
  view.setUint32(MAGIC.length, VERSION, true);
  view.setUint32(MAGIC.length + 4, jsonRoom, true);
  view.setFloat64(MAGIC.length + 8, blobBytes, true);
  head.set(jsonBytes, HEADER);
  return { head, jsonRoom, blobsAt, blobs, placed, blobBytes, liveBytes, patched: previous !== undefined };
}

/** A whole file: its parts and the zeros of the rooms' slack, in one pass of `writev`. */
function writeWhole(fd: number, encoded: Encoded): number {
  const chunks: Uint8Array[] = [encoded.head];
  let at = 0;
  let zeros = new Uint8Array(0);
  const gap = (n: number): void => {
    if (n <= 0) return;
    if (zeros.length < n) zeros = new Uint8Array(Math.max(n, 4096));
    chunks.push(zeros.subarray(0, n));
  };
  for (let i = 0; i < encoded.blobs.length; i++) {
    const bytes = encoded.blobs[i]!;
    gap(encoded.placed[i]!.at - at);
    chunks.push(bytes);
    at = encoded.placed[i]!.at + bytes.length;
  }
  gap(encoded.blobBytes - at);
  let written = 0;
  // writev takes a bounded number of buffers per call, and may write less than asked.
  for (let i = 0; i < chunks.length;) {
    const batch = chunks.slice(i, i + 512);
    let n = writevSync(fd, batch, written);
    written += n;
    for (const chunk of batch) {
      if (n >= chunk.length) { n -= chunk.length; i++; continue; }
      chunks[i] = chunk.subarray(n); // the rest of a chunk cut short, in the next call
      break;
    }
  }
  ftruncateSync(fd, written);
  return written;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The data of a session file; a file that is not one, or is cut short, throws SessionFileError. */
/** The data of a session file; a file that is not one, or is cut short, throws SessionFileError. */
export function readSessionFile(path: string): unknown {
  const fd = openSync(path, "r");
  let bytes: Uint8Array;
  try {
    const size = fstatSync(fd).size;
    bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at < size) throw new SessionFileError("the saved session was cut short while it was read");
  } finally {
    closeSync(fd);
  }
  return decodeSessionBytes(bytes);
}

export function decodeSessionBytes(bytes: Uint8Array): unknown {
  if (bytes.length < HEADER) throw new SessionFileError("the saved session is truncated");
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) throw new SessionFileError("not a saved linkkit session");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(MAGIC.length, true);
  if (version !== VERSION) throw new SessionFileError(`the saved session has format ${version}, not ${VERSION}`);
  const jsonLength = view.getUint32(MAGIC.length + 4, true);
  const headBytes = HEADER + jsonLength;
  if (headBytes > bytes.length) throw new SessionFileError("the saved session is truncated");
  const blobsAt = headBytes + ((8 - (headBytes % 8)) % 8);
  if (blobsAt + view.getFloat64(MAGIC.length + 8, true) !== bytes.length) throw new SessionFileError("the saved session is truncated");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const blob = (at: unknown, byteLength: number): number => {
    if (typeof at !== "number" || !Number.isInteger(at) || at < 0 || blobsAt + at + byteLength > bytes.length) throw new SessionFileError("the saved session is truncated");
    return bytes.byteOffset + blobsAt + at;
  };
  let json: string;
  try {
    json = decoder.decode(bytes.subarray(HEADER, headBytes));
  } catch {
    throw new SessionFileError("the saved session is corrupt");
  }
  // Views need their element alignment: the file's buffer is copied once if it does not start 8-aligned.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  try {
    return JSON.parse(json, (_key, value: unknown) => {
      if (typeof value !== "object" || value === null || !(TAG in value)) return value;
      const v = value as { [TAG]: string; type?: string; at?: unknown; length?: unknown; value?: unknown };
      const length = typeof v.length === "number" && Number.isInteger(v.length) && v.length >= 0 ? v.length : -1;
      switch (v[TAG]) {
        case "array": {
          const Type = v.type !== undefined && Object.hasOwn(ARRAY_TYPES, v.type) ? ARRAY_TYPES[v.type as ArrayTypeName] : undefined;
          if (!Type || length < 0) break;
          return new Type(aligned.buffer as ArrayBuffer, blob(v.at, length * Type.BYTES_PER_ELEMENT) - bytes.byteOffset + aligned.byteOffset, length);
        }
        case "string": {
          if (length < 0) break;
          const at = blob(v.at, length) - bytes.byteOffset;
          return decoder.decode(bytes.subarray(at, at + length));
        }
        case "undefined":
          return undefined;
        case "number":
          return Number(v.value);
        case "bigint":
          if (typeof v.value === "string" && /^-?\d+$/.test(v.value)) return BigInt(v.value);
          break;
      }
      throw new SessionFileError("the saved session is corrupt");
    });
  } catch (e) {
    if (e instanceof SessionFileError) throw e;
    throw new SessionFileError(`the saved session is corrupt (${(e as Error).message})`);
  }
}
