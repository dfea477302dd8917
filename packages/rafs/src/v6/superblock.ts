// EROFS superblock (128 bytes at 1024) and the RAFS v6 extended superblock (256 bytes at 1152).
// Format: Linux fs/erofs/erofs_fs.h (erofs_super_block); nydus rafs/src/metadata/layout/v6.rs
// (RafsV6SuperBlock, RafsV6SuperBlockExt); reference sections 3.2 and 3.3.
import { byteView, need, u8, u16, u32, u64, u64big } from "../bytes.js";
import {
  EROFS_FEATURE_COMPAT_RAFS_V6,
  EROFS_SUPER_MAGIC_V1,
  EROFS_SUPER_OFFSET,
  EROFS_SUPERBLOCK_SIZE,
  RAFS_V6_EXT_SUPER_OFFSET,
  RAFS_V6_EXT_SUPERBLOCK_SIZE,
  RafsSuperFlags,
} from "../constants.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "../errors.js";
import type { CompressorName, DigesterName } from "../model.js";
import { compressorOfFlags, digesterOfFlags, isChunkSize } from "../v5/superblock.js";

/** The decoded EROFS superblock. */
export interface ErofsSuperBlock {
  readonly featureCompat: number;
  readonly featureIncompat: number;
  readonly blkszbits: number;
  readonly blockSize: number;
  readonly rootNid: number;
  readonly inos: number;
  readonly buildTime: number;
  readonly buildTimeNsec: number;
  readonly blocks: number;
  readonly metaBlkaddr: number;
  readonly xattrBlkaddr: number;
  readonly extraDevices: number;
  readonly devtSlotoff: number;
  readonly isRafs: boolean;
}

/** The decoded RAFS v6 extended superblock. */
export interface RafsV6ExtSuperBlock {
  readonly flags: number;
  readonly blobTableOffset: number;
  readonly blobTableSize: number;
  readonly chunkSize: number;
  readonly chunkTableOffset: number;
  readonly chunkTableSize: number;
  readonly prefetchTableOffset: number;
  readonly prefetchTableSize: number;
  readonly compressor: CompressorName;
  readonly digester: DigesterName;
}

/** True when the EROFS magic sits at offset 1024. */
export function isErofs(bytes: Uint8Array): boolean {
  return (
    bytes.length >= EROFS_SUPER_OFFSET + 4 &&
    byteView(bytes).view.getUint32(EROFS_SUPER_OFFSET, true) === EROFS_SUPER_MAGIC_V1
  );
}

// Incompat features that change how uncompressed metadata is read. Bits 0x1..0x20 concern only
// compressed inodes, which are refused when read; 0x40 (long xattr prefixes) is refused per xattr.
const KNOWN_INCOMPAT = 0x7f;

/** Decodes and checks the EROFS superblock. */
export function decodeErofsSuperBlock(bytes: Uint8Array): ErofsSuperBlock {
  const where = "EROFS superblock";
  need(bytes.length, EROFS_SUPER_OFFSET, EROFS_SUPERBLOCK_SIZE, where);
  const b = byteView(bytes);
  const o = EROFS_SUPER_OFFSET;
  if (u32(b, o) !== EROFS_SUPER_MAGIC_V1)
    throw new RafsError(RafsErrorCode.BAD_MAGIC, "not an EROFS image", { where });
  const featureCompat = u32(b, o + 8);
  const blkszbits = u8(b, o + 12);
  // Linux accepts 9..PAGE_SHIFT; we accept 9..16 (512 B to 64 KiB) so no page size is assumed.
  if (blkszbits < 9 || blkszbits > 16) corrupt(`block size bits ${blkszbits} outside [9, 16]`, where);
  if (u8(b, o + 13) !== 0) unsupported("EROFS superblock extension slots", where);
  const featureIncompat = u32(b, o + 80);
  if (featureIncompat & ~KNOWN_INCOMPAT) {
    unsupported(`EROFS incompatible features 0x${(featureIncompat & ~KNOWN_INCOMPAT).toString(16)}`, where);
  }
  const isRafs = (featureCompat & EROFS_FEATURE_COMPAT_RAFS_V6) !== 0;
  return {
    featureCompat,
    featureIncompat,
    blkszbits,
    blockSize: 1 << blkszbits,
    rootNid: u16(b, o + 14),
    inos: u64(b, o + 16, `${where} inos`),
    buildTime: u64(b, o + 24, `${where} build_time`),
    buildTimeNsec: u32(b, o + 32),
    blocks: u32(b, o + 36),
    metaBlkaddr: u32(b, o + 40),
    xattrBlkaddr: u32(b, o + 44),
    extraDevices: u16(b, o + 86),
    devtSlotoff: u16(b, o + 88),
    isRafs,
  };
}

/** Decodes and checks the RAFS v6 extended superblock (only when `isRafs`). */
export function decodeRafsV6ExtSuperBlock(bytes: Uint8Array, sb: ErofsSuperBlock): RafsV6ExtSuperBlock {
  const where = "RAFS v6 extended superblock";
  need(bytes.length, RAFS_V6_EXT_SUPER_OFFSET, RAFS_V6_EXT_SUPERBLOCK_SIZE, where);
  const b = byteView(bytes);
  const o = RAFS_V6_EXT_SUPER_OFFSET;
  const flagsBig = u64big(b, o);
  if (flagsBig > 0xffff_ffffn) corrupt(`unknown flags 0x${flagsBig.toString(16)}`, where);
  const flags = Number(flagsBig);
  if (sb.blkszbits !== 12 && !(sb.blkszbits === 9 && flags & RafsSuperFlags.TARFS_MODE)) {
    corrupt(`RAFS v6 block size 2^${sb.blkszbits} (4096, or 512 in tarfs mode)`, where);
  }
  const chunkSize = u32(b, o + 20);
  if (!isChunkSize(chunkSize))
    corrupt(`chunk size ${chunkSize} is not a power of two in [4 KiB, 16 MiB]`, where);
  const blobTableSize = u32(b, o + 16);
  if (blobTableSize % 256 !== 0) corrupt(`blob table size ${blobTableSize} is not a multiple of 256`, where);
  const chunkTableSize = u64(b, o + 32, `${where} chunk table size`);
  if (chunkTableSize % 80 !== 0) corrupt(`chunk table size ${chunkTableSize} is not a multiple of 80`, where);
  let prefetchTableOffset = u64(b, o + 40, `${where} prefetch table offset`);
  let prefetchTableSize = u32(b, o + 48);
  // Legacy images may record a size with offset 0: nydus treats that as no table.
  if (prefetchTableOffset === 0) prefetchTableSize = 0;
  if (prefetchTableSize % 4 !== 0)
    corrupt(`prefetch table size ${prefetchTableSize} is not a multiple of 4`, where);
  if (prefetchTableSize === 0) prefetchTableOffset = 0;
  return {
    flags,
    blobTableOffset: u64(b, o + 8, `${where} blob table offset`),
    blobTableSize,
    chunkSize,
    chunkTableOffset: u64(b, o + 24, `${where} chunk table offset`),
    chunkTableSize,
    prefetchTableOffset,
    prefetchTableSize,
    compressor: compressorOfFlags(flags, where),
    digester: digesterOfFlags(flags, where),
  };
}
