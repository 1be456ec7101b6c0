// The README's main job on the bundled sample inputs: dump a sample object and the reference image.
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const coffdump = join(root, "apps/linker/dist/bin/coffdump.js");

function run(args) {
  console.log(`\n$ coffdump ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [coffdump, ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
run(["samples/hello.obj"]);
run(["samples/hello-lld.exe"]);
