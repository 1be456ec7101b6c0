// The architecture's rules that the compiler cannot check (see ../shared/DESIGN.md):
// - packages/* run everywhere: no `node:` imports (or bare Node built-ins) in their sources;
// - the generic packages know nothing of COFF: no import of coff-format or pe-writer, no PE/COFF identifiers;
// - no package reaches into another's internals (`@linkkit/x/src/...` or relative paths across packages);
// - .ci/run ends with the README's test command (the line after "# install, build, and run every test").
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const generic = ["strtab", "ar", "atom-allocator", "symbol-resolver"];
const nodeBuiltins = /from\s+["'](node:[^"']+|fs|path|os|child_process|url|crypto|worker_threads)["']/;
const coffWords = /\b(IMAGE_[A-Z_]+|@linkkit\/coff-format|@linkkit\/pe-writer|COFF_|coff-format)\b/;
const crossInternal = /from\s+["'](@linkkit\/[a-z-]+\/|\.\.\/\.\.\/)/;

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) yield path;
  }
}

const problems = [];
for (const pkg of readdirSync(join(root, "packages"))) {
  const src = join(root, "packages", pkg, "src");
  let files;
  try { files = [...sources(src)]; } catch { continue; }
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    text.split("\n").forEach((line, i) => {
      const at = `${relative(root, file)}:${i + 1}`;
      if (nodeBuiltins.test(line)) problems.push(`${at}: packages must not import Node built-ins: ${line.trim()}`);
      if (crossInternal.test(line)) problems.push(`${at}: import another package through its public exports only: ${line.trim()}`);
      if (generic.includes(pkg) && coffWords.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line)) {
        problems.push(`${at}: ${pkg} is format-agnostic and must not know COFF: ${line.trim()}`);
      }
    });
  }
}
// CI runs what the README tells a newcomer to run: the two must not drift apart.
const readmeLines = readFileSync(join(root, "README.md"), "utf8").split("\n");
const testCommand = readmeLines[readmeLines.indexOf("# install, build, and run every test") + 1];
const ciCommand = readFileSync(join(root, ".ci", "run"), "utf8").trimEnd().split("\n").pop();
if (testCommand === undefined || ciCommand !== testCommand) {
  problems.push(`.ci/run: its last line is '${ciCommand}', the README's test command is '${testCommand}'`);
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`\nlint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log("lint: architecture rules hold");
