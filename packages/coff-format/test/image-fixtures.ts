// The committed PE fixtures (see test/fixtures/images/README.md), loaded once per test file.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const IMAGE_FIXTURE_DIR = fileURLToPath(new URL("./fixtures/images/", import.meta.url));
export const IMAGE_FIXTURES = [
  "x64/testlib.dll", "x64/app.exe", "x64/app-delay.exe", "x86/testlib.dll", "x86/app.exe", "mingw/hello.exe",
] as const;
export type ImageFixture = (typeof IMAGE_FIXTURES)[number];

export function fixtureBytes(name: ImageFixture): Uint8Array {
  return new Uint8Array(readFileSync(IMAGE_FIXTURE_DIR + name));
}

export function fixtureDump(name: ImageFixture): string {
  return readFileSync(`${IMAGE_FIXTURE_DIR}${name}.readobj.txt`, "utf8");
}
