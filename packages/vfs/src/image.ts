// The read-only filesystem over an opened image: node:fs/promises-like methods, walk and glob.
import { constants } from "node:buffer";
import { Readable } from "node:stream";
import {
  type BlobInfo,
  blobMetaRange,
  type ChunkLocation,
  type DirEntry,
  decodeBlobMetaSection,
  decodeName,
  type Extent,
  type ImageInfo,
  type Inode,
  type Limits,
  RafsError,
  RafsErrorCode,
  type RafsImage,
  resolveLimits,
} from "@rafscan/rafs";
import type { BlobSource, ReadOptions } from "./blob-source.js";
import { ChunkReader, type ChunkReaderOptions } from "./chunk-reader.js";
import { FsError } from "./fs-error.js";
import type { ImageOrigin } from "./origin.js";
import { joinPath, resolvePath } from "./resolve.js";
import { Dirent, Stats } from "./stats.js";
import { type ImageStats, newImageStats } from "./stats-counter.js";

/**
 * Where a blob's bytes come from: RAFS blobs by id (or index), EROFS extra devices by tag or device
 * number ("1" for the first), or a function that picks one.
 */
export type BlobSources =
  | Readonly<Record<string, BlobSource>>
  | ReadonlyMap<string | number, BlobSource>
  | ((blob: BlobInfo) => BlobSource | undefined);

/** One entry yielded by {@link Image.walk}. */
export interface WalkEntry {
  readonly path: string;
  readonly stats: Stats;
  /** 0 for the starting directory. */
  readonly depth: number;
  /** The decoded inode (format-level facts such as the v5 inode digest). */
  readonly inode: Inode;
}

/** Options of {@link Image.walk}. */
export interface WalkOptions extends ReadOptions {
  /** Return false to skip a directory's contents (the directory itself is still yielded). */
  readonly descend?: (entry: WalkEntry) => boolean;
}

/** Options of {@link Image.createReadStream}. */
export interface ReadStreamOptions extends ReadOptions {
  /** First byte, inclusive. Default 0. */
  readonly start?: number;
  /** Last byte, inclusive (as in node). Default the end of file. */
  readonly end?: number;
  /** Bytes per pushed buffer. Default 1 MiB. */
  readonly highWaterMark?: number;
}

/** An open file, like node's `FileHandle` (read-only). */
export interface ImageFileHandle {
  readonly path: string;
  stat(): Promise<Stats>;
  read(
    buffer: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
    options?: ReadOptions,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }>;
  readFile(options?: ReadOptions): Promise<Buffer>;
  close(): Promise<void>;
}

/** Options of the Image constructor; see `openImage`. */
export interface ImageOptions extends ChunkReaderOptions {
  /** Overrides of the decoder limits (docs/limits.md). */
  readonly limits?: Partial<Limits>;
  /** Largest file `readFile` returns in one buffer. Default 1 GiB. */
  readonly maxReadFileSize?: number;
  /** Where the image came from (set by openers such as @rafscan/registry's). Default none. */
  readonly origin?: ImageOrigin;
}

/** A read-only view of one image. Create it with `openImage`. */
export class Image {
  readonly raw: RafsImage;
  readonly stats: ImageStats;
  /** Where the image came from, when its opener said. */
  readonly origin: ImageOrigin | undefined;
  readonly #reader: ChunkReader;
  readonly #sources: (blobIndex: number) => BlobSource;
  readonly #limits: Limits;
  readonly #maxReadFile: number;
  readonly #opened: Map<number, BlobSource | undefined>;
  #metaReady: Promise<void> | undefined;

  constructor(raw: RafsImage, sources: BlobSources, options: ImageOptions = {}, stats = newImageStats()) {
    this.raw = raw;
    this.stats = stats;
    this.origin = options.origin;
    this.#limits = resolveLimits(options.limits);
    this.#maxReadFile = Math.min(options.maxReadFileSize ?? 1024 ** 3, constants.MAX_LENGTH);
    const blobs = raw.info.blobs;
    // One source per blob for the image's lifetime: a resolver function may build a new source
    // (and open a new file) on every call, and close() must reach the ones in use.
    const picked = new Map<number, BlobSource | undefined>();
    this.#opened = picked;
    this.#sources = (index) => {
      const blob = blobs[index];
      if (!picked.has(index)) picked.set(index, blob === undefined ? undefined : pickSource(sources, blob));
      const source = picked.get(index);
      if (source === undefined) {
        const name = blob?.id ? `blob ${blob.id}` : `device ${index + 1}`;
        throw new RafsError(RafsErrorCode.BLOB_MISSING, `no source for ${name}`, { where: name });
      }
      return source;
    };
    this.#reader = new ChunkReader(blobs, this.#sources, stats, options);
  }

  /** Image-wide facts (format, sizes, blobs). */
  get info(): ImageInfo {
    return this.raw.info;
  }

  async stat(path: string, _options: ReadOptions = {}): Promise<Stats> {
    return new Stats(this.raw.inode(resolvePath(this.raw, path, true, "stat").id));
  }

  async lstat(path: string, _options: ReadOptions = {}): Promise<Stats> {
    return new Stats(this.raw.inode(resolvePath(this.raw, path, false, "lstat").id));
  }

  async exists(path: string): Promise<boolean> {
    try {
      resolvePath(this.raw, path, true, "access");
      return true;
    } catch (err) {
      if (err instanceof FsError) return false;
      throw err;
    }
  }

  readdir(path: string, options?: ReadOptions & { withFileTypes?: false }): Promise<string[]>;
  readdir(path: string, options: ReadOptions & { withFileTypes: true }): Promise<Dirent[]>;
  async readdir(
    path: string,
    options: ReadOptions & { withFileTypes?: boolean } = {},
  ): Promise<string[] | Dirent[]> {
    const { id, path: real } = resolvePath(this.raw, path, true, "scandir");
    if (this.raw.inode(id).type !== "dir") throw new FsError("ENOTDIR", "scandir", path);
    const out: (string | Dirent)[] = [];
    for (const e of this.raw.readdir(id)) {
      const name = entryName(e.name, real);
      out.push(options.withFileTypes ? new Dirent(name, real, e.type) : name);
    }
    return out as string[] | Dirent[];
  }

  async readlink(path: string): Promise<string> {
    const { id } = resolvePath(this.raw, path, false, "readlink");
    if (this.raw.inode(id).type !== "symlink") throw new FsError("EINVAL", "readlink", path);
    return decodeName(this.raw.readlink(id));
  }

  async realpath(path: string): Promise<string> {
    return resolvePath(this.raw, path, true, "realpath").path;
  }

  /** Names of a path's extended attributes; `noFollow` reads a symlink's own (llistxattr). */
  async listxattr(path: string, options: { noFollow?: boolean } = {}): Promise<string[]> {
    const { id } = resolvePath(this.raw, path, !options.noFollow, "listxattr");
    return this.raw.xattrs(id).map((x) => x.name);
  }

  /** One extended attribute's value; ENODATA when absent. `noFollow` as in {@link listxattr}. */
  async getxattr(path: string, name: string, options: { noFollow?: boolean } = {}): Promise<Buffer> {
    const { id } = resolvePath(this.raw, path, !options.noFollow, "getxattr");
    const x = this.raw.xattrs(id).find((a) => a.name === name);
    if (x === undefined) throw new FsError("ENODATA", "getxattr", path);
    return Buffer.from(x.value);
  }

  /** The content extents of a regular file (chunks with their blob locations), for tooling. */
  async fileExtents(path: string, options: ReadOptions = {}): Promise<readonly Extent[]> {
    const { id } = this.#file(path, "open");
    await this.#ensureBlobMeta(options);
    return this.raw.extents(id);
  }

  /** Reads, decodes and verifies one chunk (through the cache). */
  async readChunk(chunk: ChunkLocation, options: ReadOptions = {}): Promise<Uint8Array> {
    await this.#ensureBlobMeta(options);
    return this.#reader.chunk(chunk, options);
  }

  readFile(path: string, options?: ReadOptions & { encoding?: null }): Promise<Buffer>;
  readFile(path: string, options: ReadOptions & { encoding: BufferEncoding }): Promise<string>;
  async readFile(
    path: string,
    options: ReadOptions & { encoding?: BufferEncoding | null } = {},
  ): Promise<Buffer | string> {
    const { id } = this.#file(path, "open");
    const data = await this.#readWhole(id, options);
    return options.encoding ? data.toString(options.encoding) : data;
  }

  async open(path: string, options: ReadOptions = {}): Promise<ImageFileHandle> {
    const { id, path: real } = this.#file(path, "open");
    await this.#ensureBlobMeta(options);
    const inode = this.raw.inode(id);
    const extents = this.raw.extents(id);
    let closed = false;
    let position = 0;
    const check = (syscall: string) => {
      if (closed) throw new FsError("EBADF", syscall, real);
    };
    return {
      path: real,
      stat: async () => {
        check("fstat");
        return new Stats(inode);
      },
      read: async (buffer, offset = 0, length = buffer.length - offset, pos = null, readOptions = {}) => {
        check("read");
        if (offset < 0 || length < 0 || offset + length > buffer.length || (pos !== null && pos < 0)) {
          throw new FsError("EINVAL", "read", real);
        }
        const start = pos ?? position;
        const end = Math.min(inode.size, start + length);
        if (end <= start) return { bytesRead: 0, buffer };
        await this.#reader.readInto(extents, start, end, buffer, offset, readOptions);
        if (pos === null) position = end;
        return { bytesRead: end - start, buffer };
      },
      readFile: async (readOptions = {}) => {
        check("read");
        return this.#readWhole(id, readOptions);
      },
      close: async () => {
        closed = true;
      },
    };
  }

  /** A Readable over a file (or part of it: `start`/`end` inclusive, as in node). */
  createReadStream(path: string, options: ReadStreamOptions = {}): Readable {
    const self = this;
    const chunk = options.highWaterMark ?? 1024 * 1024;
    async function* generate(): AsyncGenerator<Buffer> {
      const { id } = self.#file(path, "open");
      await self.#ensureBlobMeta(options);
      const size = self.raw.inode(id).size;
      const extents = self.raw.extents(id);
      const start = options.start ?? 0;
      const end = Math.min(size, options.end === undefined ? size : options.end + 1);
      for (let pos = start; pos < end; pos += chunk) {
        const n = Math.min(chunk, end - pos);
        const buf = Buffer.alloc(n);
        await self.#reader.readInto(extents, pos, pos + n, buf, 0, options);
        yield buf;
      }
    }
    return Readable.from(generate(), {
      objectMode: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * Walks a tree depth-first in name order, yielding every entry (the start included) with its
   * lstat; symlinks are not followed. `descend` prunes.
   */
  async *walk(path = "/", options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    let n = 0;
    for (const entry of this.walkSync(path, options)) {
      if ((++n & 0xff) === 0) options.signal?.throwIfAborted();
      yield entry;
    }
  }

  /**
   * The synchronous form of {@link walk}: the metadata is in memory, so a walk needs no I/O, and
   * skipping a promise per entry makes it about twice as fast on large trees.
   */
  *walkSync(path = "/", options: WalkOptions = {}): Generator<WalkEntry> {
    options.signal?.throwIfAborted();
    const start = resolvePath(this.raw, path, true, "scandir");
    const seen = new Set<number>();
    const maxDepth = this.#limits.maxDepth;
    // An explicit stack of directory iterators: a recursive generator re-yields every entry once
    // per level, which dominated walks of deep trees.
    const stack: { entries: Iterator<DirEntry>; path: string; depth: number }[] = [];
    const enter = (id: number, entry: WalkEntry) => {
      if (entry.stats.type !== "dir" || (options.descend && !options.descend(entry))) return;
      // Directories cannot be hardlinked, so meeting one twice means the metadata loops.
      if (seen.has(id)) throw new RafsError(RafsErrorCode.CORRUPT, "directory cycle", { where: entry.path });
      seen.add(id);
      if (entry.depth >= maxDepth) {
        throw new RafsError(RafsErrorCode.LIMIT, `deeper than ${maxDepth} levels`, { where: entry.path });
      }
      stack.push({ entries: this.raw.readdir(id)[Symbol.iterator](), path: entry.path, depth: entry.depth });
    };
    const rootInode = this.raw.inode(start.id);
    const root: WalkEntry = { path: start.path, stats: new Stats(rootInode), depth: 0, inode: rootInode };
    yield root;
    enter(start.id, root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number];
      const next = top.entries.next();
      if (next.done) {
        stack.pop();
        continue;
      }
      const e = next.value;
      const inode = this.raw.inode(e.id);
      const entry: WalkEntry = {
        path: joinPath(top.path, entryName(e.name, top.path)),
        stats: new Stats(inode),
        depth: top.depth + 1,
        inode,
      };
      yield entry;
      enter(e.id, entry);
    }
  }

  /** Paths matching a glob (picomatch syntax, `dot: true`), found by walking from its static base. */
  async *glob(pattern: string, options: ReadOptions = {}): AsyncGenerator<string> {
    const abs = pattern.startsWith("/") ? pattern : `/${pattern}`;
    // picomatch loads on first use: most callers never glob, and start-up time matters to a CLI.
    const { default: picomatch } = await import("picomatch");
    const { base } = picomatch.scan(abs);
    const isMatch = picomatch(abs, { dot: true });
    const root = base === "" ? "/" : base;
    if (!(await this.exists(root))) return;
    for await (const e of this.walk(root, options)) if (isMatch(e.path)) yield e.path;
  }

  /** Closes every blob source the image opened. */
  async close(): Promise<void> {
    const sources = new Set([...this.#opened.values()].filter((x) => x !== undefined));
    this.#opened.clear();
    await Promise.all([...sources].map((s) => s.close?.()));
  }

  #file(path: string, syscall: string) {
    const r = resolvePath(this.raw, path, true, syscall);
    const type = this.raw.inode(r.id).type;
    if (type === "dir") throw new FsError("EISDIR", "read", path);
    if (type !== "file") throw new FsError("EINVAL", "read", path);
    return r;
  }

  async #readWhole(id: number, options: ReadOptions): Promise<Buffer> {
    await this.#ensureBlobMeta(options);
    const size = this.raw.inode(id).size;
    // Decoding the extents first checks the size against the chunk list before any allocation.
    const extents = this.raw.extents(id);
    if (size > this.#maxReadFile) {
      throw new RafsError(
        RafsErrorCode.LIMIT,
        `file of ${size} bytes exceeds maxReadFileSize ${this.#maxReadFile}; use createReadStream or read()`,
        { where: `inode ${id}` },
      );
    }
    const out = Buffer.alloc(size);
    await this.#reader.readInto(extents, 0, size, out, 0, options);
    return out;
  }

  /** Loads, once, the blob meta of every blob whose chunks cannot be located without it. */
  #ensureBlobMeta(options: ReadOptions): Promise<void> {
    this.#metaReady ??= (async () => {
      const jobs = this.raw.info.blobs
        .filter((b) => this.raw.needsBlobMeta(b.index))
        .map(async (blob) => {
          const range = blobMetaRange(blob);
          if (range === undefined || blob.meta?.separateMetaId !== undefined) {
            throw new RafsError(RafsErrorCode.UNSUPPORTED, "unsupported feature: separate (zran) blob meta", {
              where: `blob ${blob.id}`,
              feature: "separate blob meta",
            });
          }
          const raw = await this.#sources(blob.index).read(range.offset, range.length, options);
          this.stats.metadataBytes += raw.length;
          this.raw.attachBlobMeta(blob.index, decodeBlobMetaSection(raw, blob, this.#limits));
        });
      await Promise.all(jobs);
    })();
    // A failed load is retried on the next read rather than cached forever.
    this.#metaReady.catch(() => {
      this.#metaReady = undefined;
    });
    return this.#metaReady;
  }
}

/** The source `sources` gives for a blob: by id, then by index (EROFS devices: device number). */
export function pickSource(sources: BlobSources, blob: BlobInfo): BlobSource | undefined {
  if (typeof sources === "function") return sources(blob);
  // EROFS numbers devices as its chunk indexes do: 0 is the image itself and extra device k is
  // slot k, so the first extra device (blob index 0) is "1". RAFS blobs are keyed by id.
  const slot = blob.digester === "none" ? blob.index + 1 : blob.index;
  if (sources instanceof Map) return sources.get(blob.id) ?? sources.get(slot) ?? sources.get(String(slot));
  const record = sources as Readonly<Record<string, BlobSource>>;
  return (blob.id ? record[blob.id] : undefined) ?? record[String(slot)];
}

const SLASH = 0x2f;

/**
 * Decodes an entry name and refuses the ones no filesystem can hold ("", ".", "..", or with "/"
 * or NUL): trusting them would let a crafted image escape a directory when extracted.
 */
function entryName(bytes: Uint8Array, dir: string): string {
  const name = decodeName(bytes);
  if (name === "" || name === "." || name === ".." || bytes.includes(SLASH) || bytes.includes(0)) {
    throw new RafsError(RafsErrorCode.CORRUPT, `invalid entry name ${JSON.stringify(name)}`, { where: dir });
  }
  return name;
}
