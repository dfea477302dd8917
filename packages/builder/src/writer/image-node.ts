// The finished tree the bootstrap writers lay out: one node per path, children sorted by name
// bytes, hardlinked files sharing one node.
import type { FileType } from "@rafscan/rafs";
import type { ChunkRef } from "./chunk-ref.js";

/** One inode of the image. Hardlinks are several directory entries naming the same node. */
export interface ImageNode {
  readonly type: FileType;
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  /** Regular files: content length. */
  readonly size: number;
  /** Symlinks: the target bytes. */
  readonly target?: Uint8Array;
  /** Devices: [major, minor]. */
  readonly rdev?: readonly [number, number];
  /** Extended attributes sorted by name. */
  readonly xattrs: readonly (readonly [string, Uint8Array])[];
  /** Directories: entries sorted by name bytes. */
  readonly children?: readonly ImageEntry[];
  /** Regular files: chunks in file order. */
  readonly chunks?: readonly ChunkRef[];
}

/** A directory entry. */
export interface ImageEntry {
  readonly name: Uint8Array;
  readonly node: ImageNode;
}

/** Linux new_encode_dev: the dev_t layout EROFS and RAFS store. */
export function encodeDev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
