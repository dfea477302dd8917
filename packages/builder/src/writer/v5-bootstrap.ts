// Lays out and writes a RAFS v5 bootstrap: superblock, inode table, blob tables and inode records
// with names, symlink targets, xattrs, chunk infos and inode digests. Mirrors what
// @rafscan/rafs/src/v5 reads and nydus builder/src/core/v5.rs writes (reference section 2).
import type { CompressorName } from "@rafscan/rafs";
import type { FinishedBlob } from "./blob-writer.js";
import type { DigestFn } from "./digests.js";
import { COMPRESSOR_FLAG, TYPE_BITS } from "./format-codes.js";
import { encodeDev, type ImageNode } from "./image-node.js";

const SB_SIZE = 8192;
const INODE_SIZE = 128;
const CHUNK_INFO = 80;

/** What {@link writeV5Bootstrap} needs. */
export interface V5BootstrapInput {
  readonly root: ImageNode;
  readonly blobs: readonly FinishedBlob[];
  readonly chunkSize: number;
  readonly compressor: CompressorName;
  readonly digester: "blake3" | "sha256";
  readonly hash: DigestFn;
  readonly prefetch?: readonly ImageNode[];
}

interface Slot {
  readonly index: number;
  readonly name: Uint8Array;
  readonly node: ImageNode;
  readonly parentIno: number;
  /** Index of the first slot naming the same node (hardlinks share it as i_ino). */
  ino: number;
  childIndex: number;
  record: Uint8Array;
  offset: number;
  digest: Uint8Array;
}

const ROOT_NAME = new Uint8Array([0x2f]);

/** Writes the bootstrap for a finished tree. */
export function writeV5Bootstrap(input: V5BootstrapInput): Uint8Array {
  // 1. Indexes: a directory's children take consecutive indexes in name order (breadth-first),
  //    so lookup can binary-search them; the root is 1.
  const slots: Slot[] = [];
  const firstOf = new Map<ImageNode, number>();
  const nlinks = new Map<ImageNode, number>();
  const add = (name: Uint8Array, node: ImageNode, parentIno: number): Slot => {
    const index = slots.length + 1;
    const ino = firstOf.get(node) ?? index;
    firstOf.set(node, ino);
    nlinks.set(node, (nlinks.get(node) ?? 0) + 1);
    const slot: Slot = {
      index,
      name,
      node,
      parentIno,
      ino,
      childIndex: 0,
      record: new Uint8Array(0),
      offset: 0,
      digest: new Uint8Array(32),
    };
    slots.push(slot);
    return slot;
  };
  add(ROOT_NAME, input.root, 0);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i] as Slot;
    if (s.node.type !== "dir") continue;
    s.childIndex = slots.length + 1;
    for (const c of s.node.children ?? []) add(c.name, c.node, s.ino);
  }

  // 2. Digests bottom-up (reference 2.10): children have higher indexes than their parent.
  for (let i = slots.length - 1; i >= 0; i--) {
    const s = slots[i] as Slot;
    const n = s.node;
    if (n.type === "file") s.digest = input.hash(Buffer.concat((n.chunks ?? []).map((c) => c.digest)));
    else if (n.type === "symlink") s.digest = input.hash(n.target ?? new Uint8Array(0));
    else if (n.type === "dir") {
      const count = n.children?.length ?? 0;
      s.digest = input.hash(
        Buffer.concat(slots.slice(s.childIndex - 1, s.childIndex - 1 + count).map((c) => c.digest)),
      );
    } else s.digest = input.hash(new Uint8Array(0));
  }

  // 3. Tables, then records in depth-first pre-order, every part 8-byte aligned.
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  const inodeTableOffset = SB_SIZE;
  const prefetch = (input.prefetch ?? []).map((node) => firstOf.get(node) ?? 0);
  const prefetchOffset = inodeTableOffset + pad8(4 * slots.length);
  const blobTable = Buffer.concat(
    input.blobs.map((b, i) => {
      const entry = Buffer.alloc(8 + b.id.length + (i === input.blobs.length - 1 ? 0 : 1));
      entry.write(b.id, 8, "ascii");
      return entry;
    }),
  );
  const blobTableOffset = prefetchOffset + pad8(4 * prefetch.length);
  const extTableOffset = blobTableOffset + pad8(blobTable.length);
  let cursor = extTableOffset + 64 * input.blobs.length;
  for (const s of slots) s.record = encodeRecord(s, nlinks.get(s.node) ?? 1, input.chunkSize);
  const order: Slot[] = [];
  const dfs = (s: Slot) => {
    order.push(s);
    if (s.node.type !== "dir") return;
    for (let k = 0; k < (s.node.children?.length ?? 0); k++) dfs(slots[s.childIndex - 1 + k] as Slot);
  };
  dfs(slots[0] as Slot);
  for (const s of order) {
    s.offset = cursor;
    cursor += s.record.length;
  }

  const out = new Uint8Array(cursor);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x5241_4653, true);
  v.setUint32(4, 0x500, true);
  v.setUint32(8, SB_SIZE, true);
  v.setUint32(12, input.chunkSize, true);
  const hasXattr = slots.some((s) => s.node.xattrs.length > 0);
  const flags =
    COMPRESSOR_FLAG[input.compressor] |
    (input.digester === "blake3" ? 0x4 : 0x8) |
    0x10 |
    (hasXattr ? 0x20 : 0);
  v.setBigUint64(16, BigInt(flags), true);
  v.setBigUint64(24, BigInt(firstOf.size), true);
  v.setBigUint64(32, BigInt(inodeTableOffset), true);
  v.setBigUint64(40, BigInt(prefetchOffset), true);
  v.setBigUint64(48, BigInt(blobTableOffset), true);
  v.setUint32(56, slots.length, true);
  v.setUint32(60, prefetch.length, true);
  v.setUint32(64, blobTable.length, true);
  v.setUint32(68, input.blobs.length, true);
  v.setBigUint64(72, BigInt(extTableOffset), true);
  // The table holds each index's record offset divided by 8.
  for (const s of slots) v.setUint32(inodeTableOffset + 4 * (s.index - 1), s.offset / 8, true);
  for (const [i, ino] of prefetch.entries()) v.setUint32(prefetchOffset + 4 * i, ino, true);
  out.set(blobTable, blobTableOffset);
  input.blobs.forEach((b, i) => {
    const o = extTableOffset + 64 * i;
    v.setUint32(o, b.chunkCount, true);
    v.setBigUint64(o + 8, BigInt(b.uncompressedSize), true);
    v.setBigUint64(o + 16, BigInt(b.size), true);
  });
  for (const s of slots) {
    out.set(s.record, s.offset);
    out.set(s.digest, s.offset);
  }
  return out;
}

/** One inode record: header, name, symlink target, xattrs, chunk infos (reference 2.7). */
function encodeRecord(s: Slot, nlink: number, chunkSize: number): Uint8Array {
  const n = s.node;
  const pad8 = (x: number) => Math.ceil(x / 8) * 8;
  const target = n.type === "symlink" ? (n.target ?? new Uint8Array(0)) : new Uint8Array(0);
  const xattrs = encodeXattrs(n.xattrs);
  const chunks = n.type === "file" ? (n.chunks ?? []) : [];
  const size =
    INODE_SIZE + pad8(s.name.length) + pad8(target.length) + xattrs.length + CHUNK_INFO * chunks.length;
  const r = new Uint8Array(size);
  const v = new DataView(r.buffer);
  const childCount = n.type === "dir" ? (n.children?.length ?? 0) : chunks.length;
  // Directory sizes are synthetic in v5: the names' share of 4 KiB blocks, at least one block.
  const dirSize = Math.max(
    4096,
    Math.ceil((n.children ?? []).reduce((t, c) => t + c.name.length + 8, 0) / 4096) * 4096,
  );
  const fileSize =
    n.type === "file" ? n.size : n.type === "symlink" ? target.length : n.type === "dir" ? dirSize : 0;
  v.setBigUint64(32, BigInt(s.parentIno), true);
  v.setBigUint64(40, BigInt(s.ino), true);
  v.setUint32(48, n.uid, true);
  v.setUint32(52, n.gid, true);
  v.setUint32(60, TYPE_BITS[n.type] | (n.mode & 0o7777), true);
  v.setBigUint64(64, BigInt(fileSize), true);
  v.setBigUint64(72, BigInt(Math.ceil(fileSize / 512)), true);
  const flags =
    (n.type === "symlink" ? 0x1 : 0) |
    (n.type === "file" && nlink > 1 ? 0x2 : 0) |
    (xattrs.length > 0 ? 0x4 : 0);
  v.setBigUint64(80, BigInt(flags), true);
  v.setUint32(
    88,
    n.type === "dir" ? 2 + (n.children ?? []).filter((c) => c.node.type === "dir").length : nlink,
    true,
  );
  v.setUint32(92, n.type === "dir" ? s.childIndex : 0, true);
  v.setUint32(96, childCount, true);
  v.setUint16(100, s.name.length, true);
  v.setUint16(102, target.length, true);
  if (n.type === "chardev" || n.type === "blockdev")
    v.setUint32(104, encodeDev(n.rdev?.[0] ?? 0, n.rdev?.[1] ?? 0), true);
  v.setUint32(108, n.mtimeNsec, true);
  v.setBigUint64(112, BigInt(n.mtimeSec), true);
  let o = INODE_SIZE;
  r.set(s.name, o);
  o += pad8(s.name.length);
  r.set(target, o);
  o += pad8(target.length);
  r.set(xattrs, o);
  o += xattrs.length;
  chunks.forEach((c, k) => {
    const at = o + CHUNK_INFO * k;
    r.set(c.digest, at);
    v.setUint32(at + 32, c.blob.index, true);
    v.setUint32(at + 36, c.compressed ? 0x1 : 0, true);
    v.setUint32(at + 40, c.compressedSize, true);
    v.setUint32(at + 44, c.uncompressedSize, true);
    v.setBigUint64(at + 48, BigInt(c.compressedOffset), true);
    v.setBigUint64(at + 56, BigInt(c.uncompressedOffset), true);
    v.setBigUint64(at + 64, BigInt(k * chunkSize), true);
    v.setUint32(at + 72, c.index, true);
  });
  return r;
}

/** v5 xattrs: u64 size of the pairs, then (u32 size, name, NUL, value) pairs, padded to 8. */
function encodeXattrs(xattrs: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  if (xattrs.length === 0) return new Uint8Array(0);
  const enc = new TextEncoder();
  const pairs = xattrs.map(([name, value]) => {
    const nameBytes = enc.encode(name);
    const p = new Uint8Array(4 + nameBytes.length + 1 + value.length);
    new DataView(p.buffer).setUint32(0, nameBytes.length + 1 + value.length, true);
    p.set(nameBytes, 4);
    p.set(value, 4 + nameBytes.length + 1);
    return p;
  });
  const body = Buffer.concat(pairs);
  const out = new Uint8Array(8 + Math.ceil(body.length / 8) * 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}
