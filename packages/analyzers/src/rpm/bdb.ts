// Reader for rpm's Berkeley DB backend (`Packages`, rpm < 4.16): a BDB hash database whose values
// are header blobs. Format: Berkeley DB dbinc/db_page.h (page and item layouts) and rpm
// lib/backend/bdb_ro.c (rpm's own read-only reader). Integers are in the byte order of the machine
// that wrote the file; the magic tells which.
//
//   page 0            hash metadata: magic 0x061561 at 12, version at 16, page size at 20,
//                     page type 8 at 25, last page number at 32
//   hash pages        type 13 (2 before BDB 4.6): 26-byte header (page number at 8, next page at
//                     16, item count at 20, page type at 25), then `count` u16 item offsets,
//                     key/value pairs; items are packed from the end of the page downwards
//   items             type byte 1 (H_KEYDATA: bytes follow) or 3 (H_OFFPAGE: page number at 4,
//                     total length at 8, value on overflow pages)
//   overflow pages    type 7: the value's bytes after the header, `hf_offset` (at 22) of them,
//                     chained by next page number
import type { RecordWarn, RpmDbRecord } from "./db-record.js";
import { RPM_LIMITS } from "./limits.js";

const HASH_MAGIC = 0x00061561;
/** The magic as read when the file's byte order is the other one. */
const HASH_MAGIC_SWAPPED = 0x61150600;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
/** Bytes of a page header (`SIZEOF_PAGE`). */
const PAGE_HEADER_SIZE = 26;
/** Bytes of an H_OFFPAGE item (`HOFFPAGE_SIZE`). */
const HOFFPAGE_SIZE = 12;
/** Largest header blob: 8 + 16 * il + dl at rpm's limits. */
const MAX_BLOB = 8 + 16 * RPM_LIMITS.maxIndexEntries + RPM_LIMITS.maxDataLength;

/** Whether `bytes` start like a Berkeley DB hash database, in either byte order. */
export function isBdbHash(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const magic = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  return magic === HASH_MAGIC || magic === HASH_MAGIC_SWAPPED;
}

/**
 * The header blobs of a Berkeley DB hash `Packages` file, in page order. Pages are walked in file
 * order (not bucket by bucket), so a page reached by no bucket is still read, as Trivy does. The
 * record under key 0 (rpm's instance counter) is skipped. A bad page or value is reported through
 * `warn` and skipped.
 * @throws Error when the metadata page is bad (magic, page type, page size, encryption)
 */
export function readBdbRecords(bytes: Uint8Array, warn: RecordWarn): RpmDbRecord[] {
  if (!isBdbHash(bytes) || bytes.length < 512) throw new Error("not a Berkeley DB hash database");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(12, true) === HASH_MAGIC;
  const version = view.getUint32(16, le);
  const pageSize = view.getUint32(20, le);
  const encryption = view.getUint8(24);
  const metaType = view.getUint8(25);
  const lastPgno = view.getUint32(32, le);
  // rpm's bdb_ro reads hash versions 8 to 10 (BDB 4.x to 6.x).
  if (version < 8 || version > 10) throw new Error(`unsupported Berkeley DB hash version ${version}`);
  if (metaType !== P_HASHMETA) throw new Error(`Berkeley DB metadata page has type ${metaType}, not hash`);
  if (encryption !== 0) throw new Error("encrypted Berkeley DB databases are not supported");
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new Error(`Berkeley DB has a bad page size ${pageSize}`);
  }
  const pagesInFile = Math.floor(bytes.length / pageSize);
  let last = lastPgno;
  if (lastPgno >= pagesInFile) {
    warn(`Berkeley DB truncated: last page ${lastPgno}, file holds ${pagesInFile} pages`);
    last = pagesInFile - 1;
  }
  const db: Db = { bytes, view, le, pageSize, last };
  const out: RpmDbRecord[] = [];
  for (let pgno = 1; pgno <= last; pgno++) {
    const base = pgno * pageSize;
    const type = view.getUint8(base + 25);
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    if (view.getUint32(base + 8, le) !== pgno) {
      warn(`Berkeley DB page ${pgno} carries page number ${view.getUint32(base + 8, le)}; skipped`);
      continue;
    }
    if (!readHashPage(db, pgno, out, warn)) break;
  }
  return out;
}

/** The file and its layout, as read from the metadata page. */
interface Db {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Little-endian? */
  readonly le: boolean;
  readonly pageSize: number;
  /** Last page number present in the file. */
  readonly last: number;
}

/** Adds the values of one hash page to `out`; returns false once the package limit is reached. */
function readHashPage(db: Db, pgno: number, out: RpmDbRecord[], warn: RecordWarn): boolean {
  const { view, le, pageSize } = db;
  const base = pgno * pageSize;
  const nent = view.getUint16(base + 20, le);
  const firstItem = PAGE_HEADER_SIZE + nent * 2;
  if (nent % 2 !== 0 || firstItem > pageSize) {
    warn(`Berkeley DB page ${pgno} has a bad item count ${nent}; skipped`);
    return true;
  }
  const offset = (i: number): number => view.getUint16(base + PAGE_HEADER_SIZE + 2 * i, le);
  for (let i = 0; i < nent; i += 2) {
    const koff = offset(i);
    const voff = offset(i + 1);
    // Items are packed downwards: a key ends where the previous pair's value starts (or at the
    // page end), and its value ends where the key starts (`LEN_HITEM` in db_page.h).
    const kend = i === 0 ? pageSize : offset(i - 1);
    if (koff < firstItem || voff < firstItem || !(voff < koff && koff < kend && kend <= pageSize)) {
      warn(`Berkeley DB page ${pgno} item ${i / 2} has bad offsets; skipped`);
      continue;
    }
    if (isZeroKey(db, base + koff, kend - koff)) continue;
    if (out.length >= RPM_LIMITS.maxPackages) {
      warn(`more than ${RPM_LIMITS.maxPackages} packages; the rest are ignored`);
      return false;
    }
    try {
      const blob = readValue(db, base + voff, koff - voff);
      out.push({ key: keyNumber(db, base + koff, kend - koff), blob });
    } catch (err) {
      warn(`Berkeley DB page ${pgno} item ${i / 2}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return true;
}

/** rpm keys records by a u32 header instance; instance 0 holds rpm's counter, not a header. */
function isZeroKey(db: Db, at: number, length: number): boolean {
  return length === 5 && db.bytes[at] === H_KEYDATA && db.view.getUint32(at + 1, db.le) === 0;
}

function keyNumber(db: Db, at: number, length: number): number {
  return length === 5 && db.bytes[at] === H_KEYDATA ? db.view.getUint32(at + 1, db.le) : 0;
}

/** The bytes of a value item of `length` bytes at absolute offset `at`. */
function readValue(db: Db, at: number, length: number): Uint8Array {
  const type = db.bytes[at];
  if (type === H_KEYDATA) return db.bytes.subarray(at + 1, at + length);
  if (type === H_OFFPAGE) {
    if (length < HOFFPAGE_SIZE) throw new Error("short overflow reference");
    return readOverflow(db, db.view.getUint32(at + 4, db.le), db.view.getUint32(at + 8, db.le));
  }
  if (type === H_DUPLICATE || type === H_OFFDUP) throw new Error("duplicate values are not supported");
  throw new Error(`unknown item type ${String(type)}`);
}

/**
 * A value stored on a chain of overflow pages. The chain must hold exactly `total` bytes; each
 * page is visited at most once, so a looping chain ends with an error.
 */
function readOverflow(db: Db, first: number, total: number): Uint8Array {
  const { view, le, pageSize } = db;
  const perPage = pageSize - PAGE_HEADER_SIZE;
  // Checked before allocating: a value cannot be longer than rpm allows nor than the pages left.
  if (total === 0 || total > MAX_BLOB || total > db.last * perPage) {
    throw new Error(`overflow value of ${total} bytes is impossible here`);
  }
  const out = new Uint8Array(total);
  const visited = new Set<number>();
  let filled = 0;
  let pgno = first;
  while (filled < total) {
    if (pgno < 1 || pgno > db.last) throw new Error(`overflow chain leads to page ${pgno}, outside the file`);
    if (visited.has(pgno)) throw new Error(`overflow chain loops at page ${pgno}`);
    visited.add(pgno);
    const base = pgno * pageSize;
    if (view.getUint8(base + 25) !== P_OVERFLOW)
      throw new Error(`overflow chain reaches non-overflow page ${pgno}`);
    const used = view.getUint16(base + 22, le);
    if (used > perPage || used > total - filled) {
      throw new Error(`overflow page ${pgno} claims ${used} bytes`);
    }
    out.set(db.bytes.subarray(base + PAGE_HEADER_SIZE, base + PAGE_HEADER_SIZE + used), filled);
    filled += used;
    pgno = view.getUint32(base + 16, le);
    if (filled < total && pgno === 0)
      throw new Error(`overflow chain ends after ${filled} of ${total} bytes`);
  }
  return out;
}
