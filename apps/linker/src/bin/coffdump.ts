#!/usr/bin/env node
// coffdump: readobj/dumpbin for COFF objects, import objects, ar archives and PE images.
import { readFileSync } from "node:fs";
import { ALL_PARTS, dumpFile, problemOf } from "../dump/dump.js";
import { renderText } from "../dump/text.js";
import type { DumpModel, DumpSelection } from "../dump/model.js";

const USAGE = `usage: coffdump [--json] [--headers] [--sections] [--symbols] [--relocations]
                [--imports] [--exports] [--base-relocs] [--all] FILE...
Dumps COFF objects (regular and bigobj), short import objects, ar archives (.lib, .a) and PE images.
With no part selected it shows a summary suited to each kind of file.`;

interface Command {
  readonly json: boolean;
  /** undefined: each file's default parts. */
  readonly selection: DumpSelection | undefined;
  readonly files: readonly string[];
}

const partFlags = {
  "--headers": "headers", "--sections": "sections", "--symbols": "symbols", "--relocations": "relocations",
  "--imports": "imports", "--exports": "exports", "--base-relocs": "baseRelocs",
} as const;

function parseArgs(argv: readonly string[]): Command | string {
  let json = false;
  let all = false;
  const chosen = new Set<keyof DumpSelection>();
  const files: string[] = [];
  let onlyFiles = false;
  for (const arg of argv) {
    if (onlyFiles || !arg.startsWith("-") || arg === "-") files.push(arg);
    else if (arg === "--") onlyFiles = true;
    else if (arg === "--json") json = true;
    else if (arg === "--all") all = true;
    else if (Object.hasOwn(partFlags, arg)) chosen.add(partFlags[arg as keyof typeof partFlags]);
    else return `unknown option ${arg}`;
  }
  if (files.length === 0) return "no input files";
  let selection: DumpSelection | undefined;
  if (all) selection = ALL_PARTS;
  else if (chosen.size > 0) {
    selection = {
      headers: chosen.has("headers"), sections: chosen.has("sections"), relocations: chosen.has("relocations"),
      symbols: chosen.has("symbols"), imports: chosen.has("imports"), exports: chosen.has("exports"),
      baseRelocs: chosen.has("baseRelocs") ? "entries" : false,
    };
  }
  return { json, selection, files };
}

function main(argv: readonly string[]): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = parseArgs(argv);
  if (typeof command === "string") {
    process.stderr.write(`coffdump: error: ${command}\n${USAGE}\n`);
    return 1;
  }
  let status = 0;
  const fail = (file: string, problem: string): void => {
    process.stderr.write(`coffdump: error: ${file}: ${problem}\n`);
    status = 1;
  };
  const models: DumpModel[] = [];
  for (const file of command.files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      fail(file, fileProblem(error));
      continue;
    }
    let model: DumpModel;
    try {
      model = dumpFile(bytes, file, command.selection);
    } catch (error) {
      // Input errors are the user's; anything else is a coffdump bug, still shown on one line.
      fail(file, problemOf(error, file) ?? `internal error (please report): ${String(error)}`);
      continue;
    }
    // Archive members that could not be read are in the dump; they still make the run fail.
    if (model.kind === "archive") for (const m of model.members) if (m.error !== undefined) fail(`${file}(${m.name})`, m.error);
    models.push(model);
    if (!command.json) process.stdout.write((models.length > 1 ? "\n" : "") + renderText(model));
  }
  if (command.json) {
    const document = command.files.length === 1 ? models[0] ?? null : models;
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }
  return status;
}

function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

process.exitCode = main(process.argv.slice(2));
