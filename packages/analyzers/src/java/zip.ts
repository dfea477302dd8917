// A ranged zip reader: the End of Central Directory, the central directory and single entries,
// each read by range so a jar's size does not matter. Format: PKWARE APPNOTE.TXT 6.3.10, sections
// 4.3.7 (local file header), 4.3.12 (central directory header), 4.3.14-4.3.16 (ZIP64 and EOCD).
import { inflateRawSync } from "node:zlib";
import { type RangeReader, readExact, sliceReader } from "../golang/range-reader.js";

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CDH_SIG = 0x02014b50;
const CDH_SIZE = 46;
const LFH_SIG = 0x04034b50;
const LFH_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** The EOCD comment is at most 0xffff bytes, so the EOCD starts within this many of the end. */
const MAX_EOCD_SEARCH = 0xffff + EOCD_SIZE;

/** Limits for one archive; every one is checked before the allocation it guards. */
export interface ZipLimits {
  /** Largest central directory read. Default 32 MiB (about 400 000 entries). */
  readonly maxCentralDirectory: number;
  /** Most entries accepted. Default 500 000. */
  readonly maxEntries: number;
}

/** Defaults for {@link ZipLimits}. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxCentralDirectory: 32 << 20, maxEntries: 500_000 };

/** One central directory entry. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** File offset of the local header (already shifted by any data prepended to the archive). */
  readonly localHeaderOffset: number;
  readonly encrypted: boolean;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(v: DataView, off: number, what: string): number {
  const n = v.getBigUint64(off, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`zip: ${what} exceeds 2^53`);
  return Number(n);
}

/** Finds the EOCD record in the tail of the file, searching backwards as every zip reader does. */
async function findEocd(file: RangeReader): Promise<{ offset: number; record: DataView }> {
  if (file.size < EOCD_SIZE) throw new Error("zip: file too short for an end of central directory record");
  const tailLen = Math.min(file.size, MAX_EOCD_SEARCH);
  const tailStart = file.size - tailLen;
  const tail = await readExact(file, tailStart, tailLen, "zip end of central directory");
  const v = view(tail);
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    // A signature whose comment length runs past the end is a false hit inside the comment/data.
    if (v.getUint32(i, true) === EOCD_SIG && i + EOCD_SIZE + v.getUint16(i + 20, true) <= tailLen) {
      return { offset: tailStart + i, record: new DataView(tail.buffer, tail.byteOffset + i, EOCD_SIZE) };
    }
  }
  throw new Error("zip: no end of central directory record (not a zip file)");
}

/**
 * Reads the central directory of the archive in `file`. Data prepended to the archive (a launch
 * script in a Spring Boot executable jar, a self-extractor stub) is allowed: offsets are shifted by
 * the gap between where the directory is and where the EOCD says it is, as java.util.zip does.
 * @throws on anything inconsistent (the caller turns it into a warning)
 */
export async function readCentralDirectory(
  file: RangeReader,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipEntry[]> {
  const eocd = await findEocd(file);
  let count = eocd.record.getUint16(10, true);
  let cdSize = eocd.record.getUint32(12, true);
  let cdOffset = eocd.record.getUint32(16, true);
  let cdEnd = eocd.offset;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: a locator just before the EOCD points to the ZIP64 EOCD record with 64-bit fields.
    if (eocd.offset >= ZIP64_LOCATOR_SIZE) {
      const loc = view(
        await readExact(file, eocd.offset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE, "zip64 locator"),
      );
      if (loc.getUint32(0, true) === ZIP64_LOCATOR_SIG) {
        const recOffset = u64(loc, 8, "zip64 EOCD offset");
        // The record normally sits just before its locator (56 bytes with no extensible data);
        // when data was prepended to the archive, the offset the locator gives is off by that much.
        const recAt = eocd.offset - ZIP64_LOCATOR_SIZE - ZIP64_EOCD_SIZE;
        let rec: DataView | undefined;
        for (const at of recAt === recOffset ? [recAt] : [recAt, recOffset]) {
          if (at < 0 || at + ZIP64_EOCD_SIZE > file.size) continue;
          const candidate = view(
            await readExact(file, at, ZIP64_EOCD_SIZE, "zip64 end of central directory"),
          );
          if (candidate.getUint32(0, true) === ZIP64_EOCD_SIG) {
            rec = candidate;
            cdEnd = at;
            break;
          }
        }
        if (rec === undefined) throw new Error("zip: zip64 end of central directory record not found");
        count = u64(rec, 32, "zip64 entry count");
        cdSize = u64(rec, 40, "zip64 central directory size");
        cdOffset = u64(rec, 48, "zip64 central directory offset");
      }
    }
  }
  if (count > limits.maxEntries) throw new Error(`zip: ${count} entries (limit ${limits.maxEntries})`);
  if (cdSize > limits.maxCentralDirectory) {
    throw new Error(`zip: central directory is ${cdSize} bytes (limit ${limits.maxCentralDirectory})`);
  }
  const cdStart = cdEnd - cdSize;
  if (cdStart < 0) throw new Error("zip: central directory size exceeds its position");
  const shift = cdStart - cdOffset;
  if (shift < 0) throw new Error("zip: central directory offset lies beyond the directory");
  const cd = await readExact(file, cdStart, cdSize, "zip central directory");
  const v = view(cd);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  // Bounded twice over: by the declared count and by the directory's bytes, each header
  // consuming at least CDH_SIZE of them, so a hostile directory cannot loop.
  for (let i = 0; i < count; i++) {
    if (p + CDH_SIZE > cd.length || v.getUint32(p, true) !== CDH_SIG) {
      throw new Error(`zip: central directory entry ${i} is malformed or truncated`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressedSize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const end = p + CDH_SIZE + nameLen + extraLen + commentLen;
    if (end > cd.length) throw new Error(`zip: central directory entry ${i} runs past the directory`);
    const name = decoder.decode(cd.subarray(p + CDH_SIZE, p + CDH_SIZE + nameLen));
    if (
      uncompressedSize === 0xffffffff ||
      compressedSize === 0xffffffff ||
      localHeaderOffset === 0xffffffff
    ) {
      // The ZIP64 extra field holds, in this order, only the fields saturated above.
      let e = p + CDH_SIZE + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = v.getUint16(e, true);
        const size = v.getUint16(e + 2, true);
        if (e + 4 + size > extraEnd) break;
        if (id === ZIP64_EXTRA_ID) {
          let f = e + 4;
          const take = (what: string): number => {
            if (f + 8 > e + 4 + size) throw new Error(`zip: zip64 extra field of ${name} is short`);
            const n = u64(v, f, what);
            f += 8;
            return n;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take("uncompressed size");
          if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take("local header offset");
          break;
        }
        e += 4 + size;
      }
    }
    entries.push({
      name,
      method,
      compressedSize,
      uncompressedSize,
      localHeaderOffset: localHeaderOffset + shift,
      encrypted: (flags & 1) !== 0,
    });
    p = end;
  }
  return entries;
}

/**
 * Where an entry's data starts: after its local header, whose name and extra lengths may differ
 * from the central directory's copy.
 */
async function entryDataOffset(file: RangeReader, entry: ZipEntry): Promise<number> {
  const lfh = view(
    await readExact(file, entry.localHeaderOffset, LFH_SIZE, `zip local header of ${entry.name}`),
  );
  if (lfh.getUint32(0, true) !== LFH_SIG) throw new Error(`zip: bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + LFH_SIZE + lfh.getUint16(26, true) + lfh.getUint16(28, true);
  if (start + entry.compressedSize > file.size)
    throw new Error(`zip: data of ${entry.name} runs past the file`);
  return start;
}

/**
 * A stored entry as a range of the archive, without reading it: how nested jars (stored, in Spring
 * Boot fat jars) are read by range too.
 */
export async function storedEntryReader(file: RangeReader, entry: ZipEntry): Promise<RangeReader> {
  if (entry.method !== METHOD_STORED) throw new Error(`zip: ${entry.name} is not stored`);
  if (entry.compressedSize !== entry.uncompressedSize)
    throw new Error(`zip: stored ${entry.name} sizes differ`);
  return sliceReader(file, await entryDataOffset(file, entry), entry.compressedSize);
}

/**
 * Reads and, if deflated, inflates one entry. The declared size is checked against `maxSize`
 * before anything is read, inflation stops at the declared size (a bomb that claims to be small
 * fails there), and output of any other length is an error.
 */
export async function readEntry(file: RangeReader, entry: ZipEntry, maxSize: number): Promise<Uint8Array> {
  if (entry.encrypted) throw new Error(`zip: ${entry.name} is encrypted`);
  if (entry.uncompressedSize > maxSize) {
    throw new Error(`zip: ${entry.name} is ${entry.uncompressedSize} bytes (limit ${maxSize})`);
  }
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw new Error(`zip: ${entry.name} uses unsupported compression method ${entry.method}`);
  }
  if (entry.method === METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
    throw new Error(`zip: stored ${entry.name} sizes differ`);
  }
  // Deflate grows incompressible data by a few bytes per 64 KiB at most, so a compressed size well
  // above the data size is a lie that would only make us read more.
  if (entry.compressedSize > entry.uncompressedSize * 1.01 + 1024) {
    throw new Error(`zip: ${entry.name} compressed size ${entry.compressedSize} exceeds its data size`);
  }
  const start = await entryDataOffset(file, entry);
  const raw = await readExact(file, start, entry.compressedSize, `zip data of ${entry.name}`);
  if (entry.method === METHOD_STORED) return raw;
  let out: Uint8Array;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (err) {
    throw new Error(`zip: cannot inflate ${entry.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (out.length !== entry.uncompressedSize) {
    throw new Error(`zip: ${entry.name} inflated to ${out.length} bytes, not ${entry.uncompressedSize}`);
  }
  return out;
}
