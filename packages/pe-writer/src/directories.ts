// Data directories whose contents the compiler or the CRT provides: the linker only sorts .pdata and
// points the TLS and load-config directories at `_tls_used` / `_load_config_used`.
import { ImageLoadConfigPrefix, ImageRuntimeFunctionEntry, ImageTlsDirectory32, ImageTlsDirectory64 } from "@linkkit/coff-format";
import type { DirtyRange } from "./dirty-ranges.js";
import { hex, PeWriterError } from "./errors.js";
import { orderByKey } from "./key-order.js";
import type { DataDirectoryEntry, PeFormat } from "./headers.js";

/**
 * Sorts x64/ARM64 RUNTIME_FUNCTION entries by BeginAddress in place (the unwinder binary-searches them).
 * `buffer[offset, offset + size)` holds the entries; returns that range as dirty.
 */
export function sortRuntimeFunctions(buffer: Uint8Array, offset: number, size: number): DirtyRange {
  const entrySize = ImageRuntimeFunctionEntry.size;
  const order = runtimeFunctionOrder(buffer, offset, size);
  const copy = buffer.slice(offset, offset + size);
  for (let i = 0; i < order.length; i++) {
    const from = order[i]! * entrySize;
    buffer.set(copy.subarray(from, from + entrySize), offset + i * entrySize);
  }
  return { offset, length: size };
}

/**
 * The order that sorts the RUNTIME_FUNCTION entries in `buffer[offset, offset + size)` by BeginAddress,
 * stable (equal addresses keep their order): entry `order[i]` goes to place `i`. For callers that keep
 * a column parallel to the entries (the linker keeps the atom each entry came from).
 */
export function runtimeFunctionOrder(buffer: Uint8Array, offset: number, size: number): Uint32Array {
  const entrySize = ImageRuntimeFunctionEntry.size;
  if (size % entrySize !== 0 || offset < 0 || offset + size > buffer.length) {
    throw new PeWriterError(`exception table of ${size} bytes is not a whole number of ${entrySize}-byte entries inside the buffer`, {
      where: "exception directory", offset,
    });
  }
  const count = size / entrySize;
  const words = new DataView(buffer.buffer, buffer.byteOffset + offset, size);
  // Sorted through an order of indexes: cheaper than moving 12-byte records.
  const begins = new Uint32Array(count);
  for (let i = 0; i < count; i++) begins[i] = words.getUint32(i * entrySize, true);
  return orderByKey(begins);
}

/** The TLS data directory for `_tls_used` at `tlsUsedRva`: the structure's size, 40 bytes (PE32+) or 24 (PE32). */
export function tlsDirectoryEntry(tlsUsedRva: number, format: PeFormat): DataDirectoryEntry {
  return { rva: tlsUsedRva, size: format === "pe32+" ? ImageTlsDirectory64.size : ImageTlsDirectory32.size };
}

/**
 * The LOAD_CONFIG data directory for `_load_config_used` at `loadConfigRva`; `structBytes` starts at the
 * structure, whose first u32 is its own size (it grows with every Windows release).
 */
export function loadConfigDirectoryEntry(loadConfigRva: number, structBytes: Uint8Array): DataDirectoryEntry {
  if (structBytes.length < ImageLoadConfigPrefix.size) {
    throw new PeWriterError("load configuration structure is shorter than its size field", { where: "load config directory", rva: loadConfigRva });
  }
  const size = new DataView(structBytes.buffer, structBytes.byteOffset, 4).getUint32(0, true);
  if (size < ImageLoadConfigPrefix.size || size > structBytes.length) {
    throw new PeWriterError(`load configuration says it is ${hex(size)} bytes`, {
      where: "load config directory", rva: loadConfigRva, expected: `4 to ${structBytes.length} bytes`,
    });
  }
  return { rva: loadConfigRva, size };
}
