// The format-neutral view of an image that `@rafscan/vfs` reads: inodes, directories, xattrs and
// the extents that make up a file's bytes. v5, v6 and plain EROFS decoders all produce it.
import type { BlobMeta } from "./blob-meta.js";
import type { ZranContext } from "./zran/context.js";

/** Which on-disk format an image uses. `erofs` is a plain EROFS image without the Nydus extension. */
export type ImageFormat = "v5" | "v6" | "erofs";

/** File types, named as `ls --json` prints them. */
export type FileType = "file" | "dir" | "symlink" | "chardev" | "blockdev" | "fifo" | "socket";

/** Chunk codecs; the numeric ids are those of RafsV6Blob `compression_algo`. */
export type CompressorName = "none" | "lz4_block" | "gzip" | "zstd";

/** Chunk digest algorithms. */
export type DigesterName = "blake3" | "sha256";

/** One decoded inode. `id` is the handle the decoder resolves; `ino` is the number `stat` shows. */
export interface Inode {
  /** Decoder handle: v5 inode-table index, v6/EROFS nid. */
  readonly id: number;
  readonly ino: number;
  readonly type: FileType;
  /** Full st_mode (type and permission bits). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  /** File size; symlink target length; directory size as stored. */
  readonly size: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  /** Device number (major/minor encoded as Linux `new_encode_dev`), 0 for other types. */
  readonly rdev: number;
  /** 512-byte blocks, as stored (v5) or computed from size. */
  readonly blocks: number;
  readonly hasXattrs: boolean;
  /** v5 only: the inode digest (reference 2.10), checked by `rafscan check`. */
  readonly digest?: Uint8Array;
}

/** One directory entry (never "." or ".."). */
export interface DirEntry {
  readonly name: Uint8Array;
  readonly id: number;
  /** Type from the entry itself where the format keeps it (EROFS), else from the child inode. */
  readonly type: FileType;
}

/** An extended attribute: full name (with prefix) and raw value. */
export interface Xattr {
  readonly name: string;
  readonly value: Uint8Array;
}

/** Where a chunk's stored bytes are and how to turn them into data. */
export interface ChunkLocation {
  /** Index into the image's blob table. */
  readonly blobIndex: number;
  /** Chunk index within the blob (CI index). */
  readonly chunkIndex: number;
  readonly compressedOffset: number;
  readonly compressedSize: number;
  readonly uncompressedOffset: number;
  readonly uncompressedSize: number;
  readonly compressed: boolean;
  /** Digest of the uncompressed data, when the format has one. */
  readonly digest?: Uint8Array;
  /** CRC-32C of the uncompressed data, when the format has one. */
  readonly crc32c?: number;
  /** Set for batch members: the batch to inflate and where this chunk sits in it. */
  readonly batch?: {
    readonly compressedSize: number;
    readonly uncompressedSize: number;
    readonly offset: number;
  };
  /**
   * Set for zran chunks: inflation restarts at `context` (a checkpoint in the original .tar.gz,
   * which is the data blob) with `dictionary` as the window; the chunk is at `offset` in its output.
   */
  readonly zran?: {
    readonly contextIndex: number;
    readonly offset: number;
    readonly context: ZranContext;
    readonly dictionary: Uint8Array;
  };
}

/** A piece of a file's content, in file order. Extents never overlap; gaps read as zeros. */
export type Extent =
  /** Bytes stored inside the bootstrap itself (EROFS flat/inline data). */
  | { readonly kind: "inline"; readonly fileOffset: number; readonly bytes: Uint8Array }
  /** A RAFS chunk in a data blob. */
  | {
      readonly kind: "chunk";
      readonly fileOffset: number;
      readonly length: number;
      readonly chunk: ChunkLocation;
    }
  /** Raw uncompressed bytes on an EROFS device (0 = the image itself, k = extra device k). */
  | {
      readonly kind: "device";
      readonly fileOffset: number;
      readonly length: number;
      readonly device: number;
      readonly offset: number;
    }
  /** An explicit hole. */
  | { readonly kind: "hole"; readonly fileOffset: number; readonly length: number };

/** A data blob (v5/v6) or extra device (EROFS) the image refers to. */
export interface BlobInfo {
  readonly index: number;
  /** 64-hex blob id; for EROFS devices the device tag, possibly empty. */
  readonly id: string;
  readonly compressor: CompressorName;
  /** Digest of chunk data; `none` for EROFS devices, which have no digests. */
  readonly digester: DigesterName | "none";
  /** RAFS chunk size; EROFS block size for devices. */
  readonly chunkSize: number;
  /** `undefined` when the format does not record it (v5 without the extended blob table). */
  readonly chunkCount: number | undefined;
  readonly compressedSize: number | undefined;
  readonly uncompressedSize: number | undefined;
  /** Raw BlobFeatures bits (0 when unknown). */
  readonly features: number;
  /** v6: where the chunk-info array lives in the blob, when it has one. */
  readonly meta?: BlobMetaRef;
  /** v6: TOC size at the blob tail (0 = unknown) and its sha256, all zero when unknown. */
  readonly tocSize: number;
  readonly tocDigest?: Uint8Array;
  /** EROFS device blocks, when known. */
  readonly blocks?: number;
  /** v6: the blob data is encrypted (metadata stays readable, chunk reads are refused). */
  readonly encrypted?: boolean;
}

/** Where a v6 blob's compressed chunk-info array sits, from the blob table. */
export interface BlobMetaRef {
  readonly compressor: CompressorName;
  readonly offset: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Separate (zran) blobs keep it in another blob: sha256 hex of that meta blob. */
  readonly separateMetaId?: string;
}

/** Image-wide facts for `inspect`. */
export interface ImageInfo {
  readonly format: ImageFormat;
  /** Metadata block size: 4096 or 512 for v6/EROFS, undefined for v5 (byte-granular). */
  readonly blockSize: number | undefined;
  /** RAFS chunk size (v5/v6), EROFS chunk size of the root if chunked, else undefined. */
  readonly chunkSize: number | undefined;
  readonly compressor: CompressorName;
  readonly digester: DigesterName | "none";
  /** Raw superblock flag word as hex (RafsSuperFlags for v5/v6, feature words for EROFS). */
  readonly flags: string;
  /** Names of the flag bits that are set. */
  readonly flagNames: readonly string[];
  /** Inode count as stored in the superblock (unreliable in old v5 images). */
  readonly inodeCount: number;
  readonly rootId: number;
  readonly bootstrapSize: number;
  /** Prefetch list: v5 inode numbers or v6 nids. */
  readonly prefetch: readonly number[];
  readonly blobs: readonly BlobInfo[];
}

/**
 * A decoded image. Decoding is lazy: `open*` checks the superblock and tables only, and each
 * method decodes just the structures it needs.
 */
export interface RafsImage {
  readonly info: ImageInfo;
  readonly rootId: number;
  /** Decodes one inode by handle. Throws RafsError on bad input. */
  inode(id: number): Inode;
  /** Directory entries in on-disk (byte-sorted) order, without "." and "..". */
  readdir(id: number): Iterable<DirEntry>;
  /** Finds one entry by name (binary search where the format allows). */
  lookup(id: number, name: Uint8Array): DirEntry | undefined;
  /** Symlink target bytes. */
  readlink(id: number): Uint8Array;
  /** Extended attributes of an inode. */
  xattrs(id: number): readonly Xattr[];
  /**
   * The extents making up a regular file's content, in order. For v6 chunk files, chunk
   * locations come from the bootstrap chunk table when it has them; `resolveChunk` of the
   * returned extent's chunk may need the blob meta (see `needsBlobMeta`).
   */
  extents(id: number): readonly Extent[];
  /**
   * v6 blobs whose chunks cannot be located from the bootstrap alone (no chunk table entry, or
   * batch/zran/encrypted data): the caller must load their blob meta with `attachBlobMeta`.
   */
  needsBlobMeta(blobIndex: number): boolean;
  /** Hands the decoded blob meta of one blob to the image (v6 only). */
  attachBlobMeta(blobIndex: number, meta: BlobMeta): void;
}

/** The chunk variant of {@link Extent}. */
export type ChunkExtent = Extract<Extent, { kind: "chunk" }>;
