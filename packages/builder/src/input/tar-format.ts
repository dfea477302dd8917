// Decoders for the tar formats container layers use: the 512-byte ustar header with its GNU and
// star variants (POSIX.1-2001 "pax" `ustar` header, GNU tar manual "Basic Tar Format"), octal and
// base-256 numbers, and PAX extended header records ("%d %s=%s\n").

/** Size of a tar block; headers and data are padded to it. */
export const BLOCK = 512;

/** Typeflags (the byte at offset 156) this reader knows, named as in GNU tar's tar.h. */
export const TypeFlag = {
  REGTYPE: 0x30, // '0'
  AREGTYPE: 0x00, // '\0', old tar regular file (or directory when the name ends in '/')
  LNKTYPE: 0x31, // '1' hardlink
  SYMTYPE: 0x32, // '2'
  CHRTYPE: 0x33, // '3'
  BLKTYPE: 0x34, // '4'
  DIRTYPE: 0x35, // '5'
  FIFOTYPE: 0x36, // '6'
  CONTTYPE: 0x37, // '7' contiguous file: a regular file everywhere but one old system
  XHDTYPE: 0x78, // 'x' PAX extended header for the next entry
  XGLTYPE: 0x67, // 'g' PAX global extended header
  SOLARIS_XHDTYPE: 0x58, // 'X' Solaris extended header, same records as 'x'
  GNUTYPE_DUMPDIR: 0x44, // 'D' directory with a listing as data
  GNUTYPE_LONGLINK: 0x4b, // 'K' long link name of the next entry
  GNUTYPE_LONGNAME: 0x4c, // 'L' long name of the next entry
  GNUTYPE_MULTIVOL: 0x4d, // 'M' continuation of a file from a previous volume
  GNUTYPE_SPARSE: 0x53, // 'S' sparse file
  GNUTYPE_VOLHDR: 0x56, // 'V' volume label
} as const;

/** A decoded header block; numeric fields are undefined when malformed. */
export interface TarHeader {
  /** `prefix/name` for POSIX ustar headers, `name` otherwise; raw bytes up to the first NUL. */
  readonly name: Uint8Array;
  readonly linkname: Uint8Array;
  readonly typeflag: number;
  readonly mode: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly size: number | undefined;
  readonly mtime: number | undefined;
  readonly devmajor: number | undefined;
  readonly devminor: number | undefined;
}

/** True when the block is all zeros (an end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Checks the header checksum: the sum of all 512 bytes with the checksum field (148..156) taken as
 * spaces. Some historic tars summed signed chars; both are accepted, as GNU tar does.
 */
export function checksumMatches(block: Uint8Array): boolean {
  const stored = parseNumber(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Decodes a header block (512 bytes, checksum already checked). */
export function decodeHeader(block: Uint8Array): TarHeader {
  const field = (at: number, len: number) => block.subarray(at, at + len);
  // POSIX ustar is "ustar\0" "00"; GNU is "ustar  \0", whose 345.. holds atime/ctime, not a prefix.
  const posix =
    block[257] === 0x75 &&
    block[258] === 0x73 &&
    block[259] === 0x74 &&
    block[260] === 0x61 &&
    block[261] === 0x72 &&
    block[262] === 0x00;
  let name = cString(field(0, 100));
  if (posix) {
    // star puts "tar\0" at 508 and keeps atime/ctime after a 131-byte prefix.
    const star = block[508] === 0x74 && block[509] === 0x61 && block[510] === 0x72 && block[511] === 0;
    const prefix = cString(field(345, star ? 131 : 155));
    if (prefix.length > 0) {
      const joined = new Uint8Array(prefix.length + 1 + name.length);
      joined.set(prefix, 0);
      joined[prefix.length] = 0x2f;
      joined.set(name, prefix.length + 1);
      name = joined;
    }
  }
  return {
    name,
    linkname: cString(field(157, 100)),
    typeflag: block[156] as number,
    mode: parseNumber(field(100, 8)),
    uid: parseNumber(field(108, 8)),
    gid: parseNumber(field(116, 8)),
    size: parseNumber(field(124, 12)),
    mtime: parseNumber(field(136, 12)),
    devmajor: parseNumber(field(329, 8)),
    devminor: parseNumber(field(337, 8)),
  };
}

/** The bytes before the first NUL. */
export function cString(bytes: Uint8Array): Uint8Array {
  const end = bytes.indexOf(0);
  return end < 0 ? bytes : bytes.subarray(0, end);
}

/**
 * A numeric header field: octal ASCII (leading spaces, ended by NUL or space; empty is 0), or GNU
 * base-256 (first byte 0x80 positive, 0xff negative, big-endian two's complement). Undefined when
 * malformed or beyond Number.MAX_SAFE_INTEGER in magnitude.
 */
export function parseNumber(field: Uint8Array): number | undefined {
  const first = field[0];
  if (first === undefined) return 0;
  if (first & 0x80) {
    // Base-256: the 0x80 marker bit is not part of the value of a positive number.
    const negative = first === 0xff;
    if (!negative && first !== 0x80) return undefined;
    let value = negative ? -1n : 0n;
    for (let i = 0; i < field.length; i++) {
      const byte = i === 0 && !negative ? 0 : (field[i] as number);
      value = (value << 8n) | BigInt(byte);
    }
    // Shifting -1n left keeps the sign bits, so `value` is the two's complement number.
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    return Number(value);
  }
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i] as number;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return undefined;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  // Only NULs and spaces may follow the digits.
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return undefined;
  // 12-byte fields hold 11 octal digits (2^33); a 12th digit would still be exact, just unusual.
  return digits > 17 ? undefined : value;
}

/** One PAX record: the keyword as UTF-8 text, the value as raw bytes (xattr values are binary). */
export interface PaxRecord {
  readonly key: string;
  readonly value: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes PAX extended header data: records `"<len> <key>=<value>\n"` where `<len>` counts the
 * whole record including itself. Returns a message instead when a record is malformed.
 */
export function decodePax(data: Uint8Array): PaxRecord[] | string {
  const records: PaxRecord[] = [];
  let at = 0;
  while (at < data.length) {
    // Some writers pad the data with NULs after the last record.
    if (data[at] === 0) {
      for (let i = at; i < data.length; i++) if (data[i] !== 0) return "garbage after the PAX records";
      break;
    }
    let len = 0;
    let i = at;
    while (i < data.length && data[i] !== 0x20) {
      const c = data[i] as number;
      if (c < 0x30 || c > 0x39 || i - at > 10) return `bad PAX record length at byte ${at}`;
      len = len * 10 + (c - 0x30);
      i++;
    }
    const end = at + len;
    if (i === at || i >= data.length || end > data.length || end <= i + 1 || data[end - 1] !== 0x0a) {
      return `bad PAX record at byte ${at}`;
    }
    const kv = data.subarray(i + 1, end - 1);
    const eq = kv.indexOf(0x3d);
    if (eq <= 0) return `PAX record without a keyword at byte ${at}`;
    let key: string;
    try {
      key = utf8.decode(kv.subarray(0, eq));
    } catch {
      return `PAX keyword is not UTF-8 at byte ${at}`;
    }
    records.push({ key, value: kv.subarray(eq + 1) });
    at = end;
  }
  return records;
}

/**
 * A PAX time ("1665584430.393557573", "-1.5"): whole seconds and nanoseconds with the fraction
 * counted forward from the floor, as `struct timespec` holds it (-1.5 is -2 s + 500000000 ns).
 */
export function parsePaxTime(text: string): { sec: number; nsec: number } | undefined {
  const m = /^(-?)(\d{1,16})(?:\.(\d*))?$/.exec(text);
  if (m === null) return undefined;
  const whole = Number(m[2]);
  const frac = (m[3] ?? "").slice(0, 9).padEnd(9, "0");
  let nsec = Number(frac);
  let sec = whole;
  if (m[1] === "-") {
    sec = -whole;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1_000_000_000 - nsec;
    }
  }
  if (!Number.isSafeInteger(sec)) return undefined;
  return { sec: sec === 0 ? 0 : sec, nsec };
}

/** A PAX decimal integer (size, uid, gid, devmajor, ...); undefined when not a safe integer. */
export function parsePaxInteger(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
