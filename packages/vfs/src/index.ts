// Public API of @rafscan/vfs: a read-only node:fs/promises-like view of a Nydus image.
export {
  type BlobSource,
  type ByteRange,
  FileBlobSource,
  MemoryBlobSource,
  type ReadOptions,
} from "./blob-source.js";
export { ChunkReader, type ChunkReaderOptions } from "./chunk-reader.js";
export { FsError, type FsErrorCode, isFsError } from "./fs-error.js";
export {
  type BlobSources,
  Image,
  type ImageFileHandle,
  type ImageOptions,
  type ReadStreamOptions,
  type WalkEntry,
  type WalkOptions,
} from "./image.js";
export { type OpenImageOptions, openImage } from "./open-image.js";
export type { ImageOrigin } from "./origin.js";
export { MAX_SYMLINK_HOPS, NAME_MAX, PATH_MAX } from "./resolve.js";
export { Dirent, Stats } from "./stats.js";
export { type ImageStats, newImageStats } from "./stats-counter.js";
