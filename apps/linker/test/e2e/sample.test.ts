// The bundled sample (README's main job) links and behaves like lld-link's image.
import { join } from "node:path";
import { expect, it } from "vitest";
import { describeWithTools, makeTempDir } from "../harness/toolchain.js";
import { expectSameCode, expectSameImportsAndExports, expectSameRun, linkBoth } from "../harness/linkers.js";

const samples = join(__dirname, "..", "..", "..", "..", "samples");

describeWithTools("bundled sample", ["lldLink", "readobj", "objdump", "wine"], () => {
  it("links hello.obj + util.obj + kernel32.lib and runs like lld-link's image", () => {
    const dir = makeTempDir("sample");
    const linked = linkBoth(dir, "hello", ["/entry:mainCRTStartup", "/subsystem:console", join(samples, "hello.obj"), join(samples, "util.obj"), join(samples, "kernel32.lib")]);
    const run = expectSameRun(linked);
    expect(run.status).toBe(85);
    expect(run.stdout).toBe("hello from linkkit\n");
    expectSameImportsAndExports(linked);
    expectSameCode(linked);
  });
});
