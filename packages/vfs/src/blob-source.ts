// The BlobSource interface through which every chunk is read, with local-file and in-memory
// implementations. The registry package adds a ranged-HTTP one behind the same interface.
import { type FileHandle, open } from "node:fs/promises";
import { RafsError, RafsErrorCode } from "@rafscan/rafs";

/** A byte range of a blob. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Options every read takes. */
export interface ReadOptions {
  readonly signal?: AbortSignal | undefined;
}

/**
 * Random access to one data blob. `read` must return exactly `length` bytes or reject;
 * `readv`, when present, reads many ranges in one call so a remote source can coalesce them.
 */
export interface BlobSource {
  read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array>;
  readv?(ranges: readonly ByteRange[], options?: ReadOptions): Promise<Uint8Array[]>;
  /** Total size in bytes, when the source knows it (needed to find a TOC at the tail). */
  size?(options?: ReadOptions): Promise<number>;
  close?(): Promise<void>;
}

function checkRange(offset: number, length: number, size: number, what: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    throw new RafsError(
      RafsErrorCode.BLOB_READ,
      `range [${offset}, ${offset + length}) outside ${size} bytes`,
      {
        where: what,
      },
    );
  }
}

/** A blob held in memory. */
export class MemoryBlobSource implements BlobSource {
  readonly #bytes: Uint8Array;
  readonly #name: string;

  /** `name` appears in error messages. */
  constructor(bytes: Uint8Array, name = "memory blob") {
    this.#bytes = bytes;
    this.#name = name;
  }

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted();
    checkRange(offset, length, this.#bytes.length, this.#name);
    return this.#bytes.subarray(offset, offset + length);
  }

  async size(): Promise<number> {
    return this.#bytes.length;
  }
}

/** A blob in a local file, opened lazily and read with positional reads. */
export class FileBlobSource implements BlobSource {
  readonly path: string;
  #handle: Promise<FileHandle> | undefined;
  #size: number | undefined;

  constructor(path: string) {
    this.path = path;
  }

  #open(): Promise<FileHandle> {
    this.#handle ??= open(this.path, "r");
    return this.#handle;
  }

  async size(): Promise<number> {
    if (this.#size === undefined) this.#size = (await (await this.#open()).stat()).size;
    return this.#size;
  }

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted();
    checkRange(offset, length, await this.size(), this.path);
    const fh = await this.#open();
    const out = new Uint8Array(length);
    let done = 0;
    // A positional read may return fewer bytes than asked; loop until the range is filled.
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new RafsError(RafsErrorCode.BLOB_READ, `unexpected end of file at ${offset + done}`, {
          where: this.path,
        });
      }
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    const h = this.#handle;
    this.#handle = undefined;
    if (h !== undefined) await (await h).close();
  }
}
