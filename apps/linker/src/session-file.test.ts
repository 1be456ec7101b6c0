import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSessionBytes, readSessionFile, SessionFileError, SessionFileWriter, writeSessionFile } from "./session-file.js";

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

  describe("a writer that keeps its file's image", () => {
    /** Deep equality with typed arrays compared as bytes: vitest's toEqual takes seconds over columns this long. */
    const expectSame = (back: unknown, data: Record<string, unknown>, what = "") => {
      const got = back as Record<string, unknown>;
      expect(Object.keys(got).sort(), what).toEqual(Object.keys(data).sort());
      for (const [key, value] of Object.entries(data)) {
        if (ArrayBuffer.isView(value)) {
          const mine = got[key] as ArrayBufferView;
          expect(mine.constructor, `${what} ${key}`).toBe(value.constructor);
          expect(Buffer.from(mine.buffer, mine.byteOffset, mine.byteLength).equals(Buffer.from(value.buffer, value.byteOffset, value.byteLength)), `${what} ${key}`).toBe(true);
        } else {
          expect(got[key], `${what} ${key}`).toEqual(value);
        }
      }
    };
    const columns = () => ({
      ids: Int32Array.from({ length: 200_000 }, (_, i) => i * 7),
      rvas: Float64Array.from({ length: 50_000 }, (_, i) => i * 16 + 0x1000),
      names: Array.from({ length: 5000 }, (_, i) => `symbol_${i}`).join("\0"),
      small: { count: 3, list: [1, 2, 3] },
    });

    it("writes only the pages that changed, and the file reads as a whole write of the same data would", () => {
      const path = join(dir, "patched.state");
      const writer = new SessionFileWriter(path);
      const data = columns();
      writer.write(data, true);
      expect(writer.bytesWritten).toBe(readFileSync(path).length);
      data.ids[123_456] = -1;
      data.rvas[7] = 42;
      data.small.count = 4;
      const st = writer.write(data, true);
      expect(st.size).toBe(readFileSync(path).length);
      // One page of each column and one of the JSON.
      expect(writer.bytesWritten).toBeLessThanOrEqual(3 * 4096);
      expect(writer.bytesWritten).toBeGreaterThan(0);
      expectSame(readSessionFile(path), data);
      writer.write(data, true);
      expect(writer.bytesWritten).toBe(0);
    });

    it("keeps a column that grew within its room in place, moves one that outgrew it, and rewrites a file someone else wrote", () => {
      const path = join(dir, "moved.state");
      const writer = new SessionFileWriter(path);
      let data: Record<string, unknown> = columns();
      writer.write(data, true);
      const whole = readFileSync(path).length;
      data = { ...data, ids: Int32Array.from({ length: 200_010 }, (_, i) => i * 7) };
      writer.write(data, true);
      expect(writer.bytesWritten).toBeLessThan(3 * 4096);
      expectSame(readSessionFile(path), data);
      data = { ...data, rvas: new Float64Array(100_000).fill(1.5) };
      writer.write(data, true);
      expect(writer.bytesWritten).toBeGreaterThanOrEqual(800_000);
      expect(writer.bytesWritten).toBeLessThan(whole);
      expectSame(readSessionFile(path), data);
      writeSessionFile(path, { other: Uint8Array.of(1, 2, 3) });
      writer.write(data, true);
      expect(writer.bytesWritten).toBe(readFileSync(path).length);
      expectSame(readSessionFile(path), data);
    });

    it("keeps its image as exact as the file: a room's old bytes past a shrunk column are not taken for zeros", () => {
      const path = join(dir, "slack.state");
      const writer = new SessionFileWriter(path);
      let data: Record<string, unknown> = { column: new Int32Array(8000).fill(7), after: Int32Array.of(1, 2, 3) };
      writer.write(data, true);
      // The column shrinks to half: its room keeps the old 7s past its new end, pages of them.
      data = { ...data, column: new Int32Array(4000).fill(7) };
      writer.write(data, true);
      // Then it grows back, with zeros where those 7s are: they must be written.
      const grown = new Int32Array(8000);
      grown.fill(7, 0, 4000);
      data = { ...data, column: grown };
      writer.write(data, true);
      expect(writer.bytesWritten).toBeGreaterThanOrEqual(4000 * 4);
      expectSame(readSessionFile(path), data);
    });

    it("reads back right after every write of a random sequence of changes (seeded)", () => {
      const seed = 20261127;
      let state = seed;
      const random = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
      const path = join(dir, "random.state");
      const writer = new SessionFileWriter(path);
      const data: Record<string, unknown> = {};
      for (let k = 0; k < 8; k++) data[`c${k}`] = Int32Array.from({ length: 1000 + random(20_000) }, () => random(1000));
      data.text = "x".repeat(5000);
      let patched = 0;
      for (let step = 0; step < 60; step++) {
        const key = `c${random(8)}`;
        const column = data[key] as Int32Array;
        switch (random(5)) {
          case 0: column[random(column.length)] = random(1 << 30); break;
          case 1: data[key] = Int32Array.from({ length: column.length + random(200) }, (_, i) => column[i] ?? i); break;
          case 2: data[key] = column.slice(0, Math.max(0, column.length - random(5000))); break;
          case 3: data[key] = Int32Array.from({ length: column.length * 2 }, (_, i) => i); break;
          case 4: data.text = String.fromCharCode(97 + random(26)).repeat(4096 + random(10_000)); break;
        }
        // Every fourth write keeps no image: the next one is a whole write again.
        writer.write(data, step % 4 !== 2);
        expectSame(readSessionFile(path), data, `seed ${seed}, step ${step}`);
        const size = readFileSync(path).length;
        expect(size).toBeLessThan(8 * 1024 * 1024);
        if (writer.bytesWritten < size / 2) patched++;
      }
      // Most steps were patches, not whole writes.
      expect(patched).toBeGreaterThan(30);
    });
  });
});
