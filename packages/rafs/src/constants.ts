// Magic numbers and flag bits, named as in the Nydus sources (rafs/src/metadata/mod.rs,
// layout/v5.rs, layout/v6.rs, storage/src/device.rs) and Linux fs/erofs/erofs_fs.h.

export const RAFS_V5_SUPER_MAGIC = 0x5241_4653;
export const RAFS_V5_SUPER_VERSION = 0x500;
export const RAFS_V5_SUPERBLOCK_SIZE = 8192;
export const RAFS_V5_INODE_SIZE = 128;
export const RAFS_V5_CHUNK_INFO_SIZE = 80;
export const RAFS_V5_EXT_BLOB_ENTRY_SIZE = 64;
export const RAFS_V5_ROOT_INODE = 1;

export const EROFS_SUPER_OFFSET = 1024;
export const EROFS_SUPER_MAGIC_V1 = 0xe0f5_e1e2;
export const EROFS_SUPERBLOCK_SIZE = 128;
export const EROFS_INODE_SLOT_SIZE = 32;
export const EROFS_INODE_COMPACT_SIZE = 32;
export const EROFS_INODE_EXTENDED_SIZE = 64;
export const EROFS_DIRENT_SIZE = 12;
export const EROFS_DEVICE_SLOT_SIZE = 128;
export const EROFS_NULL_ADDR = 0xffff_ffff;
export const EROFS_FEATURE_COMPAT_SB_CHKSUM = 0x1;
export const EROFS_FEATURE_COMPAT_MTIME = 0x2;
export const EROFS_FEATURE_COMPAT_XATTR_FILTER = 0x4;
export const EROFS_FEATURE_COMPAT_RAFS_V6 = 0x4000_0000;
export const EROFS_FEATURE_INCOMPAT_ZERO_PADDING = 0x1;
export const EROFS_FEATURE_INCOMPAT_COMPR_CFGS = 0x2;
export const EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER = 0x2;
export const EROFS_FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;
export const EROFS_FEATURE_INCOMPAT_DEVICE_TABLE = 0x8;
export const EROFS_FEATURE_INCOMPAT_ZTAILPACKING = 0x10;
export const EROFS_FEATURE_INCOMPAT_FRAGMENTS = 0x20;
export const EROFS_FEATURE_INCOMPAT_DEDUPE = 0x20;
export const EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES = 0x40;
/** EROFS data layouts (i_format bits 1..3). */
export const EROFS_INODE_FLAT_PLAIN = 0;
export const EROFS_INODE_COMPRESSED_FULL = 1;
export const EROFS_INODE_FLAT_INLINE = 2;
export const EROFS_INODE_COMPRESSED_COMPACT = 3;
export const EROFS_INODE_CHUNK_BASED = 4;
/** Chunk format word bits (i_u of a chunk-based inode). */
export const EROFS_CHUNK_FORMAT_BLKBITS_MASK = 0x1f;
export const EROFS_CHUNK_FORMAT_INDEXES = 0x20;

export const RAFS_V6_EXT_SUPER_OFFSET = 1152;
export const RAFS_V6_EXT_SUPERBLOCK_SIZE = 256;
export const RAFS_V6_BLOB_ENTRY_SIZE = 256;
export const RAFS_V6_CHUNK_ADDR_SIZE = 8;

/** RafsSuperFlags (v5 s_flags, v6 ext s_flags). */
export const RafsSuperFlags = {
  COMPRESSION_NONE: 0x1,
  COMPRESSION_LZ4: 0x2,
  HASH_BLAKE3: 0x4,
  HASH_SHA256: 0x8,
  EXPLICIT_UID_GID: 0x10,
  HAS_XATTR: 0x20,
  COMPRESSION_GZIP: 0x40,
  COMPRESSION_ZSTD: 0x80,
  INLINED_CHUNK_DIGEST: 0x100,
  TARFS_MODE: 0x200,
  ENCRYPTION_NONE: 0x0100_0000,
  ENCRYPTION_ASE_128_XTS: 0x0200_0000,
} as const;

/** RafsInodeFlags (v5 i_flags). */
export const RafsInodeFlags = {
  SYMLINK: 0x1,
  HARDLINK: 0x2,
  XATTR: 0x4,
  HAS_HOLE: 0x8,
} as const;

/** BlobChunkFlags (v5 chunk info flags, v6 chunk table). */
export const BlobChunkFlags = {
  COMPRESSED: 0x1,
  HOLECHUNK: 0x2,
  ENCRYPTED: 0x4,
  BATCH: 0x8,
  HAS_CRC32: 0x10,
} as const;

/** BlobFeatures (blob table, blob meta header). */
export const BlobFeatures = {
  ALIGNED: 0x1,
  INLINED_FS_META: 0x2,
  CHUNK_INFO_V2: 0x4,
  ZRAN: 0x8,
  SEPARATE: 0x10,
  INLINED_CHUNK_DIGEST: 0x20,
  TARFS: 0x40,
  BATCH: 0x80,
  ENCRYPTED: 0x100,
  IS_CHUNKDICT_GENERATED: 0x200,
  IS_SEPARATED_WITH_PREFETCH_FILES: 0x400,
  EXTERNAL: 0x800,
  HAS_TAR_HEADER: 0x1000_0000,
  HAS_TOC: 0x2000_0000,
  CAP_TAR_TOC: 0x4000_0000,
  _V5_NO_EXT_BLOB_TABLE: 0x8000_0000,
} as const;

/** Names of the set bits of a flag word, for `inspect`. */
export function flagNames(table: Readonly<Record<string, number>>, value: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(table)) {
    // `>>> 0` keeps the comparison unsigned for bit 31.
    if ((value & bit) >>> 0 === bit >>> 0 && bit !== 0) names.push(name);
  }
  return names;
}

/** POSIX file type bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
