// Reads link.exe-style map files (written by lld-link /map and linkkit /map): the symbol → address
// facts the layout-independent comparisons are built on.

export interface MapSymbol {
  readonly name: string;
  /** Absolute address (Rva+Base). */
  readonly address: bigint;
  /** `hello.obj`, `kernel32:kernel32.dll`, `<linker-defined>`. */
  readonly object: string;
  readonly isStatic: boolean;
  readonly isFunction: boolean;
}

export interface MapFile {
  readonly imageBase: bigint;
  readonly symbols: readonly MapSymbol[];
  readonly entry: string | undefined;
}

export function parseMapFile(text: string): MapFile {
  const lines = text.split(/\r?\n/);
  let imageBase = 0n;
  let entry: string | undefined;
  const symbols: MapSymbol[] = [];
  let inStatics = false;
  let inPublics = false;
  for (const line of lines) {
    const base = /Preferred load address is ([0-9a-fA-F]+)/.exec(line);
    if (base) imageBase = BigInt(`0x${base[1]}`);
    if (/Publics by Value/.test(line)) { inPublics = true; continue; }
    if (/^\s*Static symbols/.test(line)) { inStatics = true; inPublics = false; continue; }
    const e = /entry point at\s+([0-9a-fA-F]+:[0-9a-fA-F]+)/.exec(line);
    if (e) { entry = e[1]; continue; }
    if (!inPublics && !inStatics) continue;
    // " 0001:00000080       add_all                    0000000140001080 f   util.obj"
    const m = /^\s*[0-9a-fA-F]{4}:[0-9a-fA-F]{8}\s+(\S+)\s+([0-9a-fA-F]{8,16})(\s+f)?(?:\s+i)?\s+(.*)$/.exec(line);
    if (!m) continue;
    symbols.push({
      name: m[1]!, address: BigInt(`0x${m[2]}`), isFunction: m[3] !== undefined,
      object: m[4]!.trim(), isStatic: inStatics,
    });
  }
  return { imageBase, symbols, entry };
}
