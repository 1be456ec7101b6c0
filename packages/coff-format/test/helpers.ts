// Shared test helpers: a minimal GNU/Microsoft ar member walker (just for these tests; the
// real reader is @linkkit/ar), full decoding of an input, and toolchain discovery.
import { execFileSync } from "node:child_process";
import {
  identifyInput, readCoffObject, readImportObject, importedName, type CoffObject,
} from "../src/index.js";

export interface ArMember {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The members of a GNU or Microsoft ar archive, without the symbol table and long-name members. */
export function arMembers(archive: Uint8Array): ArMember[] {
  const text = (start: number, end: number): string => Buffer.from(archive.subarray(start, end)).toString("latin1");
  if (text(0, 8) !== "!<arch>\n") throw new Error("not an ar archive");
  const members: ArMember[] = [];
  let longNames = "";
  let at = 8;
  while (at + 60 <= archive.length) {
    const rawName = text(at, at + 16).trimEnd();
    const size = Number.parseInt(text(at + 48, at + 58).trim(), 10);
    if (text(at + 58, at + 60) !== "`\n" || !Number.isFinite(size)) throw new Error(`bad ar header at ${at}`);
    const data = archive.subarray(at + 60, at + 60 + size);
    if (rawName === "//") longNames = Buffer.from(data).toString("latin1");
    else if (rawName !== "/" && rawName !== "/SYM64/") {
      let name = rawName;
      if (/^\/\d+$/.test(rawName)) {
        const offset = Number(rawName.slice(1));
        const end = longNames.slice(offset).search(/\/?\n|\0/);
        name = longNames.slice(offset, end < 0 ? undefined : offset + end);
      } else if (name.endsWith("/")) name = name.slice(0, -1);
      members.push({ name, bytes: data });
    }
    at += 60 + size + (size & 1);
  }
  return members;
}

/** Decodes everything an input holds: every section, relocation, symbol and aux record. */
export function decodeFully(bytes: Uint8Array, fileName: string): void {
  const kind = identifyInput(bytes);
  if (kind === "import-object") {
    const imp = readImportObject(bytes, { fileName });
    importedName(imp);
    return;
  }
  if (kind !== "coff-object" && kind !== "coff-bigobj") return;
  decodeObject(readCoffObject(bytes, { fileName }));
}

export function decodeObject(obj: CoffObject): void {
  for (const s of obj.sections()) {
    obj.sectionData(s.index);
    const relocations = obj.relocations(s.index);
    for (let i = 0; i < relocations.length; i++) {
      relocations.get(i);
      obj.symbolName(relocations.symbolIndex(i));
    }
  }
  obj.symbols();
}

export function hasTool(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a toolchain test may run: tools missing is a skip locally, a failure in CI.
 */
export function toolsAvailable(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`missing tools in CI: ${missing.join(", ")}`);
  return false;
}

/** A deterministic spread of `count` items from `items`. */
export function sample<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(items[Math.floor((i * items.length) / count)]!);
  return out;
}
