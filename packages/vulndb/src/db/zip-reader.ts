// Reads the entries of a zip file (APPNOTE.TXT 6.3: end of central directory record, Zip64 end
// records, central directory headers, local file headers), for the OSV exports osv.dev publishes
// as `all.zip`. Written here rather than taken from yauzl: yauzl reads each central-directory
// record and each entry with separate small asynchronous reads and an inflate stream per entry,
// about 1 ms per entry measured here, and the exports hold up to hundreds of thousands of small
// entries. This reader loads the central directory in one read (bounded), reads entry data in
// large sequential windows and inflates each entry synchronously with a bound on its output.
// Everything is untrusted: offsets and sizes are checked against the file before use.
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { crc32, inflateRawSync } from "node:zlib";

/** Thrown for a zip that cannot be read as a whole (the caller wraps it with the file name). */
export class ZipFormatError extends Error {
  override readonly name = "ZipFormatError";
}

/** One central-directory entry, checked. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated; others are reported as unsupported. */
  readonly method: number;
  readonly encrypted: boolean;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

/** Limits the reader applies. */
export interface ZipReaderLimits {
  readonly maxEntries: number;
  /** Largest central directory read, bytes. */
  readonly maxCentralDirectoryBytes: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** Sequential read window for entry data. */
const WINDOW = 4 * 1024 * 1024;

function u64(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${what} ${v} is out of range`);
  return Number(v);
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new ZipFormatError(`unexpected end of file at ${position + done}`);
    done += bytesRead;
  }
  return buf;
}

/** An open zip: its checked entries, and their contents on demand. */
export class ZipReader {
  readonly entries: readonly ZipEntry[];
  readonly #fh: FileHandle;
  readonly #dataEnd: number;
  #window: Buffer = Buffer.alloc(0);
  #windowStart = 0;

  private constructor(fh: FileHandle, entries: ZipEntry[], dataEnd: number) {
    this.#fh = fh;
    this.entries = entries;
    this.#dataEnd = dataEnd;
  }

  /** Opens a zip and reads its central directory. */
  static async open(path: string, limits: ZipReaderLimits): Promise<ZipReader> {
    const fh = await open(path, "r");
    try {
      const { entries, dataEnd } = await readDirectory(fh, limits);
      return new ZipReader(fh, entries, dataEnd);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }

  /** `length` bytes at `position`, from the read window when they lie in it. */
  async #bytes(position: number, length: number): Promise<Buffer> {
    const end = position + length;
    if (position >= this.#windowStart && end <= this.#windowStart + this.#window.length) {
      return this.#window.subarray(position - this.#windowStart, end - this.#windowStart);
    }
    if (length > WINDOW) return readAt(this.#fh, position, length);
    const size = Math.min(WINDOW, this.#dataEnd - position);
    if (size < length) throw new ZipFormatError(`entry data at ${position} runs past the central directory`);
    this.#window = await readAt(this.#fh, position, size);
    this.#windowStart = position;
    return this.#window.subarray(0, length);
  }

  /**
   * The entry's inflated bytes, or the reason they cannot be had for this one entry (encrypted,
   * unsupported method, CRC mismatch). A local header or data that contradicts the central
   * directory, or data inflating beyond the declared size, throws: the zip lies about itself.
   */
  async read(entry: ZipEntry): Promise<Buffer | { readonly skipped: string }> {
    if (entry.encrypted) return { skipped: "entry is encrypted" };
    if (entry.method !== 0 && entry.method !== 8)
      return { skipped: `compression method ${entry.method} is not supported` };
    const header = await this.#bytes(entry.localOffset, 30);
    if (header.readUInt32LE(0) !== LOCAL_SIG)
      throw new ZipFormatError(`${entry.name}: no local header at ${entry.localOffset}`);
    const dataStart = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataStart + entry.compressedSize > this.#dataEnd) {
      throw new ZipFormatError(`${entry.name}: data runs past the central directory`);
    }
    const packed = await this.#bytes(dataStart, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size)
        throw new ZipFormatError(`${entry.name}: stored entry with two sizes`);
      data = Buffer.from(packed);
    } else {
      try {
        // maxOutputLength stops a lying size at the declared bound instead of inflating on.
        data = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        if (err instanceof RangeError)
          throw new ZipFormatError(`${entry.name}: inflates beyond its declared ${entry.size} bytes`);
        return { skipped: `deflate data is damaged: ${(err as Error).message}` };
      }
      if (data.length !== entry.size) {
        throw new ZipFormatError(
          `${entry.name}: inflates to ${data.length} bytes, not the declared ${entry.size}`,
        );
      }
    }
    if (crc32(data) !== entry.crc) return { skipped: "CRC-32 mismatch" };
    return data;
  }
}

async function readDirectory(
  fh: FileHandle,
  limits: ZipReaderLimits,
): Promise<{ entries: ZipEntry[]; dataEnd: number }> {
  const fileSize = (await fh.stat()).size;
  if (fileSize < 22) throw new ZipFormatError("too short for a zip");
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(fh, tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new ZipFormatError("no end of central directory record");
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0) {
    throw new ZipFormatError("multi-disk zips are not supported");
  }
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let dataEnd = tailStart + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = tailStart + eocd - 20;
    if (locAt < 0) throw new ZipFormatError("Zip64 values without a Zip64 locator");
    const loc = await readAt(fh, locAt, 20);
    if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG)
      throw new ZipFormatError("Zip64 values without a Zip64 locator");
    const recAt = u64(loc, 8, "Zip64 record offset");
    if (recAt + 56 > locAt) throw new ZipFormatError("Zip64 record offset out of range");
    const rec = await readAt(fh, recAt, 56);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG)
      throw new ZipFormatError("no Zip64 end of central directory record");
    count = u64(rec, 32, "entry count");
    cdSize = u64(rec, 40, "central directory size");
    cdOffset = u64(rec, 48, "central directory offset");
    dataEnd = recAt;
  }
  if (count > limits.maxEntries)
    throw new ZipFormatError(`${count} entries, over the limit of ${limits.maxEntries}`);
  if (cdSize > limits.maxCentralDirectoryBytes) {
    throw new ZipFormatError(
      `central directory of ${cdSize} bytes, over the limit of ${limits.maxCentralDirectoryBytes}`,
    );
  }
  if (cdOffset + cdSize > dataEnd) throw new ZipFormatError("central directory runs past its end record");
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== CENTRAL_SIG) {
      throw new ZipFormatError(`central directory entry ${i} is malformed`);
    }
    const flags = cd.readUInt16LE(at + 8);
    const nameLen = cd.readUInt16LE(at + 28);
    const extraLen = cd.readUInt16LE(at + 30);
    const commentLen = cd.readUInt16LE(at + 32);
    const next = at + 46 + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipFormatError(`central directory entry ${i} runs past the directory`);
    let compressedSize = cd.readUInt32LE(at + 20);
    let size = cd.readUInt32LE(at + 24);
    let localOffset = cd.readUInt32LE(at + 42);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      // Zip64 extended information (header id 1): the 0xffffffff fields, in this order.
      let e = at + 46 + nameLen;
      const extraEnd = e + extraLen;
      let found = false;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (e + 4 + len > extraEnd) break;
        if (id === 1) {
          let p = e + 4;
          const take = (what: string) => {
            if (p + 8 > e + 4 + len) throw new ZipFormatError(`entry ${i}: Zip64 field ${what} missing`);
            const v = u64(cd, p, what);
            p += 8;
            return v;
          };
          if (size === 0xffffffff) size = take("size");
          if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
          if (localOffset === 0xffffffff) localOffset = take("offset");
          found = true;
          break;
        }
        e += 4 + len;
      }
      if (!found) throw new ZipFormatError(`entry ${i}: Zip64 sizes without a Zip64 field`);
    }
    if (localOffset + 30 > cdOffset) throw new ZipFormatError(`entry ${i}: local header offset out of range`);
    entries.push({
      name: cd.toString("utf8", at + 46, at + 46 + nameLen),
      method: cd.readUInt16LE(at + 10),
      encrypted: (flags & 1) !== 0,
      crc: cd.readUInt32LE(at + 16),
      compressedSize,
      size,
      localOffset,
    });
    at = next;
  }
  return { entries, dataEnd: cdOffset };
}
