// The saved session's file (`app.exe.linkkit/session.state`): data made of plain objects, arrays, numbers,
// strings and typed arrays, stored so that writing and reading cost little more than the bytes. The typed
// arrays (almost all of it: symbol columns, atoms, relocation sites) go to the file straight from their
// memory, each 8-aligned, and come back as views into the one buffer the file is read into: nothing is
// copied or parsed element by element. Long strings (the symbol names, joined) are stored as UTF-8 the
// same way. What remains, a small tree, is JSON. V8's own serialiser copies every array twice over.
//
//   "linkkit-session\n" u32 version  u32 JSON byte length  f64 blob bytes  JSON  padding to 8  blobs, each 8-aligned
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writevSync, type Stats } from "node:fs";
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
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const addBlob = (bytes: Uint8Array): number => {
    const at = blobBytes;
    blobs.push(bytes);
    blobBytes += bytes.length;
    const pad = (8 - (blobBytes % 8)) % 8;
    if (pad > 0) { blobs.push(new Uint8Array(pad)); blobBytes += pad; }
    return at;
  };
  const encoder = new TextEncoder();
  const json = JSON.stringify(data, function (this: unknown, _key, value: unknown) {
    const type = arrayTypeName(value);
    if (type !== undefined) {
      const array = value as TypedArray;
      return { [TAG]: "array", type, at: addBlob(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)), length: array.length };
    }
    if (typeof value === "string" && value.length >= LONG_STRING) {
      const bytes = encoder.encode(value);
      return { [TAG]: "string", at: addBlob(bytes), length: bytes.length };
    }
    if (value === undefined && Array.isArray(this)) return { [TAG]: "undefined" };
    if (typeof value === "number" && !Number.isFinite(value)) return { [TAG]: "number", value: String(value) };
    if (typeof value === "bigint") return { [TAG]: "bigint", value: value.toString() };
    return value;
  });
  const jsonBytes = encoder.encode(json);
  const head = new Uint8Array(HEADER);
  for (let i = 0; i < MAGIC.length; i++) head[i] = MAGIC.charCodeAt(i);
  const view = new DataView(head.buffer);
  view.setUint32(MAGIC.length, VERSION, true);
  view.setUint32(MAGIC.length + 4, jsonBytes.length, true);
  view.setFloat64(MAGIC.length + 8, blobBytes, true);
  const headBytes = HEADER + jsonBytes.length;
  const chunks = [head, jsonBytes, new Uint8Array((8 - (headBytes % 8)) % 8), ...blobs];

  const fd = openSync(path, existsSync(path) ? "r+" : "w");
  try {
    let at = 0;
    // writev takes a bounded number of buffers per call, and may write less than asked.
    for (let i = 0; i < chunks.length;) {
      const batch = chunks.slice(i, i + 512);
      let written = writevSync(fd, batch, at);
      at += written;
      for (const chunk of batch) {
        if (written >= chunk.length) { written -= chunk.length; i++; continue; }
        chunks[i] = chunk.subarray(written); // the rest of a chunk cut short, in the next call
        break;
      }
    }
    ftruncateSync(fd, at);
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

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
