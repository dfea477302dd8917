// RAFS v5 image reader: inode table, inode records, names, symlinks, xattrs and chunk infos.
// Format: nydus rafs/src/metadata/layout/v5.rs (RafsV5Inode, RafsV5ChunkInfo, RafsV5XAttrs) and
// direct_v5.rs; reference sections 2.3-2.11.
import type { BlobMeta } from "../blob-meta.js";
import { alignUp, type ByteView, byteView, compareBytes, need, u16, u32, u64 } from "../bytes.js";
import {
  BlobChunkFlags,
  flagNames,
  RAFS_V5_CHUNK_INFO_SIZE,
  RAFS_V5_INODE_SIZE,
  RAFS_V5_ROOT_INODE,
  RAFS_V5_SUPERBLOCK_SIZE,
  RafsInodeFlags,
  RafsSuperFlags,
} from "../constants.js";
import { corrupt, RafsError, RafsErrorCode, unsupported } from "../errors.js";
import { fileTypeOfMode } from "../file-type.js";
import { type Limits, resolveLimits } from "../limits.js";
import type {
  BlobInfo,
  ChunkExtent,
  DirEntry,
  Extent,
  ImageInfo,
  Inode,
  RafsImage,
  Xattr,
} from "../model.js";
import { decodeV5Blobs } from "./blob-table.js";
import { decodeV5SuperBlock, type V5SuperBlock } from "./superblock.js";
import { decodeV5Xattrs } from "./xattrs.js";

/** A decoded v5 inode record with the offsets of its variable parts. */
interface V5Record {
  readonly offset: number;
  readonly inode: Inode;
  readonly flags: number;
  readonly childIndex: number;
  readonly childCount: number;
  readonly name: Uint8Array;
  readonly symlink: Uint8Array;
  /** Offset of the xattr block (when XATTR) or of the chunk infos. */
  readonly tailOffset: number;
}

/** Opens a RAFS v5 bootstrap held in memory (no copy is made). */
export function openV5(bytes: Uint8Array, limitOverrides: Partial<Limits> = {}): RafsImage {
  return new V5Image(bytes, resolveLimits(limitOverrides));
}

class V5Image implements RafsImage {
  readonly info: ImageInfo;
  readonly rootId = RAFS_V5_ROOT_INODE;
  readonly #bytes: Uint8Array;
  readonly #b: ByteView;
  readonly #sb: V5SuperBlock;
  readonly #limits: Limits;
  readonly #blobs: BlobInfo[];
  /** Directories whose children were checked sorted and unique (see {@link #checkedChildren}). */
  readonly #sortedDirs = new Set<number>();

  constructor(bytes: Uint8Array, limits: Limits) {
    this.#bytes = bytes;
    this.#b = byteView(bytes);
    this.#limits = limits;
    const sb = decodeV5SuperBlock(bytes);
    this.#sb = sb;
    need(bytes.length, sb.inodeTableOffset, sb.inodeTableEntries * 4, "v5 inode table");
    if (sb.inodeTableEntries === 0) corrupt("empty inode table", "v5 superblock");
    this.#blobs = decodeV5Blobs(bytes, sb, limits);
    const prefetch = this.#decodePrefetch();
    this.info = {
      format: "v5",
      blockSize: undefined,
      chunkSize: sb.chunkSize,
      compressor: sb.compressor,
      digester: sb.digester,
      flags: `0x${sb.flags.toString(16)}`,
      flagNames: flagNames(RafsSuperFlags, sb.flags),
      inodeCount: sb.inodesCount,
      rootId: RAFS_V5_ROOT_INODE,
      bootstrapSize: bytes.length,
      prefetch,
      blobs: this.#blobs,
    };
    // Decode the root now: an image whose root is unreadable (for example the legacy inode
    // layout of reference section 2.12) is refused at open, not at the first walk.
    const root = this.#record(RAFS_V5_ROOT_INODE);
    if (root.inode.type !== "dir") corrupt("root inode is not a directory", "v5 inode 1");
  }

  #decodePrefetch(): number[] {
    const sb = this.#sb;
    if (sb.prefetchTableEntries === 0) return [];
    need(this.#bytes.length, sb.prefetchTableOffset, sb.prefetchTableEntries * 4, "v5 prefetch table");
    const out: number[] = [];
    for (let i = 0; i < sb.prefetchTableEntries; i++) {
      const ino = u32(this.#b, sb.prefetchTableOffset + i * 4);
      if (ino === 0) break; // alignment padding ends the list
      out.push(ino);
    }
    return out;
  }

  #recordOffset(index: number): number {
    const where = `v5 inode table slot ${index}`;
    if (!Number.isInteger(index) || index < 1 || index > this.#sb.inodeTableEntries) {
      corrupt(`inode index ${index} outside the table of ${this.#sb.inodeTableEntries}`, where);
    }
    const slot = u32(this.#b, this.#sb.inodeTableOffset + (index - 1) * 4);
    // Nydus refuses offsets inside the superblock and at or beyond 2^32 bytes (slot >= 2^29).
    if (slot <= RAFS_V5_SUPERBLOCK_SIZE / 8 || slot >= 1 << 29)
      corrupt(`invalid inode offset slot ${slot}`, where);
    return slot * 8;
  }

  #record(index: number): V5Record {
    const offset = this.#recordOffset(index);
    const where = `v5 inode ${index} @0x${offset.toString(16)}`;
    const b = this.#b;
    need(this.#bytes.length, offset, RAFS_V5_INODE_SIZE, where);
    const mode = u32(b, offset + 60);
    const nameSize = u16(b, offset + 100);
    if (mode === 0 && nameSize === 0) {
      // The current layout reads zero here on every inode of pre-2020 bootstraps
      // (reference section 2.12); say so instead of a vague corruption error.
      unsupported("legacy RAFS v5 inode layout (pre-2020 builder)", where);
    }
    if (nameSize === 0) corrupt("inode name size is 0", where);
    const symlinkSize = u16(b, offset + 102);
    const flags = u32(b, offset + 80);
    const nameOff = offset + RAFS_V5_INODE_SIZE;
    need(this.#bytes.length, nameOff, alignUp(nameSize, 8), `${where} name`);
    const symOff = nameOff + alignUp(nameSize, 8);
    need(this.#bytes.length, symOff, alignUp(symlinkSize, 8), `${where} symlink`);
    const type = fileTypeOfMode(mode, where);
    if (type === "symlink" && symlinkSize === 0) corrupt("symlink with empty target", where);
    const size = u64(b, offset + 64, `${where} i_size`);
    const inode: Inode = {
      id: index,
      ino: u64(b, offset + 40, `${where} i_ino`),
      type,
      mode,
      // Without EXPLICIT_UID_GID nydusd shows its own ids; the stored values are still the best
      // report of what the builder saw, so we return them (documented in docs/format.md).
      uid: u32(b, offset + 48),
      gid: u32(b, offset + 52),
      nlink: u32(b, offset + 88),
      size: type === "symlink" ? symlinkSize : size,
      mtimeSec: u64(b, offset + 112, `${where} i_mtime`),
      mtimeNsec: u32(b, offset + 108),
      rdev: u32(b, offset + 104),
      blocks: u64(b, offset + 72, `${where} i_blocks`),
      hasXattrs: (flags & RafsInodeFlags.XATTR) !== 0,
      digest: this.#bytes.subarray(offset, offset + 32),
    };
    return {
      offset,
      inode,
      flags,
      childIndex: u32(b, offset + 92),
      childCount: u32(b, offset + 96),
      name: this.#bytes.subarray(nameOff, nameOff + nameSize),
      symlink: this.#bytes.subarray(symOff, symOff + symlinkSize),
      tailOffset: symOff + alignUp(symlinkSize, 8),
    };
  }

  inode(id: number): Inode {
    return this.#record(id).inode;
  }

  #children(id: number): { first: number; count: number } {
    const rec = this.#record(id);
    if (rec.inode.type !== "dir") corrupt("not a directory", `v5 inode ${id}`);
    const { childIndex: first, childCount: count } = rec;
    if (count === 0) return { first, count };
    if (count > this.#limits.maxDirEntries) {
      throw new RafsError(RafsErrorCode.LIMIT, `directory has ${count} entries`, { where: `v5 inode ${id}` });
    }
    // Children are contiguous table indexes; the root (index 1) is never anyone's child, which
    // also rules out the simplest self-loop.
    if (first < 2 || first + count - 1 > this.#sb.inodeTableEntries) {
      corrupt(`child range [${first}, ${first + count}) outside the inode table`, `v5 inode ${id}`);
    }
    return { first, count };
  }

  /**
   * The children of directory `id`, checked once to be strictly sorted by name: lookup's binary
   * search relies on it, and a duplicate or misplaced name would let a walk list an entry that
   * lookup then misses or resolves to its twin (nydus's builder always writes them sorted).
   */
  #checkedChildren(id: number): { first: number; count: number } {
    const range = this.#children(id);
    if (this.#sortedDirs.has(id)) return range;
    let prev: Uint8Array | undefined;
    for (let i = range.first; i < range.first + range.count; i++) {
      const name = this.#record(i).name;
      if (prev !== undefined) {
        const c = compareBytes(prev, name);
        if (c >= 0) {
          const what = c === 0 ? "duplicate entry name" : "entries are not sorted at";
          corrupt(`${what} ${JSON.stringify(new TextDecoder().decode(name))}`, this.#dirWhere(id));
        }
      }
      prev = name;
    }
    this.#sortedDirs.add(id);
    return range;
  }

  /** "v5 directory inode N "name"": where a directory problem is, with the directory's own name. */
  #dirWhere(id: number): string {
    const name = id === RAFS_V5_ROOT_INODE ? "/" : new TextDecoder().decode(this.#record(id).name);
    return `v5 directory inode ${id} ${JSON.stringify(name)}`;
  }

  *readdir(id: number): Iterable<DirEntry> {
    const { first, count } = this.#checkedChildren(id);
    for (let i = first; i < first + count; i++) {
      const rec = this.#record(i);
      yield { name: rec.name, id: i, type: rec.inode.type };
    }
  }

  lookup(id: number, name: Uint8Array): DirEntry | undefined {
    const { first, count } = this.#checkedChildren(id);
    // Children are sorted byte-wise by name (checked above), so binary search works.
    let lo = first;
    let hi = first + count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const rec = this.#record(mid);
      const c = compareBytes(rec.name, name);
      if (c === 0) return { name: rec.name, id: mid, type: rec.inode.type };
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  readlink(id: number): Uint8Array {
    const rec = this.#record(id);
    if (rec.inode.type !== "symlink") corrupt("not a symlink", `v5 inode ${id}`);
    if (rec.symlink.length > this.#limits.maxSymlinkSize) {
      throw new RafsError(RafsErrorCode.LIMIT, `symlink target of ${rec.symlink.length} bytes`, {
        where: `v5 inode ${id}`,
      });
    }
    return rec.symlink;
  }

  xattrs(id: number): readonly Xattr[] {
    const rec = this.#record(id);
    if ((rec.flags & RafsInodeFlags.XATTR) === 0) return [];
    return decodeV5Xattrs(this.#bytes, rec.tailOffset, this.#limits, `v5 inode ${id} xattrs`).xattrs;
  }

  extents(id: number): readonly Extent[] {
    const rec = this.#record(id);
    const where = `v5 inode ${id}`;
    if (rec.inode.type !== "file") corrupt("not a regular file", where);
    let off = rec.tailOffset;
    if (rec.flags & RafsInodeFlags.XATTR) {
      off = decodeV5Xattrs(this.#bytes, off, this.#limits, `${where} xattrs`).end;
    }
    const count = rec.childCount;
    const size = rec.inode.size;
    const expected = Math.ceil(size / this.#sb.chunkSize);
    // Without holes a file has exactly ceil(size / chunk) chunks; with HAS_HOLE it may have fewer.
    const holes = (rec.flags & RafsInodeFlags.HAS_HOLE) !== 0;
    if (count > expected || (!holes && count !== expected)) {
      corrupt(`file of ${size} bytes has ${count} chunks, expected ${expected}`, where);
    }
    need(this.#bytes.length, off, count * RAFS_V5_CHUNK_INFO_SIZE, `${where} chunk infos`);
    const out: Extent[] = [];
    let end = 0;
    for (let k = 0; k < count; k++) {
      const c = off + k * RAFS_V5_CHUNK_INFO_SIZE;
      const cw = `${where} chunk ${k}`;
      const ext = this.#chunk(c, cw);
      if (ext.fileOffset < end || ext.fileOffset + ext.length > size) {
        corrupt(
          `chunk covers [${ext.fileOffset}, ${ext.fileOffset + ext.length}) in a file of ${size} bytes`,
          cw,
        );
      }
      end = ext.fileOffset + ext.length;
      out.push(ext);
    }
    return out;
  }

  #chunk(c: number, where: string): ChunkExtent {
    const b = this.#b;
    const blobIndex = u32(b, c + 32);
    const flags = u32(b, c + 36);
    const compressedSize = u32(b, c + 40);
    const uncompressedSize = u32(b, c + 44);
    if (blobIndex >= this.#blobs.length)
      corrupt(`blob index ${blobIndex} of ${this.#blobs.length} blobs`, where);
    if (flags & BlobChunkFlags.ENCRYPTED) unsupported("encrypted chunk", where);
    if (flags & BlobChunkFlags.BATCH) unsupported("batch chunk in a v5 image", where);
    const compressed = (flags & BlobChunkFlags.COMPRESSED) !== 0;
    checkChunkSizes(compressedSize, uncompressedSize, compressed, this.#limits, where);
    const digest = this.#bytes.subarray(c, c + 32);
    return {
      kind: "chunk",
      fileOffset: u64(b, c + 64, `${where} file_offset`),
      length: uncompressedSize,
      chunk: {
        blobIndex,
        chunkIndex: u32(b, c + 72),
        compressedOffset: u64(b, c + 48, `${where} compressed_offset`),
        compressedSize,
        uncompressedOffset: u64(b, c + 56, `${where} uncompressed_offset`),
        uncompressedSize,
        compressed,
        digest,
        ...(flags & BlobChunkFlags.HAS_CRC32 ? { crc32c: u32(b, c + 76) } : {}),
      },
    };
  }

  needsBlobMeta(): boolean {
    return false;
  }

  attachBlobMeta(_blobIndex: number, _meta: BlobMeta): void {
    // v5 chunk records carry every location fact; there is no blob meta to attach.
  }
}

/** Shared chunk size checks: non-zero, within limits, raw chunks have equal sizes. */
export function checkChunkSizes(
  compressedSize: number,
  uncompressedSize: number,
  compressed: boolean,
  limits: Limits,
  where: string,
): void {
  if (uncompressedSize === 0) corrupt("chunk with uncompressed size 0", where);
  if (uncompressedSize > limits.maxChunkSize || compressedSize > limits.maxChunkSize) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `chunk of ${uncompressedSize}/${compressedSize} bytes exceeds maxChunkSize`,
      {
        where,
      },
    );
  }
  if (!compressed && compressedSize !== uncompressedSize) {
    corrupt(
      `raw chunk with compressed size ${compressedSize} != uncompressed size ${uncompressedSize}`,
      where,
    );
  }
}
