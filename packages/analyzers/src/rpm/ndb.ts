// Reader for rpm's ndb backend (`Packages.db`, SUSE since rpm 4.16). Format: rpm
// lib/backend/ndb/rpmpkg.c. All integers little-endian.
//
//   header (32 bytes)  magic "RpmP", version 0, generation, slot page count, next package index
//   slot pages         `slotnpages` pages of 4096 bytes right after the start of the file; the
//                      header takes the first two 16-byte slots. Slot: magic "Slot", package
//                      index, block offset, block count (blocks are 16 bytes; offset 0 = free)
//   blobs              at a slot's block offset: head (magic "BlbS", package index, timestamp,
//                      length), the header blob, zero padding, tail (adler32 of head + blob +
//                      padding, length, magic "BlbE"), filling exactly the slot's blocks
import type { RecordWarn, RpmDbRecord } from "./db-record.js";
import { RPM_LIMITS } from "./limits.js";

/** `'R' | 'p' << 8 | 'm' << 16 | 'P' << 24`: "RpmP" read as a little-endian u32. */
const PKGDB_MAGIC = 0x506d7052;
const PKGDB_VERSION = 0;
const PKGDB_HEADER_SIZE = 32;
const PKGDB_OFFSET_SLOTNPAGES = 12;
/** "Slot" */
const SLOT_MAGIC = 0x746f6c53;
/** "BlbS" */
const BLOBHEAD_MAGIC = 0x53626c42;
/** "BlbE" */
const BLOBTAIL_MAGIC = 0x45626c42;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const PAGE_SIZE = 4096;
const BLOBHEAD_SIZE = 16;
const BLOBTAIL_SIZE = 12;

/** Adler-32 (RFC 1950) of `bytes`, starting from `adler`. */
export function adler32(bytes: Uint8Array, adler = 1): number {
  let s1 = adler & 0xffff;
  let s2 = adler >>> 16;
  let i = 0;
  while (i < bytes.length) {
    // Reduce every 5552 bytes (RFC 1950's bound for 32-bit sums) so the sums stay small integers.
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      s1 += bytes[i] as number;
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/** Whether `bytes` start like an ndb database. */
export function isNdb(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && readU32(bytes, 0) === PKGDB_MAGIC;
}

/**
 * The header blobs of an ndb `Packages.db`, in package-index (install) order. A bad slot or blob
 * is reported through `warn` and skipped, as are blobs whose adler32 does not match.
 * @throws Error when the file header is bad (magic, version, slot pages beyond the file)
 */
export function readNdbRecords(bytes: Uint8Array, warn: RecordWarn): RpmDbRecord[] {
  if (bytes.length < PKGDB_HEADER_SIZE) throw new Error(`not an ndb database: ${bytes.length} bytes`);
  if (!isNdb(bytes)) throw new Error("not an ndb database: bad magic");
  const version = readU32(bytes, 4);
  if (version !== PKGDB_VERSION) throw new Error(`unsupported ndb version ${version}`);
  const slotnpages = readU32(bytes, PKGDB_OFFSET_SLOTNPAGES);
  if (slotnpages < 1 || slotnpages > RPM_LIMITS.maxNdbSlotPages) {
    throw new Error(`ndb has a bad slot page count (${slotnpages})`);
  }
  if (slotnpages * PAGE_SIZE > bytes.length) {
    throw new Error(
      `ndb truncated: ${slotnpages} slot pages need ${slotnpages * PAGE_SIZE} bytes, has ${bytes.length}`,
    );
  }
  const fileblks = Math.floor(bytes.length / BLK_SIZE);
  // Blobs start after the slot pages (`minblkoff` in rpmpkgReadSlots).
  const minblkoff = slotnpages * (PAGE_SIZE / BLK_SIZE);
  const found: RpmDbRecord[] = [];
  const seen = new Set<number>();
  const slotsEnd = slotnpages * PAGE_SIZE;
  for (let at = PKGDB_HEADER_SIZE; at < slotsEnd; at += SLOT_SIZE) {
    if (readU32(bytes, at) !== SLOT_MAGIC) {
      // rpm refuses the whole database here; the slots read so far are still good.
      warn(`bad ndb slot magic at offset ${at}; the remaining slots are ignored`);
      break;
    }
    const pkgidx = readU32(bytes, at + 4);
    const blkoff = readU32(bytes, at + 8);
    const blkcnt = readU32(bytes, at + 12);
    if (blkoff === 0) continue; // free slot
    if (found.length >= RPM_LIMITS.maxPackages) {
      warn(`more than ${RPM_LIMITS.maxPackages} packages; the rest are ignored`);
      break;
    }
    if (pkgidx === 0 || blkcnt === 0 || blkoff < minblkoff || blkoff + blkcnt > fileblks) {
      warn(`ndb slot for package ${pkgidx} is bad (blocks ${blkoff}+${blkcnt} of ${fileblks})`);
      continue;
    }
    if (seen.has(pkgidx)) {
      warn(`ndb package ${pkgidx} has two slots; the second is ignored`);
      continue;
    }
    try {
      found.push({ key: pkgidx, blob: readBlob(bytes, pkgidx, blkoff, blkcnt) });
      seen.add(pkgidx);
    } catch (err) {
      warn(err instanceof Error ? err.message : String(err));
    }
  }
  return found.sort((a, b) => a.key - b.key);
}

/** The blob of one slot, checked as `rpmpkgReadBlob` does, plus the adler32 it leaves to verify. */
function readBlob(bytes: Uint8Array, pkgidx: number, blkoff: number, blkcnt: number): Uint8Array {
  // In range: the caller checked blkoff + blkcnt <= file blocks.
  const start = blkoff * BLK_SIZE;
  const end = start + blkcnt * BLK_SIZE;
  if (end - start < BLOBHEAD_SIZE + BLOBTAIL_SIZE)
    throw new Error(`ndb blob of package ${pkgidx} is too small`);
  if (readU32(bytes, start) !== BLOBHEAD_MAGIC)
    throw new Error(`ndb blob of package ${pkgidx} has a bad magic`);
  if (readU32(bytes, start + 4) !== pkgidx) {
    throw new Error(
      `ndb blob at block ${blkoff} belongs to package ${readU32(bytes, start + 4)}, not ${pkgidx}`,
    );
  }
  const bloblen = readU32(bytes, start + 12);
  if (blkcnt !== Math.ceil((BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE) / BLK_SIZE)) {
    throw new Error(`ndb blob of package ${pkgidx}: length ${bloblen} does not fill its ${blkcnt} blocks`);
  }
  const tail = end - BLOBTAIL_SIZE;
  if (readU32(bytes, tail + 8) !== BLOBTAIL_MAGIC || readU32(bytes, tail + 4) !== bloblen) {
    throw new Error(`ndb blob of package ${pkgidx} has a bad tail`);
  }
  if (adler32(bytes.subarray(start, tail)) !== readU32(bytes, tail)) {
    throw new Error(`ndb blob of package ${pkgidx} fails its adler32 check`);
  }
  return bytes.subarray(start + BLOBHEAD_SIZE, start + BLOBHEAD_SIZE + bloblen);
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}
