// Reads, decodes and verifies chunks through BlobSources, with an lru-cache of decoded chunks
// bounded in bytes and one shared fetch for concurrent misses of the same chunk.
import {
  type BlobInfo,
  type ChunkLocation,
  decompress,
  type Extent,
  inflateZranContext,
  loadCrc32c,
  loadHasher,
  RafsError,
  RafsErrorCode,
  toHex,
} from "@rafscan/rafs";
import { LRUCache } from "lru-cache";
import type { BlobSource, ReadOptions } from "./blob-source.js";
import type { ImageStats } from "./stats-counter.js";

/** Options of {@link ChunkReader}. */
export interface ChunkReaderOptions {
  /** Bytes of decoded chunks kept in memory. Default 64 MiB. */
  readonly cacheBytes?: number;
  /** Check each chunk against its digest or CRC where the format has one. Default true. */
  readonly verify?: boolean;
}

type Hash = (data: Uint8Array) => Uint8Array;

/** Decodes chunks of one image. */
export class ChunkReader {
  readonly #blobs: readonly BlobInfo[];
  readonly #source: (blobIndex: number) => BlobSource;
  readonly #cache: LRUCache<string, Uint8Array>;
  readonly #inflight = new Map<string, Promise<Uint8Array>>();
  readonly #verify: boolean;
  readonly #stats: ImageStats;
  #hashers: Promise<{ blake3: Hash; sha256: Hash; crc32c: (d: Uint8Array) => number }> | undefined;

  constructor(
    blobs: readonly BlobInfo[],
    source: (blobIndex: number) => BlobSource,
    stats: ImageStats,
    options: ChunkReaderOptions = {},
  ) {
    this.#blobs = blobs;
    this.#source = source;
    this.#stats = stats;
    this.#verify = options.verify ?? true;
    this.#cache = new LRUCache<string, Uint8Array>({
      maxSize: Math.max(1, options.cacheBytes ?? 64 * 1024 * 1024),
      // A chunk larger than the whole cache is simply not cached.
      sizeCalculation: (v) => Math.max(1, v.length),
    });
  }

  #loadHashers() {
    this.#hashers ??= (async () => {
      const [b3, s256, crc] = await Promise.all([loadHasher("blake3"), loadHasher("sha256"), loadCrc32c()]);
      return {
        blake3: (d: Uint8Array) => b3.digest(d),
        sha256: (d: Uint8Array) => s256.digest(d),
        crc32c: crc,
      };
    })();
    return this.#hashers;
  }

  /** The decoded bytes of one chunk. */
  async chunk(loc: ChunkLocation, options: ReadOptions = {}): Promise<Uint8Array> {
    const key = `${loc.blobIndex}:${loc.chunkIndex}:${loc.compressedOffset}:${loc.uncompressedOffset}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#stats.cacheHits++;
      return hit;
    }
    let p = this.#inflight.get(key);
    if (p === undefined) {
      this.#stats.cacheMisses++;
      p = this.#load(loc, options).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    } else {
      this.#stats.cacheHits++;
    }
    const data = await p;
    this.#cache.set(key, data);
    return data;
  }

  async #load(loc: ChunkLocation, options: ReadOptions): Promise<Uint8Array> {
    const blob = this.#blobs[loc.blobIndex];
    const where = `blob ${blob?.id ?? loc.blobIndex} chunk ${loc.chunkIndex}`;
    if (blob === undefined)
      throw new RafsError(RafsErrorCode.CORRUPT, "chunk refers to a missing blob", { where });
    let data: Uint8Array;
    try {
      data = await this.#decode(blob, loc, where, options);
    } catch (err) {
      // Bytes that do not even decode are not the bytes the chunk's digest was recorded for: a
      // registry, proxy or cache that serves other bytes fails with the digest code that
      // docs/errors.md promises for wrong bytes, whatever step noticed it first.
      if (
        this.#verify &&
        err instanceof RafsError &&
        err.code === RafsErrorCode.DECOMPRESS &&
        hasDigest(blob, loc)
      ) {
        throw new RafsError(
          RafsErrorCode.DIGEST_MISMATCH,
          `chunk bytes do not match its recorded digest: they do not decode (${err.message})`,
          { where, cause: err },
        );
      }
      throw err;
    }
    if (this.#verify) await this.#check(blob, loc, data, where);
    return data;
  }

  /** Reads and decompresses one chunk, checking its decoded size. */
  async #decode(
    blob: BlobInfo,
    loc: ChunkLocation,
    where: string,
    options: ReadOptions,
  ): Promise<Uint8Array> {
    const source = this.#source(loc.blobIndex);
    let data: Uint8Array;
    if (loc.zran !== undefined) {
      const whole = await this.#zranOutput(loc.blobIndex, loc.zran, source, where, options);
      data = whole.subarray(loc.zran.offset, loc.zran.offset + loc.uncompressedSize);
    } else if (loc.batch !== undefined) {
      const batch = await this.#readRaw(
        source,
        loc.compressedOffset,
        loc.batch.compressedSize,
        where,
        options,
      );
      // A batch counts as compressed iff its sizes differ (reference 4.8).
      const whole =
        loc.batch.compressedSize === loc.batch.uncompressedSize
          ? batch
          : decompress(blob.compressor, batch, loc.batch.uncompressedSize, `${where} batch`);
      if (loc.batch.offset + loc.uncompressedSize > whole.length) {
        throw new RafsError(RafsErrorCode.CORRUPT, "batch member outside its batch", { where });
      }
      data = whole.subarray(loc.batch.offset, loc.batch.offset + loc.uncompressedSize);
    } else {
      const raw = await this.#readRaw(source, loc.compressedOffset, loc.compressedSize, where, options);
      data = loc.compressed ? decompress(blob.compressor, raw, loc.uncompressedSize, where) : raw;
    }
    if (data.length !== loc.uncompressedSize) {
      throw new RafsError(
        RafsErrorCode.DECOMPRESS,
        `chunk decoded to ${data.length} bytes, expected ${loc.uncompressedSize}`,
        {
          where,
        },
      );
    }
    return data;
  }

  /**
   * The whole output of one zran inflate context, shared by every chunk in it: decoding restarts
   * at the context's checkpoint in the original .tar.gz (reference 4.9).
   */
  #zranOutput(
    blobIndex: number,
    zran: NonNullable<ChunkLocation["zran"]>,
    source: BlobSource,
    where: string,
    options: ReadOptions,
  ): Promise<Uint8Array> {
    const key = `zran:${blobIndex}:${zran.contextIndex}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.#inflight.get(key);
    if (p === undefined) {
      const ctx = zran.context;
      const w = `${where} zran context ${zran.contextIndex}`;
      p = this.#readRaw(source, ctx.inOffset, ctx.inLen, w, options)
        .then((input) => {
          const out = inflateZranContext(input, ctx, zran.dictionary, w);
          this.#cache.set(key, out);
          return out;
        })
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  async #readRaw(source: BlobSource, offset: number, length: number, where: string, options: ReadOptions) {
    const started = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await source.read(offset, length, options);
    } catch (err) {
      if (err instanceof RafsError || (err as Error)?.name === "AbortError") throw err;
      throw new RafsError(
        RafsErrorCode.BLOB_READ,
        `reading [${offset}, ${offset + length}) failed: ${String(err)}`,
        {
          where,
          cause: err,
        },
      );
    } finally {
      this.#stats.blobReadMs += performance.now() - started;
    }
    this.#stats.blobReads++;
    this.#stats.blobBytesRead += bytes.length;
    if (bytes.length !== length) {
      throw new RafsError(RafsErrorCode.BLOB_READ, `source returned ${bytes.length} bytes for ${length}`, {
        where,
      });
    }
    return bytes;
  }

  async #check(blob: BlobInfo, loc: ChunkLocation, data: Uint8Array, where: string): Promise<void> {
    const h = await this.#loadHashers();
    if (loc.crc32c !== undefined) {
      const crc = h.crc32c(data);
      if (crc !== loc.crc32c) {
        throw new RafsError(
          RafsErrorCode.DIGEST_MISMATCH,
          `CRC-32C 0x${crc.toString(16)} != recorded 0x${loc.crc32c.toString(16)}`,
          { where },
        );
      }
      this.#stats.chunksVerified++;
      return;
    }
    if (loc.digest === undefined || blob.digester === "none") return;
    const got = (blob.digester === "sha256" ? h.sha256 : h.blake3)(data);
    if (Buffer.compare(got, loc.digest) !== 0) {
      throw new RafsError(
        RafsErrorCode.DIGEST_MISMATCH,
        `${blob.digester} ${toHex(got)} != recorded ${toHex(loc.digest)}`,
        { where },
      );
    }
    this.#stats.chunksVerified++;
  }

  /**
   * Copies file bytes `[start, end)` described by `extents` into `out` at `outOffset`.
   * Chunks are fetched concurrently, so a remote source can coalesce their ranges.
   */
  async readInto(
    extents: readonly Extent[],
    start: number,
    end: number,
    out: Uint8Array,
    outOffset: number,
    options: ReadOptions = {},
  ): Promise<void> {
    out.fill(0, outOffset, outOffset + (end - start)); // holes and gaps read as zeros
    const jobs: Promise<void>[] = [];
    for (let i = firstExtentAt(extents, start); i < extents.length; i++) {
      const ext = extents[i];
      if (ext === undefined) break;
      const extEnd = ext.fileOffset + extentLength(ext);
      if (ext.fileOffset >= end) break;
      if (extEnd <= start) continue;
      const from = Math.max(start, ext.fileOffset);
      const to = Math.min(end, extEnd);
      const dst = outOffset + (from - start);
      switch (ext.kind) {
        case "hole":
          break;
        case "inline":
          out.set(ext.bytes.subarray(from - ext.fileOffset, to - ext.fileOffset), dst);
          break;
        case "chunk":
          jobs.push(
            this.chunk(ext.chunk, options).then((data) => {
              out.set(data.subarray(from - ext.fileOffset, to - ext.fileOffset), dst);
            }),
          );
          break;
        case "device": {
          const where = `device ${ext.device}`;
          const source = this.#source(ext.device - 1);
          jobs.push(
            this.#readRaw(source, ext.offset + (from - ext.fileOffset), to - from, where, options).then(
              (data) => {
                out.set(data, dst);
              },
            ),
          );
          break;
        }
      }
    }
    await Promise.all(jobs);
  }
}

/** True when a chunk has a digest or CRC to check its decoded bytes against. */
function hasDigest(blob: BlobInfo, loc: ChunkLocation): boolean {
  return loc.crc32c !== undefined || (loc.digest !== undefined && blob.digester !== "none");
}

/** Length in file bytes of an extent. */
export function extentLength(ext: Extent): number {
  return ext.kind === "inline" ? ext.bytes.length : ext.length;
}

/** Index of the first extent that ends after `pos` (extents are sorted by file offset). */
function firstExtentAt(extents: readonly Extent[], pos: number): number {
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = extents[mid];
    if (e !== undefined && e.fileOffset + extentLength(e) <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
