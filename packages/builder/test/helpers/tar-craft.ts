// Test-only tar writer for hand-made (often hostile) archives: 512-byte headers with correct
// checksums, written independently of the reader's decoder, plus PAX records and padding.
import type { EntrySource, SourceEntry } from "../../src/source.js";

/** Fields of one header; anything left out gets a harmless default. */
export interface RawHeader {
  readonly name: string | Uint8Array;
  /** Typeflag character, default "0". */
  readonly type?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Written in octal when it fits 11 digits, else in GNU base-256. */
  readonly size?: number | bigint;
  /** Written in octal when non-negative and small, else base-256. */
  readonly mtime?: number | bigint;
  readonly linkname?: string | Uint8Array;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** "posix" ("ustar\0" "00", the default), "gnu" ("ustar  \0") or "v7" (no magic). */
  readonly format?: "posix" | "gnu" | "v7";
  /** POSIX ustar prefix field. */
  readonly prefix?: string;
  /** Added to the correct checksum (to make it wrong). */
  readonly checksumDelta?: number;
}

const enc = new TextEncoder();
const bytes = (v: string | Uint8Array) => (typeof v === "string" ? enc.encode(v) : v);

/** One 512-byte header block. */
export function header(h: RawHeader): Uint8Array {
  const b = new Uint8Array(512);
  const put = (v: string | Uint8Array, at: number, len: number) => b.set(bytes(v).subarray(0, len), at);
  const octal = (v: number, at: number, len: number) =>
    put(`${v.toString(8).padStart(len - 1, "0")}\0`, at, len);
  const numeric = (v: number | bigint, at: number, len: number) => {
    const big = BigInt(v);
    if (big >= 0n && big < 8n ** BigInt(len - 1)) {
      octal(Number(big), at, len);
      return;
    }
    // GNU base-256: big-endian two's complement, top bit of the first byte set.
    let x = big < 0n ? (1n << BigInt(8 * len)) + big : big;
    for (let i = len - 1; i >= 0; i--) {
      b[at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    b[at] = big < 0n ? 0xff : 0x80;
  };
  put(h.name, 0, 100);
  octal(h.mode ?? 0o644, 100, 8);
  octal(h.uid ?? 0, 108, 8);
  octal(h.gid ?? 0, 116, 8);
  numeric(h.size ?? 0, 124, 12);
  numeric(h.mtime ?? 1_600_000_000, 136, 12);
  b[156] = (h.type ?? "0").charCodeAt(0);
  if (h.linkname !== undefined) put(h.linkname, 157, 100);
  const format = h.format ?? "posix";
  if (format === "posix") put("ustar\x0000", 257, 8);
  if (format === "gnu") put("ustar  \0", 257, 8);
  if (format !== "v7") {
    put("root", 265, 32);
    put("root", 297, 32);
    octal(h.devmajor ?? 0, 329, 8);
    octal(h.devminor ?? 0, 337, 8);
  }
  if (h.prefix !== undefined) put(h.prefix, 345, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  sum += h.checksumDelta ?? 0;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return b;
}

/** Zero bytes up to the next 512-byte boundary after `n` bytes. */
export function padding(n: number): Uint8Array {
  return new Uint8Array((512 - (n % 512)) % 512);
}

/** PAX extended header data: `"<len> <key>=<value>\n"` records, `<len>` counting itself. */
export function paxData(records: readonly (readonly [string, string | Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const body = concat([enc.encode(` ${key}=`), bytes(value), enc.encode("\n")]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(concat([enc.encode(String(len)), body]));
  }
  return concat(parts);
}

/** A header (type "x" unless given) carrying PAX records, with its data and padding. */
export function pax(records: readonly (readonly [string, string | Uint8Array])[], type = "x"): Uint8Array {
  const data = paxData(records);
  return concat([header({ name: "PaxHeader", type, size: data.length }), data, padding(data.length)]);
}

/** A regular file member: header, data, padding. */
export function fileMember(
  name: string | Uint8Array,
  content: string | Uint8Array,
  extra: Partial<RawHeader> = {},
) {
  const data = bytes(content);
  return concat([header({ name, size: data.length, ...extra }), data, padding(data.length)]);
}

/** The end-of-archive marker: two zero blocks. */
export const END = new Uint8Array(1024);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An entry as read, with its data gathered. */
export type ReadEntry = Omit<SourceEntry, "data"> & { content?: Buffer };

/** Reads every entry of a source, gathering file data. */
export async function collect(
  source: EntrySource,
  options: { readData?: boolean } = {},
): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const e of source) {
    const { data, ...rest } = e;
    if (data !== undefined && options.readData !== false) {
      const pieces: Uint8Array[] = [];
      for await (const p of data) pieces.push(p);
      out.push({ ...rest, content: Buffer.concat(pieces) });
    } else {
      out.push(rest);
    }
  }
  return out;
}

/** Yields `data` as an async iterable, in pieces of `piece` bytes (to test chunk boundaries). */
export async function* chunked(data: Uint8Array, piece = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
}
