// Writes every workspace package's package.json and tsconfig files from one base,
// so the packages cannot drift apart (the changesets repository does the same).
// Run it after adding a package or a dependency: `node scripts/sync-packages.mjs`.
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

import { workspacePackages } from "./workspace.mjs";


for (const pkg of workspacePackages) {
  const dir = join(root, pkg.dir);
  const path = join(dir, "package.json");
  const old = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  const json = {
    name: pkg.name,
    version: old.version ?? "0.1.0",
    description: pkg.description,
    keywords: pkg.keywords,
    license: "MIT",
    type: "module",
    sideEffects: false,
    engines: { node: ">=20.19" },
    ...(pkg.bin ? { bin: pkg.bin } : {}),
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./package.json": "./package.json",
    },
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    files: ["dist", "!dist/**/*.test.*", "README.md", ...(pkg.bin ? ["bin"] : [])],
    publishConfig: { access: "public" },
    repository: { type: "git", url: "git+https://example.invalid/linkkit.git", directory: pkg.dir },
    scripts: {
      build: pkg.bundle ? `tsc -p tsconfig.build.json && node ../../scripts/bundle-bins.mjs ${pkg.bundle.join(" ")}` : "tsc -p tsconfig.build.json",
      typecheck: "tsc -p tsconfig.json --noEmit",
      lint: "tsc -p tsconfig.json --noEmit",
      test: "vitest run",
    },
    dependencies: Object.fromEntries(pkg.deps.map((d) => [d, "workspace:^"])),
    // The bundler runs at build time only; the pinned version is the one vitest's vite already brings.
    ...(pkg.bundle ? { devDependencies: { rolldown: "1.2.19" } } : {}),
  };
  writeFileSync(path, JSON.stringify(json, null, 2) + "\n");
  // Tests may use node: modules; a generic package's build may not, so only the
  // app's build sees Node's types (a stray `node:` import then fails to compile).
  const lib = ["ES2022", "DOM"]; // DOM for TextEncoder/TextDecoder, which every runtime has
  const buildTypes = pkg.node ? ["node"] : [];
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { lib, types: ["node"], noEmit: true },
    include: ["src", "test"],
  }, null, 2) + "\n");
  writeFileSync(join(dir, "tsconfig.build.json"), JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { lib, types: buildTypes, outDir: "dist", rootDir: "src", noEmit: false },
    include: ["src"],
    exclude: ["src/**/*.test.ts", "src/**/__tests__"],
  }, null, 2) + "\n");
  writeFileSync(join(dir, "vitest.config.ts"),
    `import { packageTestConfig } from "../../vitest.shared.js";\n\nexport default packageTestConfig(import.meta.url);\n`);
}
console.log(`synced ${workspacePackages.length} packages`);
