// EROFS extended attributes: the inline ibody (header, shared ids, entries) and the shared
// xattr area. Format: Linux fs/erofs/erofs_fs.h (erofs_xattr_ibody_header, erofs_xattr_entry)
// and fs/erofs/xattr.c; reference section 3.9.
import { alignUp, byteView, decodeName, need, u8, u16, u32 } from "../bytes.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "../errors.js";
import type { Limits } from "../limits.js";
import type { Xattr } from "../model.js";
import type { ErofsInode } from "./inode.js";
import type { ErofsSuperBlock } from "./superblock.js";

const IBODY_HEADER_SIZE = 12;
const ENTRY_HEADER_SIZE = 4;

// Name index -> prefix; for the two ACL indexes the prefix is the whole name.
const PREFIXES: Readonly<Record<number, string>> = {
  1: "user.",
  2: "system.posix_acl_access",
  3: "system.posix_acl_default",
  4: "trusted.",
  5: "lustre.",
  6: "security.",
};

/** Decodes all xattrs of an inode, inline and shared. */
export function decodeErofsXattrs(
  bytes: Uint8Array,
  sb: ErofsSuperBlock,
  ino: ErofsInode,
  limits: Limits,
): Xattr[] {
  if (ino.xattrSize === 0) return [];
  const where = `EROFS xattrs of nid ${ino.nid}`;
  const start = ino.offset + ino.inodeSize;
  const end = start + ino.xattrSize;
  need(bytes.length, start, ino.xattrSize, where);
  if (ino.xattrSize < IBODY_HEADER_SIZE) corrupt("xattr area shorter than its header", where);
  const b = byteView(bytes);
  const sharedCount = u8(b, start + 4);
  const out: Xattr[] = [];
  let p = start + IBODY_HEADER_SIZE;
  if (p + sharedCount * 4 > end) corrupt(`${sharedCount} shared xattr ids overrun the xattr area`, where);
  for (let i = 0; i < sharedCount; i++, p += 4) {
    const id = u32(b, p);
    // xattr_blkaddr 0 is valid: mkfs.erofs may start the shared area in block 0, after the
    // superblock, so ids are then offsets (in 4-byte units) from the start of the image.
    const off = sb.xattrBlkaddr * sb.blockSize + id * 4;
    out.push(decodeEntry(bytes, off, bytes.length, `${where} shared id ${id}`).xattr);
  }
  while (p < end) {
    if (out.length >= limits.maxXattrsPerInode) {
      throw new RafsError(RafsErrorCode.LIMIT, `more than ${limits.maxXattrsPerInode} xattrs`, { where });
    }
    // The ibody is a whole number of 4-byte slots; trailing space smaller than an entry is padding.
    if (end - p < ENTRY_HEADER_SIZE) break;
    const { xattr, next } = decodeEntry(bytes, p, end, `${where} entry @0x${p.toString(16)}`);
    out.push(xattr);
    p = next;
  }
  return out;
}

function decodeEntry(
  bytes: Uint8Array,
  off: number,
  limit: number,
  where: string,
): { xattr: Xattr; next: number } {
  need(limit, off, ENTRY_HEADER_SIZE, where);
  const b = byteView(bytes);
  const nameLen = u8(b, off);
  const index = u8(b, off + 1);
  const valueSize = u16(b, off + 2);
  if (index & 0x80) unsupported("EROFS long xattr name prefixes", where);
  const prefix = PREFIXES[index];
  if (prefix === undefined) corrupt(`unknown xattr name index ${index}`, where);
  const nameOff = off + ENTRY_HEADER_SIZE;
  need(limit, nameOff, nameLen + valueSize, where);
  const name = prefix + decodeName(bytes.subarray(nameOff, nameOff + nameLen));
  const value = bytes.subarray(nameOff + nameLen, nameOff + nameLen + valueSize);
  return { xattr: { name, value }, next: off + alignUp(ENTRY_HEADER_SIZE + nameLen + valueSize, 4) };
}
