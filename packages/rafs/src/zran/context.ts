// Zran inflate contexts (ZranInflateContext, 40 bytes each) and their dictionary table, as stored in
// the uncompressed CI buffer of a zran blob meta. Format: nydus storage/src/meta/zran.rs; reference 4.9.
import { byteView, need, u8, u32, u64 } from "../bytes.js";
import { corrupt } from "../errors.js";
import { DEFLATE_WINDOW_SIZE } from "./inflate.js";

/** Size of one ZranInflateContext record. */
export const ZRAN_CONTEXT_SIZE = 40;

/** One decoded zran context: where inflation restarts in the gzip file and what it produces. */
export interface ZranContext {
  /** Byte offset in the gzip file where the input window starts (a deflate block boundary, see `ctxBits`). */
  readonly inOffset: number;
  /** Offset in the whole uncompressed stream of this context's first output byte. */
  readonly outOffset: number;
  /** Offset of this context's window in the dictionary table. */
  readonly dictOffset: number;
  /** Compressed bytes to feed, starting at `inOffset`. */
  readonly inLen: number;
  /** Bytes this context produces. */
  readonly outLen: number;
  /** Size of the preset window, 0..32768 (0 at the start of a gzip member). */
  readonly dictSize: number;
  /** The byte at `inOffset - 1`; its top `ctxBits` bits start the block. */
  readonly ctxByte: number;
  /** Unused bits (0..7) of `ctxByte`, i.e. the block starts at bit `8 * inOffset - ctxBits`. */
  readonly ctxBits: number;
}

/**
 * Decodes `count` contexts at `offset` in the uncompressed CI buffer `ci` and checks each against
 * the dictionary table `[dictTableOffset, dictTableOffset + dictTableSize)` of the same buffer.
 * Throws `RAFS_OUT_OF_BOUNDS` when either table does not fit in `ci`, and `RAFS_CORRUPT` naming the
 * context index when a field is impossible: a window over 32 KiB or outside the dictionary table,
 * more than 7 pending bits, pending bits with no byte before the input, output from no input, or
 * offsets beyond 2^53.
 */
export function decodeZranContexts(
  ci: Uint8Array,
  offset: number,
  count: number,
  dictTableOffset: number,
  dictTableSize: number,
  where: string,
): ZranContext[] {
  if (!Number.isSafeInteger(count) || count < 0) corrupt(`zran context count ${count} is invalid`, where);
  need(ci.length, offset, count * ZRAN_CONTEXT_SIZE, `${where} zran context table`);
  need(ci.length, dictTableOffset, dictTableSize, `${where} zran dictionary table`);
  const b = byteView(ci);
  const contexts: ZranContext[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + i * ZRAN_CONTEXT_SIZE;
    const ctxWhere = `${where} zran context ${i} @0x${at.toString(16)}`;
    const ctx: ZranContext = {
      inOffset: u64(b, at, `${ctxWhere} in_offset`),
      outOffset: u64(b, at + 8, `${ctxWhere} out_offset`),
      dictOffset: u64(b, at + 16, `${ctxWhere} dict_offset`),
      inLen: u32(b, at + 24),
      outLen: u32(b, at + 28),
      dictSize: u32(b, at + 32),
      ctxByte: u8(b, at + 36),
      ctxBits: u8(b, at + 37),
    };
    const bad = (message: string): never => corrupt(`zran context ${i}: ${message}`, ctxWhere);
    if (ctx.dictSize > DEFLATE_WINDOW_SIZE) bad(`dict_size ${ctx.dictSize} exceeds ${DEFLATE_WINDOW_SIZE}`);
    if (ctx.ctxBits > 7) bad(`ctx_bits ${ctx.ctxBits} exceeds 7`);
    // The pending bits belong to the byte before in_offset, so there must be one.
    if (ctx.ctxBits > 0 && ctx.inOffset === 0) bad("ctx_bits set but in_offset is 0");
    if (ctx.dictOffset + ctx.dictSize > dictTableSize) {
      bad(
        `dictionary [${ctx.dictOffset}, +${ctx.dictSize}) lies outside the ${dictTableSize}-byte dictionary table`,
      );
    }
    // Producing any byte takes more than the 7 pending bits, so output needs input.
    if (ctx.inLen === 0 && ctx.outLen > 0) bad(`out_len ${ctx.outLen} with in_len 0`);
    if (!Number.isSafeInteger(ctx.inOffset + ctx.inLen)) bad("in_offset + in_len exceeds 2^53");
    if (!Number.isSafeInteger(ctx.outOffset + ctx.outLen)) bad("out_offset + out_len exceeds 2^53");
    contexts.push(ctx);
  }
  return contexts;
}
