// Before any test file runs: the shared wine prefix is created once (wineboot), so that test files
// starting their first programs at the same time never race to create it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tools, winePrefix } from "./harness/toolchain.js";

export default function setup(): void {
  if (!existsSync(tools.wine)) return;
  mkdirSync(winePrefix, { recursive: true });
  const env = { ...process.env, WINEPREFIX: winePrefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" };
  spawnSync(tools.wine, ["wineboot", "--init"], { env, stdio: "ignore", timeout: 300_000 });
  // Wait until the prefix is written and the server idle.
  spawnSync("wineserver", ["-w"], { env, stdio: "ignore", timeout: 300_000 });
}
