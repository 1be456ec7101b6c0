// What kind of input a byte string is, from its magic numbers alone (never throws).
import { BIGOBJ_CLASS_ID, IMAGE_DOS_SIGNATURE } from "./layouts.js";
import { IMAGE_FILE_MACHINE } from "./constants.js";

export type InputKind =
  | "coff-object" | "coff-bigobj" | "import-object" | "pe-image" | "ar-archive" | "llvm-bitcode" | "unknown";

const knownMachines = new Set<number>(Object.values(IMAGE_FILE_MACHINE.values));

export function identifyInput(bytes: Uint8Array): InputKind {
  const n = bytes.length;
  const u16 = (at: number): number => (at + 2 <= n ? bytes[at]! | (bytes[at + 1]! << 8) : -1);
  const u32 = (at: number): number => (at + 4 <= n ? (u16(at) | (u16(at + 2) << 16)) >>> 0 : -1);

  if (n >= 8 && startsWith(bytes, "!<arch>\n")) return "ar-archive";
  if (n >= 8 && startsWith(bytes, "!<thin>\n")) return "ar-archive";
  // Raw bitcode ('BC' C0 DE) or the bitcode wrapper header (0x0B17C0DE).
  if (n >= 4 && (u32(0) === 0xdec04342 || u32(0) === 0x0b17c0de)) return "llvm-bitcode";
  if (u16(0) === IMAGE_DOS_SIGNATURE) return "pe-image";
  if (u16(0) === 0 && u16(2) === 0xffff) {
    const version = u16(4);
    if (version === 0 && n >= 20) return "import-object";
    if (version >= 2 && n >= 56 && BIGOBJ_CLASS_ID.every((b, i) => bytes[12 + i] === b)) return "coff-bigobj";
    return "unknown";
  }
  // A plain COFF object has no magic: a known machine and a plausible header stand in for one.
  if (n >= 20 && knownMachines.has(u16(0))) {
    const sections = u16(2);
    const optionalHeaderSize = u16(16);
    if (u16(0) === 0 && sections === 0) return "unknown";
    if (20 + optionalHeaderSize + sections * 40 <= n) return "coff-object";
  }
  return "unknown";
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}
