// Rebuilds the fixture images with the installed toolchain and checks coff-format against a fresh
// llvm-readobj, Wine's imagehlp checksum and a CRT-linked MinGW program. Skips without the tools,
// except under CI, where a missing tool is a failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  computePeChecksum,
  readBaseRelocations,
  readDebugDirectory,
  readExceptionTable,
  readImportDirectory,
  readLoadConfigSize,
  readPeImage,
  readTlsDirectory,
} from "../src/index.js";
import { expectImageMatchesReadobj, num, parseReadobj, child, prop } from "./readobj-dump.js";
import { IMAGE_FIXTURE_DIR, IMAGE_FIXTURES } from "./image-fixtures.js";
import { buildMinimalImage } from "./minimal-image.js";

const TOOLS = ["clang", "lld-link", "llvm-dlltool", "llvm-readobj", "x86_64-w64-mingw32-gcc"];
const WINE = "/usr/lib/wine/wine64";
const inCi = process.env.CI === "true";
const has = (tool: string) => spawnSync(tool.startsWith("/") ? tool : "sh", tool.startsWith("/") ? ["--version"] : ["-c", `command -v ${tool}`]).status === 0;
const missing = TOOLS.filter((t) => !has(t));
const haveToolchain = missing.length === 0 || inCi;
const haveWine = has(WINE) || inCi;

let out = "";
const run = (file: string, args: string[], options: { cwd?: string } = {}) =>
  execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
const winePath = (path: string) => `Z:${path.replaceAll("/", "\\")}`;
const wineEnv = { ...process.env, WINEPREFIX: process.env.WINEPREFIX ?? "/tmp/linkkit-wine", WINEDEBUG: "-all" };

describe.skipIf(!haveToolchain)("PE images from the installed toolchain", () => {
  beforeAll(() => {
    if (missing.length > 0) throw new Error(`CI needs these tools for the image tests: ${missing.join(", ")}`);
    out = mkdtempSync(join(tmpdir(), "linkkit-images-"));
    run("bash", [join(IMAGE_FIXTURE_DIR, "build.sh"), out]);
  });
  afterAll(() => {
    if (out !== "") rmSync(out, { recursive: true, force: true });
  });

  for (const name of IMAGE_FIXTURES) {
    it(`${name} equals a fresh llvm-readobj dump`, () => {
      const image = readPeImage(new Uint8Array(readFileSync(join(out, name))), { fileName: name });
      expectImageMatchesReadobj(image, readFileSync(join(out, `${name}.readobj.txt`), "utf8"));
    });
  }

  for (const format of ["PE32", "PE32+"] as const) {
    it(`an image built by the writers alone (${format}) reads in llvm-readobj as it was written`, () => {
      const bytes = buildMinimalImage(format, 42);
      const name = `minimal-${format === "PE32" ? "32" : "64"}.exe`;
      writeFileSync(join(out, name), bytes);
      const dump = run("llvm-readobj", ["--file-headers", "--sections", "--coff-imports", "--coff-exports", "--coff-basereloc", name], { cwd: out });
      expectImageMatchesReadobj(readPeImage(bytes), dump);
    });
  }

  it("reads a CRT-linked MinGW program: TLS, .CRT, msvcrt imports, .pdata", () => {
    const exe = join(out, "hello-crt.exe");
    run("x86_64-w64-mingw32-gcc", ["-O1", join(IMAGE_FIXTURE_DIR, "src/hello-crt.c"), "-o", exe]);
    const bytes = new Uint8Array(readFileSync(exe));
    const image = readPeImage(bytes, { fileName: "hello-crt.exe" });
    const dump = run("llvm-readobj", ["--file-headers", "--sections", "--coff-imports", "--coff-exports", "--coff-basereloc", "hello-crt.exe"], { cwd: out });
    expectImageMatchesReadobj(image, dump);
    expect(readImportDirectory(image).map((d) => d.dllName.toLowerCase())).toContain("msvcrt.dll");
    expect(readBaseRelocations(image).sorted.length).toBeGreaterThan(0);
    expect(readExceptionTable(image).length).toBeGreaterThan(0);
    expect(() => readDebugDirectory(image)).not.toThrow();
    expect(() => readLoadConfigSize(image)).not.toThrow();
    const tls = readTlsDirectory(image)!;
    const tlsDump = child(parseReadobj(run("llvm-readobj", ["--coff-tls-directory", "hello-crt.exe"], { cwd: out })), "TLSDirectory");
    expect(tls.startAddressOfRawData).toBe(BigInt(prop(tlsDump, "StartAddressOfRawData")));
    expect(tls.endAddressOfRawData).toBe(BigInt(prop(tlsDump, "EndAddressOfRawData")));
    expect(tls.addressOfIndex).toBe(BigInt(prop(tlsDump, "AddressOfIndex")));
    expect(tls.addressOfCallBacks).toBe(BigInt(prop(tlsDump, "AddressOfCallBacks")));
    expect(tls.sizeOfZeroFill).toBe(num(prop(tlsDump, "SizeOfZeroFill")));
    expect(tls.callbacks.length).toBeGreaterThan(0);
    for (const va of tls.callbacks) expect(image.sectionOfRva(image.vaToRva(va))?.name).toBe(".text");
    // GNU ld fills in the checksum.
    expect(computePeChecksum(bytes)).toBe(image.optionalHeader.CheckSum);
  });

  describe.skipIf(!haveWine)("under Wine", () => {
    it("the fixture program runs", () => {
      const result = spawnSync(WINE, ["app.exe"], { cwd: join(out, "x64"), env: wineEnv, encoding: "utf8", timeout: 60_000 });
      expect(result.stdout).toContain("hello from linkkit");
      expect(result.status).toBe(0);
    });

    it("an image built by the writers alone runs (exit code from its entry point)", () => {
      const exe = join(out, "minimal-run.exe");
      writeFileSync(exe, buildMinimalImage("PE32+", 42));
      const result = spawnSync(WINE, [exe], { env: wineEnv, encoding: "utf8", timeout: 60_000 });
      expect(result.status).toBe(42);
    });

    it("the checksum equals imagehlp's MapFileAndCheckSumA for every image", () => {
      const tool = join(out, "pechecksum.exe");
      run("x86_64-w64-mingw32-gcc", ["-Os", "-s", join(IMAGE_FIXTURE_DIR, "src/pechecksum.c"), "-limagehlp", "-o", tool]);
      const images = IMAGE_FIXTURES.map((name) => join(out, name));
      const result = spawnSync(WINE, [tool, ...images.map(winePath)], { env: wineEnv, encoding: "utf8", timeout: 60_000 });
      const lines = result.stdout.trim().split(/\r?\n/);
      expect(lines.length).toBe(images.length);
      lines.forEach((line, i) => {
        const [rc, header, computed] = line.split(" ");
        expect(rc).toBe("0");
        const bytes = new Uint8Array(readFileSync(images[i]!));
        expect(computePeChecksum(bytes), images[i]).toBe(Number(computed));
        expect(readPeImage(bytes).optionalHeader.CheckSum).toBe(Number(header));
      });
    });
  });
});
