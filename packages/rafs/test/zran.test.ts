// Tests of the zran path: the raw inflater (differential against node:zlib), the context table
// decoder, chunk reads from checkpoints, and the real fixtures of reference 7.6 and 7.7.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RafsError, RafsErrorCode } from "../src/errors.js";
import { decodeZranContexts, ZRAN_CONTEXT_SIZE, type ZranContext } from "../src/zran/context.js";
import { inflateRaw, parseGzipHeader } from "../src/zran/inflate.js";
import { inflateZranContext, readZranChunk } from "../src/zran/read-chunk.js";
import {
  BitWriter,
  type Checkpoint,
  type CheckpointScan,
  contextAt,
  encodeZranTable,
  gzipMember,
  scanCheckpoints,
} from "./helpers/zran-checkpoints.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ZRAN_DIR = join(REPO_ROOT, "../shared/fixtures/nydus/zran");
const HAVE_FIXTURES = existsSync(ZRAN_DIR);
if (!HAVE_FIXTURES) console.warn(`zran fixture tests skipped: ${ZRAN_DIR} not found (../shared is absent)`);

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(ZRAN_DIR, name)));
}

/** Runs `f` and checks it throws a RafsError with `code` (and a message matching `message`). */
function expectRafsError(f: () => unknown, code: RafsErrorCode, message?: RegExp): RafsError {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RafsError);
  const err = caught as RafsError;
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

/** Deterministic compressible data: random bytes from a small alphabet mixed with back-references. */
function makeData(seed: number, size: number, alphabet: number, repeat: number): Uint8Array {
  let s = seed | 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
  const out = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    if (n > 0 && rand() < repeat) {
      const dist = 1 + Math.floor(rand() * Math.min(n, 40_000));
      const len = Math.min(size - n, 3 + Math.floor(rand() * 300));
      for (let i = 0; i < len; i++, n++) out[n] = out[n - dist] as number;
    } else {
      out[n++] = Math.floor(rand() * alphabet);
    }
  }
  return out;
}

const arbData = fc
  .record({
    seed: fc.integer(),
    size: fc.integer({ min: 0, max: 70_000 }),
    alphabet: fc.integer({ min: 1, max: 256 }),
    repeat: fc.double({ min: 0, max: 0.97, noNaN: true }),
  })
  .map(({ seed, size, alphabet, repeat }) => makeData(seed, size, alphabet, repeat));

const arbDeflateOptions = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  strategy: fc.constantFrom(
    constants.Z_DEFAULT_STRATEGY,
    constants.Z_FILTERED,
    constants.Z_HUFFMAN_ONLY,
    constants.Z_RLE,
    constants.Z_FIXED,
  ),
  windowBits: fc.integer({ min: 9, max: 15 }),
  memLevel: fc.integer({ min: 1, max: 9 }),
});

describe("inflateRaw", () => {
  it("inflates node:zlib raw deflate output of any level and strategy, from bit 0", () => {
    fc.assert(
      fc.property(arbData, arbDeflateOptions, (data, options) => {
        const compressed = deflateRawSync(data, options);
        expect(Buffer.compare(inflateRaw(compressed, { outLen: data.length }), data)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("uses a preset window the way zlib's inflateSetDictionary does", () => {
    fc.assert(
      fc.property(arbData, arbData, arbDeflateOptions, (dict, tail, options) => {
        // Start the data with a piece of the dictionary so matches reach back into it.
        const data = Buffer.concat([dict.subarray(Math.floor(dict.length / 3)), tail]);
        const compressed = deflateRawSync(data, { ...options, dictionary: dict });
        expect(Buffer.compare(inflateRaw(compressed, { outLen: data.length, window: dict }), data)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("stops at any outLen inside the stream and fails when outLen runs past its end", () => {
    fc.assert(
      fc.property(arbData, fc.double({ min: 0, max: 1, noNaN: true }), (data, cut) => {
        const compressed = deflateRawSync(data);
        const outLen = Math.floor(cut * data.length);
        expect(Buffer.compare(inflateRaw(compressed, { outLen }), data.subarray(0, outLen))).toBe(0);
        expectRafsError(
          () => inflateRaw(compressed, { outLen: data.length + 1 }),
          RafsErrorCode.DECOMPRESS,
          /deflate stream ended after/,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("fails on truncated input instead of inventing bytes", () => {
    const data = makeData(7, 50_000, 40, 0.5);
    const compressed = deflateRawSync(data);
    for (const keep of [0, 1, 2, 100, compressed.length >> 1, compressed.length - 8]) {
      expectRafsError(
        () => inflateRaw(compressed.subarray(0, keep), { outLen: data.length }),
        RafsErrorCode.DECOMPRESS,
        /input exhausted/,
      );
    }
  });

  it("starts mid-byte: pending bits and bitOffset give the same stored block, aligned to input bytes", () => {
    // A final stored block whose 3 header bits (1, 0, 0) are the top bits of the byte before the data.
    const body = [5, 0, 0xfa, 0xff, ...Buffer.from("hello")];
    const pending = inflateRaw(Uint8Array.from(body), {
      outLen: 5,
      pendingBits: 3,
      pendingByte: 0b0010_0000,
    });
    expect(Buffer.from(pending).toString()).toBe("hello");
    const offset = inflateRaw(Uint8Array.from([0b0010_0000, ...body]), { outLen: 5, bitOffset: 5 });
    expect(Buffer.from(offset).toString()).toBe("hello");
    // zlib agrees on the byte-aligned form (header in the low bits of a byte of its own).
    expect(Buffer.from(inflateRawSync(Uint8Array.from([1, ...body]))).toString()).toBe("hello");
  });

  it("reaches into the window and refuses distances beyond it", () => {
    // Fixed block: literal 'a', then a match of length 3 at distance 2, then end of block.
    const stream = new BitWriter()
      .bits(1, 1)
      .bits(1, 2)
      .code(0x30 + 0x61, 8)
      .code(1, 7)
      .code(1, 5)
      .code(0, 7)
      .finish();
    const out = inflateRaw(stream, { outLen: 4, window: Buffer.from("xyz") });
    expect(Buffer.from(out).toString()).toBe("azaz");
    expect(Buffer.from(inflateRawSync(stream, { dictionary: Buffer.from("xyz") })).toString()).toBe("azaz");
    expectRafsError(
      () => inflateRaw(stream, { outLen: 4 }),
      RafsErrorCode.DECOMPRESS,
      /distance 2 reaches before/,
    );
    expect(() => inflateRawSync(stream)).toThrow();
  });

  it("accepts a single one-bit distance code (incomplete, allowed as in zlib)", () => {
    const w = new BitWriter().bits(1, 1).bits(2, 2).bits(1, 5).bits(0, 5).bits(14, 4);
    // Code-length code lengths in transmission order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1.
    for (const len of [0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2]) w.bits(len, 3);
    // Canonical code-length codes: 18 -> 0, 1 -> 10, 0 -> 110, 2 -> 111.
    w.code(0, 1).bits(86, 7); // 97 zeros
    w.code(0b10, 2); // 'a' gets length 1
    w.code(0, 1).bits(127, 7).code(0, 1).bits(9, 7); // 158 zeros
    w.code(0b111, 3).code(0b111, 3); // 256 and 257 get length 2
    w.code(0b10, 2); // the only distance code, length 1
    // Data: 'a' (0), length 3 (11), distance 1 (0), end of block (10).
    const stream = w.code(0, 1).code(0b11, 2).code(0, 1).code(0b10, 2).finish();
    expect(Buffer.from(inflateRawSync(stream)).toString()).toBe("aaaa");
    expect(Buffer.from(inflateRaw(stream, { outLen: 4 })).toString()).toBe("aaaa");
  });

  const dynamicHeader = (hlit: number, hdist: number, hclen: number): BitWriter =>
    new BitWriter().bits(1, 1).bits(2, 2).bits(hlit, 5).bits(hdist, 5).bits(hclen, 4);

  const malformed: [string, () => Uint8Array, RegExp][] = [
    ["block type 3", () => new BitWriter().bits(1, 1).bits(3, 2).finish(), /invalid block type 3/],
    [
      "stored length without its complement",
      () => new BitWriter().bits(1, 1).bits(0, 2).bytes([5, 0, 0, 0, 1, 2, 3, 4, 5]).finish(),
      /does not match its complement/,
    ],
    [
      "too many literal/length codes",
      () => dynamicHeader(30, 0, 0).bits(0, 12).bytes(new Uint8Array(64)).finish(),
      /287 literal\/length codes/,
    ],
    [
      "too many distance codes",
      () => dynamicHeader(0, 30, 0).bits(0, 12).bytes(new Uint8Array(64)).finish(),
      /31 distance codes/,
    ],
    [
      "over-subscribed code-length code",
      () => {
        const w = dynamicHeader(0, 0, 15);
        for (let i = 0; i < 19; i++) w.bits(1, 3);
        return w.bytes(new Uint8Array(64)).finish();
      },
      /over-subscribed code length code/,
    ],
    [
      "incomplete code-length code",
      () =>
        dynamicHeader(0, 0, 0).bits(0, 3).bits(0, 3).bits(0, 3).bits(1, 3).bytes(new Uint8Array(64)).finish(),
      /incomplete code length code/,
    ],
    [
      "repeat with no previous length",
      // 16 and 0 get one-bit codes (0 -> 0, 16 -> 1); the first symbol sent is 16.
      () => dynamicHeader(0, 0, 0).bits(1, 3).bits(0, 3).bits(0, 3).bits(1, 3).code(1, 1).bits(0, 2).finish(),
      /no previous length/,
    ],
    [
      "repeat past the declared codes",
      // 18 and 0 get one-bit codes (0 -> 0, 18 -> 1): 138 + 138 zeros > 258.
      () =>
        dynamicHeader(1, 0, 0)
          .bits(0, 3)
          .bits(0, 3)
          .bits(1, 3)
          .bits(1, 3)
          .code(1, 1)
          .bits(127, 7)
          .code(1, 1)
          .bits(127, 7)
          .finish(),
      /runs past the declared codes/,
    ],
    [
      "no end-of-block code",
      () =>
        dynamicHeader(1, 0, 0)
          .bits(0, 3)
          .bits(0, 3)
          .bits(1, 3)
          .bits(1, 3)
          .code(1, 1)
          .bits(127, 7)
          .code(1, 1)
          .bits(110, 7)
          .finish(),
      /no end-of-block code/,
    ],
    [
      "over-subscribed literal/length code",
      () => {
        // Code-length codes 1 -> 0, 18 -> 1; then 258 lengths of 1 would be far too many one-bit codes.
        const w = dynamicHeader(1, 0, 14);
        for (const len of [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) w.bits(len, 3);
        for (let i = 0; i < 259; i++) w.code(0, 1);
        return w.finish();
      },
      /over-subscribed literal\/length code/,
    ],
    [
      "literal/length symbol 286",
      () => new BitWriter().bits(1, 1).bits(1, 2).code(0xc6, 8).finish(),
      /invalid literal\/length code/,
    ],
    [
      "distance symbol 30",
      () => new BitWriter().bits(1, 1).bits(1, 2).code(1, 7).code(30, 5).finish(),
      /invalid distance code/,
    ],
  ];
  for (const [name, build, message] of malformed) {
    it(`rejects ${name} (and so does zlib)`, () => {
      const stream = build();
      expect(() => inflateRawSync(stream)).toThrow();
      expectRafsError(() => inflateRaw(stream, { outLen: 100 }), RafsErrorCode.DECOMPRESS, message);
    });
  }

  it("checks its options before allocating", () => {
    expectRafsError(
      () => inflateRaw(new Uint8Array(8), { outLen: 1000, maxOutput: 999 }),
      RafsErrorCode.LIMIT,
    );
    expectRafsError(() => inflateRaw(new Uint8Array(8), { outLen: 2 ** 31 }), RafsErrorCode.LIMIT);
    expectRafsError(() => inflateRaw(new Uint8Array(8), { outLen: -1 }), RafsErrorCode.DECOMPRESS);
    expectRafsError(
      () => inflateRaw(new Uint8Array(8), { outLen: 1, bitOffset: 65 }),
      RafsErrorCode.DECOMPRESS,
    );
    expectRafsError(
      () => inflateRaw(new Uint8Array(8), { outLen: 1, pendingBits: 8 }),
      RafsErrorCode.DECOMPRESS,
    );
    expectRafsError(
      () => inflateRaw(new Uint8Array(8), { outLen: 1, pendingBits: 1, bitOffset: 3 }),
      RafsErrorCode.DECOMPRESS,
      /cannot be combined/,
    );
    expect(inflateRaw(new Uint8Array(0), { outLen: 0 })).toHaveLength(0);
  });
});

describe("gzip members", () => {
  const arbFields = fc.record(
    {
      extra: fc.uint8Array({ maxLength: 300 }),
      name: fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replaceAll("\0", "")),
      comment: fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replaceAll("\0", "")),
      headerCrc: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  it("continues across members with any header fields, matching gunzip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbData, arbFields, fc.integer({ min: 0, max: 9 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          const gz = Buffer.concat(
            parts.map(([data, fields, level]) => gzipMember(deflateRawSync(data, { level }), data, fields)),
          );
          const expected = gunzipSync(gz);
          const out = inflateRaw(gz, {
            bitOffset: parseGzipHeader(gz, 0) * 8,
            outLen: expected.length,
            gzipMembers: true,
          });
          expect(Buffer.compare(out, expected)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("forbids matches that reach back into the previous member", () => {
    // Member 2 is compressed with member 1's data as dictionary, so it refers back across the boundary.
    const first = Buffer.from("0123456789abcdefghij".repeat(20));
    const second = Buffer.from("0123456789abcdefghij".repeat(5));
    const gz = Buffer.concat([
      gzipMember(deflateRawSync(first), first),
      gzipMember(deflateRawSync(second, { dictionary: first }), second),
    ]);
    const outLen = first.length + second.length;
    expectRafsError(
      () => inflateRaw(gz, { bitOffset: 80, outLen, gzipMembers: true }),
      RafsErrorCode.DECOMPRESS,
      /reaches before the available history/,
    );
  });

  it("rejects malformed headers", () => {
    const good = gzipSync(Buffer.from("x"));
    const bad = (patch: Record<number, number>, end?: number): Uint8Array => {
      const b = new Uint8Array(good.subarray(0, end));
      for (const [at, value] of Object.entries(patch)) b[Number(at)] = value;
      return b;
    };
    expect(parseGzipHeader(good, 0)).toBe(10);
    expectRafsError(() => parseGzipHeader(bad({ 1: 0x8c }), 0), RafsErrorCode.DECOMPRESS, /no gzip magic/);
    expectRafsError(
      () => parseGzipHeader(bad({ 2: 7 }), 0),
      RafsErrorCode.DECOMPRESS,
      /compression method 7/,
    );
    expectRafsError(() => parseGzipHeader(bad({ 3: 0x20 }), 0), RafsErrorCode.DECOMPRESS, /reserved flags/);
    expectRafsError(
      () => parseGzipHeader(bad({ 3: 0x04, 10: 0xff, 11: 0xff }), 0),
      RafsErrorCode.DECOMPRESS,
      /FEXTRA field/,
    );
    expectRafsError(
      () => parseGzipHeader(bad({ 3: 0x04 }, 11), 0),
      RafsErrorCode.DECOMPRESS,
      /FEXTRA length/,
    );
    expectRafsError(
      () => parseGzipHeader(bad({ 3: 0x08, 10: 0x41, 11: 0x42 }, 12), 0),
      RafsErrorCode.DECOMPRESS,
      /FNAME/,
    );
    expectRafsError(() => parseGzipHeader(bad({ 3: 0x02 }, 11), 0), RafsErrorCode.DECOMPRESS, /FHCRC/);
    expectRafsError(() => parseGzipHeader(good.subarray(0, 9), 0), RafsErrorCode.DECOMPRESS, /runs past/);
    expectRafsError(() => parseGzipHeader(good, good.length), RafsErrorCode.DECOMPRESS, /runs past/);
  });
});

describe("decodeZranContexts", () => {
  const ctx = (i: number, over: Partial<ZranContext> = {}): ZranContext => ({
    inOffset: 10 + i * 1000,
    outOffset: i * 5000,
    dictOffset: 0,
    inLen: 1200,
    outLen: 5000,
    dictSize: 0,
    ctxByte: 0x67,
    ctxBits: i % 8,
    ...over,
  });
  const windows = [
    new Uint8Array(0),
    new Uint8Array(100).fill(1),
    new Uint8Array(32768).fill(2),
    new Uint8Array(7).fill(3),
  ];
  const entries = windows.map((dictionary, i) => ({ ctx: ctx(i), dictionary }));
  // Put the table behind 24 bytes of "CI entries", as in a real CI buffer.
  const build = (): { ci: Uint8Array; view: DataView } => {
    const table = encodeZranTable(entries);
    const ci = new Uint8Array(24 + table.length);
    ci.set(table, 24);
    return { ci, view: new DataView(ci.buffer) };
  };
  const decode = (ci: Uint8Array, count = entries.length): ZranContext[] =>
    decodeZranContexts(
      ci,
      24,
      count,
      24 + count * ZRAN_CONTEXT_SIZE,
      ci.length - 24 - count * ZRAN_CONTEXT_SIZE,
      "test",
    );

  it("decodes every field", () => {
    const decoded = decode(build().ci);
    let dictOffset = 0;
    decoded.forEach((d, i) => {
      expect(d).toEqual({ ...ctx(i), dictOffset, dictSize: windows[i]?.length });
      dictOffset += windows[i]?.length ?? 0;
    });
  });

  const fieldAt = (i: number, off: number): number => 24 + i * ZRAN_CONTEXT_SIZE + off;
  const corruptions: [string, (v: DataView) => void, RafsErrorCode, RegExp][] = [
    ["ctx_bits 8", (v) => v.setUint8(fieldAt(2, 37), 8), RafsErrorCode.CORRUPT, /zran context 2: ctx_bits 8/],
    [
      "dict_size 32769",
      (v) => v.setUint32(fieldAt(1, 32), 32769, true),
      RafsErrorCode.CORRUPT,
      /zran context 1: dict_size/,
    ],
    [
      "dictionary past the table",
      (v) => v.setBigUint64(fieldAt(3, 16), 40_000n, true),
      RafsErrorCode.CORRUPT,
      /zran context 3: dictionary/,
    ],
    [
      "pending bits at offset 0",
      (v) => v.setBigUint64(fieldAt(1, 0), 0n, true),
      RafsErrorCode.CORRUPT,
      /zran context 1: ctx_bits set/,
    ],
    [
      "output from no input",
      (v) => v.setUint32(fieldAt(0, 24), 0, true),
      RafsErrorCode.CORRUPT,
      /zran context 0: out_len/,
    ],
    [
      "in_offset beyond 2^53",
      (v) => v.setBigUint64(fieldAt(2, 0), 2n ** 60n, true),
      RafsErrorCode.CORRUPT,
      /zran context 2 .*in_offset/,
    ],
    [
      "in_offset + in_len beyond 2^53",
      (v) => v.setBigUint64(fieldAt(2, 0), 2n ** 53n - 5n, true),
      RafsErrorCode.CORRUPT,
      /in_offset \+ in_len/,
    ],
  ];
  for (const [name, patch, code, message] of corruptions) {
    it(`rejects ${name}, naming the context`, () => {
      const { ci, view } = build();
      patch(view);
      expectRafsError(() => decode(ci), code, message);
    });
  }

  it("checks that both tables fit in the buffer", () => {
    const { ci } = build();
    expectRafsError(() => decodeZranContexts(ci, 24, 1000, 0, 0, "test"), RafsErrorCode.OUT_OF_BOUNDS);
    expectRafsError(() => decodeZranContexts(ci, 24, 4, 184, ci.length, "test"), RafsErrorCode.OUT_OF_BOUNDS);
    expectRafsError(() => decodeZranContexts(ci, 24, -1, 0, 0, "test"), RafsErrorCode.CORRUPT);
  });
});

/** A multi-member gzip file built here, so the checkpoint tests also run without the fixtures. */
function syntheticGzip(): Uint8Array {
  // Few repeats, so zlib's symbol buffer fills and each member has several blocks.
  const a = makeData(1, 300_000, 30, 0.02);
  const b = makeData(2, 5_000, 256, 0);
  const c = makeData(3, 120_000, 256, 0.2);
  const d = makeData(4, 200_000, 16, 0.01);
  // A copy, not a Buffer: Buffer#slice returns views, and tests mutate slices of this file.
  return new Uint8Array(
    Buffer.concat([
      gzipSync(a, { level: 6 }),
      gzipSync(b, { level: 0 }),
      gzipSync(c, { level: 1, memLevel: 1 }),
      gzipMember(deflateRawSync(d, { strategy: constants.Z_FIXED }), d, { name: "x.tar", headerCrc: true }),
    ]),
  );
}

/** Decodes from every checkpoint (outLen capped at `span`) and compares with the oracle. */
function checkAllCheckpoints(gz: Uint8Array, oracle: Uint8Array, scan: CheckpointScan, span: number): number {
  let crossed = 0;
  for (const cp of scan.checkpoints) {
    const outLen = Math.min(span, oracle.length - cp.outPos);
    if (outLen === 0) continue;
    const { ctx, input, dictionary } = contextAt(gz, scan, cp, outLen);
    const out = inflateZranContext(input, ctx, dictionary, `checkpoint @bit ${cp.bitPos}`);
    expect(out.length).toBe(outLen);
    if (Buffer.compare(out, oracle.subarray(cp.outPos, cp.outPos + outLen)) !== 0) {
      expect.unreachable(
        `checkpoint at bit ${cp.bitPos} (out ${cp.outPos}, ${ctx.ctxBits} pending bits) decodes wrongly`,
      );
    }
    if (scan.checkpoints.some((c) => c.streamStart > cp.outPos && c.streamStart < cp.outPos + outLen))
      crossed++;
  }
  return crossed;
}

describe("zran contexts from checkpoints (synthetic gzip)", () => {
  const gz = syntheticGzip();
  const oracle = gunzipSync(gz);
  const scan = scanCheckpoints(gz, oracle.length);

  it("decodes the whole file equal to gunzip", () => {
    expect(Buffer.compare(scan.output, oracle)).toBe(0);
  });

  it("decodes from every block boundary, across members", () => {
    expect(scan.checkpoints.length).toBeGreaterThan(10);
    expect(checkAllCheckpoints(gz, oracle, scan, 150_000)).toBeGreaterThanOrEqual(3);
  });

  it("ignores input beyond in_len and fails when in_len is too short", () => {
    const cp = scan.checkpoints[3] as Checkpoint;
    const next = scan.checkpoints[4] as Checkpoint;
    const outLen = next.outPos - cp.outPos;
    // The block ends before the next header, so its bytes suffice.
    const inLen = Math.ceil(next.bitPos / 8) - Math.ceil(cp.bitPos / 8);
    const { ctx, input, dictionary } = contextAt(gz, scan, cp, outLen, inLen);
    const expected = oracle.subarray(cp.outPos, next.outPos);
    expect(Buffer.compare(inflateZranContext(input, ctx, dictionary, "t"), expected)).toBe(0);
    const longer = gz.subarray(ctx.inOffset, ctx.inOffset + inLen + 1000);
    expect(Buffer.compare(inflateZranContext(longer, ctx, dictionary, "t"), expected)).toBe(0);
    expectRafsError(
      () => inflateZranContext(input, { ...ctx, inLen: inLen - 200 }, dictionary, "t"),
      RafsErrorCode.DECOMPRESS,
      /input exhausted/,
    );
    expectRafsError(
      () => inflateZranContext(input.subarray(0, 10), ctx, dictionary, "t"),
      RafsErrorCode.DECOMPRESS,
      /in_len/,
    );
  });

  it("validates the context before inflating", () => {
    const cp = scan.checkpoints[5] as Checkpoint;
    const { ctx, input, dictionary } = contextAt(gz, scan, cp, 1000);
    expectRafsError(
      () => inflateZranContext(input, ctx, dictionary.subarray(1), "t"),
      RafsErrorCode.CORRUPT,
      /dictionary/,
    );
    expectRafsError(() => inflateZranContext(input, ctx, dictionary, "t", 999), RafsErrorCode.LIMIT);
    expectRafsError(
      () => inflateZranContext(input, { ...ctx, inLen: 3, outLen: 4000 }, dictionary, "t"),
      RafsErrorCode.CORRUPT,
      /more than 3 compressed bytes can hold/,
    );
    expectRafsError(
      () => inflateZranContext(input, { ...ctx, ctxBits: 9 }, dictionary, "t"),
      RafsErrorCode.CORRUPT,
    );
  });

  it("only ever returns outLen bytes or a RafsError on mutated input and contexts", () => {
    const picks = scan.checkpoints.filter((c) => c.outPos + 20_000 <= oracle.length);
    const outcomes = { ok: 0, failed: 0 };
    fc.assert(
      fc.property(
        fc.nat({ max: picks.length - 1 }),
        fc.array(fc.tuple(fc.nat({ max: 4000 }), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat({ max: 30_000 }), { freq: 2 }),
        fc.option(fc.tuple(fc.nat({ max: 7 }), fc.nat({ max: 255 })), { freq: 2 }),
        (pick, flips, keep, pending) => {
          const cp = picks[pick] as Checkpoint;
          const base = contextAt(gz, scan, cp, 20_000);
          const input = base.input.slice(0, keep ?? undefined);
          for (const [at, x] of flips) if (at < input.length) input[at] = (input[at] as number) ^ x;
          const ctx = {
            ...base.ctx,
            inLen: input.length,
            ...(pending === null ? {} : { ctxBits: pending[0], ctxByte: pending[1] }),
          };
          const started = performance.now();
          try {
            expect(inflateZranContext(input, ctx, base.dictionary, "mutated")).toHaveLength(20_000);
            outcomes.ok++;
          } catch (err) {
            if (!(err instanceof RafsError)) throw err;
            outcomes.failed++;
          }
          expect(performance.now() - started).toBeLessThan(1000);
        },
      ),
      { numRuns: 400 },
    );
    // Both outcomes must occur, or the property would not be exercising anything.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.failed).toBeGreaterThan(0);
  });

  it("only ever returns outLen bytes or a RafsError on random input", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 255 }),
        (input, bits, byte) => {
          const ctx: ZranContext = {
            inOffset: 1,
            outOffset: 0,
            dictOffset: 0,
            inLen: input.length,
            outLen: 5000,
            dictSize: 0,
            ctxByte: byte,
            ctxBits: bits,
          };
          try {
            expect(inflateZranContext(input, ctx, new Uint8Array(0), "random")).toHaveLength(5000);
          } catch (err) {
            if (!(err instanceof RafsError)) throw err;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads chunks through a stored context table", () => {
    const cps = scan.checkpoints.filter((_, i) => i % 3 === 0).slice(0, 8);
    const entries = cps.map((cp) => contextAt(gz, scan, cp, Math.min(100_000, oracle.length - cp.outPos)));
    const table = encodeZranTable(entries);
    const count = entries.length;
    const contexts = decodeZranContexts(table, 0, count, count * 40, table.length - count * 40, "synthetic");
    const dictTable = table.subarray(count * 40);
    fc.assert(
      fc.property(
        fc.nat({ max: count - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat({ max: 70_000 }),
        (z, at, size) => {
          const ctx = contexts[z] as ZranContext;
          const offset = Math.floor(at * ctx.outLen);
          const len = Math.min(size, ctx.outLen - offset);
          const input = gz.subarray(ctx.inOffset, ctx.inOffset + ctx.inLen);
          const chunk = readZranChunk(input, ctx, dictTable, offset, len, `chunk ${z}`);
          const from = ctx.outOffset + offset;
          expect(Buffer.compare(chunk, oracle.subarray(from, from + len))).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
    const ctx = contexts.find((c) => c.dictSize > 10) as ZranContext;
    const input = gz.subarray(ctx.inOffset, ctx.inOffset + ctx.inLen);
    expectRafsError(
      () => readZranChunk(input, ctx, dictTable, ctx.outLen - 10, 11, "c"),
      RafsErrorCode.CORRUPT,
      /outside/,
    );
    expectRafsError(
      () => readZranChunk(input, ctx, dictTable.subarray(0, 10), 0, 1, "c"),
      RafsErrorCode.OUT_OF_BOUNDS,
    );
  });
});

describe.skipIf(!HAVE_FIXTURES)("zran fixtures (reference 7.6, 7.7)", () => {
  it("decodes every sample from its first header, equal to gunzip", () => {
    for (const name of [
      "bgzip.tar.gz",
      "zran-two-streams.tar.gz",
      "zran-single-stream.tar.gz",
      "zran-zero-file.tar.gz",
      "zlib_sample.txt.gz",
    ]) {
      const gz = fixture(name);
      const oracle = gunzipSync(gz);
      const out = inflateRaw(gz, {
        bitOffset: parseGzipHeader(gz, 0, name) * 8,
        outLen: oracle.length,
        gzipMembers: true,
      });
      expect(Buffer.compare(out, oracle), name).toBe(0);
    }
  });

  it("bgzip.tar.gz: every checkpoint decodes, including mid-byte starts of stored blocks", () => {
    const gz = fixture("bgzip.tar.gz");
    const oracle = gunzipSync(gz);
    expect(oracle.length).toBe(5153792);
    const scan = scanCheckpoints(gz, oracle.length);
    expect(new Set(scan.checkpoints.map((c) => c.streamStart)).size).toBe(5);
    const pending = new Set(scan.checkpoints.map((c) => (8 - (c.bitPos % 8)) % 8));
    expect([...pending].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const midByteStored = scan.checkpoints.filter((c) => c.type === 0 && c.bitPos % 8 !== 0);
    expect(midByteStored.length).toBeGreaterThanOrEqual(3);
    expect(scan.checkpoints.length).toBeGreaterThanOrEqual(100);
    expect(checkAllCheckpoints(gz, oracle, scan, 96 * 1024)).toBeGreaterThanOrEqual(4);
    // One long run from an early checkpoint through all later members.
    const early = scan.checkpoints[10] as Checkpoint;
    const { ctx, input, dictionary } = contextAt(gz, scan, early, oracle.length - early.outPos);
    expect(
      Buffer.compare(inflateZranContext(input, ctx, dictionary, "long"), oracle.subarray(early.outPos)),
    ).toBe(0);
  });

  it("the small samples decode from every checkpoint to the end of the file", () => {
    for (const name of [
      "zran-two-streams.tar.gz",
      "zran-single-stream.tar.gz",
      "zran-zero-file.tar.gz",
      "zlib_sample.txt.gz",
    ]) {
      const gz = fixture(name);
      const oracle = gunzipSync(gz);
      const scan = scanCheckpoints(gz, oracle.length);
      checkAllCheckpoints(gz, oracle, scan, oracle.length);
    }
  });

  it("decodes the context table of the zran blob meta", () => {
    const file = fixture("233c72f2b6b698c07021c4da367cfe2dff4f049efbaa885ca0ff760ea297865a.blob.meta");
    const header = new DataView(file.buffer, file.byteOffset + file.length - 4096, 4096);
    expect(header.getUint32(0, true)).toBe(0xb10bb10b);
    const entries = header.getUint32(12, true);
    const ciSize = Number(header.getBigUint64(32, true));
    const zranOffset = Number(header.getBigUint64(40, true));
    const zranSize = Number(header.getBigUint64(48, true));
    const count = header.getUint32(56, true);
    expect([entries, zranOffset, count]).toEqual([163, 0xf48, 21]);
    const ci = file.subarray(0, ciSize);
    const tableEnd = zranOffset + count * ZRAN_CONTEXT_SIZE;
    const contexts = decodeZranContexts(
      ci,
      zranOffset,
      count,
      tableEnd,
      zranSize - count * ZRAN_CONTEXT_SIZE,
      "fixture",
    );
    expect(contexts).toHaveLength(21);
    expect(contexts[0]).toMatchObject({
      inOffset: 10,
      outOffset: 0,
      inLen: 200380,
      outLen: 1052790,
      dictSize: 0,
      ctxBits: 0,
    });
    expect(contexts[1]).toMatchObject({
      inOffset: 187761,
      outOffset: 987149,
      dictSize: 32768,
      ctxByte: 103,
      ctxBits: 5,
    });
    // nydus stores the dictionaries back to back in context order (storage/src/meta/zran.rs).
    let dictOffset = 0;
    for (const c of contexts) {
      expect(c.dictOffset).toBe(dictOffset);
      dictOffset += c.dictSize;
    }
    expect(dictOffset).toBe(zranSize - count * ZRAN_CONTEXT_SIZE);
    // Every CI v2 entry points into its context's output, and its compressed bytes into the
    // context's input window (reference 4.5, 4.9).
    const ciView = new DataView(ci.buffer, ci.byteOffset, ci.length);
    for (let i = 0; i < entries; i++) {
      const uncomp = ciView.getBigUint64(i * 24, true);
      const comp = ciView.getBigUint64(i * 24 + 8, true);
      const size = Number((uncomp >> 32n) & 0xffffffn) + 1;
      expect(Number(uncomp >> 56n)).toBe(0x03);
      const cOffset = Number(comp & 0xff_ffff_ffffn);
      const cSize = Number(comp >> 40n);
      const z = ciView.getUint32(i * 24 + 20, true);
      const offset = ciView.getUint32(i * 24 + 16, true);
      const ctx = contexts[z] as ZranContext;
      expect(offset + size).toBeLessThanOrEqual(ctx.outLen);
      expect(cOffset).toBeGreaterThanOrEqual(ctx.inOffset);
      expect(cOffset + cSize).toBeLessThanOrEqual(ctx.inOffset + ctx.inLen);
    }
  });
});
