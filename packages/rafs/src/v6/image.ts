// RAFS v6 and plain EROFS image reader: inodes by nid, directory blocks, xattrs, flat/inline
// data and chunk-based files (RAFS chunk addresses or EROFS chunk indexes/block maps).
// Format: nydus rafs/src/metadata/direct_v6.rs, layout/v6.rs; Linux fs/erofs/{data,namei,
// inode}.c; reference sections 3.1-3.13.
import type { BlobMeta } from "../blob-meta.js";
import { alignUp, type ByteView, byteView, compareBytes, need, u16, u32, u64 } from "../bytes.js";
import {
  BlobChunkFlags,
  BlobFeatures,
  EROFS_CHUNK_FORMAT_BLKBITS_MASK,
  EROFS_CHUNK_FORMAT_INDEXES,
  EROFS_INODE_CHUNK_BASED,
  EROFS_INODE_COMPRESSED_COMPACT,
  EROFS_INODE_COMPRESSED_FULL,
  EROFS_INODE_FLAT_INLINE,
  EROFS_INODE_FLAT_PLAIN,
  EROFS_NULL_ADDR,
  flagNames,
  RAFS_V5_CHUNK_INFO_SIZE,
  RAFS_V6_CHUNK_ADDR_SIZE,
  RafsSuperFlags,
} from "../constants.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "../errors.js";
import { type Limits, resolveLimits } from "../limits.js";
import type {
  BlobInfo,
  ChunkLocation,
  DirEntry,
  Extent,
  ImageInfo,
  Inode,
  RafsImage,
  Xattr,
} from "../model.js";
import { checkChunkSizes } from "../v5/image.js";
import { decodeDeviceTable, decodeRafsV6Blobs } from "./blob-table.js";
import { decodeDirBlock, isDotEntry, searchDirBlock } from "./dirents.js";
import { decodeErofsInode, type ErofsInode } from "./inode.js";
import {
  decodeErofsSuperBlock,
  decodeRafsV6ExtSuperBlock,
  type ErofsSuperBlock,
  type RafsV6ExtSuperBlock,
} from "./superblock.js";
import { decodeErofsXattrs } from "./xattrs.js";

/** Opens a RAFS v6 bootstrap or a plain EROFS image held in memory (no copy is made). */
export function openV6(bytes: Uint8Array, limitOverrides: Partial<Limits> = {}): RafsImage {
  return new V6Image(bytes, resolveLimits(limitOverrides));
}

/** Blob features whose chunks can only be located and decoded through the blob meta. */
const META_ONLY_FEATURES = BlobFeatures.BATCH | BlobFeatures.ZRAN | BlobFeatures.SEPARATE;

class V6Image implements RafsImage {
  readonly info: ImageInfo;
  readonly rootId: number;
  readonly #bytes: Uint8Array;
  readonly #b: ByteView;
  readonly #sb: ErofsSuperBlock;
  readonly #ext: RafsV6ExtSuperBlock | undefined;
  readonly #limits: Limits;
  readonly #blobs: BlobInfo[];
  readonly #metas = new Map<number, BlobMeta>();
  #chunkTable: Map<number, number> | undefined;

  constructor(bytes: Uint8Array, limits: Limits) {
    this.#bytes = bytes;
    this.#b = byteView(bytes);
    this.#limits = limits;
    const sb = decodeErofsSuperBlock(bytes);
    this.#sb = sb;
    const devices = decodeDeviceTable(bytes, sb, limits);
    if (sb.isRafs) {
      const ext = decodeRafsV6ExtSuperBlock(bytes, sb);
      this.#ext = ext;
      this.#blobs = decodeRafsV6Blobs(bytes, ext, limits);
      if (ext.chunkTableSize > 0)
        need(bytes.length, ext.chunkTableOffset, ext.chunkTableSize, "RAFS v6 chunk table");
    } else {
      this.#ext = undefined;
      this.#blobs = devices.map((d, index) => ({
        index,
        id: d.tag,
        compressor: "none",
        digester: "none",
        chunkSize: sb.blockSize,
        chunkCount: undefined,
        compressedSize: d.blocks * sb.blockSize,
        uncompressedSize: d.blocks * sb.blockSize,
        features: 0,
        tocSize: 0,
        blocks: d.blocks,
      }));
    }
    const ext = this.#ext;
    this.rootId = sb.rootNid;
    this.info = {
      format: ext ? "v6" : "erofs",
      blockSize: sb.blockSize,
      chunkSize: ext?.chunkSize,
      compressor: ext?.compressor ?? "none",
      digester: ext?.digester ?? "none",
      flags: ext
        ? `0x${ext.flags.toString(16)}`
        : `compat 0x${sb.featureCompat.toString(16)} incompat 0x${sb.featureIncompat.toString(16)}`,
      flagNames: ext ? flagNames(RafsSuperFlags, ext.flags) : [],
      inodeCount: sb.inos,
      rootId: sb.rootNid,
      bootstrapSize: bytes.length,
      prefetch: this.#decodePrefetch(),
      blobs: this.#blobs,
    };
    if (this.#inode(sb.rootNid).type !== "dir") corrupt("root inode is not a directory", `nid ${sb.rootNid}`);
  }

  #decodePrefetch(): number[] {
    const ext = this.#ext;
    if (ext === undefined || ext.prefetchTableSize === 0) return [];
    need(this.#bytes.length, ext.prefetchTableOffset, ext.prefetchTableSize, "RAFS v6 prefetch table");
    const out: number[] = [];
    for (let i = 0; i < ext.prefetchTableSize / 4; i++) {
      const nid = u32(this.#b, ext.prefetchTableOffset + i * 4);
      if (nid === 0) break;
      out.push(nid);
    }
    return out;
  }

  #inode(nid: number): ErofsInode {
    return decodeErofsInode(this.#b, this.#sb, nid);
  }

  inode(id: number): Inode {
    const e = this.#inode(id);
    const device = e.type === "chardev" || e.type === "blockdev";
    return {
      id,
      // Nydus and Linux expose the nid as the inode number; the on-disk i_ino is a builder index.
      ino: id,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      nlink: e.nlink,
      size: e.size,
      mtimeSec: e.mtimeSec,
      mtimeNsec: e.mtimeNsec,
      rdev: device ? e.iu : 0,
      blocks: Math.ceil(e.size / 512),
      hasXattrs: e.xattrSize > 0,
    };
  }

  /**
   * The flat (plain or inline) data of an inode as at most two zero-copy pieces: the part stored
   * in whole blocks at `i_u`, and the inline tail right after the inode and its xattrs.
   */
  #flat(e: ErofsInode): { head: Uint8Array; tail: Uint8Array } {
    const where = `EROFS nid ${e.nid} data`;
    const blk = this.#sb.blockSize;
    if (e.layout === EROFS_INODE_COMPRESSED_FULL || e.layout === EROFS_INODE_COMPRESSED_COMPACT) {
      unsupported("EROFS compressed inode", where);
    }
    if (e.layout === EROFS_INODE_CHUNK_BASED) corrupt(`chunk-based ${e.type}`, where);
    if (e.layout !== EROFS_INODE_FLAT_PLAIN && e.layout !== EROFS_INODE_FLAT_INLINE) {
      corrupt(`unknown data layout ${e.layout}`, where);
    }
    if (e.size === 0) return { head: new Uint8Array(0), tail: new Uint8Array(0) };
    const tailSize = e.layout === EROFS_INODE_FLAT_INLINE ? e.size % blk : 0;
    const headSize = e.size - tailSize;
    // With no whole block of data, i_u is unused (mkfs.erofs leaves it as all ones).
    const headOff = headSize === 0 ? 0 : e.iu * blk;
    need(this.#bytes.length, headOff, headSize, where);
    const head = this.#bytes.subarray(headOff, headOff + headSize);
    if (tailSize === 0) return { head, tail: new Uint8Array(0) };
    const tailOff = e.offset + e.inodeSize + e.xattrSize;
    // The inline tail must sit in the same block as the inode (Linux refuses it otherwise).
    if ((tailOff % blk) + tailSize > blk) corrupt("inline data crosses a block boundary", where);
    need(this.#bytes.length, tailOff, tailSize, where);
    return { head, tail: this.#bytes.subarray(tailOff, tailOff + tailSize) };
  }

  /** A directory's block count and accessors for block k's bytes and their error label. */
  #dirBlocks(nid: number): {
    count: number;
    bytes: (k: number) => Uint8Array;
    where: (k: number) => () => string;
  } {
    const e = this.#inode(nid);
    const dirWhere = `EROFS directory nid ${nid}`;
    if (e.type !== "dir") corrupt("not a directory", dirWhere);
    const { head, tail } = this.#flat(e);
    const blk = this.#sb.blockSize;
    const count = Math.ceil(e.size / blk);
    // Every entry takes at least 13 bytes (dirent and a 1-byte name).
    if (count > 1 && (count * blk) / 13 > this.#limits.maxDirEntries * 2) {
      throw new RafsError(RafsErrorCode.LIMIT, `directory of ${e.size} bytes`, { where: dirWhere });
    }
    return {
      count,
      bytes: (k) => {
        const start = k * blk;
        return start < head.length ? head.subarray(start, Math.min(start + blk, head.length)) : tail;
      },
      where: (k) => () => `${dirWhere} block ${k}`,
    };
  }

  *readdir(id: number): Iterable<DirEntry> {
    const dir = this.#dirBlocks(id);
    let prev: Uint8Array | undefined;
    let seen = 0;
    for (let k = 0; k < dir.count; k++) {
      const where = dir.where(k);
      for (const d of decodeDirBlock(dir.bytes(k), where)) {
        // Sorted order is what makes lookup's binary search valid; refuse a directory without it.
        if (prev !== undefined && compareBytes(prev, d.name) >= 0)
          corrupt("directory entries are not sorted", where());
        prev = d.name;
        if (isDotEntry(d.name)) continue;
        if (++seen > this.#limits.maxDirEntries) {
          throw new RafsError(RafsErrorCode.LIMIT, `more than ${this.#limits.maxDirEntries} entries`, {
            where: `EROFS directory nid ${id}`,
          });
        }
        // Entries that carry their type are yielded as decoded; "unknown" asks the inode.
        yield d.type === undefined
          ? { name: d.name, id: d.id, type: this.#inode(d.id).type }
          : (d as DirEntry);
      }
    }
  }

  lookup(id: number, name: Uint8Array): DirEntry | undefined {
    const dir = this.#dirBlocks(id);
    // Binary search over blocks by their first and last names, then inside the block, comparing
    // names in place.
    let lo = 0;
    let hi = dir.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const { position, entry } = searchDirBlock(dir.bytes(mid), name, dir.where(mid));
      if (position < 0) hi = mid - 1;
      else if (position > 0) lo = mid + 1;
      else {
        if (entry === undefined || isDotEntry(entry.name)) return undefined;
        return { name: entry.name, id: entry.id, type: entry.type ?? this.#inode(entry.id).type };
      }
    }
    return undefined;
  }

  readlink(id: number): Uint8Array {
    const e = this.#inode(id);
    const where = `EROFS symlink nid ${id}`;
    if (e.type !== "symlink") corrupt("not a symlink", where);
    if (e.size > this.#limits.maxSymlinkSize) {
      throw new RafsError(RafsErrorCode.LIMIT, `symlink target of ${e.size} bytes`, { where });
    }
    if (e.size === 0) corrupt("symlink with empty target", where);
    const { head, tail } = this.#flat(e);
    if (tail.length === 0) return head;
    if (head.length === 0) return tail;
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }

  xattrs(id: number): readonly Xattr[] {
    return decodeErofsXattrs(this.#bytes, this.#sb, this.#inode(id), this.#limits);
  }

  extents(id: number): readonly Extent[] {
    const e = this.#inode(id);
    const where = `EROFS file nid ${id}`;
    if (e.type !== "file") corrupt("not a regular file", where);
    if (e.layout === EROFS_INODE_CHUNK_BASED) {
      return this.#ext ? this.#rafsChunks(e, this.#ext) : this.#erofsChunks(e);
    }
    const { head, tail } = this.#flat(e);
    const out: Extent[] = [];
    if (head.length > 0) out.push({ kind: "inline", fileOffset: 0, bytes: head });
    if (tail.length > 0) out.push({ kind: "inline", fileOffset: head.length, bytes: tail });
    return out;
  }

  /** RAFS v6: one 8-byte RafsV6InodeChunkAddr per RAFS chunk (reference 3.10). */
  #rafsChunks(e: ErofsInode, ext: RafsV6ExtSuperBlock): Extent[] {
    const where = `RAFS v6 file nid ${e.nid}`;
    // Count with the RAFS chunk size: the EROFS chunk bits may describe a larger, merged chunk.
    const n = Math.ceil(e.size / ext.chunkSize);
    const base = e.offset + alignUp(e.inodeSize + e.xattrSize, 8);
    need(this.#bytes.length, base, n * RAFS_V6_CHUNK_ADDR_SIZE, `${where} chunk addresses`);
    const out: Extent[] = [];
    for (let k = 0; k < n; k++) {
      const a = base + k * RAFS_V6_CHUNK_ADDR_SIZE;
      const lo = u16(this.#b, a);
      const hi = u16(this.#b, a + 2);
      const blkAddr = u32(this.#b, a + 4);
      const cw = `${where} chunk ${k}`;
      const device = hi & 0xff;
      if (device === 0 || device > this.#blobs.length)
        corrupt(`blob slot ${device} of ${this.#blobs.length} blobs`, cw);
      const blobIndex = device - 1;
      const chunkIndex = ((hi >>> 8) << 16) | lo;
      const fileOffset = k * ext.chunkSize;
      const length = Math.min(ext.chunkSize, e.size - fileOffset);
      const chunk = this.#locate(blobIndex, chunkIndex, blkAddr * this.#sb.blockSize, cw);
      if (chunk.uncompressedSize !== length) {
        corrupt(`chunk of ${chunk.uncompressedSize} bytes where the file needs ${length}`, cw);
      }
      out.push({ kind: "chunk", fileOffset, length, chunk });
    }
    return out;
  }

  /** Finds a chunk's stored location: the attached blob meta first, else the chunk table. */
  #locate(blobIndex: number, chunkIndex: number, uncompressedOffset: number, where: string): ChunkLocation {
    const blob = this.#blobs[blobIndex];
    if (blob === undefined) return corrupt(`blob ${blobIndex} missing`, where);
    if (blob.encrypted) unsupported("encrypted blob data", where);
    if (blob.chunkCount !== undefined && chunkIndex >= blob.chunkCount) {
      corrupt(`chunk index ${chunkIndex} of ${blob.chunkCount} chunks`, where);
    }
    const tableOff = this.#chunkTableEntry(blobIndex, chunkIndex);
    const digest = tableOff === undefined ? undefined : this.#bytes.subarray(tableOff, tableOff + 32);
    const meta = this.#metas.get(blobIndex);
    if (meta !== undefined) {
      const m = meta.chunk(chunkIndex);
      if (m.uncompressedOffset !== uncompressedOffset) {
        corrupt(`blob meta offset ${m.uncompressedOffset} != chunk address ${uncompressedOffset}`, where);
      }
      if (m.encrypted) unsupported("encrypted chunk", where);
      if (m.batch === undefined && m.zran === undefined) {
        checkChunkSizes(m.compressedSize, m.uncompressedSize, m.compressed, this.#limits, where);
      }
      const batch = m.batch === undefined ? undefined : meta.batchContext(m.batch.index);
      const zran = m.zran === undefined ? undefined : meta.zranContext(m.zran.context);
      if (zran !== undefined && (m.zran?.offset ?? 0) + m.uncompressedSize > zran.context.outLen) {
        corrupt(`zran chunk lies outside its context's ${zran.context.outLen} output bytes`, where);
      }
      return {
        blobIndex,
        chunkIndex,
        compressedOffset: m.compressedOffset,
        compressedSize: m.compressedSize,
        uncompressedOffset,
        uncompressedSize: m.uncompressedSize,
        compressed: m.compressed,
        ...(digest === undefined ? {} : { digest }),
        ...(m.crc32c === undefined ? {} : { crc32c: m.crc32c }),
        ...(batch === undefined || m.batch === undefined
          ? {}
          : {
              batch: {
                compressedSize: batch.compressedSize,
                uncompressedSize: batch.uncompressedSize,
                offset: m.batch.offset,
              },
            }),
        ...(zran === undefined || m.zran === undefined
          ? {}
          : { zran: { contextIndex: m.zran.context, offset: m.zran.offset, ...zran } }),
      };
    }
    if (this.needsBlobMeta(blobIndex)) {
      throw new RafsError(RafsErrorCode.CORRUPT, "chunk needs its blob meta, which was not attached", {
        where,
      });
    }
    if (tableOff === undefined)
      return corrupt(`chunk (blob ${blobIndex}, index ${chunkIndex}) not in the chunk table`, where);
    const b = this.#b;
    const flags = u32(b, tableOff + 36);
    if (flags & BlobChunkFlags.ENCRYPTED) unsupported("encrypted chunk", where);
    if (flags & BlobChunkFlags.BATCH) unsupported("batch chunk without blob meta", where);
    const compressed = (flags & BlobChunkFlags.COMPRESSED) !== 0;
    const compressedSize = u32(b, tableOff + 40);
    const uncompressedSize = u32(b, tableOff + 44);
    checkChunkSizes(compressedSize, uncompressedSize, compressed, this.#limits, where);
    const tableUncompressed = u64(b, tableOff + 56, `${where} chunk table uncompressed_offset`);
    if (tableUncompressed !== uncompressedOffset) {
      corrupt(`chunk table offset ${tableUncompressed} != chunk address ${uncompressedOffset}`, where);
    }
    return {
      blobIndex,
      chunkIndex,
      compressedOffset: u64(b, tableOff + 48, `${where} compressed_offset`),
      compressedSize,
      uncompressedOffset,
      uncompressedSize,
      compressed,
      ...(digest === undefined ? {} : { digest }),
      ...(flags & BlobChunkFlags.HAS_CRC32 ? { crc32c: u32(b, tableOff + 76) } : {}),
    };
  }

  /** Offset of the chunk table entry keyed (blob, chunk index); the table is sorted by digest. */
  #chunkTableEntry(blobIndex: number, chunkIndex: number): number | undefined {
    const ext = this.#ext;
    if (ext === undefined || ext.chunkTableSize === 0) return undefined;
    if (this.#chunkTable === undefined) {
      // Built once on the first chunk lookup, so opening an image stays cheap.
      const map = new Map<number, number>();
      const n = ext.chunkTableSize / RAFS_V5_CHUNK_INFO_SIZE;
      for (let i = 0; i < n; i++) {
        const o = ext.chunkTableOffset + i * RAFS_V5_CHUNK_INFO_SIZE;
        const key = u32(this.#b, o + 32) * 0x100_0000 + u32(this.#b, o + 72);
        if (!map.has(key)) map.set(key, o);
      }
      this.#chunkTable = map;
    }
    return this.#chunkTable.get(blobIndex * 0x100_0000 + chunkIndex);
  }

  /** Plain EROFS chunk-based files: chunk indexes (8 B) or a block map (4 B) (Linux data.c). */
  #erofsChunks(e: ErofsInode): Extent[] {
    const where = `EROFS file nid ${e.nid}`;
    const sb = this.#sb;
    const format = e.iu & 0xffff;
    if (format & ~(EROFS_CHUNK_FORMAT_BLKBITS_MASK | EROFS_CHUNK_FORMAT_INDEXES)) {
      corrupt(`unknown chunk format 0x${format.toString(16)}`, where);
    }
    const chunkBits = sb.blkszbits + (format & EROFS_CHUNK_FORMAT_BLKBITS_MASK);
    if (chunkBits > 40) corrupt(`chunk size 2^${chunkBits}`, where);
    const chunkSize = 2 ** chunkBits;
    const indexes = (format & EROFS_CHUNK_FORMAT_INDEXES) !== 0;
    const unit = indexes ? 8 : 4;
    const n = Math.ceil(e.size / chunkSize);
    const base = alignUp(e.offset + e.inodeSize + e.xattrSize, unit);
    need(this.#bytes.length, base, n * unit, `${where} chunk ${indexes ? "indexes" : "block map"}`);
    // Linux masks device ids with roundup_pow_of_two(extra_devices + 1) - 1.
    const mask = 2 ** Math.ceil(Math.log2(sb.extraDevices + 1)) - 1;
    const out: Extent[] = [];
    for (let k = 0; k < n; k++) {
      const a = base + k * unit;
      const device = indexes ? u16(this.#b, a + 2) & mask : 0;
      const blkAddr = u32(this.#b, indexes ? a + 4 : a);
      const fileOffset = k * chunkSize;
      const length = Math.min(chunkSize, e.size - fileOffset);
      if (blkAddr === EROFS_NULL_ADDR) {
        out.push({ kind: "hole", fileOffset, length });
        continue;
      }
      const offset = blkAddr * sb.blockSize;
      const cw = `${where} chunk ${k}`;
      if (device === 0) {
        need(this.#bytes.length, offset, length, cw);
        out.push({ kind: "inline", fileOffset, bytes: this.#bytes.subarray(offset, offset + length) });
        continue;
      }
      const dev = this.#blobs[device - 1];
      if (dev === undefined) return corrupt(`device ${device} of ${this.#blobs.length}`, cw);
      if (dev.blocks !== undefined && dev.blocks > 0) need(dev.blocks * sb.blockSize, offset, length, cw);
      out.push({ kind: "device", fileOffset, length, device, offset });
    }
    return out;
  }

  needsBlobMeta(blobIndex: number): boolean {
    const blob = this.#blobs[blobIndex];
    if (this.#ext === undefined || blob === undefined || this.#metas.has(blobIndex)) return false;
    if (blob.features & META_ONLY_FEATURES) return true;
    return this.#ext.chunkTableSize === 0 && blob.meta !== undefined;
  }

  attachBlobMeta(blobIndex: number, meta: BlobMeta): void {
    const blob = this.#blobs[blobIndex];
    const where = `blob ${blobIndex} meta`;
    if (blob === undefined) corrupt("no such blob", where);
    const chunkdict = (blob.features & BlobFeatures.IS_CHUNKDICT_GENERATED) !== 0;
    if (!chunkdict && blob.chunkCount !== undefined && meta.entries !== blob.chunkCount) {
      corrupt(`blob meta has ${meta.entries} entries for ${blob.chunkCount} chunks`, where);
    }
    this.#metas.set(blobIndex, meta);
  }
}
