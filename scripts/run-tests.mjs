// Runs every package's tests through turbo, then prints one closing line that sums them up
// ("tests: N passed, N failed, N skipped") from the JSON reports vitest leaves in each package.
import { spawnSync } from "node:child_process";
import { readFileSync, existsSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { workspacePackages } from "./workspace.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const reportName = ".vitest-report.json";
for (const pkg of workspacePackages) rmSync(join(root, pkg.dir, reportName), { force: true });

const turbo = spawnSync("pnpm", ["exec", "turbo", "run", "test", "--concurrency=1", ...process.argv.slice(2)], {
  cwd: root, stdio: "inherit",
});

let passed = 0, failed = 0, skipped = 0, missing = [];
for (const pkg of workspacePackages) {
  const path = join(root, pkg.dir, reportName);
  if (!existsSync(path)) { missing.push(pkg.name); continue; }
  const report = JSON.parse(readFileSync(path, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
if (missing.length > 0) console.log(`(no test report from: ${missing.join(", ")})`);
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status ?? 1);
