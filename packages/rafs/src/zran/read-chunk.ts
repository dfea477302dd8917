// Decoding zran chunks: restart inflation at a context's checkpoint in the original .tar.gz layer and
// slice the chunk out of the context's output. Reference 4.9 (steps 1-5).
import { need } from "../bytes.js";
import { corrupt, RafsError, RafsErrorCode } from "../errors.js";
import type { ZranContext } from "./context.js";
import { DEFAULT_MAX_INFLATE_OUTPUT, inflateRaw } from "./inflate.js";

// Every deflate match needs at least one bit of literal/length code and one of distance code, and
// yields at most 258 bytes, so n input bits can never produce more than 129 * n bytes.
const MAX_BYTES_PER_BIT = 129;

/** Decodes the first `outLen` bytes of context `ctx`; shared by the two exports below. */
function inflatePrefix(
  input: Uint8Array,
  ctx: ZranContext,
  dictionary: Uint8Array,
  outLen: number,
  where: string,
  maxOutput: number,
): Uint8Array {
  if (!Number.isSafeInteger(ctx.inLen) || ctx.inLen < 0) {
    corrupt(`zran in_len ${ctx.inLen} is invalid`, where);
  }
  if (!Number.isInteger(ctx.ctxBits) || ctx.ctxBits < 0 || ctx.ctxBits > 7) {
    corrupt(`zran ctx_bits ${ctx.ctxBits} is not in 0..7`, where);
  }
  if (dictionary.length !== ctx.dictSize) {
    corrupt(`zran dictionary has ${dictionary.length} bytes, context says ${ctx.dictSize}`, where);
  }
  if (outLen > maxOutput) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `zran output ${outLen} exceeds the limit of ${maxOutput} bytes`,
      {
        where,
      },
    );
  }
  if (outLen > MAX_BYTES_PER_BIT * (8 * ctx.inLen + ctx.ctxBits)) {
    corrupt(`zran out_len ${outLen} is more than ${ctx.inLen} compressed bytes can hold`, where);
  }
  if (input.length < ctx.inLen) {
    throw new RafsError(
      RafsErrorCode.DECOMPRESS,
      `zran input has ${input.length} bytes but the context needs in_len ${ctx.inLen}`,
      { where },
    );
  }
  // Like nydus, feed exactly in_len bytes: a context must not depend on what follows its window.
  return inflateRaw(input.subarray(0, ctx.inLen), {
    outLen,
    pendingBits: ctx.ctxBits,
    pendingByte: ctx.ctxByte,
    window: dictionary,
    gzipMembers: true,
    maxOutput,
    where,
  });
}

/**
 * Inflates one zran context. `input` holds the gzip bytes `[ctx.inOffset, ctx.inOffset + ctx.inLen)`
 * (extra bytes after them are ignored); `dictionary` is the context's window from the dictionary
 * table (`ctx.dictSize` bytes). Decoding starts `ctx.ctxBits` bits before `input[0]`, taken from the
 * top of `ctx.ctxByte`, continues across gzip members, and returns exactly `ctx.outLen` bytes.
 *
 * Throws `RAFS_LIMIT` when `ctx.outLen` exceeds `maxOutput`, `RAFS_CORRUPT` when the context is
 * inconsistent (window size, pending bits, more output than the input can encode), and
 * `RAFS_DECOMPRESS` when the data is malformed or ends before `ctx.outLen` bytes.
 *
 * @param maxOutput largest output accepted. Default {@link DEFAULT_MAX_INFLATE_OUTPUT} (64 MiB).
 */
export function inflateZranContext(
  input: Uint8Array,
  ctx: ZranContext,
  dictionary: Uint8Array,
  where: string,
  maxOutput: number = DEFAULT_MAX_INFLATE_OUTPUT,
): Uint8Array {
  return inflatePrefix(input, ctx, dictionary, ctx.outLen, where, maxOutput);
}

/**
 * Returns the bytes of one zran chunk: `[chunkOffset, chunkOffset + chunkSize)` of context `ctx`'s
 * output (the CI v2 entry's `data & 0xffffffff` and uncompressed size). `dictTable` is the whole
 * dictionary table; `input` holds the gzip bytes of the context's input window, as for
 * {@link inflateZranContext}. Inflation stops at the chunk's end, so chunks early in a context are
 * cheap. Callers reading several chunks of one context should inflate it once and slice.
 *
 * Throws `RAFS_CORRUPT` when the chunk lies outside the context's output or the window outside the
 * dictionary table (`RAFS_OUT_OF_BOUNDS`), plus the errors of {@link inflateZranContext}.
 *
 * @param maxOutput largest context output accepted. Default {@link DEFAULT_MAX_INFLATE_OUTPUT} (64 MiB).
 */
export function readZranChunk(
  input: Uint8Array,
  ctx: ZranContext,
  dictTable: Uint8Array,
  chunkOffset: number,
  chunkSize: number,
  where: string,
  maxOutput: number = DEFAULT_MAX_INFLATE_OUTPUT,
): Uint8Array {
  if (
    !Number.isSafeInteger(chunkOffset) ||
    !Number.isSafeInteger(chunkSize) ||
    chunkOffset < 0 ||
    chunkSize < 0 ||
    chunkOffset + chunkSize > ctx.outLen
  ) {
    corrupt(
      `zran chunk [${chunkOffset}, +${chunkSize}) lies outside the context's ${ctx.outLen} output bytes`,
      where,
    );
  }
  need(dictTable.length, ctx.dictOffset, ctx.dictSize, `${where} zran dictionary`);
  const dictionary = dictTable.subarray(ctx.dictOffset, ctx.dictOffset + ctx.dictSize);
  if (ctx.outLen > maxOutput) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `zran output ${ctx.outLen} exceeds the limit of ${maxOutput} bytes`,
      {
        where,
      },
    );
  }
  const out = inflatePrefix(input, ctx, dictionary, chunkOffset + chunkSize, where, maxOutput);
  // Copy rather than return a view, so a small chunk does not pin the whole decoded prefix.
  return chunkOffset === 0 ? out : out.slice(chunkOffset);
}
