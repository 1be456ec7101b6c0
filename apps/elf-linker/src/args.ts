// GNU ld's command line, the subset a static x86-64 link needs; anything else is an error, not silently ignored.
import { ElfLinkError } from "./errors.js";

export type InputSpec = { readonly kind: "file"; readonly path: string } | { readonly kind: "library"; readonly name: string };

export interface ElfLinkOptions {
  readonly inputs: readonly InputSpec[];
  readonly output: string;
  readonly libraryPaths: readonly string[];
  readonly entry: string;
  readonly gcSections: boolean;
  readonly stripAll: boolean;
  readonly printGcSections: boolean;
  readonly verbose: boolean;
  /** `--version` / `-v`: print the version and link nothing if there are no inputs. */
  readonly version: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: linkkit-elf [options] file...
  -o FILE, --output=FILE      write the executable to FILE (default a.out)
  -L DIR, --library-path=DIR  search DIR for -l libraries
  -l NAME, --library=NAME     link libNAME.a
  -e SYMBOL, --entry=SYMBOL   start execution at SYMBOL (default _start)
  --gc-sections               drop sections nothing live refers to
  --no-gc-sections            keep every section (default)
  --print-gc-sections         list the sections --gc-sections dropped
  -s, --strip-all             write no .symtab
  -static, -Bstatic, -no-pie  accepted: the output is always a static ET_EXEC
  -m elf_x86_64               accepted: the only emulation
  -z noexecstack              accepted: the stack is never executable
  --verbose, -v, --version, --help
`;

/** Parses GNU ld arguments. Options taking a value accept `-o x`, `-ox`, `--output=x` and `--output x`. */
export function parseArgs(argv: readonly string[]): ElfLinkOptions {
  const inputs: InputSpec[] = [];
  const libraryPaths: string[] = [];
  let output = "a.out";
  let entry = "_start";
  let gcSections = false;
  let stripAll = false;
  let printGcSections = false;
  let verbose = false;
  let version = false;
  let help = false;
  const errors: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (short: string, long: string): string | undefined => {
      // GNU ld accepts single-dash long options too (-entry=x), but keep to the documented spellings.
      for (const prefix of [`--${long}=`, `-${long}=`]) if (arg.startsWith(prefix)) return arg.slice(prefix.length);
      if (arg === `--${long}` || arg === `-${long}` || arg === `-${short}`) {
        const next = argv[++i];
        if (next === undefined) {
          errors.push(`${arg}: missing argument`);
          return "";
        }
        return next;
      }
      if (short.length === 1 && arg.startsWith(`-${short}`) && !arg.startsWith("--")) return arg.slice(2);
      return undefined;
    };
    if (!arg.startsWith("-") || arg === "-") {
      inputs.push({ kind: "file", path: arg });
      continue;
    }
    let v: string | undefined;
    switch (arg) {
      case "--gc-sections": gcSections = true; continue;
      case "--no-gc-sections": gcSections = false; continue;
      case "--print-gc-sections": printGcSections = true; continue;
      case "--no-print-gc-sections": printGcSections = false; continue;
      case "-s": case "--strip-all": stripAll = true; continue;
      case "-static": case "--static": case "-Bstatic": case "-dn": case "-non_shared": case "-no-pie": case "--no-pie": continue;
      case "--verbose": verbose = true; continue;
      case "-v": case "-V": case "--version": version = true; continue;
      case "--help": help = true; continue;
      case "-m": {
        const emulation = argv[++i];
        if (emulation !== "elf_x86_64") errors.push(`unknown emulation: ${emulation ?? "(missing)"}: linkkit-elf supports elf_x86_64 only`);
        continue;
      }
      case "-melf_x86_64": continue;
      case "-z": {
        const keyword = argv[++i];
        if (keyword !== "noexecstack") errors.push(`unsupported -z keyword: ${keyword ?? "(missing)"}: only noexecstack is accepted`);
        continue;
      }
    }
    if ((v = value("o", "output")) !== undefined) output = v;
    else if ((v = value("L", "library-path")) !== undefined) libraryPaths.push(v);
    else if ((v = value("l", "library")) !== undefined) inputs.push({ kind: "library", name: v });
    else if ((v = value("e", "entry")) !== undefined) entry = v;
    else errors.push(`unknown argument '${arg}'`);
  }
  if (errors.length > 0) throw new ElfLinkError(errors);
  if (inputs.length === 0 && !version && !help) throw new ElfLinkError("no input files");
  return { inputs, output, libraryPaths, entry, gcSections, stripAll, printGcSections, verbose, version, help };
}
