// Every committed image, read by coff-format, equals llvm-readobj's dump of it field by field.
import { describe, it } from "vitest";
import { readPeImage } from "../src/index.js";
import { expectImageMatchesReadobj } from "./readobj-dump.js";
import { fixtureBytes, fixtureDump, IMAGE_FIXTURES } from "./image-fixtures.js";

describe("PE images against llvm-readobj (committed fixtures)", () => {
  for (const name of IMAGE_FIXTURES) {
    it(name, () => {
      expectImageMatchesReadobj(readPeImage(fixtureBytes(name), { fileName: name }), fixtureDump(name));
    });
  }
});
