// Module-definition (.def) files: LIBRARY/NAME, EXPORTS, HEAPSIZE, STACKSIZE, VERSION, SECTIONS.
import { LinkError } from "../errors.js";
import type { ExportSpec } from "../options.js";

export interface ModuleDefinition {
  readonly kind: "library" | "name" | undefined;
  readonly moduleName: string | undefined;
  readonly imageBase: bigint | undefined;
  readonly exports: readonly ExportSpec[];
  readonly heap: readonly [bigint, bigint] | undefined;
  readonly stack: readonly [bigint, bigint] | undefined;
  readonly version: readonly [number, number] | undefined;
  /** SECTIONS: name → attribute letters (as /section). */
  readonly sections: ReadonlyMap<string, string>;
}

interface Token { readonly text: string; readonly line: number; readonly quoted: boolean }

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/;.*$/, "");
    const re = /"([^"]*)"|(==|=|,|@)|([^\s=,@"]+)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      if (m[1] !== undefined) tokens.push({ text: m[1], line: index + 1, quoted: true });
      else tokens.push({ text: (m[2] ?? m[3])!, line: index + 1, quoted: false });
    }
  });
  return tokens;
}

const keywords = new Set(["LIBRARY", "NAME", "EXPORTS", "HEAPSIZE", "STACKSIZE", "VERSION", "SECTIONS", "DESCRIPTION", "STUB"]);

export function parseModuleDefinition(text: string, fileName: string): ModuleDefinition {
  const t = tokenize(text);
  let i = 0;
  const fail = (msg: string, tok = t[i]): never => {
    throw new LinkError(`${fileName}:${tok?.line ?? "end"}: ${msg}`);
  };
  const num = (tok: Token | undefined, what: string): bigint => {
    if (!tok || !/^(0x[0-9a-f]+|\d+)$/i.test(tok.text)) return fail(`expected a number for ${what}`, tok);
    return BigInt(tok.text);
  };
  const isKeyword = (tok: Token | undefined) => tok !== undefined && !tok.quoted && keywords.has(tok.text.toUpperCase());
  let kind: ModuleDefinition["kind"], moduleName: string | undefined, imageBase: bigint | undefined;
  let heap: [bigint, bigint] | undefined, stack: [bigint, bigint] | undefined, version: [number, number] | undefined;
  const exports: ExportSpec[] = [];
  const sections = new Map<string, string>();

  const reserveCommit = (what: string): [bigint, bigint] => {
    const reserve = num(t[i++], what);
    let commit = -1n;
    if (t[i]?.text === ",") { i++; commit = num(t[i++], what); }
    return [reserve, commit];
  };

  while (i < t.length) {
    const tok = t[i]!;
    const word = tok.text.toUpperCase();
    i++;
    switch (word) {
      case "LIBRARY":
      case "NAME": {
        kind = word === "LIBRARY" ? "library" : "name";
        if (t[i] && !isKeyword(t[i]) && t[i]!.line === tok.line && t[i]!.text.toUpperCase() !== "BASE") moduleName = t[i++]!.text;
        if (t[i]?.text.toUpperCase() === "BASE" && t[i]!.line === tok.line) {
          i++;
          if (t[i++]?.text !== "=") fail("expected BASE=<address>");
          imageBase = num(t[i++], "BASE");
        }
        break;
      }
      case "EXPORTS":
        while (i < t.length && !isKeyword(t[i])) exports.push(parseExportLine());
        break;
      case "HEAPSIZE": heap = reserveCommit("HEAPSIZE"); break;
      case "STACKSIZE": stack = reserveCommit("STACKSIZE"); break;
      case "VERSION": {
        const v = t[i++];
        const m = v && /^(\d+)(?:\.(\d+))?$/.exec(v.text);
        if (!m) fail("expected VERSION major[.minor]", v);
        version = [Number(m![1]), Number(m![2] ?? 0)];
        break;
      }
      case "SECTIONS":
        while (i < t.length && !isKeyword(t[i])) {
          const name = t[i++]!.text;
          const attrs: string[] = [];
          while (t[i] && t[i]!.line === t[i - 1]!.line && !isKeyword(t[i])) attrs.push(t[i++]!.text);
          sections.set(name, attrs.map((a) => a[0]!.toUpperCase()).join(""));
        }
        break;
      case "DESCRIPTION": case "STUB": i++; break;
      default:
        fail(`unknown directive: ${tok.text}`, tok);
    }
  }
  return { kind, moduleName, imageBase, exports, heap, stack, version, sections };

  function parseExportLine(): ExportSpec {
    const first = t[i++]!;
    let name = first.text;
    let internalName: string | undefined, forwardTo: string | undefined;
    let ordinal: number | undefined, noName = false, data = false, priv = false;
    if (t[i]?.text === "==") {
      // `name == other`: exported under another name by the import library only (EXPORTAS); kept as internal.
      i++;
      internalName = t[i++]?.text;
    } else if (t[i]?.text === "=") {
      i++;
      const target = t[i++];
      if (!target) fail("expected a name after '='", first);
      internalName = target!.text;
      // `name = dll.func` forwards the export to another DLL.
      if (/^[^.]+\.[^.]+$/.test(internalName) && !internalName.startsWith("?")) forwardTo = internalName;
    }
    while (i < t.length && t[i]!.line === first.line && !isKeyword(t[i])) {
      const tok = t[i++]!;
      const u = tok.text.toUpperCase();
      if (tok.text === "@") {
        const n = Number(num(t[i++], "an ordinal"));
        if (n < 1 || n > 0xffff) fail(`ordinal out of range: ${n}`, tok);
        ordinal = n;
      } else if (tok.text.startsWith("@")) {
        const n = Number(tok.text.slice(1));
        if (!Number.isInteger(n) || n < 1 || n > 0xffff) fail(`bad ordinal ${tok.text}`, tok);
        ordinal = n;
      } else if (u === "NONAME") noName = true;
      else if (u === "DATA" || u === "CONSTANT") data = true;
      else if (u === "PRIVATE") priv = true;
      else fail(`unexpected '${tok.text}' in EXPORTS entry for ${name}`, tok);
    }
    if (name === "") name = first.text;
    return { name, internalName: forwardTo ? undefined : internalName, forwardTo, ordinal, noName, data, private: priv, origin: fileName };
  }
}
