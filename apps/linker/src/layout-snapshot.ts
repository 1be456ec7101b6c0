// The bytes of a layout snapshot (`/incremental`'s `layout.snapshot`): decoding checks the framing and
// every length, so a damaged file fails here with LayoutSnapshotError and never reaches the restore.
//
// Format (little-endian):
//   "LKLS" u32:version u32:headerLength, header (UTF-8 JSON: characteristics, relocSection, names,
//   imports, atomCount, layoutLength), the allocator state (layoutLength bytes), zeros to a multiple of 4,
//   then atomCount × u8 kind, zeros to a multiple of 4, atomCount × i32 name, atomCount × i32 detail,
//   exceptionSlots × i32 atom (the header's exceptionSlots is -1 when the image has no such table).
import { LayoutSnapshotError, type LayoutSnapshot } from "./layout.js";

const MAGIC = 0x534c4b4c; // "LKLS" read as a little-endian u32
const VERSION = 2;

interface Header {
  readonly characteristics: number[];
  readonly relocSection: number;
  readonly names: string[];
  readonly imports: string[];
  readonly atomCount: number;
  readonly layoutLength: number;
  readonly exceptionSlots: number;
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeLayoutSnapshot(snapshot: LayoutSnapshot): Uint8Array {
  const n = snapshot.atomKind.length;
  const header: Header = {
    characteristics: [...snapshot.characteristics], relocSection: snapshot.relocSection, names: [...snapshot.names],
    imports: [...snapshot.imports], atomCount: n, layoutLength: snapshot.layout.length, exceptionSlots: snapshot.exceptionSlots?.length ?? -1,
  };
  const slots = snapshot.exceptionSlots ?? new Int32Array(0);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const layoutAt = 12 + json.length;
  const kindAt = align4(layoutAt + snapshot.layout.length);
  const nameAt = align4(kindAt + n);
  const detailAt = nameAt + 4 * n;
  const slotsAt = detailAt + 4 * n;
  const bytes = new Uint8Array(slotsAt + 4 * slots.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  bytes.set(snapshot.layout, layoutAt);
  bytes.set(snapshot.atomKind, kindAt);
  for (let i = 0; i < n; i++) {
    view.setInt32(nameAt + 4 * i, snapshot.atomName[i]!, true);
    view.setInt32(detailAt + 4 * i, snapshot.atomDetail[i]!, true);
  }
  for (let i = 0; i < slots.length; i++) view.setInt32(slotsAt + 4 * i, slots[i]!, true);
  return bytes;
}

export function decodeLayoutSnapshot(bytes: Uint8Array): LayoutSnapshot {
  const corrupt = (what: string) => new LayoutSnapshotError(`the layout snapshot is corrupt (${what})`);
  if (bytes.length < 12) throw corrupt("truncated header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt("bad magic");
  if (view.getUint32(4, true) !== VERSION) throw corrupt(`format version ${view.getUint32(4, true)}, expected ${VERSION}`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw corrupt("truncated header");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + jsonLength))) as Header;
  } catch {
    throw corrupt("unreadable header");
  }
  const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (typeof header !== "object" || header === null || !Array.isArray(header.characteristics) || !header.characteristics.every(isInt)
    || !isInt(header.relocSection) || !strings(header.names) || !strings(header.imports) || !isInt(header.atomCount) || header.atomCount < 0
    || !isInt(header.layoutLength) || header.layoutLength < 0 || !isInt(header.exceptionSlots) || header.exceptionSlots < -1) {
    throw corrupt("malformed header");
  }
  const n = header.atomCount;
  const layoutAt = 12 + jsonLength;
  const kindAt = align4(layoutAt + header.layoutLength);
  const nameAt = align4(kindAt + n);
  const detailAt = nameAt + 4 * n;
  const slotsAt = detailAt + 4 * n;
  const end = slotsAt + 4 * Math.max(0, header.exceptionSlots);
  if (end !== bytes.length) throw corrupt(`${bytes.length} bytes, the header describes ${end}`);
  const atomName = new Int32Array(n), atomDetail = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    atomName[i] = view.getInt32(nameAt + 4 * i, true);
    atomDetail[i] = view.getInt32(detailAt + 4 * i, true);
  }
  let exceptionSlots: Int32Array | undefined;
  if (header.exceptionSlots >= 0) {
    exceptionSlots = new Int32Array(header.exceptionSlots);
    for (let i = 0; i < exceptionSlots.length; i++) exceptionSlots[i] = view.getInt32(slotsAt + 4 * i, true);
  }
  return {
    layout: bytes.slice(layoutAt, layoutAt + header.layoutLength), characteristics: header.characteristics, relocSection: header.relocSection,
    names: header.names, imports: header.imports, atomKind: bytes.slice(kindAt, kindAt + n), atomName, atomDetail, exceptionSlots,
  };
}
