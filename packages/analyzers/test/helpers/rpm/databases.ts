// Test helper: builds the three rpm database formats around header blobs: an sqlite
// `rpmdb.sqlite` (with sql.js), an ndb `Packages.db` and a Berkeley DB hash `Packages`, each laid
// out as rpm's own readers expect (rpm lib/backend/{sqlite.c,ndb/rpmpkg.c,bdb_ro.c}).
import initSqlJs from "sql.js";
import { adler32 } from "../../../src/rpm/ndb.js";

/** rpm's schema for the table we read (lib/backend/sqlite.c). */
const PACKAGES_TABLE =
  "CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)";

/** An `rpmdb.sqlite` with one Packages row per blob (hnum 1, 2, ...). */
export async function buildSqliteDb(blobs: readonly Uint8Array[]): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    db.run(PACKAGES_TABLE);
    for (const blob of blobs) db.run("INSERT INTO Packages (blob) VALUES (?)", [blob]);
    return db.export();
  } finally {
    db.close();
  }
}

/** Inserts blobs into an existing sqlite database (e.g. one made by `rpm --initdb`). */
export async function insertIntoSqliteDb(
  file: Uint8Array,
  blobs: readonly Uint8Array[],
): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(file);
  try {
    for (const blob of blobs) db.run("INSERT INTO Packages (blob) VALUES (?)", [blob]);
    return db.export();
  } finally {
    db.close();
  }
}

/** The header blobs of an sqlite rpm database, in hnum order (to move real blobs between formats). */
export async function sqliteBlobs(file: Uint8Array): Promise<Uint8Array[]> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(file);
  try {
    const rows = db.exec("SELECT blob FROM Packages ORDER BY hnum")[0]?.values ?? [];
    return rows.map((r) => r[0] as Uint8Array);
  } finally {
    db.close();
  }
}

const NDB_PAGE = 4096;
const BLK = 16;

function u32le(out: Uint8Array, at: number, v: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at, v >>> 0, true);
}

function magic(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

/** Where each package landed in an ndb file, for tests that damage it. */
export interface NdbLayout {
  readonly bytes: Uint8Array;
  /** Byte offset of each blob's head, in package order. */
  readonly blobOffsets: readonly number[];
  /** Byte offset of each package's slot. */
  readonly slotOffsets: readonly number[];
}

/** An ndb `Packages.db` holding `blobs` as packages 1, 2, ... (one free slot left between each). */
export function buildNdb(blobs: readonly Uint8Array[]): NdbLayout {
  const slotsNeeded = 2 + blobs.length * 2;
  const slotnpages = Math.max(1, Math.ceil((slotsNeeded * 16) / NDB_PAGE));
  const blobBlocks = blobs.map((b) => Math.ceil((16 + b.length + 12) / BLK));
  const total = slotnpages * NDB_PAGE + blobBlocks.reduce((n, c) => n + c * BLK, 0);
  const out = new Uint8Array(total);
  u32le(out, 0, magic("RpmP"));
  u32le(out, 4, 0);
  u32le(out, 8, 7); // generation
  u32le(out, 12, slotnpages);
  u32le(out, 16, blobs.length + 1); // next package index
  for (let at = 32; at < slotnpages * NDB_PAGE; at += 16) u32le(out, at, magic("Slot"));
  let blkoff = slotnpages * (NDB_PAGE / BLK);
  const blobOffsets: number[] = [];
  const slotOffsets: number[] = [];
  blobs.forEach((blob, i) => {
    const pkgidx = i + 1;
    const blkcnt = blobBlocks[i] as number;
    // Every other slot stays free, so readers must skip free slots.
    const slotAt = 32 + 16 * (2 * i + 1);
    u32le(out, slotAt + 4, pkgidx);
    u32le(out, slotAt + 8, blkoff);
    u32le(out, slotAt + 12, blkcnt);
    const start = blkoff * BLK;
    u32le(out, start, magic("BlbS"));
    u32le(out, start + 4, pkgidx);
    u32le(out, start + 8, 1_700_000_000);
    u32le(out, start + 12, blob.length);
    out.set(blob, start + 16);
    const tail = start + blkcnt * BLK - 12;
    u32le(out, tail, adler32(out.subarray(start, tail)));
    u32le(out, tail + 4, blob.length);
    u32le(out, tail + 8, magic("BlbE"));
    blobOffsets.push(start);
    slotOffsets.push(slotAt);
    blkoff += blkcnt;
  });
  return { bytes: out, blobOffsets, slotOffsets };
}

/** Options of {@link buildBdb}. */
export interface BdbOptions {
  /** Default 4096. */
  readonly pageSize?: number;
  /** Default true (x86); false writes a big-endian file. */
  readonly littleEndian?: boolean;
  /** Write rpm's key-0 instance counter record first. Default true. */
  readonly counterRecord?: boolean;
}

/** Where things landed in a Berkeley DB file, for tests that damage it. */
export interface BdbLayout {
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  /** Hash page numbers, in chain order. */
  readonly hashPages: readonly number[];
  /** Overflow page numbers of each blob stored off-page (empty for inline values), in blob order. */
  readonly overflowPages: readonly (readonly number[])[];
}

/**
 * A Berkeley DB hash `Packages` with one bucket (page 1 and its chain) holding `blobs` under keys
 * 1, 2, ... (u32 in the file's byte order). Values longer than a quarter page go to overflow
 * pages, as BDB does.
 */
export function buildBdb(blobs: readonly Uint8Array[], options: BdbOptions = {}): BdbLayout {
  const pageSize = options.pageSize ?? 4096;
  const le = options.littleEndian ?? true;
  const pages: Uint8Array[] = [new Uint8Array(pageSize)];
  const newPage = (type: number): number => {
    const page = new Uint8Array(pageSize);
    const pgno = pages.length;
    const v = new DataView(page.buffer);
    v.setUint32(8, pgno, le);
    page[25] = type;
    pages.push(page);
    return pgno;
  };
  const view = (pgno: number): DataView => new DataView((pages[pgno] as Uint8Array).buffer);

  const hashPages = [newPage(13)];
  let hp = hashPages[0] as number;
  let nent = 0;
  let low = pageSize; // lowest used byte of the current hash page
  view(hp).setUint16(22, low, le);

  const put = (item: Uint8Array): number => {
    low -= item.length;
    (pages[hp] as Uint8Array).set(item, low);
    return low;
  };
  const addPair = (key: Uint8Array, value: Uint8Array): void => {
    if (26 + 2 * (nent + 2) > low - key.length - value.length) {
      const next = newPage(13);
      view(hp).setUint32(16, next, le);
      view(next).setUint32(12, hp, le);
      hashPages.push(next);
      hp = next;
      nent = 0;
      low = pageSize;
    }
    const v = view(hp);
    v.setUint16(26 + 2 * nent, put(key), le);
    v.setUint16(26 + 2 * nent + 2, put(value), le);
    nent += 2;
    v.setUint16(20, nent, le);
    v.setUint16(22, low, le);
  };
  const keyItem = (k: number): Uint8Array => {
    const item = new Uint8Array(5);
    item[0] = 1;
    new DataView(item.buffer).setUint32(1, k, le);
    return item;
  };
  const inline = (bytes: Uint8Array): Uint8Array => {
    const item = new Uint8Array(1 + bytes.length);
    item[0] = 1;
    item.set(bytes, 1);
    return item;
  };

  if (options.counterRecord ?? true) {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, blobs.length + 1, le);
    addPair(keyItem(0), inline(counter));
  }
  const overflowPages: number[][] = [];
  blobs.forEach((blob, i) => {
    if (1 + blob.length <= pageSize / 4) {
      overflowPages.push([]);
      addPair(keyItem(i + 1), inline(blob));
      return;
    }
    const chain: number[] = [];
    const per = pageSize - 26;
    for (let at = 0; at < blob.length; at += per) {
      const pgno = newPage(7);
      const used = Math.min(per, blob.length - at);
      (pages[pgno] as Uint8Array).set(blob.subarray(at, at + used), 26);
      const v = view(pgno);
      v.setUint16(20, 1, le); // reference count
      v.setUint16(22, used, le);
      const prev = chain.at(-1);
      if (prev !== undefined) {
        view(prev).setUint32(16, pgno, le);
        v.setUint32(12, prev, le);
      }
      chain.push(pgno);
    }
    overflowPages.push(chain);
    const ref = new Uint8Array(12);
    ref[0] = 3;
    const rv = new DataView(ref.buffer);
    rv.setUint32(4, chain[0] as number, le);
    rv.setUint32(8, blob.length, le);
    addPair(keyItem(i + 1), ref);
  });

  const meta = view(0);
  meta.setUint32(8, 0, le);
  meta.setUint32(12, 0x00061561, le);
  meta.setUint32(16, 9, le); // hash version (BDB 4.6+)
  meta.setUint32(20, pageSize, le);
  (pages[0] as Uint8Array)[25] = 8;
  meta.setUint32(32, pages.length - 1, le); // last page
  meta.setUint32(40, blobs.length, le);
  meta.setUint32(44, blobs.length, le);
  meta.setUint32(72, 0, le); // max bucket
  meta.setUint32(76, 0, le); // high mask
  meta.setUint32(80, 0, le); // low mask
  meta.setUint32(96, 1, le); // spares[0]: bucket 0 lives on page 1

  const bytes = new Uint8Array(pages.length * pageSize);
  for (const [i, p] of pages.entries()) bytes.set(p, i * pageSize);
  return { bytes, pageSize, hashPages, overflowPages };
}
