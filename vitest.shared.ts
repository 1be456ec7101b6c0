// One vitest configuration for every package: tests import sibling packages from
// their sources (no build needed while iterating), and slow toolchain tests get room.
import { defineConfig } from "vitest/config";
import { readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));

function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const group of ["packages", "apps"]) {
    for (const dir of readdirSync(join(root, group))) {
      const src = join(root, group, dir, "src", "index.ts");
      if (existsSync(src)) aliases[`@linkkit/${dir}`] = src;
    }
  }
  return aliases;
}

export function packageTestConfig(configUrl: string) {
  // A package may prepare shared fixtures once for all its test files (apps/linker: the wine prefix).
  const globalSetup = join(dirname(fileURLToPath(configUrl)), "test", "global-setup.ts");
  return defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 120_000,
      hookTimeout: 300_000,
      pool: "forks",
      globalSetup: existsSync(globalSetup) ? [globalSetup] : [],
      // The JSON report feeds scripts/run-tests.mjs, which prints one closing line for the whole workspace.
      reporters: ["default", "json"],
      outputFile: { json: ".vitest-report.json" },
    },
  });
}
