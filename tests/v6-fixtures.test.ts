// RAFS v6 ground truth: the nydus 2.2 bootstrap with its zstd blob (blob meta, blob.digest, TOC),
// the older blob that carries its own bootstrap in the TOC, and the zran blob meta. Facts from
// the format reference, section 7; fsck.erofs is the independent oracle for the file bytes.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BlobFeatures,
  blobMetaRange,
  DEFAULT_LIMITS,
  decodeBlobMetaCacheFile,
  decodeBlobMetaSection,
  decodeTocEntries,
  locateToc,
  openBootstrap,
  toHex,
} from "@rafscan/rafs";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, HAVE_FIXTURES, TOC_BLOB, V6_BLOB_ID, V6_BLOBS, V6_BOOT } from "./support/fixtures.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const HAVE_FSCK = spawnSync("fsck.erofs", ["-V"]).status === 0;

describe.skipIf(!HAVE_FIXTURES)("RAFS v6 bootstrap rafs-v6-2.2.boot with its zstd blob", () => {
  let image: Image;
  const blobPath = join(V6_BLOBS, V6_BLOB_ID);
  beforeAll(async () => {
    image = await openImage({ bootstrap: V6_BOOT, blobs: { [V6_BLOB_ID]: new FileBlobSource(blobPath) } });
  });
  afterAll(() => image.close());

  it("decodes the superblocks and the blob table", () => {
    const i = image.info;
    expect(i).toMatchObject({
      format: "v6",
      blockSize: 4096,
      chunkSize: 0x100000,
      compressor: "zstd",
      digester: "blake3",
    });
    expect(i.flags).toBe("0x194");
    expect(i.rootId).toBe(128);
    expect(i.inodeCount).toBe(3);
    const [blob] = i.blobs;
    expect(blob).toMatchObject({
      id: V6_BLOB_ID,
      chunkCount: 2,
      compressor: "zstd",
      features: 0x70000021,
      compressedSize: 14554,
      uncompressedSize: 36864,
      tocSize: 1024,
      meta: { compressor: "none", offset: 8314, compressedSize: 32, uncompressedSize: 32 },
    });
    expect(toHex(blob?.tocDigest ?? new Uint8Array())).toMatch(/^cfc89ed0.*acde$/);
  });

  it("lists the tree with nids as inode numbers", async () => {
    const rows = [];
    for await (const e of image.walk("/")) rows.push([e.path, e.stats.ino, e.stats.size, e.stats.mode]);
    expect(rows).toEqual([
      ["/", 128, 67, 0o40755],
      ["/lib.rs", 133, 16931, 0o100644],
      ["/sync_io.rs", 136, 13400, expect.any(Number)],
    ]);
    const st = await image.stat("/lib.rs");
    expect(st.mtimeNs).toBe(1676819553628661334n);
  });

  it("reads both files with the expected sha256 and verifies their blake3 chunk digests", async () => {
    expect(sha256(await image.readFile("/lib.rs"))).toBe(
      "1810eba864521293bb0d6b55a3c82318d4d89f294ed761c456d9088a17de0c69",
    );
    expect(sha256(await image.readFile("/sync_io.rs"))).toBe(
      "e629ab260ff0dc02a24648a3e0dd8c13a5daf233d535c330e3201925f5eeff96",
    );
    expect(
      (await image.readFile("/lib.rs", { encoding: "utf8" })).startsWith(
        "// Copyright (C) 2020 Alibaba Cloud. All",
      ),
    ).toBe(true);
    expect(image.stats.chunksVerified).toBe(2);
  });

  it("locates chunks identically through the blob meta CI array and the bootstrap chunk table", async () => {
    const raw = openBootstrap(readFileSync(V6_BOOT));
    const blob = raw.info.blobs[0];
    if (!blob) throw new Error("no blob");
    const range = blobMetaRange(blob);
    if (!range) throw new Error("no blob meta");
    const bytes = readFileSync(blobPath);
    const meta = decodeBlobMetaSection(
      bytes.subarray(range.offset, range.offset + range.length),
      blob,
      DEFAULT_LIMITS,
    );
    expect(meta.version).toBe(1);
    expect(meta.entries).toBe(2);
    for (const path of ["/lib.rs", "/sync_io.rs"]) {
      for (const ext of await image.fileExtents(path)) {
        if (ext.kind !== "chunk") throw new Error("chunk expected");
        const m = meta.chunk(ext.chunk.chunkIndex);
        expect(m).toMatchObject({
          compressedOffset: ext.chunk.compressedOffset,
          compressedSize: ext.chunk.compressedSize,
          uncompressedOffset: ext.chunk.uncompressedOffset,
          uncompressedSize: ext.chunk.uncompressedSize,
          compressed: ext.chunk.compressed,
        });
      }
    }
    expect(meta.chunk(1)).toMatchObject({
      uncompressedOffset: 20480,
      uncompressedSize: 13400,
      compressedOffset: 4828,
    });
  });

  it("finds the TOC at the blob tail; its digest and blob.digest section match the bootstrap", async () => {
    const bytes = readFileSync(blobPath);
    const loc = locateToc(bytes.subarray(bytes.length - 512), bytes.length);
    expect(loc).toEqual({ offset: 13530, size: 512 });
    if (!loc) return;
    const entries = decodeTocEntries(bytes.subarray(loc.offset, loc.offset + loc.size));
    expect(entries.map((e) => e.name)).toEqual([
      "image.blob",
      "blob.meta",
      "blob.meta.header",
      "blob.digest",
    ]);
    // blob_toc_digest = sha256(entries ‖ their tar header), the last blob_toc_size bytes.
    expect(sha256(bytes.subarray(bytes.length - 1024))).toBe(
      toHex(image.info.blobs[0]?.tocDigest ?? new Uint8Array()),
    );
    const digestSection = entries.find((e) => e.name === "blob.digest");
    if (!digestSection) throw new Error("no blob.digest");
    const digests = bytes.subarray(
      digestSection.compressedOffset,
      digestSection.compressedOffset + digestSection.compressedSize,
    );
    expect(sha256(digests)).toBe(toHex(digestSection.uncompressedDigest));
    for (const path of ["/lib.rs", "/sync_io.rs"]) {
      const [ext] = await image.fileExtents(path);
      if (ext?.kind !== "chunk") throw new Error("chunk expected");
      const i = ext.chunk.chunkIndex;
      expect(toHex(digests.subarray(i * 32, i * 32 + 32))).toBe(toHex(ext.chunk.digest ?? new Uint8Array()));
    }
  });

  it.skipIf(!HAVE_FSCK)(
    "fsck.erofs extracts the same bytes from the uncompressed cache we rebuild",
    async () => {
      // The blob's uncompressed address space (the nydusd cache file) is a valid EROFS extra
      // device: fill it from our decoded chunks and let erofs-utils extract the files.
      const dir = mkdtempSync(join(tmpdir(), "rafscan-v6-"));
      try {
        const cache = new Uint8Array(image.info.blobs[0]?.uncompressedSize ?? 0);
        for (const path of ["/lib.rs", "/sync_io.rs"]) {
          for (const ext of await image.fileExtents(path)) {
            if (ext.kind !== "chunk") continue;
            cache.set(await image.readChunk(ext.chunk), ext.chunk.uncompressedOffset);
          }
        }
        writeFileSync(join(dir, "cache"), cache);
        execFileSync("fsck.erofs", [
          `--device=${join(dir, "cache")}`,
          `--extract=${join(dir, "out")}`,
          V6_BOOT,
        ]);
        for (const path of ["/lib.rs", "/sync_io.rs"]) {
          expect(sha256(readFileSync(join(dir, "out", path)))).toBe(sha256(await image.readFile(path)));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe.skipIf(!HAVE_FIXTURES)(
  "v6 data blob that carries its bootstrap in the TOC (toc/2fa78cad...)",
  () => {
    it("opens the blob itself as the image and reads every file", async () => {
      const image = await openImage({ bootstrap: TOC_BLOB });
      try {
        expect(image.info).toMatchObject({
          format: "v6",
          compressor: "zstd",
          digester: "blake3",
          inodeCount: 4,
        });
        // The inlined bootstrap records a stale blob id (reference 4.7); the blob serves itself.
        expect(image.info.blobs[0]).toMatchObject({
          id: "d788a0eac4ff9779bc2eae3842117a918d847d90fddbea1503f7c5296a4a7de3",
          features: BlobFeatures.ALIGNED,
          chunkCount: 3,
        });
        const files = {
          "/error.rs": "b23741280bb7fbbd48b68da04f1ee8a4559a3191fd26e7bc332fe9a82205750b",
          "/lib.rs": "7628231c52136b04935025215115e29df7f16f223f66c7793e70721483896210",
          "/logger.rs": "085f726e0b038b4121a0c9fa15a04e154f80e703be78b3d54c2dd445eae807bc",
        };
        expect(await image.readdir("/")).toEqual(Object.keys(files).map((p) => p.slice(1)));
        for (const [path, sum] of Object.entries(files)) {
          const data = await image.readFile(path);
          expect(sha256(data), path).toBe(sum);
          expect(data.toString("utf8", 0, 30)).toBe("// Copyright 2020 Ant Group. A");
        }
        expect(image.stats.chunksVerified).toBe(3);
      } finally {
        await image.close();
      }
    });

    it("the inlined bootstrap is the TOC's image.boot section (sha256 d85f1b77...)", async () => {
      const bytes = readFileSync(TOC_BLOB);
      const loc = locateToc(bytes.subarray(bytes.length - 512), bytes.length);
      if (!loc) throw new Error("no TOC");
      const boot = decodeTocEntries(bytes.subarray(loc.offset, loc.offset + loc.size)).find(
        (e) => e.name === "image.boot",
      );
      expect(boot).toMatchObject({
        compressor: "zstd",
        compressedOffset: 7997,
        compressedSize: 501,
        uncompressedSize: 20480,
      });
      expect(toHex(boot?.uncompressedDigest ?? new Uint8Array())).toBe(
        "d85f1b77aab4849b34ffc447fee67a46ae9eb2af8533bf5faa62224df1796871",
      );
    });
  },
);

describe.skipIf(!HAVE_FIXTURES)("zran blob meta in the nydusd cache-file format", () => {
  it("decodes the v2 CI entries with their zran references", () => {
    const bytes = readFileSync(
      fixture("zran/233c72f2b6b698c07021c4da367cfe2dff4f049efbaa885ca0ff760ea297865a.blob.meta"),
    );
    const meta = decodeBlobMetaCacheFile(bytes);
    expect(meta.version).toBe(2);
    expect(meta.entries).toBe(163);
    expect(meta.header).toMatchObject({ features: 0xf, zranOffset: 0xf48, zranSize: 0xa0348, zranCount: 21 });
    expect(meta.chunk(0)).toEqual({
      compressedOffset: 0xb8,
      compressedSize: 0x289,
      uncompressedOffset: 0,
      uncompressedSize: 0x57c,
      compressed: true,
      encrypted: false,
      zran: { context: 0, offset: 1024 },
    });
    expect(meta.chunk(162)).toMatchObject({
      compressedOffset: 0x962146,
      compressedSize: 0x66,
      uncompressedOffset: 0x16c5000,
      uncompressedSize: 0x16c,
      zran: { context: 20, offset: 126224 },
    });
    // Ascending uncompressed offsets, as nydus's binary search requires.
    for (let i = 1; i < meta.entries; i++) {
      expect(meta.chunk(i).uncompressedOffset).toBeGreaterThan(meta.chunk(i - 1).uncompressedOffset);
    }
    expect(() => meta.chunk(163)).toThrow(expect.objectContaining({ code: "RAFS_CORRUPT" }));
  });
});
