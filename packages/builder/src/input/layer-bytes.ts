// The uncompressed bytes of a tar layer: opens a file or takes a stream, detects gzip (1f 8b) and
// zstd (28 b5 2f fd) by magic, decompresses with backpressure and enforces the bomb limits.
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { DCtx } from "zstd-napi/binding.js";
import { BuildError, BuildErrorCode } from "./build-error.js";

/** Limits on the uncompressed size of one layer. */
export interface LayerByteLimits {
  /** Most uncompressed bytes read from one layer. */
  readonly maxTotalSize: number;
  /** Largest uncompressed/compressed ratio, enforced once past {@link RATIO_GRACE} bytes. */
  readonly maxRatio: number;
}

/**
 * Uncompressed bytes read before `maxRatio` applies: small layers of zeros legitimately compress
 * beyond any ratio, and 64 MiB is harmless however it was made.
 */
export const RATIO_GRACE = 64 * 1024 * 1024;

/**
 * Input handed to zlib per write, and zlib's output chunk size. zlib stops inflating a write when
 * its readable side is full, so a bomb waits for the consumer (measured: 27 MiB peak while 1.5
 * GiB of zeros came out); the slice only bounds what a single write pins. Output chunks of 64
 * KiB rather than zlib's 16 KiB default: each one is a thread-pool round trip (98 -> 234 MiB/s).
 */
const GZIP_SLICE = 1024 * 1024;
const GZIP_CHUNK = 64 * 1024;

/** What a decompressor throws when its input stops inside a frame. */
export class TruncatedInputError extends BuildError {}

/** Where the bytes come from, and a name for messages. */
export type LayerInput = string | Readable | AsyncIterable<Uint8Array>;

/**
 * Yields the uncompressed bytes of `input`. Errors: `BUILD_IO` when the source fails,
 * `BUILD_BAD_INPUT` for corrupt compressed data ({@link TruncatedInputError} when it stops
 * mid-frame), `BUILD_LIMIT` past `maxTotalSize` or `maxRatio`.
 */
export async function* layerBytes(
  input: LayerInput,
  limits: LayerByteLimits,
  name: string | undefined,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  // Compressed bytes the decoder has consumed (not merely buffered): the ratio is measured on
  // them, since deflate tops out near 1032:1 and any read-ahead would hide a bomb at that ratio.
  const counter = { compressed: 0 };
  const raw = sourceChunks(input, name);
  const it = raw[Symbol.asyncIterator]();
  try {
    // Gather at least 4 bytes for the magic; they are handed on as they came.
    const head: Uint8Array[] = [];
    let headLength = 0;
    while (headLength < 4) {
      const r = await it.next();
      if (r.done === true) break;
      head.push(r.value);
      headLength += r.value.length;
    }
    const first = head.length === 1 ? (head[0] as Uint8Array) : Buffer.concat(head);
    const rest: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => prepend(first, it),
    };
    const magic = (i: number) => first[i];
    let decoded: AsyncIterable<Uint8Array>;
    if (magic(0) === 0x1f && magic(1) === 0x8b) decoded = gunzip(rest, counter, name);
    else if (magic(0) === 0x28 && magic(1) === 0xb5 && magic(2) === 0x2f && magic(3) === 0xfd)
      decoded = unzstd(rest, counter, name);
    else decoded = rest;
    const compressed = decoded !== rest;
    let total = 0;
    for await (const piece of decoded) {
      signal?.throwIfAborted();
      total += piece.length;
      if (total > limits.maxTotalSize) {
        throw new BuildError(
          BuildErrorCode.LIMIT,
          `layer is larger than maxTotalSize (${limits.maxTotalSize} bytes) uncompressed`,
          inputOption(name),
        );
      }
      if (compressed && total > RATIO_GRACE && total > limits.maxRatio * counter.compressed) {
        throw new BuildError(
          BuildErrorCode.LIMIT,
          `layer decompresses beyond maxRatio ${limits.maxRatio}: ${total} bytes from ${counter.compressed}`,
          inputOption(name),
        );
      }
      yield piece;
    }
  } finally {
    await it.return(undefined);
  }
}

function inputOption(name: string | undefined): { input?: string } {
  return name === undefined ? {} : { input: name };
}

async function* prepend(first: Uint8Array, it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first.length > 0) yield first;
  for (;;) {
    const r = await it.next();
    if (r.done === true) return;
    yield r.value;
  }
}

/** The raw source as byte chunks; its failures become `BUILD_IO`. */
async function* sourceChunks(input: LayerInput, name: string | undefined): AsyncGenerator<Uint8Array> {
  if (
    typeof input !== "string" &&
    typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== "function"
  ) {
    throw new TypeError("a tar input must be a file path, a Readable or an async iterable of Uint8Array");
  }
  const source: AsyncIterable<unknown> =
    typeof input === "string" ? createReadStream(input, { highWaterMark: 256 * 1024 }) : input;
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await it.next();
      } catch (err) {
        if (err instanceof BuildError) throw err;
        const detail = err instanceof Error ? err.message : String(err);
        throw new BuildError(BuildErrorCode.IO, `reading the layer failed: ${detail}`, {
          ...inputOption(name),
          cause: err,
        });
      }
      if (r.done === true) return;
      const chunk = r.value;
      if (!(chunk instanceof Uint8Array)) {
        // A Readable with setEncoding() yields strings; the bytes are gone by then.
        throw new BuildError(BuildErrorCode.BAD_INPUT, "the input stream yields non-binary chunks", {
          ...inputOption(name),
        });
      }
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    await it.return?.();
  }
}

/** gzip (one or more members) through node:zlib, fed in small slices so output stays bounded. */
async function* gunzip(
  src: AsyncIterable<Uint8Array>,
  counter: { compressed: number },
  name: string | undefined,
): AsyncGenerator<Uint8Array> {
  async function* sliced(): AsyncGenerator<Uint8Array> {
    for await (const chunk of src) {
      for (let at = 0; at < chunk.length; at += GZIP_SLICE) yield chunk.subarray(at, at + GZIP_SLICE);
    }
  }
  const z = createGunzip({ chunkSize: GZIP_CHUNK });
  // Errors reach the loop below through `z`; the callback only keeps pipeline from throwing.
  pipeline(Readable.from(sliced(), { objectMode: false, highWaterMark: GZIP_SLICE }), z, () => {});
  try {
    for await (const piece of z) {
      // bytesWritten counts input zlib has actually inflated, not what waits in its buffers.
      counter.compressed = z.bytesWritten;
      yield piece as Buffer;
    }
  } catch (err) {
    if (err instanceof BuildError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "Z_BUF_ERROR") {
      throw new TruncatedInputError(BuildErrorCode.BAD_INPUT, "the gzip stream ends early", {
        ...inputOption(name),
        cause: err,
      });
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw new BuildError(BuildErrorCode.BAD_INPUT, `the gzip stream is corrupt: ${detail}`, {
      ...inputOption(name),
      cause: err,
    });
  } finally {
    z.destroy();
  }
}

type ZstdBinding = { DCtx: new () => DCtx; dStreamOutSize(): number };
let zstdBinding: ZstdBinding | undefined;

/**
 * zstd through the raw binding's `ZSTD_decompressStream`. zstd-napi's `DecompressStream` pushes
 * all the output of an input chunk at once, ignoring backpressure; a 64 KiB chunk of a zstd bomb
 * is gigabytes. Here each output buffer is yielded before the next is decoded.
 */
async function* unzstd(
  src: AsyncIterable<Uint8Array>,
  counter: { compressed: number },
  name: string | undefined,
): AsyncGenerator<Uint8Array> {
  if (zstdBinding === undefined) {
    try {
      zstdBinding = createRequire(import.meta.url)("zstd-napi/binding") as ZstdBinding;
    } catch (err) {
      throw new BuildError(BuildErrorCode.BAD_INPUT, "zstd layer, but zstd-napi did not load", {
        ...inputOption(name),
        cause: err,
      });
    }
  }
  const dctx = new zstdBinding.DCtx();
  const outSize = zstdBinding.dStreamOutSize();
  let inFrame = false;
  for await (const chunk of src) {
    let rest = chunk;
    for (;;) {
      const out = Buffer.allocUnsafe(outSize);
      let produced: number;
      let consumed: number;
      try {
        const r = dctx.decompressStream(out, rest);
        inFrame = r[0] !== 0;
        produced = r[1];
        consumed = r[2];
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new BuildError(BuildErrorCode.BAD_INPUT, `the zstd stream is corrupt: ${detail}`, {
          ...inputOption(name),
          cause: err,
        });
      }
      rest = rest.subarray(consumed);
      counter.compressed += consumed;
      if (produced > 0) yield out.subarray(0, produced);
      // A full output buffer may leave more buffered inside zstd: call again even with no input.
      if (produced < out.length && rest.length === 0) break;
      if (produced === 0 && consumed === 0) {
        throw new BuildError(
          BuildErrorCode.BAD_INPUT,
          "the zstd stream makes no progress",
          inputOption(name),
        );
      }
    }
  }
  if (inFrame) {
    throw new TruncatedInputError(BuildErrorCode.BAD_INPUT, "the zstd stream ends early", inputOption(name));
  }
}
