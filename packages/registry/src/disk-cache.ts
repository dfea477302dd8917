// An optional on-disk cache shared by every image: blob ranges (chunks, blob metas) and whole small
// blobs (bootstrap layers, configs), all keyed by content digest, so that a base
// layer's chunks are fetched once whichever image they are read through. Entries are written to a
// temporary name and renamed, so a crash never leaves a torn entry under a real name. Whole blobs
// are checked against their digest when read back, ranges against a sha256 stored with them (and
// chunks once more by the chunk reader).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BlobSource, ByteRange, ReadOptions } from "@rafscan/vfs";
import type { RemoteStats } from "./remote-stats.js";

const DIGEST = /^(sha256|sha512):([a-f0-9]{64}|[a-f0-9]{128})$/;
/** Bytes of the sha256 kept after each cached range. */
const SUM = 32;
/** Largest range kept as one cache entry: bigger reads (whole layers) are not cached by range. */
const MAX_RANGE_ENTRY = 64 * 1024 * 1024;

/** A directory of cached content. */
export class DiskCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A whole blob by digest, if cached and intact (re-hashed on every read). */
  getBlob(digest: string): Uint8Array | undefined {
    const m = DIGEST.exec(digest);
    if (m === null) return undefined;
    const bytes = readIfExists(join(this.dir, "blobs", m[1] as string, m[2] as string));
    if (bytes === undefined) return undefined;
    const got = createHash(m[1] as string)
      .update(bytes)
      .digest("hex");
    return got === m[2] ? bytes : undefined;
  }

  /** Stores a whole blob whose digest the caller has checked. */
  putBlob(digest: string, bytes: Uint8Array): void {
    const m = DIGEST.exec(digest);
    if (m !== null) this.#write(join(this.dir, "blobs", m[1] as string), m[2] as string, bytes);
  }

  /** Wraps a source of the blob `digest` so that ranges read through it are kept on disk. */
  wrap(source: BlobSource, digest: string, stats?: RemoteStats): BlobSource {
    const m = DIGEST.exec(digest);
    if (m === null) return source;
    const dir = join(this.dir, "ranges", m[1] as string, m[2] as string);
    const read = async (offset: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> => {
      const name = `${offset}-${length}`;
      // Looked up synchronously on purpose: misses then reach the source in the same event-loop
      // turn as before, so the ranged source can still merge them into few requests.
      const stored = length <= MAX_RANGE_ENTRY ? readIfExists(join(dir, name)) : undefined;
      // An entry is the bytes and their sha256: a damaged entry is a miss (and is rewritten below),
      // so one bad disk block costs a refetch instead of failing that file on every later read.
      if (stored !== undefined && stored.length === length + SUM) {
        const bytes = stored.subarray(0, length);
        if (Buffer.compare(createHash("sha256").update(bytes).digest(), stored.subarray(length)) === 0) {
          if (stats !== undefined) stats.diskHits++;
          return bytes;
        }
      }
      if (stats !== undefined) stats.diskMisses++;
      const bytes = await source.read(offset, length, options);
      if (length <= MAX_RANGE_ENTRY) {
        this.#write(dir, name, Buffer.concat([bytes, createHash("sha256").update(bytes).digest()]));
      }
      return bytes;
    };
    return {
      read,
      readv: (ranges: readonly ByteRange[], options?: ReadOptions) =>
        Promise.all(ranges.map((r) => read(r.offset, r.length, options))),
      ...(source.size === undefined
        ? {}
        : { size: (options?: ReadOptions) => (source.size as NonNullable<BlobSource["size"]>)(options) }),
      ...(source.close === undefined ? {} : { close: () => (source.close as () => Promise<void>)() }),
    };
  }

  /** Best effort: a cache that cannot be written (full disk, read-only) only costs refetches. */
  #write(dir: string, name: string, bytes: Uint8Array): void {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
      writeFileSync(tmp, bytes);
      renameSync(tmp, join(dir, name));
    } catch {
      // ignored: see above
    }
  }
}

function readIfExists(path: string): Uint8Array | undefined {
  try {
    if (statSync(path, { throwIfNoEntry: false }) === undefined) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
