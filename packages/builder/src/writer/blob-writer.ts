// Writes one RAFS v6 data blob: chunk data, then the blob meta (CI v1 array and its header),
// blob.digest and the TOC, each section followed by a tar header, as nydus-image 2.x writes them
// (reference sections 4.2-4.6). Chunks stream to disk; only one chunk is in memory at a time.
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { BLOB_META_HEADER_SIZE, BLOB_META_MAGIC, BlobFeatures, type CompressorName } from "@rafscan/rafs";
import type { ChunkRef } from "./chunk-ref.js";
import { compressChunk } from "./compress.js";
import { COMPRESSOR_ID } from "./format-codes.js";
import { sectionTarHeader } from "./tar-header.js";

const ALIGN = 4096;
/** TOC compression bits; gzip has none, so a gzip blob stores its CI uncompressed. */
const TOC_BITS: Partial<Record<CompressorName, number>> = { none: 0x1, zstd: 0x2, lz4_block: 0x4 };

/** Blob features this writer sets (reference 4.1): aligned chunks, digests, tar headers, TOC. */
export const WRITER_BLOB_FEATURES =
  BlobFeatures.ALIGNED |
  BlobFeatures.INLINED_CHUNK_DIGEST |
  BlobFeatures.HAS_TAR_HEADER |
  BlobFeatures.HAS_TOC |
  BlobFeatures.CAP_TAR_TOC;

/** What a finished blob is, for the blob table. */
export interface FinishedBlob {
  readonly id: string;
  readonly path: string;
  readonly size: number;
  readonly chunkCount: number;
  readonly uncompressedSize: number;
  readonly ciCompressor: CompressorName;
  readonly ciOffset: number;
  readonly ciCompressedSize: number;
  readonly ciUncompressedSize: number;
  readonly tocSize: number;
  readonly tocDigest: Uint8Array;
}

/** A blob being written into `dir` under a temporary name, renamed to its sha256 when done. */
export class BlobWriter {
  readonly compressor: CompressorName;
  readonly ref: { index: number } = { index: -1 };
  readonly #dir: string;
  readonly #tmp: string;
  readonly #chunks: ChunkRef[] = [];
  readonly #hash: Hash = createHash("sha256");
  #fd: number | undefined;
  #pos = 0;
  #uncompressedEnd = 0;

  constructor(dir: string, compressor: CompressorName, tag: string) {
    this.#dir = dir;
    this.compressor = compressor;
    this.#tmp = join(dir, `.tmp-blob-${tag}`);
  }

  get chunkCount(): number {
    return this.#chunks.length;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    // Synchronous writes: a build issues one write per chunk, and an async write's thread-pool
    // round trip cost more than the write itself (the page cache absorbs it); measured in
    // benchmarks/build.
    this.#fd ??= openSync(this.#tmp, "w");
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#pos + done);
    this.#hash.update(bytes);
    this.#pos += bytes.length;
  }

  /** Stores one new (not deduplicated) chunk and returns its reference. */
  async addChunk(data: Uint8Array, digest: Uint8Array): Promise<ChunkRef> {
    const packed = compressChunk(this.compressor, data);
    const compressed = packed !== data && packed.length < data.length;
    const stored = compressed ? packed : data;
    // Uncompressed offsets are 4 KiB aligned (blob feature ALIGNED). Raw blobs also align the
    // stored bytes, so that the blob is a valid EROFS extra device (offset = block address).
    const uncompressedOffset = Math.ceil(this.#uncompressedEnd / ALIGN) * ALIGN;
    if (this.compressor === "none" && this.#pos < uncompressedOffset) {
      await this.#write(new Uint8Array(uncompressedOffset - this.#pos));
    }
    const ref: ChunkRef = {
      blob: this.ref,
      index: this.#chunks.length,
      digest,
      compressedOffset: this.#pos,
      compressedSize: stored.length,
      uncompressedOffset,
      uncompressedSize: data.length,
      compressed,
    };
    await this.#write(stored);
    this.#uncompressedEnd = uncompressedOffset + data.length;
    this.#chunks.push(ref);
    return ref;
  }

  /**
   * Writes the tail sections (v6; a v5 blob is its chunk data alone, as nydus writes it), closes
   * the file and names it by its sha256.
   */
  async finish(options: { sections?: boolean } = {}): Promise<FinishedBlob> {
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();
    const dataSize = this.#pos;
    if (options.sections === false)
      return this.#close({
        ciOffset: 0,
        ciStored: 0,
        ci: 0,
        ciCompressor: "none",
        tocSize: 0,
        tocDigest: new Uint8Array(32),
      });
    // image.blob: its TOC digest covers the data and its tar header (reference 4.3).
    const dataHeader = sectionTarHeader("image.blob", dataSize);
    // The blob-id hash has seen exactly the data so far: a copy of it gives the section digest
    // without reading the data back.
    const idSoFar = this.#hash.copy();
    await this.#write(dataHeader);
    const imageBlobDigest = idSoFar.update(dataHeader).digest();

    // blob.meta: the CI v1 array, compressed when that helps, then the 4096-byte header.
    const ci = encodeCiV1(this.#chunks);
    let ciCompressor: CompressorName = "none";
    let ciStored: Uint8Array = ci;
    if (this.compressor !== "none" && this.compressor !== "gzip" && ci.length > 0) {
      const packed = compressChunk(this.compressor, ci);
      if (packed.length < ci.length) {
        ciStored = packed;
        ciCompressor = this.compressor;
      }
    }
    const ciOffset = this.#pos;
    const uncompressedSize = Math.ceil(this.#uncompressedEnd / ALIGN) * ALIGN;
    const header = encodeBlobMetaHeader(
      this.#chunks.length,
      ciCompressor,
      ciOffset,
      ciStored.length,
      ci.length,
    );
    await this.#write(ciStored);
    await this.#write(header);
    await this.#write(sectionTarHeader("blob.meta", ciStored.length + BLOB_META_HEADER_SIZE));

    // blob.digest: each chunk's digest in CI order.
    const digests = new Uint8Array(this.#chunks.length * 32);
    for (const [i, c] of this.#chunks.entries()) digests.set(c.digest, i * 32);
    const digestOffset = this.#pos;
    await this.#write(digests);
    await this.#write(sectionTarHeader("blob.digest", digests.length));

    // The TOC names every section; blob_toc_digest = sha256(entries ‖ their tar header).
    const toc = encodeToc([
      {
        name: "image.blob",
        bits: 0x1,
        digest: imageBlobDigest,
        offset: 0,
        size: dataSize,
        usize: uncompressedSize,
      },
      {
        name: "blob.meta",
        bits: TOC_BITS[ciCompressor] ?? 0x1,
        digest: sha(ci),
        offset: ciOffset,
        size: ciStored.length,
        usize: ci.length,
      },
      {
        name: "blob.meta.header",
        bits: 0x1,
        digest: sha(header),
        offset: ciOffset + ciStored.length,
        size: BLOB_META_HEADER_SIZE,
        usize: BLOB_META_HEADER_SIZE,
      },
      {
        name: "blob.digest",
        bits: 0x1,
        digest: sha(digests),
        offset: digestOffset,
        size: digests.length,
        usize: digests.length,
      },
    ]);
    const tocHeader = sectionTarHeader("rafs.blob.toc", toc.length);
    await this.#write(toc);
    await this.#write(tocHeader);
    const tocDigest = createHash("sha256").update(toc).update(tocHeader).digest();

    return this.#close({
      ciOffset,
      ciStored: ciStored.length,
      ci: ci.length,
      ciCompressor,
      tocSize: toc.length + 512,
      tocDigest,
    });
  }

  async #close(t: {
    ciOffset: number;
    ciStored: number;
    ci: number;
    ciCompressor: CompressorName;
    tocSize: number;
    tocDigest: Uint8Array;
  }): Promise<FinishedBlob> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    const id = this.#hash.digest("hex");
    const path = join(this.#dir, id);
    await rename(this.#tmp, path);
    return {
      id,
      path,
      size: this.#pos,
      chunkCount: this.#chunks.length,
      uncompressedSize: Math.ceil(this.#uncompressedEnd / ALIGN) * ALIGN,
      ciCompressor: t.ciCompressor,
      ciOffset: t.ciOffset,
      ciCompressedSize: t.ciStored,
      ciUncompressedSize: t.ci,
      tocSize: t.tocSize,
      tocDigest: t.tocDigest,
    };
  }

  /** Removes the temporary file after a failure. */
  async abort(): Promise<void> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    await rm(this.#tmp, { force: true });
  }
}

/** CI v1 entries (reference 4.5): offsets and (size - 1) packed into two u64 words. */
function encodeCiV1(chunks: readonly ChunkRef[]): Uint8Array {
  const out = new Uint8Array(chunks.length * 16);
  const v = new DataView(out.buffer);
  chunks.forEach((c, i) => {
    const us = BigInt(c.uncompressedSize - 1);
    const cs = BigInt(c.compressedSize - 1);
    const uncomp = BigInt(c.uncompressedOffset) | ((us & 0xfffffn) << 44n) | (((us >> 20n) & 0xfn) << 8n);
    const comp = BigInt(c.compressedOffset) | ((cs & 0xfffffn) << 44n) | (((cs >> 20n) & 0xfn) << 40n);
    v.setBigUint64(i * 16, uncomp, true);
    v.setBigUint64(i * 16 + 8, comp, true);
  });
  return out;
}

function encodeBlobMetaHeader(
  entries: number,
  ciCompressor: CompressorName,
  ciOffset: number,
  ciCompressedSize: number,
  ciUncompressedSize: number,
): Uint8Array {
  const h = new Uint8Array(BLOB_META_HEADER_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, BLOB_META_MAGIC, true);
  v.setUint32(4, WRITER_BLOB_FEATURES, true);
  v.setUint32(8, COMPRESSOR_ID[ciCompressor], true);
  v.setUint32(12, entries, true);
  v.setBigUint64(16, BigInt(ciOffset), true);
  v.setBigUint64(24, BigInt(ciCompressedSize), true);
  v.setBigUint64(32, BigInt(ciUncompressedSize), true);
  v.setUint32(4092, BLOB_META_MAGIC, true);
  return h;
}

interface TocItem {
  name: string;
  bits: number;
  digest: Uint8Array;
  offset: number;
  size: number;
  usize: number;
}

function encodeToc(items: readonly TocItem[]): Uint8Array {
  const out = new Uint8Array(items.length * 128);
  const v = new DataView(out.buffer);
  items.forEach((t, i) => {
    const o = i * 128;
    v.setUint32(o, t.bits, true);
    out.set(new TextEncoder().encode(t.name), o + 8);
    out.set(t.digest, o + 24);
    v.setBigUint64(o + 56, BigInt(t.offset), true);
    v.setBigUint64(o + 64, BigInt(t.size), true);
    v.setBigUint64(o + 72, BigInt(t.usize), true);
  });
  return out;
}
