// TEMPORARY: replaced by codec/decompress.ts and digest.ts.
import { createHash } from "node:crypto";
import { gunzipSync } from "fflate";
import { createBLAKE3, createCRC32 } from "hash-wasm";
import { uncompressSync } from "lz4-napi";
import { decompress as zstdDecompress } from "zstd-napi";
import { RafsError, RafsErrorCode } from "./errors.js";
import type { CompressorName, DigesterName } from "./model.js";

export function decompress(
  codec: CompressorName,
  src: Uint8Array,
  size: number,
  where: string,
  _max?: number,
): Uint8Array {
  let out: Uint8Array;
  try {
    if (codec === "none") out = src;
    else if (codec === "zstd") out = zstdDecompress(Buffer.from(src.buffer, src.byteOffset, src.byteLength));
    else if (codec === "gzip") out = gunzipSync(src);
    else {
      const b = Buffer.alloc(src.length + 4);
      b.writeUInt32LE(size, 0);
      b.set(src, 4);
      out = uncompressSync(b);
    }
  } catch (e) {
    throw new RafsError(RafsErrorCode.DECOMPRESS, String(e), { where });
  }
  if (out.length !== size)
    throw new RafsError(RafsErrorCode.DECOMPRESS, `size ${out.length} != ${size}`, { where });
  return out;
}
export interface ChunkHasher {
  readonly name: DigesterName;
  digest(data: Uint8Array): Uint8Array;
}
export async function loadHasher(name: DigesterName): Promise<ChunkHasher> {
  if (name === "sha256") return { name, digest: (d) => createHash("sha256").update(d).digest() };
  const h = await createBLAKE3();
  return {
    name,
    digest: (d) => {
      h.init();
      h.update(d);
      return h.digest("binary");
    },
  };
}
export async function loadCrc32c(): Promise<(d: Uint8Array) => number> {
  const h = await createCRC32(0x82f63b78);
  return (d) => {
    h.init();
    h.update(d);
    return Number.parseInt(h.digest("hex"), 16);
  };
}
