// POSIX ustar headers (512 bytes; POSIX.1-1988 "ustar" format) for the few entries of a bootstrap
// layer. Every field that could vary between machines (owner names, times) is fixed, so the same
// bootstrap always gives the same tar bytes.

/** Size of a tar block; entries and data are padded to it. */
export const TAR_BLOCK = 512;
/** The largest size an 11-digit octal size field holds (8 GiB - 1). */
export const USTAR_MAX_SIZE = 0o77777777777;

/** One entry's header fields. */
export interface UstarEntry {
  /** At most 100 bytes; a directory name ends with `/`. */
  readonly name: string;
  readonly type: "file" | "dir";
  readonly mode: number;
  /** Data bytes that follow the header; 0 for a directory. */
  readonly size: number;
}

const enc = new TextEncoder();

/** Encodes a header: uid/gid 0, no owner names, mtime 0, magic `ustar\0` version `00`. */
export function ustarHeader(entry: UstarEntry): Uint8Array {
  const name = enc.encode(entry.name);
  if (name.length > 100) throw new RangeError(`tar entry name over 100 bytes: ${entry.name}`);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > USTAR_MAX_SIZE) {
    throw new RangeError(`tar entry size ${entry.size} does not fit a ustar header`);
  }
  const h = new Uint8Array(TAR_BLOCK);
  const octal = (value: number, width: number, at: number) => {
    h.set(enc.encode(`${value.toString(8).padStart(width - 1, "0")}\0`), at);
  };
  h.set(name, 0);
  octal(entry.mode, 8, 100);
  octal(0, 8, 108); // uid
  octal(0, 8, 116); // gid
  octal(entry.size, 12, 124);
  octal(0, 12, 136); // mtime
  h[156] = entry.type === "dir" ? 0x35 : 0x30; // typeflag '5' or '0'
  h.set(enc.encode("ustar\u000000"), 257); // magic "ustar\0", version "00"
  octal(0, 8, 329); // devmajor
  octal(0, 8, 337); // devminor
  // The checksum is computed with its own field read as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return h;
}

/** Zero bytes that pad `size` bytes of data up to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * TAR_BLOCK);
}
