// Chunk codecs: turns one stored chunk (or one compressed blob-meta CI array) back into its bytes.
// What a compressed chunk is on disk for each compressor id: reference section 5.2.
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import type { DCtx } from "zstd-napi/binding.js";
import { RafsError, RafsErrorCode, unsupported } from "../errors.js";
import { DEFAULT_LIMITS } from "../limits.js";
import type { CompressorName } from "../model.js";
import { decompressLz4Block } from "./lz4-block.js";
import { decompressZstdJs } from "./zstd-js.js";

/**
 * Default ceiling on `uncompressedSize` in {@link decompress}: the largest chunk the format allows
 * (`DEFAULT_LIMITS.maxChunkSize`, 16 MiB) plus one 4 KiB block of slack.
 */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = DEFAULT_LIMITS.maxChunkSize + 4096;

/** Compressor names by RafsV6Blob `compression_algo` id (also the blob meta `ci_compressor`). */
const COMPRESSOR_IDS: readonly CompressorName[] = ["none", "lz4_block", "gzip", "zstd"];

/**
 * Maps a `compression_algo` id (0 none, 1 lz4_block, 2 gzip, 3 zstd) to its name.
 * Throws `RafsError` `RAFS_UNSUPPORTED` naming the id for any other value.
 */
export function compressorFromId(id: number, where: string): CompressorName {
  const name = Number.isInteger(id) ? COMPRESSOR_IDS[id] : undefined;
  if (name === undefined) unsupported(`compression_algo ${id}`, where);
  return name;
}

/**
 * Decompresses one chunk, or one compressed blob-meta CI array, into a new buffer the caller owns.
 *
 * - `none`: a copy of `src`, which must be exactly `uncompressedSize` bytes long;
 * - `lz4_block`: one raw LZ4 block (no size prefix, no frame);
 * - `gzip`: one gzip member, CRC-32 and length trailer checked (like zlib, members that follow
 *   are decoded too; the total must still be `uncompressedSize`);
 * - `zstd`: one zstd frame (libzstd also decodes frames that follow; same rule).
 *
 * The output buffer is sized from `uncompressedSize` up front and no codec may write past it, so
 * a "bomb" (tiny input that expands hugely) fails fast without allocating its expansion.
 *
 * Throws `RafsError`:
 * - `RAFS_LIMIT` when `uncompressedSize` exceeds `maxSize`;
 * - `RAFS_CORRUPT` when `uncompressedSize` is not a non-negative safe integer;
 * - `RAFS_DECOMPRESS` when the codec rejects the data or the output length differs from
 *   `uncompressedSize` (output is never truncated or padded);
 *
 * zstd and lz4_block use native bindings when they load, else pure-JS decoders (fzstd, ours);
 * {@link codecBackends} says which ran.
 *
 * @param where - Names the chunk in error messages, e.g. `blob 0 chunk 12`.
 * @param maxSize - Largest accepted `uncompressedSize`. Default {@link DEFAULT_MAX_DECOMPRESSED_SIZE}.
 */
export function decompress(
  codec: CompressorName,
  src: Uint8Array,
  uncompressedSize: number,
  where: string,
  maxSize: number = DEFAULT_MAX_DECOMPRESSED_SIZE,
): Uint8Array {
  if (!Number.isSafeInteger(uncompressedSize) || uncompressedSize < 0) {
    throw new RafsError(RafsErrorCode.CORRUPT, `invalid uncompressed size ${uncompressedSize}`, { where });
  }
  if (uncompressedSize > maxSize) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `uncompressed size ${uncompressedSize} exceeds the limit of ${maxSize} bytes`,
      { where },
    );
  }
  switch (codec) {
    case "none":
      if (src.length !== uncompressedSize) {
        throw new RafsError(
          RafsErrorCode.DECOMPRESS,
          `none: stored chunk is ${src.length} bytes, expected ${uncompressedSize}`,
          { where },
        );
      }
      // A copy, not `src.slice()`: on a Buffer that is a view sharing the caller's memory.
      return new Uint8Array(src);
    case "lz4_block":
      return decompressLz4(src, uncompressedSize, where);
    case "gzip":
      return decompressGzip(src, uncompressedSize, where);
    case "zstd":
      return decompressZstd(src, uncompressedSize, where);
    default:
      return unsupported(`compressor ${String(codec)}`, where);
  }
}

function sizeMismatch(codec: CompressorName, got: number, want: number, where: string): never {
  throw new RafsError(
    RafsErrorCode.DECOMPRESS,
    `${codec}: data decompresses to ${got} bytes, expected ${want}`,
    { where },
  );
}

function codecFailure(codec: CompressorName, err: unknown, where: string): never {
  if (err instanceof RafsError) throw err;
  const reason = err instanceof Error ? err.message : String(err);
  throw new RafsError(RafsErrorCode.DECOMPRESS, `${codec}: ${reason}`, { where, cause: err });
}

// The native codecs are loaded on first use, not at import: reading metadata needs neither, and a
// platform without a prebuilt binding must still be able to open images.
const requireNative = createRequire(import.meta.url);

/**
 * `RAFSCAN_NO_NATIVE=1` makes the loaders skip the native bindings (zstd-napi, lz4-napi) and use
 * the JS decoders, as on a platform where they were not built; read once, at first use.
 */
function nativeDisabled(): boolean {
  const v = process.env.RAFSCAN_NO_NATIVE;
  return v !== undefined && v !== "" && v !== "0";
}

/** A codec implementation in use, and why it is the one. */
export interface CodecBackend {
  /** `zstd-napi`, `fzstd`, `lz4-napi`, `typescript`. */
  readonly implementation: string;
  /** True for a pure-JS decoder standing in for a native one that did not load. */
  readonly fallback: boolean;
  /** Why the native binding was not used, for a fallback. */
  readonly reason?: string;
}

const backends = new Map<CompressorName, CodecBackend>();

/**
 * The decoder implementation each compressed codec used so far in this process (only codecs that
 * decoded something are listed), so a report can say when a slower pure-JS fallback ran.
 */
export function codecBackends(): Readonly<Partial<Record<CompressorName, CodecBackend>>> {
  return Object.fromEntries(backends);
}

function loadError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}

type Lz4Napi = { uncompressSync(data: Uint8Array): Buffer };
let lz4Native: Lz4Napi | null | undefined;

function loadLz4(): Lz4Napi | null {
  if (lz4Native === undefined) {
    if (nativeDisabled()) {
      lz4Native = null;
      backends.set("lz4_block", {
        implementation: "typescript",
        fallback: true,
        reason: "RAFSCAN_NO_NATIVE",
      });
    } else {
      try {
        lz4Native = requireNative("lz4-napi") as Lz4Napi;
        backends.set("lz4_block", { implementation: "lz4-napi", fallback: false });
      } catch (err) {
        lz4Native = null;
        backends.set("lz4_block", {
          implementation: "typescript",
          fallback: true,
          reason: `lz4-napi did not load: ${loadError(err)}`,
        });
      }
    }
  }
  return lz4Native;
}

/**
 * lz4-napi (lz4_flex) is 4-6x faster than our TypeScript decoder (docs/benchmarks-codec.md), so
 * it is the first choice; the TS decoder is the fallback when the binding does not load.
 */
function decompressLz4(src: Uint8Array, size: number, where: string): Uint8Array {
  const native = loadLz4();
  if (native === null) return decompressLz4Block(src, size, where);
  // Nydus stores bare blocks; lz4-napi wants lz4_flex's "size prepended" form, a u32le output
  // size before the block. That prefix becomes the output capacity: lz4_flex fails with "output
  // is too small" rather than write past it, and stops at the end of the input, so a block that
  // decodes to less comes back short and the length check below catches it.
  const framed = Buffer.allocUnsafe(src.length + 4);
  framed.writeUInt32LE(size, 0);
  framed.set(src, 4);
  let out: Buffer;
  try {
    out = native.uncompressSync(framed);
  } catch (err) {
    codecFailure("lz4_block", err, where);
  }
  if (out.length !== size) sizeMismatch("lz4_block", out.length, size, where);
  return out;
}

/**
 * gzip goes through node:zlib rather than fflate: fflate's `gunzipSync` checks neither the CRC
 * nor the length trailer, truncates silently when given an output buffer that is too small and
 * keeps inflating the whole bomb into nothing; node:zlib checks both trailer fields, stops once
 * `maxOutputLength` is passed, and is about 3x faster (docs/benchmarks-codec.md).
 */
function decompressGzip(src: Uint8Array, size: number, where: string): Uint8Array {
  let out: Buffer;
  try {
    // One output chunk of size + 1: a correct member fills `size` bytes and leaves room, so zlib
    // allocates nothing more; anything longer trips maxOutputLength after at most size + 1 bytes.
    out = gunzipSync(src, { maxOutputLength: Math.max(size, 1), chunkSize: Math.max(64, size + 1) });
  } catch (err) {
    if (err instanceof RangeError && (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new RafsError(RafsErrorCode.DECOMPRESS, `gzip: data decompresses to more than ${size} bytes`, {
        where,
        cause: err,
      });
    }
    codecFailure("gzip", err, where);
  }
  if (out.length !== size) sizeMismatch("gzip", out.length, size, where);
  return out;
}

type ZstdBinding = { DCtx: new () => DCtx };
/** The native context; `null` once the binding failed to load (then fzstd decodes). */
let zstdContext: DCtx | null | undefined;

function loadZstd(): DCtx | null {
  if (zstdContext === undefined) {
    if (nativeDisabled()) {
      zstdContext = null;
      backends.set("zstd", { implementation: "fzstd", fallback: true, reason: "RAFSCAN_NO_NATIVE" });
      return zstdContext;
    }
    try {
      const binding = requireNative("zstd-napi/binding") as ZstdBinding;
      // One context for the process: decoding is synchronous, so it is never used re-entrantly.
      zstdContext = new binding.DCtx();
      backends.set("zstd", { implementation: "zstd-napi", fallback: false });
    } catch (err) {
      // A platform without a built binding still reads zstd images, slower (docs/benchmarks-codec.md).
      zstdContext = null;
      backends.set("zstd", {
        implementation: "fzstd",
        fallback: true,
        reason: `zstd-napi did not load: ${loadError(err)}`,
      });
    }
  }
  return zstdContext;
}

/**
 * Uses the raw binding's `ZSTD_decompressDCtx` into a buffer of exactly `size` bytes. The
 * package's `Decompressor` would instead allocate whatever the frame header claims (a bomb's
 * 4 GiB) before decoding; libzstd itself refuses to write past the buffer it is given.
 */
function decompressZstd(src: Uint8Array, size: number, where: string): Uint8Array {
  const dctx = loadZstd();
  if (dctx === null) return decompressZstdJs(src, size, where);
  // Uninitialised memory is fine: the buffer is returned only once `size` bytes were written.
  const out = Buffer.allocUnsafeSlow(size);
  let written: number;
  try {
    written = dctx.decompress(out, src);
  } catch (err) {
    codecFailure("zstd", err, where);
  }
  if (written !== size) sizeMismatch("zstd", written, size, where);
  return out;
}
