// Lays out and writes a RAFS v6 bootstrap: EROFS superblock, RAFS extended superblock, device and
// blob tables, extended inodes with inline xattrs, dirent blocks (inline tails where they fit),
// chunk address arrays and the chunk table. Mirrors what @rafscan/rafs/src/v6 reads and what
// nydus builder/src/core/v6.rs writes (reference sections 3.1-3.12).
import type { CompressorName, DigesterName } from "@rafscan/rafs";
import type { FinishedBlob } from "./blob-writer.js";
import { WRITER_BLOB_FEATURES } from "./blob-writer.js";
import type { ChunkRef } from "./chunk-ref.js";
import { COMPRESSOR_FLAG, COMPRESSOR_ID, TYPE_BITS } from "./format-codes.js";
import { encodeDev, type ImageNode } from "./image-node.js";

const BLK = 4096;
const INODE_SIZE = 64; // extended inodes only: compact ones cannot keep mtimes
const DIRENT = 12;
const DIRENT_TYPE = { file: 1, dir: 2, chardev: 3, blockdev: 4, fifo: 5, socket: 6, symlink: 7 } as const;
const XATTR_PREFIXES: readonly (readonly [number, string])[] = [
  [2, "system.posix_acl_access"],
  [3, "system.posix_acl_default"],
  [1, "user."],
  [4, "trusted."],
  [6, "security."],
];

/** What {@link writeV6Bootstrap} needs. */
export interface V6BootstrapInput {
  readonly root: ImageNode;
  readonly blobs: readonly FinishedBlob[];
  readonly chunkSize: number;
  readonly compressor: CompressorName;
  readonly digester: DigesterName;
  /** Nodes to list in the prefetch table. */
  readonly prefetch?: readonly ImageNode[];
}

/** Raised for content the format cannot hold (an xattr namespace EROFS has no index for, ...). */
export class LayoutError extends Error {
  override readonly name = "LayoutError";
}

interface Placed {
  readonly node: ImageNode;
  readonly ino: number;
  nlink: number;
  xattr: Uint8Array;
  /** Directory blocks or symlink target. */
  data: Uint8Array[] | undefined;
  dataSize: number;
  inline: boolean;
  offset: number;
  nid: number;
  /** First data block (FLAT_PLAIN / FLAT_INLINE head). */
  blkaddr: number;
  /** Directories: the directory holding this one (the root holds itself). */
  parent: Placed | undefined;
}

/** Writes the bootstrap for a finished tree. */
export function writeV6Bootstrap(input: V6BootstrapInput): Uint8Array {
  const { root, blobs } = input;
  // 1. Unique inodes in DFS pre-order (children already sorted), counting hardlinks.
  const placed = new Map<ImageNode, Placed>();
  const order: Placed[] = [];
  const visit = (node: ImageNode, parent: Placed | undefined) => {
    const seen = placed.get(node);
    if (seen !== undefined) {
      seen.nlink++;
      return;
    }
    const p: Placed = {
      node,
      ino: order.length,
      nlink: node.type === "dir" ? 2 : 1,
      xattr: encodeXattrs(node.xattrs),
      data: undefined,
      dataSize: 0,
      inline: false,
      offset: 0,
      nid: 0,
      blkaddr: 0,
      parent: undefined,
    };
    p.parent = parent ?? p;
    placed.set(node, p);
    order.push(p);
    for (const child of node.children ?? []) {
      if (child.node.type === "dir") p.nlink++;
      visit(child.node, p);
    }
  };
  visit(root, undefined);

  // 2. Table area: [0, 1024) zero, superblocks, device table, blob table, prefetch table.
  const deviceTableOffset = 1408;
  const blobTableOffset = alignUp(deviceTableOffset + 128 * blobs.length, BLK);
  const prefetchOffset = blobTableOffset + 256 * blobs.length;
  const prefetchCount = input.prefetch?.length ?? 0;
  const metaFirstBlock = alignUp(prefetchOffset + 4 * prefetchCount, BLK) / BLK;
  // meta_blkaddr one block before the first inode gives the root nid 128, never 0 (some libcs
  // hide inode 0), as nydus does.
  const metaBlkaddr = metaFirstBlock - 1;

  // 3. Directory and symlink data sizes (names only; nids come later) and inline decisions.
  for (const p of order) {
    if (p.node.type === "dir") {
      const blocks = dirBlockSizes(p.node);
      p.dataSize = (blocks.length - 1) * BLK + (blocks[blocks.length - 1] as number);
    } else if (p.node.type === "symlink") {
      p.dataSize = p.node.target?.length ?? 0;
    }
    const tail = p.dataSize % BLK;
    p.inline = tail > 0 && INODE_SIZE + p.xattr.length + tail <= BLK;
  }

  // 4. Inodes in the meta area, 32-byte slots, never crossing a block with their inline part.
  let cursor = metaFirstBlock * BLK;
  for (const p of order) {
    const fixed = INODE_SIZE + p.xattr.length;
    const inlineTail = p.inline ? p.dataSize % BLK : 0;
    let extra = inlineTail;
    if (p.node.type === "file") extra = alignUp(fixed, 8) - fixed + 8 * (p.node.chunks?.length ?? 0);
    let off = alignUp(cursor, 32);
    if ((off % BLK) + fixed + inlineTail > BLK) off = alignUp(off, BLK);
    p.offset = off;
    p.nid = (off - metaBlkaddr * BLK) / 32;
    cursor = off + fixed + extra;
  }

  // 5. Whole data blocks after the meta area.
  let block = alignUp(cursor, BLK) / BLK;
  for (const p of order) {
    if (p.node.type !== "dir" && p.node.type !== "symlink") continue;
    const whole = p.inline ? Math.floor(p.dataSize / BLK) : Math.ceil(p.dataSize / BLK);
    if (whole > 0) {
      p.blkaddr = block;
      block += whole;
    }
  }

  // 6. Chunk table: one entry per distinct stored chunk, sorted by digest (reference 3.11).
  const chunkSet = new Map<string, ChunkRef>();
  for (const p of order) {
    for (const c of p.node.chunks ?? []) chunkSet.set(`${c.blob.index}:${c.index}`, c);
  }
  const chunkTable = [...chunkSet.values()].sort(
    (a, b) => Buffer.compare(a.digest, b.digest) || a.blob.index - b.blob.index || a.index - b.index,
  );
  const chunkTableOffset = block * BLK;
  const chunkTableSize = chunkTable.length * 80;
  const total = alignUp(chunkTableOffset + chunkTableSize, BLK);

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const enc = new TextEncoder();

  // EROFS superblock (reference 3.2).
  const sb = 1024;
  v.setUint32(sb, 0xe0f5e1e2, true);
  v.setUint32(sb + 8, 0x4000_0000, true); // COMPAT_RAFS_V6
  out[sb + 12] = 12; // blkszbits
  v.setUint16(sb + 14, (placed.get(root) as Placed).nid, true);
  v.setBigUint64(sb + 16, BigInt(order.length), true);
  v.setUint32(
    sb + 36,
    blobs.reduce((n, b) => n + b.uncompressedSize / BLK, 0),
    true,
  );
  v.setUint32(sb + 40, metaBlkaddr, true);
  v.setUint32(sb + 80, 0x0c, true); // CHUNKED_FILE | DEVICE_TABLE
  v.setUint16(sb + 86, blobs.length, true);
  v.setUint16(sb + 88, deviceTableOffset / 128, true);

  // RAFS extended superblock (reference 3.3).
  const ext = 1152;
  const hasXattr = order.some((p) => p.xattr.length > 0);
  const flags =
    COMPRESSOR_FLAG[input.compressor] |
    (input.digester === "blake3" ? 0x4 : 0x8) |
    0x10 | // EXPLICIT_UID_GID: the stored owners are real
    (hasXattr ? 0x20 : 0) |
    0x100; // INLINED_CHUNK_DIGEST: every blob has a blob.digest section
  v.setBigUint64(ext, BigInt(flags), true);
  v.setBigUint64(ext + 8, BigInt(blobTableOffset), true);
  v.setUint32(ext + 16, 256 * blobs.length, true);
  v.setUint32(ext + 20, input.chunkSize, true);
  v.setBigUint64(ext + 24, BigInt(chunkTableSize > 0 ? chunkTableOffset : 0), true);
  v.setBigUint64(ext + 32, BigInt(chunkTableSize), true);
  v.setBigUint64(ext + 40, BigInt(prefetchCount > 0 ? prefetchOffset : 0), true);
  v.setUint32(ext + 48, 4 * prefetchCount, true);

  // Device table and blob table (reference 3.4, 3.5).
  blobs.forEach((b, i) => {
    const d = deviceTableOffset + 128 * i;
    out.set(enc.encode(b.id), d);
    v.setUint32(d + 64, b.uncompressedSize / BLK, true);
    const t = blobTableOffset + 256 * i;
    out.set(enc.encode(b.id), t);
    v.setUint32(t + 64, i, true);
    v.setUint32(t + 68, input.chunkSize, true);
    v.setUint32(t + 72, b.chunkCount, true);
    v.setUint32(t + 76, COMPRESSOR_ID[input.compressor], true);
    v.setUint32(t + 80, input.digester === "blake3" ? 0 : 1, true);
    v.setUint32(t + 84, WRITER_BLOB_FEATURES, true);
    v.setBigUint64(t + 88, BigInt(b.size), true);
    v.setBigUint64(t + 96, BigInt(b.uncompressedSize), true);
    v.setUint32(t + 104, b.tocSize, true);
    v.setUint32(t + 108, COMPRESSOR_ID[b.ciCompressor], true);
    v.setBigUint64(t + 112, BigInt(b.ciOffset), true);
    v.setBigUint64(t + 120, BigInt(b.ciCompressedSize), true);
    v.setBigUint64(t + 128, BigInt(b.ciUncompressedSize), true);
    out.set(b.tocDigest, t + 136);
  });
  (input.prefetch ?? []).forEach((node, i) => {
    const p = placed.get(node);
    if (p === undefined) throw new LayoutError("prefetch entry is not in the tree");
    v.setUint32(prefetchOffset + 4 * i, p.nid, true);
  });

  // Inodes, xattrs, inline data, chunk addresses, dirent blocks.
  for (const p of order) {
    const n = p.node;
    const o = p.offset;
    const layout = n.type === "file" ? 4 : p.inline ? 2 : 0; // CHUNK_BASED, FLAT_INLINE, FLAT_PLAIN
    v.setUint16(o, 1 | (layout << 1), true); // extended
    v.setUint16(o + 2, p.xattr.length === 0 ? 0 : (p.xattr.length - 12) / 4 + 1, true);
    v.setUint16(o + 4, TYPE_BITS[n.type] | (n.mode & 0o7777), true);
    const size = n.type === "file" ? n.size : p.dataSize;
    v.setBigUint64(o + 8, BigInt(size), true);
    let iu = 0;
    if (n.type === "file") iu = 0x20 | (Math.log2(input.chunkSize) - 12);
    else if (n.type === "chardev" || n.type === "blockdev")
      iu = encodeDev(n.rdev?.[0] ?? 0, n.rdev?.[1] ?? 0);
    else if (p.blkaddr > 0) iu = p.blkaddr;
    else if (n.type === "dir" || n.type === "symlink") iu = 0xffff_ffff; // no whole block: unused
    v.setUint32(o + 16, iu >>> 0, true);
    v.setUint32(o + 20, p.ino, true);
    v.setUint32(o + 24, n.uid, true);
    v.setUint32(o + 28, n.gid, true);
    v.setBigUint64(o + 32, BigInt(n.mtimeSec), true);
    v.setUint32(o + 40, n.mtimeNsec, true);
    v.setUint32(o + 44, p.nlink, true);
    out.set(p.xattr, o + INODE_SIZE);
    const after = o + INODE_SIZE + p.xattr.length;
    if (n.type === "file") {
      const base = o + alignUp(INODE_SIZE + p.xattr.length, 8);
      (n.chunks ?? []).forEach((c, k) => {
        const a = base + 8 * k;
        v.setUint16(a, c.index & 0xffff, true);
        v.setUint16(a + 2, ((c.blob.index + 1) & 0xff) | ((c.index >>> 16) << 8), true);
        v.setUint32(a + 4, c.uncompressedOffset / BLK, true);
      });
      continue;
    }
    let data: Uint8Array | undefined;
    if (n.type === "dir") data = concat(dirBlocks(n, placed, p));
    else if (n.type === "symlink") data = n.target;
    if (data === undefined || data.length === 0) continue;
    const tail = p.inline ? p.dataSize % BLK : 0;
    const head = data.length - tail;
    if (head > 0) out.set(data.subarray(0, head), p.blkaddr * BLK);
    if (tail > 0) out.set(data.subarray(head), after);
  }

  // Chunk table: RafsV5ChunkInfo records (reference 2.8).
  chunkTable.forEach((c, i) => {
    const t = chunkTableOffset + 80 * i;
    out.set(c.digest, t);
    v.setUint32(t + 32, c.blob.index, true);
    v.setUint32(t + 36, c.compressed ? 0x1 : 0, true);
    v.setUint32(t + 40, c.compressedSize, true);
    v.setUint32(t + 44, c.uncompressedSize, true);
    v.setBigUint64(t + 48, BigInt(c.compressedOffset), true);
    v.setBigUint64(t + 56, BigInt(c.uncompressedOffset), true);
    v.setUint32(t + 72, c.index, true);
  });
  return out;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

const DOT = new Uint8Array([0x2e]);
const DOTDOT = new Uint8Array([0x2e, 0x2e]);

/** A directory's entries with "." and "..", sorted byte-wise as EROFS requires. */
function dirEntries(node: ImageNode): { name: Uint8Array; node: ImageNode | undefined }[] {
  const all: { name: Uint8Array; node: ImageNode | undefined }[] = [
    { name: DOT, node: undefined },
    { name: DOTDOT, node: undefined },
    ...(node.children ?? []).map((c) => ({ name: c.name, node: c.node })),
  ];
  return all.sort((a, b) => Buffer.compare(a.name, b.name));
}

/** Bytes used in each dirent block: a block ends when the next entry would not fit. */
function dirBlockSizes(node: ImageNode): number[] {
  const sizes: number[] = [];
  let used = 0;
  for (const e of dirEntries(node)) {
    const need = DIRENT + e.name.length;
    if (used + need > BLK) {
      sizes.push(used);
      used = 0;
    }
    used += need;
  }
  sizes.push(used);
  return sizes;
}

/**
 * Encodes the dirent blocks: each block holds its dirents, then their names; every block but
 * the last is a full 4096 bytes (zero padded), the last is as long as it is used.
 */
function dirBlocks(node: ImageNode, placed: ReadonlyMap<ImageNode, Placed>, self: Placed): Uint8Array[] {
  const entries = dirEntries(node);
  const blocks: Uint8Array[] = [];
  let start = 0;
  const sizes = dirBlockSizes(node);
  sizes.forEach((used, bi) => {
    let count = 0;
    let bytes = 0;
    while (
      start + count < entries.length &&
      bytes + DIRENT + (entries[start + count]?.name.length ?? 0) <= used
    ) {
      bytes += DIRENT + (entries[start + count]?.name.length ?? 0);
      count++;
    }
    const last = bi === sizes.length - 1;
    const block = new Uint8Array(last ? used : BLK);
    const v = new DataView(block.buffer);
    let nameOff = count * DIRENT;
    for (let i = 0; i < count; i++) {
      const e = entries[start + i] as (typeof entries)[number];
      const target = e.node === undefined ? undefined : placed.get(e.node);
      // "." is this directory, ".." its parent (the root's ".." is the root).
      const nid =
        e.node === undefined ? (e.name.length === 1 ? self.nid : (self.parent ?? self).nid) : target?.nid;
      const type = e.node === undefined ? 2 : DIRENT_TYPE[e.node.type];
      v.setBigUint64(i * DIRENT, BigInt(nid ?? 0), true);
      v.setUint16(i * DIRENT + 8, nameOff, true);
      block[i * DIRENT + 10] = type;
      block.set(e.name, nameOff);
      nameOff += e.name.length;
    }
    blocks.push(block);
    start += count;
  });
  return blocks;
}

/** EROFS inline xattr body: 12-byte header, then entries padded to 4 (reference 3.9). */
function encodeXattrs(xattrs: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  if (xattrs.length === 0) return new Uint8Array(0);
  const parts: Uint8Array[] = [new Uint8Array(12)];
  for (const [name, value] of xattrs) {
    const prefix = XATTR_PREFIXES.find(([, p]) => (p.endsWith(".") ? name.startsWith(p) : name === p));
    if (prefix === undefined)
      throw new LayoutError(`xattr ${name}: EROFS has no name index for its namespace`);
    const suffix = new TextEncoder().encode(name.slice(prefix[1].length));
    if (suffix.length > 255 || value.length > 65535) throw new LayoutError(`xattr ${name} is too large`);
    const entry = new Uint8Array(alignUp(4 + suffix.length + value.length, 4));
    entry[0] = suffix.length;
    entry[1] = prefix[0];
    new DataView(entry.buffer).setUint16(2, value.length, true);
    entry.set(suffix, 4);
    entry.set(value, 4 + suffix.length);
    parts.push(entry);
  }
  return concat(parts);
}
