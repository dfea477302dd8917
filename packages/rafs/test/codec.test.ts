// Tests of the chunk codecs: real Nydus lz4_block and zstd data from the shared fixtures, round trips
// through independent encoders, size mismatches, mutated input and decompression bombs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createGzip, gzipSync, constants as zc } from "node:zlib";
import fc from "fast-check";
import { gzipSync as fflateGzipSync } from "fflate";
import { compressSync as lz4napiCompress } from "lz4-napi";
import { describe, expect, it } from "vitest";
import { Compressor } from "zstd-napi";
import zstdBinding from "zstd-napi/binding.js";
import { compressorFromId, DEFAULT_MAX_DECOMPRESSED_SIZE, decompress } from "../src/codec/decompress.js";
import { decodeLz4Block, decompressLz4Block } from "../src/codec/lz4-block.js";
import { RafsError, RafsErrorCode } from "../src/errors.js";
import type { CompressorName } from "../src/model.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const NYDUS = join(REPO_ROOT, "../shared/fixtures/nydus");
const HAVE_FIXTURES = existsSync(NYDUS);
if (!HAVE_FIXTURES) console.warn(`codec fixture tests skipped: ${NYDUS} not found (../shared is absent)`);

const HAVE_LZ4_CLI = spawnSync("lz4", ["--version"]).status === 0;
if (!HAVE_LZ4_CLI) console.warn("lz4 CLI differential tests skipped: `lz4` is not installed");

const MiB = 1024 * 1024;

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Runs `f` and returns the RafsError it throws; fails the test if it throws anything else or nothing. */
function rafsErrorOf(f: () => unknown): RafsError {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RafsError);
  return caught as RafsError;
}

/** Deterministic data with a tunable share of back-references (xorshift32; not cryptographic). */
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
      // Short distances make overlapping matches (runs), long ones plain copies.
      const dist = 1 + Math.floor(rand() * (rand() < 0.3 ? Math.min(n, 8) : Math.min(n, 60_000)));
      const len = Math.min(size - n, 4 + Math.floor(rand() * (rand() < 0.1 ? 5000 : 200)));
      for (let i = 0; i < len; i++, n++) out[n] = out[n - dist] as number;
    } else {
      out[n++] = Math.floor(rand() * alphabet);
    }
  }
  return out;
}

const arbData = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc
    .record({
      seed: fc.integer(),
      size: fc.integer({ min: 0, max: 200_000 }),
      alphabet: fc.integer({ min: 1, max: 256 }),
      repeat: fc.double({ min: 0, max: 0.99, noNaN: true }),
    })
    .map(({ seed, size, alphabet, repeat }) => makeData(seed, size, alphabet, repeat)),
);

// ---- independent encoders -------------------------------------------------------------------

const zstdCompressor = new Compressor();
function zstdEncode(data: Uint8Array, level: number): Uint8Array {
  zstdCompressor.setParameters({ compressionLevel: level });
  return zstdCompressor.compress(data);
}

/** lz4-napi (lz4_flex) writes lz4_flex's size-prepended form: drop the u32le prefix. */
function lz4NapiBlock(data: Uint8Array): Uint8Array {
  const framed = lz4napiCompress(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  expect(framed.readUInt32LE(0)).toBe(data.length);
  return framed.subarray(4);
}

/**
 * The raw block inside an LZ4 frame from the reference `lz4` CLI (liblz4, the library the Nydus
 * builder uses). With the CLI's 4 MiB blocks, input up to 4 MiB is one block; `undefined` when the
 * CLI stored it uncompressed (then it is not an LZ4 block at all).
 */
function lz4CliBlock(data: Uint8Array): Uint8Array | undefined {
  const run = spawnSync("lz4", ["-q", "-1", "-B7", "-c"], { input: data, maxBuffer: 64 * MiB });
  expect(run.status).toBe(0);
  const f = run.stdout;
  expect(f.readUInt32LE(0)).toBe(0x184d2204);
  const flg = f[4] as number;
  let pos = 4 + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
  const word = f.readUInt32LE(pos);
  pos += 4;
  if (word === 0) return new Uint8Array(0); // end mark right away: empty input
  if (word & 0x8000_0000) return undefined;
  const block = f.subarray(pos, pos + word);
  expect(f.readUInt32LE(pos + word)).toBe(0); // one block, then the end mark
  return block;
}

function encode(codec: CompressorName, data: Uint8Array, level: number): Uint8Array {
  switch (codec) {
    case "none":
      return data;
    case "lz4_block":
      return lz4NapiBlock(data);
    case "gzip":
      return gzipSync(data, { level: Math.min(9, level) });
    case "zstd":
      return zstdEncode(data, level);
  }
}

// ---- tiny v5 bootstrap walker (test-only; reference sections 2.2, 2.3, 2.7, 2.8) ---------------

interface FixtureChunk {
  readonly index: number;
  readonly blockId: string;
  readonly uncompressedOffset: number;
  readonly uncompressedSize: number;
}

function v5Chunks(boot: Buffer): FixtureChunk[] {
  const align8 = (n: number): number => (n + 7) & ~7;
  const tableOffset = Number(boot.readBigUInt64LE(32));
  const entries = boot.readUInt32LE(56);
  const byIndex = new Map<number, FixtureChunk>();
  for (let slot = 0; slot < entries; slot++) {
    const v = boot.readUInt32LE(tableOffset + slot * 4);
    if (v === 0) continue; // alignment padding at the end of the table
    const rec = v * 8;
    const mode = boot.readUInt32LE(rec + 60);
    if ((mode & 0o170000) !== 0o100000) continue; // regular files only
    const flags = boot.readBigUInt64LE(rec + 80);
    const count = boot.readUInt32LE(rec + 96);
    let p = rec + 128 + align8(boot.readUInt16LE(rec + 100)) + align8(boot.readUInt16LE(rec + 102));
    if (flags & 0x4n) p += 8 + align8(Number(boot.readBigUInt64LE(p)));
    for (let i = 0; i < count; i++, p += 80) {
      const index = boot.readUInt32LE(p + 72);
      byIndex.set(index, {
        index,
        blockId: boot.subarray(p, p + 32).toString("hex"),
        uncompressedSize: boot.readUInt32LE(p + 44),
        uncompressedOffset: Number(boot.readBigUInt64LE(p + 56)),
      });
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

// ---- decompression bombs (first, so the peak-RSS measurement is not masked by later tests) ----

const BOMB_SIZE = 128 * MiB;
const SMALL = 64 * 1024;

/** gzip of BOMB_SIZE zeros, streamed so that the test itself never holds the expansion. */
async function gzipBomb(): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on("data", (c: Buffer) => parts.push(c));
  const done = new Promise((ok, ko) => {
    gz.on("end", ok);
    gz.on("error", ko);
  });
  const zero = Buffer.alloc(MiB);
  for (let i = 0; i < BOMB_SIZE / MiB; i++) {
    if (!gz.write(zero)) await new Promise((ok) => gz.once("drain", ok));
  }
  gz.end();
  await done;
  return Buffer.concat(parts);
}

/** A zstd frame of BOMB_SIZE zeros whose header states that content size (the worst case). */
function zstdBomb(): Buffer {
  const cctx = new zstdBinding.CCtx();
  cctx.setParameter(zstdBinding.CParameter.compressionLevel, 3);
  cctx.setPledgedSrcSize(BOMB_SIZE);
  const zero = Buffer.alloc(MiB);
  const out = Buffer.alloc(MiB);
  const parts: Buffer[] = [];
  for (let i = 0; i < BOMB_SIZE / MiB; i++) {
    const last = i === BOMB_SIZE / MiB - 1;
    let input = zero.subarray();
    for (;;) {
      const [remaining, produced, consumed] = cctx.compressStream2(
        out,
        input,
        last ? zstdBinding.EndDirective.end : zstdBinding.EndDirective.continue,
      );
      parts.push(Buffer.from(out.subarray(0, produced)));
      input = input.subarray(consumed);
      if (input.length === 0 && (!last || remaining === 0)) break;
    }
  }
  return Buffer.concat(parts);
}

/** A hand-made LZ4 block of `size` zeros: one literal, one huge offset-1 match, 5 literals. */
function lz4Bomb(size: number): Uint8Array {
  let ext = size - 6 - 4 - 15;
  const bytes: number[] = [0x1f, 0x00, 0x01, 0x00];
  while (ext >= 255) {
    bytes.push(255);
    ext -= 255;
  }
  bytes.push(ext, 0x50, 0, 0, 0, 0, 0);
  return Uint8Array.from(bytes);
}

describe("decompression bombs", () => {
  it("refuse each codec's bomb early, without allocating its expansion", async () => {
    const bombs: [CompressorName, Uint8Array][] = [
      ["gzip", await gzipBomb()],
      ["zstd", zstdBomb()],
      ["lz4_block", lz4Bomb(BOMB_SIZE)],
    ];
    // Sanity, without expanding anything: the gzip trailer and zstd header claim BOMB_SIZE, and
    // the LZ4 construction expands as intended (checked on a 1 MiB instance).
    const gz = bombs[0]?.[1] as Uint8Array;
    expect(Buffer.from(gz.buffer, gz.byteOffset, gz.length).readUInt32LE(gz.length - 4)).toBe(BOMB_SIZE);
    expect(zstdBinding.getFrameContentSize(bombs[1]?.[1] as Uint8Array)).toBe(BOMB_SIZE);
    expect(Buffer.compare(decompress("lz4_block", lz4Bomb(MiB), MiB, "small bomb"), Buffer.alloc(MiB))).toBe(
      0,
    );
    for (const [, bomb] of bombs) expect(bomb.length).toBeLessThan(BOMB_SIZE / 200);

    for (const [codec, bomb] of bombs) {
      for (let i = 0; i < 3; i++) {
        const err = rafsErrorOf(() => decompress(codec, bomb, SMALL, `bomb ${codec}`));
        expect(err.code).toBe(RafsErrorCode.DECOMPRESS);
        expect(err.message).toContain(`bomb ${codec}`);
      }
    }
    const tsErr = rafsErrorOf(() => decodeLz4Block(bombs[2]?.[1] as Uint8Array, new Uint8Array(SMALL), "ts"));
    expect(tsErr.code).toBe(RafsErrorCode.DECOMPRESS);
    // Decoding any bomb in full would touch BOMB_SIZE (128 MiB) bytes and lift peak RSS that far.
    // Peak RSS is a high-water mark of the whole process, so it is measured in a fresh child: in
    // this worker, memory earlier tests used and freed would make the figure meaningless.
    const dir = mkdtempSync(join(tmpdir(), "rafscan-bombs-"));
    try {
      const files = bombs.map(([codec, bomb]) => {
        const file = join(dir, codec);
        writeFileSync(file, bomb);
        return [codec, file];
      });
      const dist = pathToFileURL(join(REPO_ROOT, "packages/rafs/dist/codec/decompress.js")).href;
      const script = `
        import { readFileSync } from "node:fs";
        import { decompress } from ${JSON.stringify(dist)};
        const bombs = JSON.parse(process.argv[1]).map(([codec, file]) => [codec, readFileSync(file)]);
        const before = process.memoryUsage().rss;
        const codes = [];
        for (const [codec, bomb] of bombs)
          try { decompress(codec, bomb, ${SMALL}, "bomb"); codes.push("none"); } catch (e) { codes.push(e.code); }
        console.log(JSON.stringify({ codes, growth: process.resourceUsage().maxRSS * 1024 - before }));`;
      const child = spawnSync(
        process.execPath,
        ["--input-type=module", "-e", script, JSON.stringify(files)],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(child.status, child.stderr).toBe(0);
      const { codes, growth } = JSON.parse(child.stdout) as { codes: string[]; growth: number };
      expect(codes).toEqual(bombs.map(() => RafsErrorCode.DECOMPRESS));
      expect(growth).toBeLessThan(64 * MiB);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuse a claimed size above the limit before decoding", () => {
    const src = gzipSync(Buffer.alloc(10));
    const err = rafsErrorOf(() => decompress("gzip", src, DEFAULT_MAX_DECOMPRESSED_SIZE + 1, "big"));
    expect(err.code).toBe(RafsErrorCode.LIMIT);
    expect(rafsErrorOf(() => decompress("zstd", src, 2 * MiB, "big", MiB)).code).toBe(RafsErrorCode.LIMIT);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(rafsErrorOf(() => decompress("none", src, bad, "bad")).code).toBe(RafsErrorCode.CORRUPT);
    }
  });
});

// ---- real Nydus data ---------------------------------------------------------------------------

describe.skipIf(!HAVE_FIXTURES)("real Nydus chunks", () => {
  it("decodes repeatable/blobs/d7b86b1e…, the lz4_block form of blob 7334a259…, chunk by chunk", () => {
    const boot = readFileSync(join(NYDUS, "repeatable/sha256-nocompress-repeatable"));
    const blobs = join(NYDUS, "repeatable/blobs");
    const raw = readFileSync(join(blobs, "7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00"));
    const lz4 = readFileSync(join(blobs, "d7b86b1e74e316fe945741d1a9fa1b271459fe41481e304977659e0c6ecf56ac"));
    const chunks = v5Chunks(boot);
    expect(chunks.map((c) => c.index)).toEqual([...Array(23).keys()]);

    // The chunks follow each other in index order. As the builder does, a chunk that LZ4 does not
    // shrink is stored as is (compressed flag clear): the reference calls all 23 LZ4 blocks, but
    // four small ones are raw, so a chunk whose bytes appear verbatim is checked as stored.
    let pos = 0;
    let blocks = 0;
    for (const c of chunks) {
      const where = `chunk ${c.index}`;
      const expected = raw.subarray(c.uncompressedOffset, c.uncompressedOffset + c.uncompressedSize);
      expect(expected.length).toBe(c.uncompressedSize);
      let stored: Uint8Array;
      let out: Uint8Array;
      if (lz4.subarray(pos, pos + c.uncompressedSize).equals(expected)) {
        // Only chunks that LZ4 cannot shrink are left raw.
        expect(lz4NapiBlock(expected).length).toBeGreaterThanOrEqual(c.uncompressedSize);
        stored = lz4.subarray(pos, pos + c.uncompressedSize);
        out = decompress("none", stored, c.uncompressedSize, where);
      } else {
        // Block boundaries are stored nowhere: the TS decoder reports where each block ends.
        const dst = new Uint8Array(c.uncompressedSize);
        const { read, written } = decodeLz4Block(lz4.subarray(pos), dst, where);
        expect(written).toBe(c.uncompressedSize);
        expect(Buffer.compare(dst, expected)).toBe(0);
        stored = lz4.subarray(pos, pos + read);
        expect(stored.length).toBeLessThan(c.uncompressedSize);
        // The production path (lz4-napi) on exactly that block gives the same bytes.
        out = decompress("lz4_block", stored, c.uncompressedSize, where);
        blocks++;
      }
      expect(Buffer.compare(out, expected)).toBe(0);
      expect(sha256(out)).toBe(c.blockId);
      pos += stored.length;
    }
    expect(pos).toBe(lz4.length);
    expect(blocks).toBeGreaterThanOrEqual(19);
  });

  it("decompresses zstd/2fa78cad….zst to exactly toc/2fa78cad…", () => {
    const name = "2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca";
    const zst = readFileSync(join(NYDUS, "zstd", `${name}.zst`));
    const toc = readFileSync(join(NYDUS, "toc", name));
    expect(toc.length).toBe(10034);
    const out = decompress("zstd", zst, 10034, "toc.zst");
    expect(Buffer.compare(out, toc)).toBe(0);
    expect(sha256(out)).toBe(name);
    expect(rafsErrorOf(() => decompress("zstd", zst, 10033, "toc.zst")).code).toBe(RafsErrorCode.DECOMPRESS);
    expect(rafsErrorOf(() => decompress("zstd", zst, 10035, "toc.zst")).code).toBe(RafsErrorCode.DECOMPRESS);
  });

  it("decodes the two zstd chunks of blobs/be7d77ee…", () => {
    const blob = readFileSync(
      join(NYDUS, "blobs/be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef"),
    );
    const lib = decompress("zstd", blob.subarray(0, 4828), 16931, "ci 0");
    expect(sha256(lib)).toBe("1810eba864521293bb0d6b55a3c82318d4d89f294ed761c456d9088a17de0c69");
    expect(Buffer.from(lib.subarray(0, 40)).toString()).toBe("// Copyright (C) 2020 Alibaba Cloud. All");
    const syncIo = decompress("zstd", blob.subarray(4828, 7802), 13400, "ci 1");
    expect(sha256(syncIo)).toBe("e629ab260ff0dc02a24648a3e0dd8c13a5daf233d535c330e3201925f5eeff96");
    // A chunk range that swallows the next frame's first byte is not one frame.
    expect(rafsErrorOf(() => decompress("zstd", blob.subarray(0, 4829), 16931, "ci 0")).code).toBe(
      RafsErrorCode.DECOMPRESS,
    );
  });
});

// ---- every codec: properties ---------------------------------------------------------------------

const CODECS: readonly CompressorName[] = ["none", "lz4_block", "gzip", "zstd"];

describe.each(CODECS)("%s", (codec) => {
  it("decodes what an independent encoder wrote", () => {
    fc.assert(
      fc.property(arbData, fc.integer({ min: 1, max: 19 }), (data, level) => {
        const out = decompress(codec, encode(codec, data, level), data.length, "prop");
        expect(out.length).toBe(data.length);
        expect(Buffer.compare(out, data)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("rejects any expected size other than the real one", () => {
    fc.assert(
      fc.property(arbData, fc.integer({ min: -5000, max: 5000 }), (data, delta) => {
        const size = data.length + delta;
        fc.pre(delta !== 0 && size >= 0);
        const err = rafsErrorOf(() => decompress(codec, encode(codec, data, 3), size, "size"));
        expect(err.code).toBe(RafsErrorCode.DECOMPRESS);
      }),
      { numRuns: 60 },
    );
  });

  it("raises only RafsError on mutated or truncated input", () => {
    const arbMutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(arbData, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), (data, mutations) => {
        let buf = Buffer.from(encode(codec, data, 3));
        for (const m of mutations) {
          const at = buf.length === 0 ? 0 : m.at % buf.length;
          if (m.kind === "flip" && buf.length > 0) buf[at] = (buf[at] as number) ^ (1 << m.bit);
          else if (m.kind === "set" && buf.length > 0) buf[at] = m.value;
          else if (m.kind === "cut") buf = buf.subarray(0, at);
          else if (m.kind === "drop") buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
          else if (m.kind === "insert")
            buf = Buffer.concat([buf.subarray(0, at), Buffer.of(m.value), buf.subarray(at)]);
        }
        try {
          // A mutation can leave valid data; then the output must still have the promised size.
          expect(decompress(codec, buf, data.length, "mutated").length).toBe(data.length);
        } catch (err) {
          expect(err).toBeInstanceOf(RafsError);
          expect((err as RafsError).code).toBe(RafsErrorCode.DECOMPRESS);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("compressorFromId", () => {
  it("maps the RafsV6Blob compression_algo ids", () => {
    expect([0, 1, 2, 3].map((id) => compressorFromId(id, "blob 0"))).toEqual([
      "none",
      "lz4_block",
      "gzip",
      "zstd",
    ]);
  });
  it("refuses other ids as unsupported, naming the id", () => {
    for (const id of [4, 255, -1, 1.5]) {
      const err = rafsErrorOf(() => compressorFromId(id, "blob 3"));
      expect(err.code).toBe(RafsErrorCode.UNSUPPORTED);
      expect(err.feature).toBe(`compression_algo ${id}`);
      expect(err.message).toContain("blob 3");
    }
  });
});

describe("none", () => {
  it("returns a copy the caller owns, also for a Buffer", () => {
    for (const src of [Uint8Array.of(1, 2, 3), Buffer.from([1, 2, 3])]) {
      const out = decompress("none", src, 3, "raw");
      expect([...out]).toEqual([1, 2, 3]);
      out[0] = 9;
      expect(src[0]).toBe(1);
    }
  });
});

describe("gzip", () => {
  it("decodes fflate's gzip output too (a second independent encoder)", () => {
    fc.assert(
      fc.property(arbData, fc.integer({ min: 0, max: 9 }), (data, level) => {
        const src = fflateGzipSync(data, { level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
        expect(Buffer.compare(decompress("gzip", src, data.length, "fflate"), data)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
  it("checks the CRC-32 and length trailer", () => {
    const data = makeData(7, 5000, 20, 0.5);
    const good = gzipSync(data, { strategy: zc.Z_DEFAULT_STRATEGY });
    for (const at of [good.length - 8, good.length - 4]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 1;
      expect(rafsErrorOf(() => decompress("gzip", bad, data.length, "trailer")).code).toBe(
        RafsErrorCode.DECOMPRESS,
      );
    }
  });
});

// ---- the TypeScript LZ4 block decoder (fallback when lz4-napi does not load) ----------------------

describe("decodeLz4Block", () => {
  function tsDecode(block: Uint8Array, size: number): Uint8Array {
    const dst = new Uint8Array(size);
    const { read, written } = decodeLz4Block(block, dst, "ts");
    expect(read).toBe(block.length);
    expect(written).toBe(size);
    return dst;
  }

  it.skipIf(!HAVE_LZ4_CLI)("decodes blocks written by the lz4 CLI (liblz4), like the napi path", () => {
    fc.assert(
      fc.property(arbData, (data) => {
        const block = lz4CliBlock(data);
        fc.pre(block !== undefined && data.length > 0);
        expect(Buffer.compare(tsDecode(block as Uint8Array, data.length), data)).toBe(0);
        expect(Buffer.compare(decompress("lz4_block", block as Uint8Array, data.length, "cli"), data)).toBe(
          0,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("decodes blocks written by lz4-napi", () => {
    fc.assert(
      fc.property(arbData, (data) => {
        expect(Buffer.compare(tsDecode(lz4NapiBlock(data), data.length), data)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("decompressLz4Block (the fallback path of decompress) wants exactly one block of exactly the size", () => {
    fc.assert(
      fc.property(arbData, fc.integer({ min: -300, max: 300 }), (data, delta) => {
        const block = lz4NapiBlock(data);
        expect(Buffer.compare(decompressLz4Block(block, data.length, "fb"), data)).toBe(0);
        if (delta !== 0 && data.length + delta >= 0) {
          const err = rafsErrorOf(() => decompressLz4Block(block, data.length + delta, "fb"));
          expect(err.code).toBe(RafsErrorCode.DECOMPRESS);
        }
        const trailing = Buffer.concat([block, Buffer.of(0)]);
        expect(rafsErrorOf(() => decompressLz4Block(trailing, data.length, "fb")).code).toBe(
          RafsErrorCode.DECOMPRESS,
        );
      }),
      { numRuns: 60 },
    );
  });

  it("agrees with lz4-napi on mutated blocks whenever both accept them", () => {
    fc.assert(
      fc.property(arbData, fc.nat(), fc.integer({ min: 0, max: 255 }), (data, at, value) => {
        const block = Buffer.from(lz4NapiBlock(data));
        if (block.length > 0) block[at % block.length] = value;
        let ts: Uint8Array | undefined;
        try {
          ts = decompressLz4Block(block, data.length, "ts");
        } catch (err) {
          expect(err).toBeInstanceOf(RafsError);
        }
        let napi: Uint8Array | undefined;
        try {
          napi = decompress("lz4_block", block, data.length, "napi");
        } catch (err) {
          expect(err).toBeInstanceOf(RafsError);
        }
        if (ts !== undefined && napi !== undefined) expect(Buffer.compare(ts, napi)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  const cases: [string, number[], number, RegExp][] = [
    ["an empty block", [], 0, /empty block/],
    ["a match offset of 0", [0x10, 0x41, 0x00, 0x00, 0x00], 10, /offset 0/],
    ["an offset before the output start", [0x10, 0x41, 0x02, 0x00, 0x00], 10, /before the output start/],
    ["literals past the input", [0x50, 0x41, 0x42], 5, /past the input/],
    ["literals past the output", [0x50, 0x41, 0x42, 0x43, 0x44, 0x45], 4, /overflow/],
    ["a match past the output", [0x1f, 0x41, 0x01, 0x00, 0x10, 0x00], 20, /overflow/],
    ["a block ending in a match", [0x10, 0x41, 0x01, 0x00], 5, /ends with a match/],
    ["an unterminated literal length", [0xf0, 0xff, 0xff], 1000, /past the input/],
    ["a truncated offset", [0x10, 0x41, 0x01], 10, /offset runs past/],
  ];
  it.each(cases)("rejects %s", (_name, bytes, size, message) => {
    const dst = new Uint8Array(size);
    const err = rafsErrorOf(() => decodeLz4Block(Uint8Array.from(bytes), dst, "case"));
    expect(err.code).toBe(RafsErrorCode.DECOMPRESS);
    expect(err.message).toMatch(message);
    expect(err.where).toBe("case");
    // The napi path refuses the same blocks.
    expect(rafsErrorOf(() => decompress("lz4_block", Uint8Array.from(bytes), size, "case")).code).toBe(
      RafsErrorCode.DECOMPRESS,
    );
  });

  it("handles long overlapping matches (a repeating pattern written in doubling pieces)", () => {
    for (const period of [1, 2, 3, 7, 31, 64]) {
      const pattern = Array.from({ length: period }, (_, i) => (i * 37 + 11) & 255);
      const matchLen = 10_000;
      let ext = matchLen - 4 - 15;
      const bytes = [(Math.min(period, 15) << 4) | 0x0f];
      if (period >= 15) bytes.push(period - 15);
      bytes.push(...pattern, period & 255, period >> 8);
      while (ext >= 255) {
        bytes.push(255);
        ext -= 255;
      }
      bytes.push(ext, 0x00);
      const size = period + matchLen;
      const out = tsDecode(Uint8Array.from(bytes), size);
      for (let i = 0; i < size; i++) {
        if (out[i] !== pattern[i % period]) throw new Error(`period ${period}: byte ${i} differs`);
      }
      expect(Buffer.compare(decompress("lz4_block", Uint8Array.from(bytes), size, "napi"), out)).toBe(0);
    }
  });
});
