import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSessionBytes, readSessionFile, SessionFileError, writeSessionFile } from "./session-file.js";

const dir = mkdtempSync(join(tmpdir(), "linkkit-session-file-"));

describe("session file", () => {
  const data = {
    columns: {
      u8: Uint8Array.of(1, 2, 3),
      i8: Int8Array.of(-1, 5),
      u16: Uint16Array.of(65535),
      i16: Int16Array.of(-2),
      u32: Uint32Array.of(0xffffffff, 7),
      i32: Int32Array.of(-5, 0, 9),
      f32: Float32Array.of(1.5),
      f64: Float64Array.of(Math.PI, -0.25),
      empty: new Int32Array(0),
      // A view into a larger buffer: only its own bytes are stored.
      view: new Int32Array([10, 20, 30, 40]).subarray(1, 3),
    },
    names: Array.from({ length: 2000 }, (_, i) => `name_${i}`).join("\0") + "ünïcödé",
    short: "a\0b",
    list: [1, undefined, "x", null, { nested: Uint8Array.of(9) }],
    numbers: [Infinity, -Infinity, NaN, 0, -1.5],
    big: 1n << 40n,
    absent: undefined,
  };

  it("round-trips typed arrays (as views of one buffer), long strings, undefined, odd numbers and bigints", () => {
    const path = join(dir, "round-trip.state");
    writeSessionFile(path, data);
    const back = readSessionFile(path) as typeof data;
    expect(back.columns.u8).toEqual(data.columns.u8);
    expect(back.columns.i8).toEqual(data.columns.i8);
    expect(back.columns.u16).toEqual(data.columns.u16);
    expect(back.columns.i16).toEqual(data.columns.i16);
    expect(back.columns.u32).toEqual(data.columns.u32);
    expect(back.columns.i32).toEqual(data.columns.i32);
    expect(back.columns.f32).toEqual(data.columns.f32);
    expect(back.columns.f64).toEqual(data.columns.f64);
    expect(back.columns.empty).toEqual(new Int32Array(0));
    expect([...back.columns.view]).toEqual([20, 30]);
    expect(back.columns.i32.buffer).toBe(back.columns.f64.buffer);
    expect(back.names).toBe(data.names);
    expect(back.short).toBe("a\0b");
    expect(back.list.length).toBe(5);
    expect(back.list[1]).toBeUndefined();
    expect(back.list[3]).toBeNull();
    expect((back.list[4] as { nested: Uint8Array }).nested).toEqual(Uint8Array.of(9));
    expect(back.numbers).toEqual([Infinity, -Infinity, NaN, 0, -1.5]);
    expect(back.big).toBe(1n << 40n);
    expect(back.absent).toBeUndefined();
  });

  it("rewrites a file in place, shorter or longer", () => {
    const path = join(dir, "in-place.state");
    writeSessionFile(path, { a: new Uint8Array(100_000).fill(7) });
    const st = writeSessionFile(path, { a: Uint8Array.of(1) });
    expect(st.size).toBe(readFileSync(path).length);
    expect((readSessionFile(path) as { a: Uint8Array }).a).toEqual(Uint8Array.of(1));
    writeSessionFile(path, { a: new Uint8Array(50_000).fill(3) });
    expect((readSessionFile(path) as { a: Uint8Array }).a.every((b) => b === 3)).toBe(true);
  });

  it("says so when a file is not a session, is from another format, is cut short or is damaged", () => {
    const path = join(dir, "damaged.state");
    writeSessionFile(path, data);
    const good = readFileSync(path);
    const attempt = (bytes: Uint8Array) => () => decodeSessionBytes(bytes);
    expect(attempt(new Uint8Array(0))).toThrow(SessionFileError);
    expect(attempt(new TextEncoder().encode("{\"json\": true}\n".repeat(4)))).toThrow(/not a saved linkkit session/);
    const otherFormat = Uint8Array.from(good);
    otherFormat[16] = 99;
    expect(attempt(otherFormat)).toThrow(/format 99/);
    for (const cut of [20, 30, good.length >> 1, good.length - 1]) expect(attempt(good.subarray(0, cut)), `cut at ${cut}`).toThrow(SessionFileError);
    const badJson = Uint8Array.from(good);
    badJson[32] = 0x5d; // the JSON's opening brace
    expect(attempt(badJson)).toThrow(SessionFileError);
    // Every single damaged byte of the header and JSON is refused or decodes to something, never another error.
    const jsonEnd = 32 + new DataView(good.buffer, good.byteOffset).getUint32(20, true);
    for (let at = 0; at < jsonEnd; at += 7) {
      const bytes = Uint8Array.from(good);
      bytes[at] = bytes[at]! ^ 0x5a;
      try {
        decodeSessionBytes(bytes);
      } catch (e) {
        expect(e, `byte ${at}`).toBeInstanceOf(SessionFileError);
      }
    }
    writeFileSync(path, good.subarray(0, 10));
    expect(() => readSessionFile(path)).toThrow(SessionFileError);
  });
});
