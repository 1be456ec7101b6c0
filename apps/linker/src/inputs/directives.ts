// `.drectve` sections: the linker options a compiler embeds in an object (MSVC's #pragma comment(lib),
// __declspec(dllexport), /alternatename from the CRT headers).
import { splitWindowsCommandLine } from "../driver/response-file.js";
import { parseExportArgument } from "../driver/lld-link-args.js";
import type { ExportSpec, LinkOptions, Subsystem } from "../options.js";

export interface Directives {
  readonly defaultLibs: readonly string[];
  readonly includes: readonly string[];
  readonly exports: readonly ExportSpec[];
  readonly alternateNames: ReadonlyMap<string, string>;
  readonly merges: ReadonlyMap<string, string>;
  readonly entry: string | undefined;
  readonly subsystem: LinkOptions["subsystem"];
  readonly warnings: readonly string[];
}

/** Directives that carry no meaning for the image linkkit writes. */
const ignored = new Set(["failifmismatch", "manifestdependency", "guardsym", "nodefaultlib", "throwingnew", "editandcontinue", "disallowlib", "stack", "heap", "release"]);

/** How an export from an object's directives names where it came from (updates find them by it). */
export function directiveOrigin(objectName: string): string {
  return `${objectName} (.drectve)`;
}

export function parseDirectives(text: string, origin: string): Directives {
  const defaultLibs: string[] = [], includes: string[] = [], exports: ExportSpec[] = [], warnings: string[] = [];
  const alternateNames = new Map<string, string>(), merges = new Map<string, string>();
  let entry: string | undefined, subsystem: Subsystem | undefined;
  for (const arg of splitWindowsCommandLine(text)) {
    if (arg[0] !== "/" && arg[0] !== "-") { warnings.push(`ignoring directive '${arg}'`); continue; }
    const body = arg.slice(1);
    const colon = body.indexOf(":");
    const name = (colon < 0 ? body : body.slice(0, colon)).toLowerCase();
    const value = colon < 0 ? "" : body.slice(colon + 1);
    switch (name) {
      case "defaultlib": defaultLibs.push(value); break;
      case "include": includes.push(value); break;
      case "export": exports.push(parseExportArgument(value, directiveOrigin(origin))); break;
      case "alternatename": {
        const eq = value.indexOf("=");
        if (eq > 0) alternateNames.set(value.slice(0, eq), value.slice(eq + 1));
        else warnings.push(`malformed /alternatename:${value}`);
        break;
      }
      case "merge": {
        const eq = value.indexOf("=");
        if (eq > 0) merges.set(value.slice(0, eq), value.slice(eq + 1));
        break;
      }
      case "entry": entry = value; break;
      case "subsystem": subsystem = value.split(",")[0]!.toLowerCase() as Subsystem; break;
      default:
        if (!ignored.has(name)) warnings.push(`ignoring unknown directive '${arg}'`);
    }
  }
  return { defaultLibs, includes, exports, alternateNames, merges, entry, subsystem, warnings };
}

/** Whether two directive texts mean the same apart from their exports (an update can apply those). */
export function sameDirectivesApartFromExports(a: string, b: string, origin: string): boolean {
  const key = (text: string) => {
    const d = parseDirectives(text, origin);
    return JSON.stringify([d.defaultLibs, d.includes, [...d.alternateNames], [...d.merges], d.entry, d.subsystem]);
  };
  return a.trim() === b.trim() || key(a) === key(b);
}
