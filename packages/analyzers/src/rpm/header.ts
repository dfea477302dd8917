// Decoder for an rpm header blob as rpm stores it in its databases: the on-disk header without the
// 8-byte magic. Format: rpm lib/header.c (`hdrblobInit`, `hdrblobVerifyInfo`) and
// https://rpm-software-management.github.io/rpm/manual/format_header.html
//
//   il: u32 BE        number of index entries
//   dl: u32 BE        bytes in the data store
//   il x 16 bytes     index entries: tag i32, type u32, offset i32, count u32 (all BE)
//   dl bytes          data store; every entry's value lives at its offset in here
import { RPM_LIMITS } from "./limits.js";
import { RPM_MAX_TYPE, RPM_TYPE, RPMTAG } from "./tags.js";

/** One index entry: where a tag's value lives in the data store. */
export interface HeaderEntry {
  readonly tag: number;
  readonly type: number;
  /** Byte offset into the data store. */
  readonly offset: number;
  /** Number of values (strings in an array, integers, bytes). */
  readonly count: number;
}

/** A decoded header index; values are decoded on demand by {@link headerString} and friends. */
export interface RpmHeader {
  /** Entries by tag. A tag met twice keeps its last entry, as rpm lets "dribble" entries win. */
  readonly entries: ReadonlyMap<number, HeaderEntry>;
  /** The data store (`dl` bytes). */
  readonly data: Uint8Array;
}

/** Index entry size, and the count of a region tag (`REGION_TAG_COUNT`). */
const ENTRY_SIZE = 16;

/** Bytes of one value of each fixed-size type (`typeSizes` in lib/header.c); 0 = variable. */
const TYPE_SIZE: readonly number[] = [0, 1, 1, 2, 4, 8, 0, 1, 0, 0];

const utf8 = new TextDecoder("utf-8");

/**
 * Decodes the index of a header blob and checks every entry against the blob: `il` and `dl`
 * within rpm's limits and the blob's length, each type known, each offset aligned and inside the
 * data store, each fixed-size value's bytes inside it. String values are checked when decoded.
 * @throws Error naming the first problem found
 */
export function parseHeaderBlob(blob: Uint8Array): RpmHeader {
  if (blob.length < 8) throw new Error(`header blob too short (${blob.length} bytes)`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  if (il < 1 || il > RPM_LIMITS.maxIndexEntries) throw new Error(`header has a bad index count (${il})`);
  if (dl > RPM_LIMITS.maxDataLength) throw new Error(`header has a bad data length (${dl})`);
  const dataStart = 8 + il * ENTRY_SIZE;
  if (dataStart + dl > blob.length) {
    throw new Error(`header blob truncated: needs ${dataStart + dl} bytes, has ${blob.length}`);
  }
  const entries = new Map<number, HeaderEntry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = view.getInt32(at);
    const type = view.getUint32(at + 4);
    const offset = view.getInt32(at + 8);
    const count = view.getUint32(at + 12);
    if (type > RPM_MAX_TYPE) throw new Error(`header entry ${i} (tag ${tag}) has a bad type ${type}`);
    if (offset < 0 || offset >= dl) {
      throw new Error(`header entry ${i} (tag ${tag}) has offset ${offset} outside the data (${dl} bytes)`);
    }
    if (tag >= RPMTAG.HEADERIMAGE && tag <= RPMTAG.HEADERIMMUTABLE) {
      // A region tag points at its trailer, an entry copy at the end of the region. We read tags
      // straight from the index, so only check that the trailer lies inside the data.
      if (offset + ENTRY_SIZE > dl) throw new Error(`header region trailer at ${offset} is outside the data`);
      continue;
    }
    const size = TYPE_SIZE[type] ?? 0;
    if (size > 1 && offset % size !== 0) {
      throw new Error(`header entry ${i} (tag ${tag}) has misaligned offset ${offset}`);
    }
    if (count < 1 || count > dl) throw new Error(`header entry ${i} (tag ${tag}) has a bad count ${count}`);
    if (size > 0 && offset + size * count > dl) {
      throw new Error(`header entry ${i} (tag ${tag}) runs past the data`);
    }
    entries.set(tag, { tag, type, offset, count });
  }
  return { entries, data: blob.subarray(dataStart, dataStart + dl) };
}

/**
 * The strings of a STRING, STRING_ARRAY or I18NSTRING entry (for I18NSTRING the first is the `C`
 * locale's), or `undefined` when the tag is absent.
 * @throws Error when the entry has another type or a string is not NUL-terminated inside the data
 */
export function headerStrings(header: RpmHeader, tag: number): string[] | undefined {
  const entry = header.entries.get(tag);
  if (entry === undefined) return undefined;
  if (
    entry.type !== RPM_TYPE.STRING &&
    entry.type !== RPM_TYPE.STRING_ARRAY &&
    entry.type !== RPM_TYPE.I18NSTRING
  ) {
    throw new Error(`tag ${tag} has type ${entry.type}, not a string`);
  }
  // rpm allows a count other than 1 only for arrays (`dataLength` in lib/header.c).
  if (entry.type === RPM_TYPE.STRING && entry.count !== 1) {
    throw new Error(`string tag ${tag} has count ${entry.count}`);
  }
  const { data } = header;
  const out: string[] = [];
  let at = entry.offset;
  // `count <= dl` was checked at parse time and every string takes at least one byte, so this
  // loop ends within the data store.
  for (let i = 0; i < entry.count; i++) {
    const end = data.indexOf(0, at);
    if (end < 0) throw new Error(`string tag ${tag} is not NUL-terminated`);
    out.push(utf8.decode(data.subarray(at, end)));
    at = end + 1;
  }
  return out;
}

/**
 * The first string of a string entry (see {@link headerStrings}), or `undefined` when absent.
 * @throws Error as {@link headerStrings}
 */
export function headerString(header: RpmHeader, tag: number): string | undefined {
  return headerStrings(header, tag)?.[0];
}

/**
 * The first value of an INT32 entry (unsigned, as rpm's `rpm_count_t`/epoch), or `undefined`.
 * @throws Error when the entry has another type
 */
export function headerInt32(header: RpmHeader, tag: number): number | undefined {
  const entry = header.entries.get(tag);
  if (entry === undefined) return undefined;
  if (entry.type !== RPM_TYPE.INT32) throw new Error(`tag ${tag} has type ${entry.type}, not int32`);
  const { data } = header;
  // In range: parse checked offset + 4 * count <= dl.
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(entry.offset);
}

/**
 * Every value of an INT32 entry (unsigned), or `undefined` when the tag is absent.
 * @throws Error when the entry has another type
 */
export function headerInt32s(header: RpmHeader, tag: number): Uint32Array | undefined {
  const entry = header.entries.get(tag);
  if (entry === undefined) return undefined;
  if (entry.type !== RPM_TYPE.INT32) throw new Error(`tag ${tag} has type ${entry.type}, not int32`);
  const { data } = header;
  // In range: parse checked offset + 4 * count <= dl (and the offset's alignment).
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint32Array(entry.count);
  for (let i = 0; i < entry.count; i++) out[i] = view.getUint32(entry.offset + 4 * i);
  return out;
}
