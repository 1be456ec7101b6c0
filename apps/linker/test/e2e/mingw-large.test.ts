// A larger real program: Duktape, an ECMAScript engine of about 100,000 lines of C (Debian's duktape-dev
// ships it as one file; .ci/run installs it), driven by a script of checks. Compiled by gcc and by clang
// (objects cached between runs), linked by GNU ld, ld.lld and linkkit-ld, run under wine: the same output.
// The i686 build by gcc is compared with ld.lld's image instead.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileCached, compileOne, expectLikeLld, expectSameRuns, link, linkAll, mingwToolchain, type Build } from "../harness/mingw.js";
import { describeWithTools, inCI, makeTempDir } from "../harness/toolchain.js";
import { duktapeDriver } from "./mingw-programs.js";

const duktapeDir = "/usr/share/duktape";
const haveDuktape = existsSync(join(duktapeDir, "duktape.c"));

const expected = `fib 17711
json {"name":"linkkit","list":[3,1,2],"nested":{"pi":3.141592653589793,"yes":true,"no":null}}
sorted 1,3,5,7,9,10
reduce 30
regexp someone example a+b+c x|y|z|
numbers 0.33333 ff 1e+21 0.30000000000000004 123.5 31 3500
math 1414213 2718 8 1.414214
date 2020-02-29T12:30:00.000Z
errors TypeError RangeError:thrown from C with 7 finally inner TypeError
prototype rex makes a sound: woof true
freq brown=1 dog=1 end=1 fox=1 jumps=1 lazy=1 over=1 quick=1 the=3
typed 252 63 248
labels 2 3 Hi 98 a%20b%26c %E9
failures: 0
`;

function describeWithDuktape(name: string, body: () => void): void {
  if (haveDuktape) describeWithTools(name, ["mingwGcc", "mingwGcc32", "clang", "ldLld", "readobj", "objdump", "wine"], body);
  else if (inCI) describe(name, () => it("has duktape-dev", () => { throw new Error(`CI=true but ${duktapeDir}/duktape.c is missing (apt-get install duktape-dev)`); }));
  else describe.skip(`${name} (skipped: no ${duktapeDir}/duktape.c; apt-get install duktape-dev)`, body);
}

describeWithDuktape("linkkit-ld links Duktape, a larger real C program", () => {
  const builds: Build[] = [
    { tc: mingwToolchain("x86_64"), compiler: "gcc", cxx: false },
    { tc: mingwToolchain("x86_64"), compiler: "clang", cxx: false },
    { tc: mingwToolchain("i686"), compiler: "gcc", cxx: false },
  ];
  const engine = new Map<Build, string>();
  beforeAll(async () => {
    // Both cores: the three compilations at once, each once per compiler version and source.
    const objects = await Promise.all(builds.map((b) => compileCached(b, join(duktapeDir, "duktape.c"), ["-I", duktapeDir, "-fno-strict-aliasing"])));
    builds.forEach((b, i) => engine.set(b, objects[i]!));
  }, 600_000);

  const driver = (b: Build, dir: string) => {
    writeFileSync(join(dir, "dukcheck.c"), duktapeDriver);
    const obj = join(dir, `dukcheck.${b.compiler}.o`);
    compileOne(b, join(dir, "dukcheck.c"), obj, ["-I", duktapeDir]);
    return obj;
  };

  for (const b of builds.slice(0, 2)) {
    it(`compiled by ${b.compiler} (x86_64): runs the same as with GNU ld and ld.lld`, () => {
      const dir = makeTempDir(`mingw-duktape-${b.compiler}`);
      const images = linkAll(b, dir, "dukcheck", [driver(b, dir), engine.get(b)!]);
      const r = expectSameRuns(images);
      expect(r.stdout).toBe(expected);
      expect(r.status).toBe(21);
      expectLikeLld(images);
    });
  }

  it("compiled by gcc (i686): the same image as ld.lld's, up to layout", () => {
    const b = builds[2]!;
    const dir = makeTempDir("mingw32-duktape");
    const objects = [driver(b, dir), engine.get(b)!];
    const images = { linkkit: join(dir, "dukcheck.linkkit.exe"), lld: join(dir, "dukcheck.lld.exe") };
    link(b, "linkkit", { objects, out: images.linkkit, map: true });
    link(b, "lld", { objects, out: images.lld, map: true });
    expectLikeLld(images);
  });
});
