// C++ programs on libstdc++ and libgcc, shared (the DLLs GCC ships) and static (-static-libgcc
// -static-libstdc++), compiled by x86_64-w64-mingw32-g++ and by clang++: linked by GNU ld, ld.lld and
// linkkit-ld through the compiler driver, they run the same under wine.
import { expect, it } from "vitest";
import { compile, copyRuntimeDlls, expectLikeLld, expectSameRuns, linkAll, mingwToolchain, type Compiler } from "../harness/mingw.js";
import { describeWithTools, makeTempDir } from "../harness/toolchain.js";
import { cxxExpected, cxxProgram } from "./mingw-programs.js";

const needed = ["mingwGcc", "clang", "ldLld", "readobj", "objdump", "wine"] as const;

for (const compiler of ["gcc", "clang"] as Compiler[]) {
  describeWithTools(`linkkit-ld links C++ programs compiled by ${compiler} (x86_64)`, needed, () => {
    const b = { tc: mingwToolchain("x86_64"), compiler, cxx: true };
    const variants = [
      { name: "with libstdc++-6.dll and libgcc_s", flags: [] as string[] },
      { name: "with -static-libgcc -static-libstdc++", flags: ["-static-libgcc", "-static-libstdc++"] },
    ];
    for (const variant of variants) {
      it(`exceptions, static constructors and destructors, std::string/vector/map, iostream, thread_local, ${variant.name}`, () => {
        const dir = makeTempDir(`mingw-cxx-${compiler}`);
        const objects = compile(b, dir, cxxProgram, ["-std=c++17"]);
        const images = linkAll(b, dir, "cxx", objects, variant.flags);
        if (variant.flags.length === 0) copyRuntimeDlls(b.tc, dir);
        const r = expectSameRuns(images);
        expect(r.stdout).toBe(cxxExpected);
        expect(r.status).toBe(31);
        expectLikeLld(images);
      });
    }
  });
}
