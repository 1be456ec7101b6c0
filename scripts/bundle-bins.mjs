// Bundles built commands into one file each: dist/bin/NAME.js and every module it imports (the workspace
// packages included) become dist/bundle/NAME.mjs. Node then loads one module instead of about sixty, which
// is most of linkkit's start-up after Node's own. The launchers in bin/ run the bundle while it is fresh.
//
//   node ../../scripts/bundle-bins.mjs linkkit linkkit-ld     (from the package directory, after tsc)
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

// The bundler is the package's own devDependency: resolve it from the package being built.
const { rolldown } = await import(pathToFileURL(createRequire(join(process.cwd(), "package.json")).resolve("rolldown")).href);

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("usage: node scripts/bundle-bins.mjs NAME... (bundles dist/bin/NAME.js into dist/bundle/NAME.mjs)");
  process.exit(2);
}
const outDir = join(process.cwd(), "dist", "bundle");
mkdirSync(outDir, { recursive: true });
for (const name of names) {
  const bundle = await rolldown({ input: join(process.cwd(), "dist", "bin", `${name}.js`), platform: "node", logLevel: "warn" });
  const { output } = await bundle.write({ file: join(outDir, `${name}.mjs`), format: "esm", sourcemap: false });
  await bundle.close();
  // What the bundle was made from, so a launcher can tell when a later `tsc` run left it stale.
  const inputs = output[0].moduleIds.filter((id) => !id.startsWith("\0") && !id.startsWith("node:"));
  writeFileSync(join(outDir, `${name}.inputs.json`), JSON.stringify(inputs.map((id) => relative(outDir, id))) + "\n");
}
