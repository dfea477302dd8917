// A bounds-checked decoder for one raw LZ4 block, the on-disk form of a Nydus `lz4_block` chunk
// (reference 5.2; the block format is lz4's doc/lz4_Block_format.md: sequences of token, literals,
// 2-byte offset and match, the last sequence holding literals only).
import { RafsError, RafsErrorCode } from "../errors.js";

/** What {@link decodeLz4Block} consumed and produced. */
export interface Lz4BlockProgress {
  /** Bytes of `src` consumed. */
  readonly read: number;
  /** Bytes written to the start of `dst`. */
  readonly written: number;
}

// Below this length a byte loop beats `set`/`copyWithin`, whose call overhead dominates short
// copies (most LZ4 literal runs and matches are a few bytes long).
const SHORT_COPY = 32;
const MIN_MATCH = 4;

function fail(message: string, at: number, where: string): never {
  throw new RafsError(RafsErrorCode.DECOMPRESS, `lz4_block: ${message} at input byte ${at}`, { where });
}

/**
 * Decodes one raw LZ4 block from the start of `src` into `dst`.
 *
 * Decoding stops at the end of `src`, or as soon as `dst` is exactly full after a run of
 * literals: that is the only place a block can end, so the caller can also walk blocks stored
 * back to back and learn each one's length from `read`. Every literal and match copy is checked
 * against both buffers first; a match may not reach before the start of `dst` (no dictionary).
 * Nothing is ever written past `dst.length`.
 *
 * Throws `RafsError` `RAFS_DECOMPRESS` on malformed input: a length running past `src`, output
 * that would overflow `dst`, a zero or too-large match offset, or a block ending in a match.
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array, where: string): Lz4BlockProgress {
  const srcEnd = src.length;
  const dstEnd = dst.length;
  let ip = 0;
  let op = 0;
  if (srcEnd === 0) fail("empty block (a block has at least one token)", 0, where);
  for (;;) {
    // A block always ends after literals; running out of input where a token is due means the
    // last sequence was a match, which the format forbids.
    if (ip >= srcEnd) fail("block ends with a match instead of literals", ip, where);
    const token = src[ip++] as number;

    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) fail("literal length runs past the input", ip, where);
        b = src[ip++] as number;
        literals += b;
      } while (b === 255);
    }
    if (literals > srcEnd - ip) fail(`${literals} literals run past the input`, ip, where);
    if (literals > dstEnd - op) fail(`${literals} literals overflow the ${dstEnd}-byte output`, ip, where);
    if (literals < SHORT_COPY) {
      for (let i = 0; i < literals; i++) dst[op + i] = src[ip + i] as number;
    } else {
      dst.set(src.subarray(ip, ip + literals), op);
    }
    ip += literals;
    op += literals;
    if (ip === srcEnd || op === dstEnd) break;

    if (srcEnd - ip < 2) fail("match offset runs past the input", ip, where);
    const offset = (src[ip] as number) | ((src[ip + 1] as number) << 8);
    ip += 2;
    // Offset 0 is invalid; an offset beyond what was written would read before the output start.
    if (offset === 0) fail("match offset 0", ip - 2, where);
    if (offset > op)
      fail(`match offset ${offset} reaches before the output start (${op} written)`, ip - 2, where);

    let match = token & 15;
    if (match === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) fail("match length runs past the input", ip, where);
        b = src[ip++] as number;
        match += b;
      } while (b === 255);
    }
    match += MIN_MATCH;
    if (match > dstEnd - op) fail(`${match}-byte match overflows the ${dstEnd}-byte output`, ip, where);

    const from = op - offset;
    if (match < SHORT_COPY) {
      // Byte-wise on purpose: when offset < match the source overlaps the bytes being written
      // (a repeating pattern), and a forward byte copy reproduces exactly that.
      for (let i = 0; i < match; i++) dst[op + i] = dst[from + i] as number;
      op += match;
    } else if (offset >= match) {
      dst.copyWithin(op, from, from + match);
      op += match;
    } else {
      // Long overlapping match: the `offset` bytes before `op` repeat. Copying from the same
      // start in non-overlapping pieces keeps the period, and each piece doubles what is in place.
      const end = op + match;
      while (op < end) {
        const n = Math.min(op - from, end - op);
        dst.copyWithin(op, from, from + n);
        op += n;
      }
    }
  }
  return { read: ip, written: op };
}

/**
 * Decodes `src`, which must be exactly one LZ4 block, into a new buffer of exactly `size` bytes:
 * the TypeScript path of `decompress("lz4_block", …)`. Throws `RafsError` `RAFS_DECOMPRESS` when
 * the block is malformed, decodes to another size, or is followed by more bytes.
 */
export function decompressLz4Block(src: Uint8Array, size: number, where: string): Uint8Array {
  // Uninitialised memory is fine: the buffer is returned only once every byte has been written.
  const out = Buffer.allocUnsafeSlow(size);
  const { read, written } = decodeLz4Block(src, out, where);
  if (written !== size) {
    throw new RafsError(
      RafsErrorCode.DECOMPRESS,
      `lz4_block: data decompresses to ${written} bytes, expected ${size}`,
      { where },
    );
  }
  if (read !== src.length) {
    throw new RafsError(
      RafsErrorCode.DECOMPRESS,
      `lz4_block: ${src.length - read} bytes follow the end of the block`,
      { where },
    );
  }
  return out;
}
