// Decodes the blob meta section of a v6 data blob: `ci_compressed_size` bytes of compressed CI
// followed by the 4096-byte header, at `ci_offset` (reference section 4.4).
import {
  BLOB_META_HEADER_SIZE,
  type BlobMeta,
  decodeBlobMetaHeader,
  decodeChunkInfoArray,
} from "./blob-meta.js";
import { decompress } from "./codec/decompress.js";
import { corrupt, RafsError, RafsErrorCode } from "./errors.js";
import type { Limits } from "./limits.js";
import type { BlobInfo } from "./model.js";

/** The byte range to read from the blob for {@link decodeBlobMetaSection}. */
export function blobMetaRange(blob: BlobInfo): { offset: number; length: number } | undefined {
  if (blob.meta === undefined) return undefined;
  return { offset: blob.meta.offset, length: blob.meta.compressedSize + BLOB_META_HEADER_SIZE };
}

/** Decodes the bytes read at {@link blobMetaRange} and checks them against the blob table. */
export function decodeBlobMetaSection(raw: Uint8Array, blob: BlobInfo, limits: Limits): BlobMeta {
  const where = `blob ${blob.id} meta`;
  const ref = blob.meta;
  if (ref === undefined) return corrupt("blob has no blob meta", where);
  if (ref.uncompressedSize > limits.maxBlobMetaSize) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `blob meta of ${ref.uncompressedSize} bytes exceeds maxBlobMetaSize`,
      {
        where,
      },
    );
  }
  if (raw.length !== ref.compressedSize + BLOB_META_HEADER_SIZE) {
    corrupt(
      `blob meta section of ${raw.length} bytes, expected ${ref.compressedSize + BLOB_META_HEADER_SIZE}`,
      where,
    );
  }
  const header = decodeBlobMetaHeader(raw.subarray(ref.compressedSize), `${where} header`);
  // Nydus accepts the header only when it repeats the blob table's facts.
  if (
    header.entries !== blob.chunkCount ||
    header.ciOffset !== ref.offset ||
    header.ciCompressedSize !== ref.compressedSize ||
    header.ciUncompressedSize !== ref.uncompressedSize ||
    header.features !== blob.features
  ) {
    corrupt("blob meta header disagrees with the blob table", where);
  }
  const compressed = raw.subarray(0, ref.compressedSize);
  const ci =
    ref.compressor === "none"
      ? compressed
      : decompress(ref.compressor, compressed, ref.uncompressedSize, `${where} CI`, limits.maxBlobMetaSize);
  if (ci.length !== ref.uncompressedSize)
    corrupt(`CI of ${ci.length} bytes, expected ${ref.uncompressedSize}`, where);
  return decodeChunkInfoArray(ci, header.entries, header.features, header, where);
}
