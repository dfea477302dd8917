// Public API of @rafscan/rafs: pure decoders for RAFS v5, RAFS v6 and plain EROFS images.
export {
  type BatchContext,
  BLOB_META_HEADER_SIZE,
  BLOB_META_MAGIC,
  type BlobMeta,
  type BlobMetaHeader,
  type ChunkMetaEntry,
  decodeBlobMetaCacheFile,
  decodeBlobMetaHeader,
  decodeChunkInfoArray,
  headerCompressor,
} from "./blob-meta.js";
export { blobMetaRange, decodeBlobMetaSection } from "./blob-meta-section.js";
export { alignUp, compareBytes, decodeName, toHex } from "./bytes.js";
export {
  type CodecBackend,
  codecBackends,
  compressorFromId,
  DEFAULT_MAX_DECOMPRESSED_SIZE,
  decompress,
} from "./codec/decompress.js";
export { decodeLz4Block, decompressLz4Block, type Lz4BlockProgress } from "./codec/lz4-block.js";
export { decompressZstdJs, MAX_ZSTD_WINDOW } from "./codec/zstd-js.js";
export { BlobChunkFlags, BlobFeatures, flagNames, RafsInodeFlags, RafsSuperFlags } from "./constants.js";
export { type ChunkHasher, loadCrc32c, loadHasher } from "./digest.js";
export { isRafsError, RafsError, RafsErrorCode, type RafsErrorOptions } from "./errors.js";
export { splitDev } from "./file-type.js";
export { DEFAULT_LIMITS, type Limits, resolveLimits } from "./limits.js";
export type {
  BlobInfo,
  BlobMetaRef,
  ChunkExtent,
  ChunkLocation,
  CompressorName,
  DigesterName,
  DirEntry,
  Extent,
  FileType,
  ImageFormat,
  ImageInfo,
  Inode,
  RafsImage,
  Xattr,
} from "./model.js";
export { detectFormat, openBootstrap } from "./open.js";
export { decodeTarHeader, TAR_HEADER_SIZE, type TarSectionHeader } from "./tar-header.js";
export { decodeTocEntries, locateToc, TOC_ENTRY_SIZE, TOC_NAME, type TocEntry, tocSection } from "./toc.js";
export { decodeZranContexts, ZRAN_CONTEXT_SIZE, type ZranContext } from "./zran/context.js";
export { DEFAULT_MAX_INFLATE_OUTPUT, type InflateRawOptions, inflateRaw } from "./zran/inflate.js";
export { inflateZranContext, readZranChunk } from "./zran/read-chunk.js";
