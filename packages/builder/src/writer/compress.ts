// Chunk compressors, the inverse of @rafscan/rafs's decompress: one raw LZ4 block, one zstd frame
// or one gzip member per chunk (reference 5.2).
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import type { CompressorName } from "@rafscan/rafs";

const require = createRequire(import.meta.url);
let lz4: { compressSync(data: Buffer): Buffer } | undefined;
// One reusable compression context: creating one per chunk costs ~40% of compressing a small file.
let zstd: { compress(data: Buffer): Buffer } | undefined;

/** Compresses one chunk; the caller stores it raw when the result is not smaller. */
export function compressChunk(codec: CompressorName, data: Uint8Array): Uint8Array {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (codec) {
    case "none":
      return data;
    case "zstd":
      if (zstd === undefined) {
        const { Compressor } = require("zstd-napi") as {
          Compressor: new () => { compress(d: Buffer): Buffer; setParameters(p: object): void };
        };
        const c = new Compressor();
        // Level 3 is zstd's default and what nydus-image uses for chunks.
        c.setParameters({ compressionLevel: 3 });
        zstd = c;
      }
      return zstd.compress(buf);
    case "lz4_block": {
      lz4 ??= require("lz4-napi") as typeof lz4;
      // lz4-napi prefixes the block with its u32le size; Nydus chunks are the bare block.
      return (lz4 as NonNullable<typeof lz4>).compressSync(buf).subarray(4);
    }
    case "gzip":
      // Level 6 (the default) with mtime 0 in the header, so output is deterministic.
      return gzipSync(buf);
  }
}
