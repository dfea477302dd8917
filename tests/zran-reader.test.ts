// zran end to end below the bootstrap: a blob meta (v2 CI + zran contexts + dictionaries, in the
// nydusd cache-file format) over a real multi-member .tar.gz, read through the ChunkReader and
// compared with node:zlib's decoding of the whole layer.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { BlobFeatures, type BlobInfo, type ChunkLocation, decodeBlobMetaCacheFile } from "@rafscan/rafs";
import { ChunkReader, MemoryBlobSource, newImageStats } from "@rafscan/vfs";
import { describe, expect, it } from "vitest";
import {
  contextAt,
  encodeZranTable,
  scanCheckpoints,
} from "../packages/rafs/test/helpers/zran-checkpoints.js";
import { fixture, HAVE_FIXTURES } from "./support/fixtures.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** Writes a cache-format blob meta: CI v2 entries, zran table, zero pad to 4 KiB, header. */
function cacheFile(
  entries: { u: number; size: number; c: number; csize: number; ctx: number; off: number }[],
  zran: Uint8Array,
  count: number,
) {
  const ciSize = entries.length * 24;
  const total = ciSize + zran.length;
  const padded = Math.ceil(total / 4096) * 4096;
  const out = new Uint8Array(padded + 4096);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const o = i * 24;
    v.setUint32(o, e.u / 4096, true);
    v.setUint32(o + 4, ((e.size - 1) & 0xffffff) | (0x03 << 24), true); // COMPRESSED | ZRAN
    v.setUint32(o + 8, e.c, true);
    v.setUint32(o + 12, (e.csize << 8) >>> 0, true);
    v.setUint32(o + 16, e.off, true);
    v.setUint32(o + 20, e.ctx, true);
  });
  out.set(zran, ciSize);
  const h = padded;
  const features =
    BlobFeatures.ALIGNED | BlobFeatures.CHUNK_INFO_V2 | BlobFeatures.ZRAN | BlobFeatures.SEPARATE;
  v.setUint32(h, 0xb10bb10b, true);
  v.setUint32(h + 4, features, true);
  v.setUint32(h + 12, entries.length, true);
  v.setBigUint64(h + 32, BigInt(total), true);
  v.setBigUint64(h + 24, BigInt(total), true);
  v.setBigUint64(h + 40, BigInt(ciSize), true);
  v.setBigUint64(h + 48, BigInt(zran.length), true);
  v.setUint32(h + 56, count, true);
  v.setUint32(h + 4092, 0xb10bb10b, true);
  return out;
}

describe.skipIf(!HAVE_FIXTURES)("zran chunks read through the ChunkReader", () => {
  it("decode equal to zlib from contexts with pending bits, across gzip members", async () => {
    const gz = readFileSync(fixture("zran/bgzip.tar.gz"));
    const whole = gunzipSync(gz);
    const scan = scanCheckpoints(gz, whole.length);
    // Checkpoints with every pending-bit count, plus the last one before each member end.
    const picked = new Map<number, (typeof scan.checkpoints)[number]>();
    for (const cp of scan.checkpoints) {
      const bits = (8 - (cp.bitPos % 8)) % 8;
      if (!picked.has(bits) && cp.outPos > 0) picked.set(bits, cp);
    }
    const cps = [...picked.values()].slice(0, 6);
    expect(cps.length).toBeGreaterThanOrEqual(4);
    const contexts = cps.map((cp) => {
      const outLen = Math.min(600_000, whole.length - cp.outPos);
      return contextAt(gz, scan, cp, outLen);
    });
    const table = encodeZranTable(contexts);
    // Two chunks per context: one at its start, one spanning later output.
    const entries = contexts.flatMap((c, i) => [
      { u: i * 2 * 0x100000, size: 5000, c: c.ctx.inOffset, csize: 100, ctx: i, off: 0 },
      {
        u: (i * 2 + 1) * 0x100000,
        size: 70_000,
        c: c.ctx.inOffset,
        csize: 100,
        ctx: i,
        off: c.ctx.outLen - 70_000,
      },
    ]);
    const meta = decodeBlobMetaCacheFile(cacheFile(entries, table, contexts.length));
    const blob: BlobInfo = {
      index: 0,
      id: "layer",
      compressor: "gzip",
      digester: "sha256",
      chunkSize: 0x100000,
      chunkCount: entries.length,
      compressedSize: gz.length,
      uncompressedSize: undefined,
      features: meta.features,
      tocSize: 0,
    };
    const stats = newImageStats();
    const reader = new ChunkReader([blob], () => new MemoryBlobSource(gz), stats);
    for (let i = 0; i < entries.length; i++) {
      const m = meta.chunk(i);
      if (!m.zran) throw new Error("zran entry expected");
      const z = meta.zranContext(m.zran.context);
      const ctx = contexts[m.zran.context];
      expect(z.context).toMatchObject({
        inOffset: ctx?.ctx.inOffset,
        ctxBits: ctx?.ctx.ctxBits,
        outLen: ctx?.ctx.outLen,
      });
      const start = z.context.outOffset + m.zran.offset;
      const want = whole.subarray(start, start + m.uncompressedSize);
      const loc: ChunkLocation = {
        blobIndex: 0,
        chunkIndex: i,
        compressedOffset: m.compressedOffset,
        compressedSize: m.compressedSize,
        uncompressedOffset: m.uncompressedOffset,
        uncompressedSize: m.uncompressedSize,
        compressed: true,
        digest: sha256(want),
        zran: { contextIndex: m.zran.context, offset: m.zran.offset, ...z },
      };
      const got = await reader.chunk(loc);
      expect(Buffer.compare(got, want), `chunk ${i}`).toBe(0);
      await expect(
        reader.chunk({ ...loc, chunkIndex: 1000 + i, digest: sha256(Buffer.from("x")) }),
      ).rejects.toMatchObject({
        code: "RAFS_DIGEST_MISMATCH",
      });
    }
    // Each context is inflated once and shared by its two chunks.
    expect(stats.blobReads).toBe(contexts.length);
  });
});
