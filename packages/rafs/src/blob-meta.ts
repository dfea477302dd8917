// Blob meta: the 4096-byte BlobCompressionContextHeader and the chunk-info (CI) arrays v1/v2.
// Format: nydus storage/src/meta/mod.rs, chunk_info_v1.rs, chunk_info_v2.rs, batch.rs;
// reference sections 4.4, 4.5 and 4.8.
import { byteView, need, u32, u64 } from "./bytes.js";
import { BlobFeatures } from "./constants.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "./errors.js";
import type { CompressorName } from "./model.js";
import { decodeZranContexts, ZRAN_CONTEXT_SIZE, type ZranContext } from "./zran/context.js";

export const BLOB_META_MAGIC = 0xb10b_b10b;
export const BLOB_META_HEADER_SIZE = 4096;
const CI_V1_SIZE = 16;
const CI_V2_SIZE = 24;
const BATCH_CONTEXT_SIZE = 40;

/** The decoded blob meta header. */
export interface BlobMetaHeader {
  readonly features: number;
  /** Raw ci compressor id (unknown values mean none, as in nydus). */
  readonly ciCompressorId: number;
  readonly entries: number;
  readonly ciOffset: number;
  readonly ciCompressedSize: number;
  readonly ciUncompressedSize: number;
  readonly zranOffset: number;
  readonly zranSize: number;
  readonly zranCount: number;
}

/** One decoded CI entry. */
export interface ChunkMetaEntry {
  readonly compressedOffset: number;
  readonly compressedSize: number;
  readonly uncompressedOffset: number;
  readonly uncompressedSize: number;
  readonly compressed: boolean;
  readonly encrypted: boolean;
  /** ZRAN: context index and offset in its output. */
  readonly zran?: { readonly context: number; readonly offset: number };
  /** BATCH: batch index and offset in the batch's uncompressed buffer. */
  readonly batch?: { readonly index: number; readonly offset: number };
  readonly crc32c?: number;
}

/** One batch context (reference 4.8). */
export interface BatchContext {
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** A blob's decoded chunk-info array; entries are decoded on demand. */
export interface BlobMeta {
  readonly features: number;
  readonly entries: number;
  /** 1 or 2 (CHUNK_INFO_V2). */
  readonly version: 1 | 2;
  /** The uncompressed CI buffer including zran/batch tables. */
  readonly ci: Uint8Array;
  readonly header: BlobMetaHeader | undefined;
  chunk(index: number): ChunkMetaEntry;
  batchContext(index: number): BatchContext;
  /** ZRAN blobs: inflate context `index` and its dictionary (the preceding window). */
  zranContext(index: number): { readonly context: ZranContext; readonly dictionary: Uint8Array };
}

/** Decodes and validates the 4096-byte header. */
export function decodeBlobMetaHeader(bytes: Uint8Array, where = "blob meta header"): BlobMetaHeader {
  need(bytes.length, 0, BLOB_META_HEADER_SIZE, where);
  const b = byteView(bytes);
  if (u32(b, 0) !== BLOB_META_MAGIC || u32(b, 4092) !== BLOB_META_MAGIC) {
    throw new RafsError(RafsErrorCode.BAD_MAGIC, "blob meta header magic mismatch", { where });
  }
  return {
    features: u32(b, 4),
    ciCompressorId: u32(b, 8),
    entries: u32(b, 12),
    ciOffset: u64(b, 16, `${where} s_ci_offset`),
    ciCompressedSize: u64(b, 24, `${where} s_ci_compressed_size`),
    ciUncompressedSize: u64(b, 32, `${where} s_ci_uncompressed_size`),
    zranOffset: u64(b, 40, `${where} s_ci_zran_offset`),
    zranSize: u64(b, 48, `${where} s_ci_zran_size`),
    zranCount: u32(b, 56),
  };
}

/** The compressor of a blob meta header (unknown ids mean none, as nydus reads them). */
export function headerCompressor(h: BlobMetaHeader): CompressorName {
  return (["none", "lz4_block", "gzip", "zstd"] as const)[h.ciCompressorId] ?? "none";
}

/**
 * Wraps an uncompressed CI buffer. `features` decides v1/v2; `header` (when known) gives the
 * batch/zran table position.
 */
export function decodeChunkInfoArray(
  ci: Uint8Array,
  entries: number,
  features: number,
  header: BlobMetaHeader | undefined,
  where: string,
): BlobMeta {
  if (features & BlobFeatures.ENCRYPTED) unsupported("encrypted blob meta", where);
  const version = features & BlobFeatures.CHUNK_INFO_V2 ? 2 : 1;
  if (version === 1 && features & (BlobFeatures.BATCH | BlobFeatures.ZRAN)) {
    corrupt("batch or zran blob without CHUNK_INFO_V2", where);
  }
  const size = version === 2 ? CI_V2_SIZE : CI_V1_SIZE;
  need(ci.length, 0, entries * size, `${where} CI array`);
  const b = byteView(ci);
  const batchTable =
    features & BlobFeatures.BATCH && header !== undefined
      ? { offset: header.zranOffset, count: header.zranCount }
      : { offset: 0, count: 0 };
  if (batchTable.count > 0)
    need(ci.length, batchTable.offset, batchTable.count * BATCH_CONTEXT_SIZE, `${where} batch table`);
  let zran: { contexts: ZranContext[]; dictTable: number } | undefined;
  const zranTable = () => {
    if (zran !== undefined) return zran;
    if (!(features & BlobFeatures.ZRAN) || header === undefined)
      return corrupt("blob has no zran table", where);
    // Contexts sit at s_ci_zran_offset in the CI buffer; the dictionary table follows them.
    const dictTable = header.zranOffset + header.zranCount * ZRAN_CONTEXT_SIZE;
    const dictSize = header.zranSize - header.zranCount * ZRAN_CONTEXT_SIZE;
    if (dictSize < 0)
      corrupt(`zran table of ${header.zranSize} bytes for ${header.zranCount} contexts`, where);
    need(ci.length, header.zranOffset, header.zranSize, `${where} zran table`);
    const contexts = decodeZranContexts(
      ci,
      header.zranOffset,
      header.zranCount,
      dictTable,
      dictSize,
      `${where} zran`,
    );
    zran = { contexts, dictTable };
    return zran;
  };
  return {
    features,
    entries,
    version,
    ci,
    header,
    chunk(index: number): ChunkMetaEntry {
      const w = `${where} CI entry ${index}`;
      if (!Number.isInteger(index) || index < 0 || index >= entries)
        corrupt(`chunk index ${index} of ${entries}`, w);
      return version === 2
        ? decodeV2(b, index * CI_V2_SIZE, features, w)
        : decodeV1(b, index * CI_V1_SIZE, w);
    },
    batchContext(index: number): BatchContext {
      if (index >= batchTable.count) corrupt(`batch index ${index} of ${batchTable.count}`, where);
      const o = batchTable.offset + index * BATCH_CONTEXT_SIZE;
      return { compressedSize: u32(b, o), uncompressedSize: u32(b, o + 4) };
    },
    zranContext(index: number) {
      const table = zranTable();
      const context = table.contexts[index];
      if (context === undefined) return corrupt(`zran context ${index} of ${table.contexts.length}`, where);
      const start = table.dictTable + context.dictOffset;
      return { context, dictionary: ci.subarray(start, start + context.dictSize) };
    },
  };
}

// v1 entry: two u64 words packing offsets and (size - 1) across split bit fields.
function decodeV1(b: ReturnType<typeof byteView>, o: number, where: string): ChunkMetaEntry {
  const uLo = u32(b, o);
  const uHi = u32(b, o + 4);
  const cLo = u32(b, o + 8);
  const cHi = u32(b, o + 12);
  // uncompressed offset = bits 12..43 of the first word (already a byte offset, 4 KiB aligned).
  const uncompressedOffset = (uHi & 0xfff) * 0x1_0000_0000 + ((uLo & 0xffff_f000) >>> 0);
  const uncompressedSize = ((uHi >>> 12) | (((uLo >>> 8) & 0xf) << 20)) + 1;
  const compressedOffset = (cHi & 0xff) * 0x1_0000_0000 + cLo;
  const compressedSize = ((cHi >>> 12) | (((cHi >>> 8) & 0xf) << 20)) + 1;
  if (uncompressedOffset % 4096 !== 0) corrupt("unaligned uncompressed offset", where);
  return {
    compressedOffset,
    compressedSize,
    uncompressedOffset,
    uncompressedSize,
    compressed: compressedSize !== uncompressedSize,
    encrypted: false,
  };
}

const V2_FLAG_COMPRESSED = 0x01;
const V2_FLAG_ZRAN = 0x02;
const V2_FLAG_BATCH = 0x04;
const V2_FLAG_ENCRYPTED = 0x08;
const V2_FLAG_HAS_CRC32 = 0x10;

function decodeV2(
  b: ReturnType<typeof byteView>,
  o: number,
  features: number,
  where: string,
): ChunkMetaEntry {
  const uLo = u32(b, o);
  const uHi = u32(b, o + 4);
  const cLo = u32(b, o + 8);
  const cHi = u32(b, o + 12);
  const dLo = u32(b, o + 16);
  const dHi = u32(b, o + 20);
  const flags = uHi >>> 24;
  if (flags & ~0x1f) corrupt(`unknown CI v2 flags 0x${flags.toString(16)}`, where);
  const uncompressedOffset = uLo * 4096;
  const uncompressedSize = (uHi & 0xff_ffff) + 1;
  const compressedOffset = (cHi & 0xff) * 0x1_0000_0000 + cLo;
  const compressedSize = cHi >>> 8;
  const compressed = (flags & V2_FLAG_COMPRESSED) !== 0;
  const encrypted = (flags & V2_FLAG_ENCRYPTED) !== 0;
  const isBatch = (flags & V2_FLAG_BATCH) !== 0;
  const isZran = (flags & V2_FLAG_ZRAN) !== 0;
  if (isZran && !(features & BlobFeatures.ZRAN)) corrupt("zran chunk in a blob without ZRAN", where);
  if (isBatch && !(features & BlobFeatures.BATCH)) corrupt("batch chunk in a blob without BATCH", where);
  if (!isBatch && !(features & BlobFeatures.SEPARATE) && compressedSize === 0) {
    corrupt("chunk with compressed size 0", where);
  }
  if (!compressed && !encrypted && !isBatch && !isZran && compressedSize !== uncompressedSize) {
    corrupt(`raw chunk with compressed size ${compressedSize} != ${uncompressedSize}`, where);
  }
  return {
    compressedOffset,
    compressedSize,
    uncompressedOffset,
    uncompressedSize,
    compressed,
    encrypted,
    ...(isZran ? { zran: { context: dHi, offset: dLo } } : {}),
    ...(isBatch ? { batch: { index: dHi, offset: dLo } } : {}),
    ...(flags & V2_FLAG_HAS_CRC32 ? { crc32c: dLo } : {}),
  };
}

/**
 * Reads a blob meta in the nydusd cache-file format (`<blob_id>.blob.meta`, also the
 * `image/*.blob.meta` files of a bootstrap layer): uncompressed CI, zero padding to 4 KiB, then
 * the 4096-byte header.
 */
export function decodeBlobMetaCacheFile(bytes: Uint8Array, where = "blob meta file"): BlobMeta {
  if (bytes.length < BLOB_META_HEADER_SIZE)
    corrupt(`file of ${bytes.length} bytes is shorter than the header`, where);
  const header = decodeBlobMetaHeader(
    bytes.subarray(bytes.length - BLOB_META_HEADER_SIZE),
    `${where} header`,
  );
  need(bytes.length - BLOB_META_HEADER_SIZE, 0, header.ciUncompressedSize, `${where} CI`);
  return decodeChunkInfoArray(
    bytes.subarray(0, header.ciUncompressedSize),
    header.entries,
    header.features,
    header,
    where,
  );
}
