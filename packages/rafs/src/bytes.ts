// Bounds-checked little-endian field access over untrusted byte buffers.
import { RafsError, RafsErrorCode } from "./errors.js";

/** A view over one buffer; every struct decoder checks its whole extent once with `need`. */
export interface ByteView {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** Wraps bytes without copying. */
export function byteView(bytes: Uint8Array): ByteView {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * Where a check happens, for error messages. Hot decoders pass a function so that the message is
 * only built when a check fails.
 */
export type Where = string | (() => string);

/** Resolves a {@link Where}. */
export function whereText(where: Where): string {
  return typeof where === "string" ? where : where();
}

/**
 * Checks that `[offset, offset + length)` lies inside a buffer of `size` bytes.
 * Works with any non-negative safe integers, so a caller can pass values read from disk directly.
 */
export function need(size: number, offset: number, length: number, what: Where): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    const w = whereText(what);
    throw new RafsError(
      RafsErrorCode.OUT_OF_BOUNDS,
      `${w} at offset ${offset} length ${length} lies outside ${size} bytes`,
      {
        where: w,
      },
    );
  }
}

export function u8(b: ByteView, off: number): number {
  return b.view.getUint8(off);
}
export function u16(b: ByteView, off: number): number {
  return b.view.getUint16(off, true);
}
export function u32(b: ByteView, off: number): number {
  return b.view.getUint32(off, true);
}

/**
 * Reads a u64 and refuses values beyond `Number.MAX_SAFE_INTEGER`: every 64-bit field the
 * format uses as a size or offset must be exact in a JS number.
 */
export function u64(b: ByteView, off: number, what: Where, field?: string): number {
  const lo = b.view.getUint32(off, true);
  const hi = b.view.getUint32(off + 4, true);
  if (hi > 0x1fffff) {
    const w = whereText(what);
    throw new RafsError(RafsErrorCode.CORRUPT, `${w}${field === undefined ? "" : ` ${field}`} exceeds 2^53`, {
      where: w,
    });
  }
  return hi * 0x1_0000_0000 + lo;
}

/** Reads a u64 as a bigint, for flag words whose high bits matter. */
export function u64big(b: ByteView, off: number): bigint {
  return b.view.getBigUint64(off, true);
}

/** Rounds `n` up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** True when every byte is zero. */
export function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/**
 * Compares two byte strings the way the builders sort names (unsigned byte-wise). A JS loop:
 * names are short, and Buffer.compare's native call costs more than the comparison itself.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
/** Decodes a name or path from disk; invalid UTF-8 becomes U+FFFD (see docs/limits.md). */
export function decodeName(bytes: Uint8Array): string {
  // Most names are short ASCII: building the string directly skips TextDecoder's call overhead.
  if (bytes.length <= 64) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      if (c >= 0x80) return utf8.decode(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes);
}

/** Cuts a NUL-padded fixed-size field at its first NUL. */
export function cString(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}
