// A small zip writer for tests (PKWARE APPNOTE layout): stored or deflated entries, optional data
// prepended as a launch script would be, optional ZIP64 records, and knobs to write lies.
import { crc32, deflateRawSync } from "node:zlib";

/** One entry to write. */
export interface ZipEntrySpec {
  readonly name: string;
  readonly data: Uint8Array | string;
  /** 0 stored, 8 deflated. Default 8. */
  readonly method?: 0 | 8;
  /** Uncompressed size written to the central directory instead of the real one (a lie). */
  readonly declaredSize?: number;
}

/** Options of {@link buildZip}. */
export interface ZipSpec {
  /** Bytes before the archive; offsets stay relative to the archive, as `cat stub a.jar` leaves them. */
  readonly prefix?: Uint8Array;
  /** Write ZIP64 end records and ZIP64 extra fields with saturated 32-bit fields. Default false. */
  readonly zip64?: boolean;
  /** EOCD comment. */
  readonly comment?: string;
}

/** Builds a zip archive. */
export function buildZip(entries: readonly ZipEntrySpec[], spec: ZipSpec = {}): Uint8Array {
  const enc = new TextEncoder();
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : e.data;
    const method = e.method ?? 8;
    const body = method === 8 ? new Uint8Array(deflateRawSync(data)) : data;
    const name = enc.encode(e.name);
    const crc = crc32(data);
    const lfh = new Uint8Array(30 + name.length);
    const lv = new DataView(lfh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    lfh.set(name, 30);
    const size = e.declaredSize ?? data.length;
    const extra = spec.zip64 === true ? new Uint8Array(4 + 24) : new Uint8Array(0);
    if (spec.zip64 === true) {
      const ev = new DataView(extra.buffer);
      ev.setUint16(0, 0x0001, true);
      ev.setUint16(2, 24, true);
      ev.setBigUint64(4, BigInt(size), true);
      ev.setBigUint64(12, BigInt(body.length), true);
      ev.setBigUint64(20, BigInt(offset), true);
    }
    const cdh = new Uint8Array(46 + name.length + extra.length);
    const cv = new DataView(cdh.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    const sat = spec.zip64 === true;
    cv.setUint32(20, sat ? 0xffffffff : body.length, true);
    cv.setUint32(24, sat ? 0xffffffff : size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra.length, true);
    cv.setUint32(42, sat ? 0xffffffff : offset, true);
    cdh.set(name, 46);
    cdh.set(extra, 46 + name.length);
    local.push(lfh, body);
    central.push(cdh);
    offset += lfh.length + body.length;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const tail: Uint8Array[] = [];
  if (spec.zip64 === true) {
    const rec = new Uint8Array(56);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    const loc = new Uint8Array(20);
    const locv = new DataView(loc.buffer);
    locv.setUint32(0, 0x07064b50, true);
    locv.setBigUint64(8, BigInt(cdOffset + cdSize), true);
    locv.setUint32(16, 1, true);
    tail.push(rec, loc);
  }
  const comment = enc.encode(spec.comment ?? "");
  const eocd = new Uint8Array(22 + comment.length);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  const z = spec.zip64 === true;
  ev.setUint16(8, z ? 0xffff : entries.length, true);
  ev.setUint16(10, z ? 0xffff : entries.length, true);
  ev.setUint32(12, z ? 0xffffffff : cdSize, true);
  ev.setUint32(16, z ? 0xffffffff : cdOffset, true);
  ev.setUint16(20, comment.length, true);
  eocd.set(comment, 22);
  return Buffer.concat([spec.prefix ?? new Uint8Array(0), ...local, ...central, ...tail, eocd]);
}
