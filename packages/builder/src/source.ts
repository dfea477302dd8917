// What a builder input produces: a stream of entries in input order, each file's data readable
// once, while it is the current entry. Directory, tar and OCI readers all produce this.
import type { FileType } from "@rafscan/rafs";

/** One entry of an input layer. */
export interface SourceEntry {
  /**
   * Path relative to the layer root, "/"-separated, without leading "/" or "./", never with "."
   * or ".." components; "" is the root directory itself.
   */
  readonly path: string;
  /** `hardlink` means: another name for the regular file at `target` (a path as above). */
  readonly type: FileType | "hardlink";
  /** Permission bits including setuid/setgid/sticky (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  /** Regular files: content length. 0 otherwise. */
  readonly size: number;
  /** Symlinks: the target as stored. Hardlinks: the path of the file linked to. */
  readonly target?: string;
  /** Character and block devices. */
  readonly rdev?: { readonly major: number; readonly minor: number };
  /** Extended attributes, full names (`user.x`, `security.capability`, ...). */
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
  /**
   * Regular files: the content, exactly `size` bytes. It must be consumed (or abandoned) before
   * the next entry is requested: tar input streams it from the archive.
   */
  readonly data?: AsyncIterable<Uint8Array>;
}

/** An input layer. OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`) appear as ordinary entries. */
export type EntrySource = AsyncIterable<SourceEntry>;
