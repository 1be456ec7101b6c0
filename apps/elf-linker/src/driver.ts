// The command: GNU ld arguments in, files read and libraries searched, the executable written atomically.
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, USAGE, type ElfLinkOptions } from "./args.js";
import { ElfLinkError } from "./errors.js";
import { ElfLinker, type InputFile } from "./linker.js";

const VERSION = "linkkit-elf 0.1.0 (compatible with GNU linkers)";

function readInput(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `-lNAME`: libNAME.a in each -L directory in order (a static link never uses libNAME.so). */
export function findLibrary(name: string, paths: readonly string[]): string {
  const file = name.startsWith(":") ? name.slice(1) : `lib${name}.a`;
  for (const dir of paths) {
    const candidate = join(dir, file);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new ElfLinkError(`unable to find library -l${name}`);
}

export function loadInputs(options: ElfLinkOptions): InputFile[] {
  const errors: string[] = [];
  const files: InputFile[] = [];
  for (const input of options.inputs) {
    try {
      const path = input.kind === "file" ? input.path : findLibrary(input.name, options.libraryPaths);
      if (!existsSync(path)) throw new ElfLinkError(`cannot open ${path}: No such file or directory`);
      files.push({ name: path, bytes: readInput(path) });
    } catch (error) {
      if (error instanceof ElfLinkError) errors.push(...error.messages);
      else throw error;
    }
  }
  if (errors.length > 0) throw new ElfLinkError(errors);
  return files;
}

/** Runs linkkit-elf with `argv`; returns the exit code. Messages go to `stderr`, as GNU ld's do. */
export function runLinkkitElf(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  try {
    const options = parseArgs(argv);
    if (options.help) {
      out(USAGE);
      return 0;
    }
    if (options.version) {
      out(`${VERSION}\n`);
      if (options.inputs.length === 0) return 0;
    }
    const linker = new ElfLinker(loadInputs(options), {
      entry: options.entry, gcSections: options.gcSections, stripAll: options.stripAll, readFile: readInput,
    });
    const result = linker.link();
    for (const w of result.warnings) err(`linkkit-elf: ${w.startsWith("warning:") ? w : `warning: ${w}`}\n`);
    if (options.printGcSections) for (const s of result.gcDropped) err(`linkkit-elf: removing unused section '${s}'\n`);
    // A temporary file, then rename: a failed link never leaves a half-written executable.
    const temp = `${options.output}.linkkit-${process.pid}.tmp`;
    try {
      writeFileSync(temp, result.bytes);
      chmodSync(temp, 0o755);
      renameSync(temp, options.output);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    if (options.verbose) err(`linkkit-elf: wrote ${options.output} (${result.bytes.length} bytes)\n`);
    return 0;
  } catch (error) {
    if (error instanceof Error && (error.name === "ElfLinkError" || error.name === "ElfFormatError" || error.name === "ArchiveFormatError")) {
      const text = error.message.split("\n").map((line) => (line.startsWith("error:") || line.startsWith(">>>") ? line : `error: ${line}`)).join("\n");
      err(`${text.split("\n").map((l) => (l.startsWith(">>>") ? l : `linkkit-elf: ${l}`)).join("\n")}\n`);
      return 1;
    }
    err(`linkkit-elf: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}
