// The oracle: lists a real directory tree in the exact format of `rafscan ls IMAGE -R --json --sha256`.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Inode kinds as spelled in the listing. */
export type EntryType = "file" | "dir" | "symlink" | "chardev" | "blockdev" | "fifo" | "socket";

/**
 * One line of the listing. Optional fields are present only for the kinds named on them.
 * `ino` is a number in a raw listing and the path of the first entry sharing it after
 * {@link normalizeInos}.
 */
export interface Entry {
  /** Absolute path inside the tree or image; the root is "/". */
  path: string;
  type: EntryType;
  /** The 12 permission bits: st_mode & 0o7777. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in whole seconds. */
  mtime: number;
  nlink: number;
  ino: number | string;
  /** Files: byte length; symlinks: target byte length. */
  size?: number;
  /** Symlinks only. */
  target?: string;
  /** Devices only: [major, minor]. */
  rdev?: [number, number];
  /** Xattr name to hex value; absent when the inode has none. */
  xattrs?: Record<string, string>;
  /** Files only: lowercase hex SHA-256 of the content. */
  sha256?: string;
}

/** Field names in the order the listing writes them. */
export const ENTRY_FIELDS = [
  "path",
  "type",
  "mode",
  "uid",
  "gid",
  "mtime",
  "nlink",
  "ino",
  "size",
  "target",
  "rdev",
  "xattrs",
  "sha256",
] as const satisfies readonly (keyof Entry)[];

/** Options of {@link listTree}. */
export interface ListTreeOptions {
  /** Read xattrs (needs the `getfattr` command). Default true. */
  xattrs?: boolean;
  /** Hash regular files. Default true. */
  sha256?: boolean;
}

/**
 * Lists every inode name under `root` (root included, as "/"), sorted by the bytes of the UTF-8
 * path, as {@link Entry} objects in listing order. Symlinks are not followed.
 *
 * Directory `nlink` is reported as 2 + the number of subdirectories, the POSIX convention that
 * mkfs.erofs writes into the image whatever the source filesystem says (ext4 and tmpfs agree;
 * btrfs reports 1), so the oracle does not depend on the filesystem the tree sits on.
 */
export function listTree(root: string, options: ListTreeOptions = {}): Entry[] {
  const xattrs = (options.xattrs ?? true) ? readAllXattrs(root) : new Map<string, Record<string, string>>();
  const hash = options.sha256 ?? true;
  const out: Entry[] = [];
  const walk = (abs: string, imagePath: string): void => {
    const st = fs.lstatSync(abs, { bigint: true });
    const type = typeOf(st);
    const entry: Entry = {
      path: imagePath,
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      // Floor division of a non-negative count; the generator never sets times before 1970.
      mtime: Number(st.mtimeNs / 1_000_000_000n),
      nlink: Number(st.nlink),
      ino: Number(st.ino),
    };
    out.push(entry);
    if (type === "file") entry.size = Number(st.size);
    if (type === "symlink") {
      const target = fs.readlinkSync(abs, { encoding: "buffer" });
      entry.size = target.length;
      entry.target = target.toString("utf8");
    }
    if (type === "chardev" || type === "blockdev") entry.rdev = splitDev(st.rdev);
    const x = xattrs.get(abs);
    if (x) entry.xattrs = x;
    if (type === "file" && hash)
      entry.sha256 = createHash("sha256").update(fs.readFileSync(abs)).digest("hex");
    if (type === "dir") {
      let subdirs = 0;
      for (const name of fs.readdirSync(abs)) {
        const childPath = imagePath === "/" ? `/${name}` : `${imagePath}/${name}`;
        const childAbs = path.join(abs, name);
        if (fs.lstatSync(childAbs).isDirectory()) subdirs++;
        walk(childAbs, childPath);
      }
      entry.nlink = 2 + subdirs;
    }
  };
  walk(path.resolve(root), "/");
  return sortEntries(out);
}

/** Entries sorted by Buffer.compare of their UTF-8 paths (the listing's order). */
export function sortEntries<T extends { path: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/**
 * Replaces each `ino` by the path of the first entry (in the given order) with that ino, so that two
 * listings of the same tree compare equal exactly when their hardlink structure is the same,
 * although their inode numbers differ.
 */
export function normalizeInos(entries: readonly Entry[]): Entry[] {
  const first = new Map<number | string, string>();
  return entries.map((e) => {
    let owner = first.get(e.ino);
    if (owner === undefined) {
      owner = e.path;
      first.set(e.ino, owner);
    }
    return { ...e, ino: owner };
  });
}

/** One listing line: JSON with the fields in {@link ENTRY_FIELDS} order, absent ones omitted. */
export function formatEntry(entry: Entry): string {
  const ordered: Record<string, unknown> = {};
  for (const key of ENTRY_FIELDS) if (entry[key] !== undefined) ordered[key] = entry[key];
  return JSON.stringify(ordered);
}

/**
 * Splits a Linux dev_t (glibc encoding: major bits 8..19 and 32..43, minor bits 0..7 and 20..31
 * and 44..63) into [major, minor].
 */
export function splitDev(dev: bigint): [number, number] {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

function typeOf(st: fs.BigIntStats): EntryType {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "chardev";
  if (st.isBlockDevice()) return "blockdev";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  throw new Error(`unknown inode type, mode ${st.mode.toString(8)}`);
}

/**
 * All xattrs under `root`, keyed by absolute path, from one `getfattr` run (one process per file
 * would dominate the run time on a 3000-entry tree). getfattr escapes awkward bytes in names as
 * `\ooo`; values come hex-encoded.
 */
function readAllXattrs(root: string): Map<string, Record<string, string>> {
  const abs = path.resolve(root);
  // -R -P: recurse without following symlinked directories; -h: a symlink's own xattrs;
  // -m -: every namespace (trusted.* and security.* included; we run as root).
  const raw = execFileSync(
    "getfattr",
    ["-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", abs],
    {
      maxBuffer: 256 << 20,
    },
  );
  const result = new Map<string, Record<string, string>>();
  let current: [string, string][] | undefined;
  let file = "";
  const flush = (): void => {
    if (current && current.length > 0) {
      current.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
      result.set(file, Object.fromEntries(current));
    }
    current = undefined;
  };
  for (const line of splitLines(raw)) {
    const text = line.toString("latin1");
    if (text.startsWith("# file: ")) {
      flush();
      file = unescapeOctal(line.subarray(8)).toString("utf8");
      current = [];
    } else if (text !== "" && current) {
      const eq = line.indexOf(0x3d);
      // An empty value prints as "name=0x" in hex mode; a bare name is accepted too.
      const name = unescapeOctal(eq < 0 ? line : line.subarray(0, eq)).toString("utf8");
      const value = eq < 0 ? "" : line.subarray(eq + 1).toString("latin1");
      if (!value.startsWith("0x") && value !== "") throw new Error(`getfattr: unexpected value ${value}`);
      current.push([name, value.slice(2).toLowerCase()]);
    }
  }
  flush();
  return result;
}

function splitLines(buf: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
    lines.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) lines.push(buf.subarray(start));
  return lines;
}

/** Undoes getfattr's quoting: a backslash and three octal digits stand for one byte. */
function unescapeOctal(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0x5c && isOctal(bytes[i + 1]) && isOctal(bytes[i + 2]) && isOctal(bytes[i + 3])) {
      out.push(Number.parseInt(bytes.subarray(i + 1, i + 4).toString("latin1"), 8));
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

function isOctal(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x37;
}
