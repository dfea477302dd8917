// The pure-JS zstd decoder (fzstd) used when the native binding (zstd-napi) does not load: a zstd
// frame header check (RFC 8878 section 3.1.1.1) that bounds what fzstd may allocate, and a
// streaming decode that stops as soon as the output would pass the recorded size.
import { Decompress } from "fzstd";
import { RafsError, RafsErrorCode } from "../errors.js";

/**
 * Largest zstd window accepted by the JS decoder: 2^27 bytes, libzstd's own default
 * (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`). fzstd allocates the window up front, so without this a
 * 14-byte frame header could ask for 2 GiB.
 */
export const MAX_ZSTD_WINDOW = 1 << 27;

const ZSTD_MAGIC = 0xfd2fb528;

function fail(message: string, where: string, cause?: unknown): never {
  throw new RafsError(RafsErrorCode.DECOMPRESS, `zstd: ${message}`, {
    where,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Checks the first frame header of `src` against the expected output size: the frame content
 * size, when the header carries one, must be `size`; the window must not exceed
 * {@link MAX_ZSTD_WINDOW}. Skippable frames and later frames are left to the decoder.
 */
function checkFrameHeader(src: Uint8Array, size: number, where: string): void {
  if (src.length < 6) fail(`frame of ${src.length} bytes is shorter than a header`, where);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return; // skippable frame, or garbage fzstd refuses
  const fhd = src[4] as number;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdFlag = fhd & 3;
  if (fhd & 8) fail("reserved bit set in the frame header", where);
  let at = 5;
  let window = 0;
  if (!singleSegment) {
    const wd = src[at++] as number;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  at += dictIdFlag === 3 ? 4 : dictIdFlag;
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  if (src.length < at + fcsBytes) fail("frame header runs past the data", where);
  let fcs: number | undefined;
  if (fcsBytes === 1) fcs = view.getUint8(at);
  else if (fcsBytes === 2) fcs = view.getUint16(at, true) + 256;
  else if (fcsBytes === 4) fcs = view.getUint32(at, true);
  else if (fcsBytes === 8) fcs = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
  if (singleSegment) window = fcs ?? 0;
  if (fcs !== undefined && fcs !== size) fail(`frame says ${fcs} bytes, expected ${size}`, where);
  if (window > MAX_ZSTD_WINDOW) fail(`window of ${window} bytes exceeds ${MAX_ZSTD_WINDOW}`, where);
}

/**
 * Decodes zstd data into exactly `size` bytes with fzstd. Output arrives block by block (at most
 * 128 KiB each) and is copied into one buffer of `size` bytes; a block that would pass it ends
 * the decode, so a bomb costs at most one window and one block.
 * @throws RafsError `RAFS_DECOMPRESS` on malformed data or another output size.
 */
export function decompressZstdJs(src: Uint8Array, size: number, where: string): Uint8Array {
  checkFrameHeader(src, size, where);
  const out = new Uint8Array(size);
  let written = 0;
  const stream = new Decompress((chunk) => {
    // Thrown from the callback, this stops the decode at the first block too many.
    if (written + chunk.length > size) fail(`data decompresses to more than ${size} bytes`, where);
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    stream.push(src, true);
  } catch (err) {
    if (err instanceof RafsError) throw err;
    fail(err instanceof Error ? err.message : String(err), where, err);
  }
  if (written !== size) fail(`data decompresses to ${written} bytes, expected ${size}`, where);
  return out;
}
