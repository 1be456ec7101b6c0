// The README's main job on the bundled sample inputs (samples/): link hello.obj, util.obj and
// kernel32.lib with linkkit, the way lld-link would; relink incrementally (the second run patches the
// output in place); show the image with coffdump; run it under wine when wine is installed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "apps/linker/bin", `${name}.js`);
const out = join(tmpdir(), "linkkit-demo");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const exe = join(out, "hello.exe");

function run(command, args) {
  console.log(`\n$ ${command} ${args.map((a) => a.replace(root + "/", "")).join(" ")}`);
  // /incremental starts a link server for later runs (apps/linker/README.md): the demo's leaves soon after.
  const env = { ...process.env, LINKKIT_SERVER_IDLE_SECONDS: "30" };
  const r = spawnSync(process.execPath, [bin(command), ...args], { cwd: root, stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const link = ["/incremental", "/verbose", "/entry:mainCRTStartup", "/subsystem:console", "samples/hello.obj", "samples/util.obj", "samples/kernel32.lib", `/out:${exe}`];
run("linkkit", link);
run("linkkit", link); // nothing changed: the state is trusted, the output patched (here: nothing to write)
run("coffdump", ["--headers", exe]);
const wine = "/usr/lib/wine/wine64";
if (existsSync(wine)) {
  console.log(`\n$ wine ${exe}`);
  const r = spawnSync(wine, [exe], { stdio: "inherit", env: { ...process.env, WINEDEBUG: "-all" } });
  console.log(`(exit code ${r.status}; the same program linked by lld-link, samples/hello-lld.exe, exits with 85)`);
} else {
  console.log("\n(wine is not installed: samples/hello-lld.exe is the same program linked by lld-link, for comparison)");
}
