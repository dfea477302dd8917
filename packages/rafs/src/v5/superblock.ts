// RAFS v5 superblock (8192 bytes at offset 0). Format: nydus rafs/src/metadata/layout/v5.rs
// (RafsV5SuperBlock); reference: shared/reference/rafs-format.md section 2.2.
import { byteView, need, u32, u64, u64big } from "../bytes.js";
import {
  RAFS_V5_SUPER_MAGIC,
  RAFS_V5_SUPER_VERSION,
  RAFS_V5_SUPERBLOCK_SIZE,
  RafsSuperFlags,
} from "../constants.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "../errors.js";
import type { CompressorName, DigesterName } from "../model.js";

/** The decoded v5 superblock. */
export interface V5SuperBlock {
  readonly chunkSize: number;
  readonly flags: number;
  readonly inodesCount: number;
  readonly inodeTableOffset: number;
  readonly inodeTableEntries: number;
  readonly prefetchTableOffset: number;
  readonly prefetchTableEntries: number;
  readonly blobTableOffset: number;
  readonly blobTableSize: number;
  readonly extBlobTableOffset: number;
  readonly extBlobTableEntries: number;
  readonly compressor: CompressorName;
  readonly digester: DigesterName;
}

/** Every RafsSuperFlags bit nydus knows; others make it reject the image, and so do we. */
const KNOWN_FLAGS = 0x0000_03ff | 0x0300_0000 | 0xfc00_0000;

/** True when the buffer starts with the v5 magic. */
export function isV5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && byteView(bytes).view.getUint32(0, true) === RAFS_V5_SUPER_MAGIC;
}

/** Decodes and validates the v5 superblock. */
export function decodeV5SuperBlock(bytes: Uint8Array): V5SuperBlock {
  const where = "v5 superblock";
  need(bytes.length, 0, RAFS_V5_SUPERBLOCK_SIZE, where);
  const b = byteView(bytes);
  if (u32(b, 0) !== RAFS_V5_SUPER_MAGIC) {
    throw new RafsError(RafsErrorCode.BAD_MAGIC, "not a RAFS v5 superblock", { where });
  }
  const version = u32(b, 4);
  if (version !== RAFS_V5_SUPER_VERSION)
    unsupported(`RAFS v5 superblock version 0x${version.toString(16)}`, where);
  if (u32(b, 8) !== RAFS_V5_SUPERBLOCK_SIZE) corrupt(`superblock size ${u32(b, 8)} is not 8192`, where);
  const chunkSize = u32(b, 12);
  if (!isChunkSize(chunkSize))
    corrupt(`chunk size ${chunkSize} is not a power of two in [4 KiB, 16 MiB]`, where);
  const flagsBig = u64big(b, 16);
  if (flagsBig > 0xffff_ffffn || (Number(flagsBig) & ~KNOWN_FLAGS) !== 0) {
    corrupt(`unknown superblock flags 0x${flagsBig.toString(16)}`, where);
  }
  const flags = Number(flagsBig);
  if (flags & RafsSuperFlags.ENCRYPTION_ASE_128_XTS) unsupported("encrypted RAFS image", where);
  return {
    chunkSize,
    flags,
    inodesCount: u64(b, 24, "v5 superblock s_inodes_count"),
    inodeTableOffset: u64(b, 32, "v5 superblock s_inode_table_offset"),
    prefetchTableOffset: u64(b, 40, "v5 superblock s_prefetch_table_offset"),
    blobTableOffset: u64(b, 48, "v5 superblock s_blob_table_offset"),
    inodeTableEntries: u32(b, 56),
    prefetchTableEntries: u32(b, 60),
    blobTableSize: u32(b, 64),
    extBlobTableEntries: u32(b, 68),
    extBlobTableOffset: u64(b, 72, "v5 superblock s_extended_blob_table_offset"),
    compressor: compressorOfFlags(flags, where),
    digester: digesterOfFlags(flags, where),
  };
}

/** A RAFS chunk size: a power of two from 4 KiB to 16 MiB. */
export function isChunkSize(n: number): boolean {
  return n >= 0x1000 && n <= 0x100_0000 && (n & (n - 1)) === 0;
}

/** The compressor named by RafsSuperFlags; no bit means lz4_block (the v5 default). */
export function compressorOfFlags(flags: number, where: string): CompressorName {
  const found: CompressorName[] = [];
  if (flags & RafsSuperFlags.COMPRESSION_NONE) found.push("none");
  if (flags & RafsSuperFlags.COMPRESSION_LZ4) found.push("lz4_block");
  if (flags & RafsSuperFlags.COMPRESSION_GZIP) found.push("gzip");
  if (flags & RafsSuperFlags.COMPRESSION_ZSTD) found.push("zstd");
  if (found.length > 1) corrupt(`several compression flags set: ${found.join(", ")}`, where);
  return found[0] ?? "lz4_block";
}

/** The digester named by RafsSuperFlags; no bit means blake3 (the v5 default). */
export function digesterOfFlags(flags: number, where: string): DigesterName {
  const blake3 = (flags & RafsSuperFlags.HASH_BLAKE3) !== 0;
  const sha256 = (flags & RafsSuperFlags.HASH_SHA256) !== 0;
  if (blake3 && sha256) corrupt("both blake3 and sha256 digest flags set", where);
  return sha256 ? "sha256" : "blake3";
}
