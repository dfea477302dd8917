// EROFS on-disk inodes, compact (32 B) and extended (64 B). Format: Linux fs/erofs/erofs_fs.h
// (erofs_inode_compact, erofs_inode_extended); nydus layout/v6.rs; reference section 3.6.
import { type ByteView, need, u16, u32, u64 } from "../bytes.js";
import { EROFS_INODE_COMPACT_SIZE, EROFS_INODE_EXTENDED_SIZE, EROFS_INODE_SLOT_SIZE } from "../constants.js";
import { corrupt } from "../errors.js";
import { modeType } from "../file-type.js";
import type { FileType } from "../model.js";
import type { ErofsSuperBlock } from "./superblock.js";

/** A decoded EROFS inode with the positions of its variable parts. */
export interface ErofsInode {
  readonly nid: number;
  readonly offset: number;
  readonly extended: boolean;
  readonly layout: number;
  readonly inodeSize: number;
  /** Bytes of the inline xattr area (0 when none). */
  readonly xattrSize: number;
  readonly xattrIcount: number;
  readonly type: FileType;
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
  /** The i_u union: raw block address, rdev or chunk format. */
  readonly iu: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
}

/** Byte offset of inode `nid`. */
export function inodeOffset(sb: ErofsSuperBlock, nid: number): number {
  return sb.metaBlkaddr * sb.blockSize + nid * EROFS_INODE_SLOT_SIZE;
}

/** Decodes the inode at `nid`; `b` views the whole image (one DataView per image, not per inode). */
export function decodeErofsInode(b: ByteView, sb: ErofsSuperBlock, nid: number): ErofsInode {
  if (!Number.isSafeInteger(nid) || nid < 0) corrupt(`invalid nid ${nid}`, "EROFS inode");
  const offset = inodeOffset(sb, nid);
  const size = b.bytes.length;
  // This runs once per entry of every walk: the label is built only when a check fails.
  if (offset + EROFS_INODE_COMPACT_SIZE > size)
    need(size, offset, EROFS_INODE_COMPACT_SIZE, inodeWhere(nid, offset));
  const format = u16(b, offset);
  // Bits 0 (version) and 1..3 (data layout) are all Linux defines; others are refused.
  if (format & ~0xf) corrupt(`unknown i_format bits 0x${format.toString(16)}`, inodeWhere(nid, offset));
  const extended = (format & 1) === 1;
  const layout = (format >> 1) & 0x7;
  const inodeSize = extended ? EROFS_INODE_EXTENDED_SIZE : EROFS_INODE_COMPACT_SIZE;
  if (offset + inodeSize > size) need(size, offset, inodeSize, inodeWhere(nid, offset));
  const xattrIcount = u16(b, offset + 2);
  const xattrSize = xattrIcount === 0 ? 0 : 12 + (xattrIcount - 1) * 4;
  const mode = u16(b, offset + 4);
  const type =
    modeType(mode) ?? corrupt(`invalid file type in mode 0o${mode.toString(8)}`, inodeWhere(nid, offset));
  if (extended) {
    return {
      nid,
      offset,
      extended,
      layout,
      inodeSize,
      xattrSize,
      xattrIcount,
      type,
      mode,
      size: u64(b, offset + 8, "EROFS inode", "i_size"),
      iu: u32(b, offset + 16),
      uid: u32(b, offset + 24),
      gid: u32(b, offset + 28),
      mtimeSec: u64(b, offset + 32, "EROFS inode", "i_mtime"),
      mtimeNsec: u32(b, offset + 40),
      nlink: u32(b, offset + 44),
    };
  }
  // Compact inodes carry no mtime: EROFS uses the superblock build time for them.
  return {
    nid,
    offset,
    extended,
    layout,
    inodeSize,
    xattrSize,
    xattrIcount,
    type,
    mode,
    nlink: u16(b, offset + 6),
    size: u32(b, offset + 8),
    iu: u32(b, offset + 16),
    uid: u16(b, offset + 24),
    gid: u16(b, offset + 26),
    mtimeSec: sb.buildTime,
    mtimeNsec: sb.buildTimeNsec,
  };
}

function inodeWhere(nid: number, offset: number): string {
  return `EROFS inode nid ${nid} @0x${offset.toString(16)}`;
}
