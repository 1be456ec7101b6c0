// The i686 MinGW targets: leading underscores, stdcall decorations, DWARF-2 unwinding (libgcc_s_dw2).
// 32-bit wine does not install here, so each program linked by linkkit-ld is checked against ld.lld's
// link of the same objects: llvm-readobj reads both with the same imports and exports, and every
// function disassembles the same with its operands turned into symbol+offset.
import { join } from "node:path";
import { expect, it } from "vitest";
import { readobjFacts } from "../harness/linkers.js";
import { compile, expectLikeLld, link, mingwToolchain, type Build, type Compiler } from "../harness/mingw.js";
import { normalizeMingwImage } from "../harness/mingw-disasm.js";
import { describeWithTools, makeTempDir } from "../harness/toolchain.js";
import { cProgram, cxxProgram, stdcallDll, stdcallFixup, threadProgram } from "./mingw-programs.js";

const needed = ["mingwGcc32", "clang", "ldLld", "readobj", "objdump"] as const;

function linkPair(b: Build, dir: string, name: string, objects: readonly string[], flags: readonly string[] = [], ext = ".exe") {
  const images = { linkkit: join(dir, `${name}.linkkit${ext}`), lld: join(dir, `${name}.lld${ext}`) };
  link(b, "linkkit", { objects, out: images.linkkit, flags, map: true });
  link(b, "lld", { objects, out: images.lld, flags, map: true });
  return images;
}

for (const compiler of ["gcc", "clang"] as Compiler[]) {
  describeWithTools(`linkkit-ld links i686 programs compiled by ${compiler}, like ld.lld`, needed, () => {
    const c = { tc: mingwToolchain("i686"), compiler, cxx: false };
    const cxx = { ...c, cxx: true };

    it("C with the C runtime, and threads with thread-local variables and a TLS callback", () => {
      const dir = makeTempDir(`mingw32-c-${compiler}`);
      expectLikeLld(linkPair(c, dir, "cprog", compile(c, dir, cProgram)));
      expectLikeLld(linkPair(c, dir, "threads", compile(c, dir, threadProgram)));
    });

    it("the stdcall fixup joins _twice to _twice@4 as GNU ld does (ld.lld 14 has none): with a warning, silently with --enable-stdcall-fixup", () => {
      const dir = makeTempDir(`mingw32-fixup-${compiler}`);
      const objects = compile(c, dir, stdcallFixup);
      const image = join(dir, "fixup.exe");
      const warned = link(c, "linkkit", { objects, out: image, map: true });
      expect(warned).toMatch(/warning: resolving _twice by linking to _twice@4/);
      expect(link(c, "linkkit", { objects, out: join(dir, "quiet.exe"), flags: ["-Wl,--enable-stdcall-fixup"] })).not.toMatch(/resolving/);
      link(c, "gnu", { objects, out: join(dir, "fixup.gnu.exe") });
      const ours = readobjFacts(image), gnu = readobjFacts(join(dir, "fixup.gnu.exe"));
      expect(ours.errors).toBe("");
      expect(ours.imports).toEqual(gnu.imports);
      const main = normalizeMingwImage(image, `${image}.map`).functions.get(`_main (fixupmain.${compiler}.o)`)!;
      expect(main.some((i) => /^call\S* <[^>]*!_twice@4[|>]/.test(i))).toBe(true);
    });

    it("C++ with shared and with static libstdc++ and libgcc (DWARF-2 unwinding)", () => {
      const dir = makeTempDir(`mingw32-cxx-${compiler}`);
      const objects = compile(cxx, dir, cxxProgram, ["-std=c++17"]);
      // GNU ld, and linkkit-ld after it, import the frame registration functions crtbegin.o refers to
      // weakly once libgcc_s's import library is loaded for other names; ld.lld leaves them out.
      const frameInfo = ["libgcc_s_dw2-1.dll!__register_frame_info", "libgcc_s_dw2-1.dll!__deregister_frame_info"];
      expectLikeLld(linkPair(cxx, dir, "cxx", objects), { extraImports: frameInfo });
      expectLikeLld(linkPair(cxx, dir, "cxx-static", objects, ["-static-libgcc", "-static-libstdc++"]));
    });

    it("a DLL of stdcall functions exported undecorated by --kill-at, and its user through the import library", () => {
      const dir = makeTempDir(`mingw32-dll-${compiler}`);
      const [dllObject, userObject] = compile(c, dir, stdcallDll);
      const dlls = { linkkit: join(dir, "linkkit"), lld: join(dir, "lld") };
      for (const [linker, sub] of Object.entries(dlls) as ["linkkit" | "lld", string][]) {
        link(c, linker, { objects: [dllObject!], out: join(dir, `stdcall.${linker}.dll`), flags: ["-shared", "-Wl,--kill-at", `-Wl,--out-implib,${sub}.dll.a`], map: true });
      }
      const images = { linkkit: join(dir, "stdcall.linkkit.dll"), lld: join(dir, "stdcall.lld.dll") };
      expectLikeLld(images);
      const exe = linkPair(c, dir, "user", [userObject!], [`${dlls.linkkit}.dll.a`]);
      expectLikeLld(exe);
      // --kill-at: the DLL exports, and the exe imports, the names without their @N decorations.
      expect(readobjFacts(images.linkkit).exports.map((e) => e.replace(/^\d+:/, ""))).toEqual(["counter", "plain_add", "scaled_sum", "set_counter"]);
      expect(readobjFacts(exe.linkkit).imports.filter((i) => i.startsWith("stdcall"))).toEqual(
        ["stdcall.linkkit.dll!counter", "stdcall.linkkit.dll!plain_add", "stdcall.linkkit.dll!scaled_sum", "stdcall.linkkit.dll!set_counter"]);
    });
  });
}
