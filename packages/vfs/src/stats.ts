// Stats and Dirent objects with node:fs's shape, built from decoded inodes.
import type { FileType, Inode } from "@rafscan/rafs";

/** The `isFile()`-style predicates node's Stats and Dirent share. */
abstract class TypedEntry {
  abstract readonly type: FileType;

  isFile(): boolean {
    return this.type === "file";
  }
  isDirectory(): boolean {
    return this.type === "dir";
  }
  isSymbolicLink(): boolean {
    return this.type === "symlink";
  }
  isCharacterDevice(): boolean {
    return this.type === "chardev";
  }
  isBlockDevice(): boolean {
    return this.type === "blockdev";
  }
  isFIFO(): boolean {
    return this.type === "fifo";
  }
  isSocket(): boolean {
    return this.type === "socket";
  }
}

/** Like node's `fs.Stats`, plus the RAFS-specific `type` and nanosecond mtime. */
export class Stats extends TypedEntry {
  readonly dev = 0;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize = 4096;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  readonly #mtimeSec: number;
  readonly #mtimeNsec: number;
  readonly type: FileType;

  constructor(inode: Inode) {
    super();
    this.ino = inode.ino;
    this.mode = inode.mode;
    this.nlink = inode.nlink;
    this.uid = inode.uid;
    this.gid = inode.gid;
    this.rdev = inode.rdev;
    this.size = inode.size;
    this.blocks = inode.blocks;
    this.type = inode.type;
    this.#mtimeSec = inode.mtimeSec;
    this.#mtimeNsec = inode.mtimeNsec;
    // Images keep one timestamp; atime, ctime and birthtime report it too.
    this.mtimeMs = inode.mtimeSec * 1000 + Math.floor(inode.mtimeNsec / 1e6);
    this.atimeMs = this.mtimeMs;
    this.ctimeMs = this.mtimeMs;
    this.birthtimeMs = this.mtimeMs;
  }

  /** Modification time in nanoseconds since the epoch (exact, unlike `mtimeMs`). */
  get mtimeNs(): bigint {
    return BigInt(this.#mtimeSec) * 1_000_000_000n + BigInt(this.#mtimeNsec);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get atime(): Date {
    return new Date(this.atimeMs);
  }
  get ctime(): Date {
    return new Date(this.ctimeMs);
  }
  get birthtime(): Date {
    return new Date(this.birthtimeMs);
  }
}

/** Like node's `fs.Dirent`. */
export class Dirent extends TypedEntry {
  readonly name: string;
  /** The directory that holds the entry (node >= 20.12 calls it `parentPath`). */
  readonly parentPath: string;
  readonly type: FileType;

  constructor(name: string, parentPath: string, type: FileType) {
    super();
    this.name = name;
    this.parentPath = parentPath;
    this.type = type;
  }

  /** Deprecated alias of `parentPath`, as in node. */
  get path(): string {
    return this.parentPath;
  }
}
