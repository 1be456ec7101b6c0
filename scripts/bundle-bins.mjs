// Bundles built commands into one file each: dist/bin/NAME.js and every module it imports (the workspace
// packages included) become dist/bundle/NAME.cjs. Node then compiles one script instead of loading about
// sixty ES modules, and the launchers in bin/ can keep V8's code cache for it (bin/fresh-bundle.js).
// CommonJS because Node 20 offers a code cache only for scripts (vm.Script cachedData), not ES modules.
//
//   node ../../scripts/bundle-bins.mjs linkkit linkkit-ld     (from the package directory, after tsc)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

// The bundler is the package's own devDependency: resolve it from the package being built.
const { rolldown } = await import(pathToFileURL(createRequire(join(process.cwd(), "package.json")).resolve("rolldown")).href);

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("usage: node scripts/bundle-bins.mjs NAME... (bundles dist/bin/NAME.js into dist/bundle/NAME.cjs)");
  process.exit(2);
}
const outDir = join(process.cwd(), "dist", "bundle");
mkdirSync(outDir, { recursive: true });
for (const name of names) {
  const file = join(outDir, `${name}.cjs`);
  const bundle = await rolldown({ input: join(process.cwd(), "dist", "bin", `${name}.js`), platform: "node", logLevel: "warn" });
  const { output } = await bundle.write({ file, format: "cjs", sourcemap: false });
  await bundle.close();
  // The launcher hands the bundle its own `require`, which can load Node's modules and nothing else.
  const external = output[0].imports.filter((id) => !id.startsWith("node:"));
  if (external.length > 0) throw new Error(`${name}: the bundle imports ${external.join(", ")}; only node: modules can stay outside it`);
  // The launcher compiles the text as a function body, where a `#!` line is a syntax error. Characters
  // past ASCII (in comments, and in strings where an escape means the same) become \u escapes: the
  // launcher reads an ASCII bundle as Latin-1, which makes a one-byte string, not a UTF-8 decoding
  // into a two-byte one (~1 ms less of every run's start).
  const text = readFileSync(file, "utf8").replace(/^#!.*\n/, "");
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  // Code caches of the previous bundle (one per set of Node flags: bin/fresh-bundle.js).
  for (const f of readdirSync(outDir)) if (f.startsWith(`${name}.cjs.`) && f.endsWith(".cache")) rmSync(join(outDir, f), { force: true });
  // What the bundle was made from, so a launcher can tell when a later `tsc` run left it stale.
  // With each input's hash: a build cache (turbo) restores files in any order, so an input may be newer
  // than the bundle and still be what the bundle was made from.
  const inputs = output[0].moduleIds.filter((id) => !id.startsWith("\0") && !id.startsWith("node:"));
  const record = inputs.map((id) => ({ path: relative(outDir, id), sha1: createHash("sha1").update(readFileSync(id)).digest("hex") }));
  writeFileSync(join(outDir, `${name}.inputs.json`), JSON.stringify(record) + "\n");
}
