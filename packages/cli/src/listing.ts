// The `ls --json` record: one object per entry, field names and order fixed by contract.
import { createHash } from "node:crypto";
import { splitDev } from "@rafscan/rafs";
import type { Image, Stats } from "@rafscan/vfs";

/** One `rafscan ls --json` line. Optional fields are omitted, never null. */
export interface ListingEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  nlink: number;
  ino: number;
  size?: number;
  target?: string;
  rdev?: [number, number];
  xattrs?: Record<string, string>;
  sha256?: string;
}

/** Builds the listing record of one path. */
export async function listingEntry(
  image: Image,
  path: string,
  st: Stats,
  options: { sha256?: boolean; signal?: AbortSignal },
): Promise<ListingEntry> {
  const e: ListingEntry = {
    path,
    type: st.type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Number(st.mtimeNs / 1_000_000_000n),
    nlink: st.nlink,
    ino: st.ino,
  };
  if (st.type === "file" || st.type === "symlink") e.size = st.size;
  if (st.type === "symlink") e.target = await image.readlink(path);
  if (st.type === "chardev" || st.type === "blockdev") e.rdev = splitDev(st.rdev);
  const names = await image.listxattr(path, { noFollow: true });
  if (names.length > 0) {
    e.xattrs = {};
    for (const n of names) e.xattrs[n] = (await image.getxattr(path, n, { noFollow: true })).toString("hex");
  }
  if (options.sha256 && st.type === "file") {
    const hash = createHash("sha256");
    for await (const chunk of image.createReadStream(
      path,
      options.signal ? { signal: options.signal } : {},
    )) {
      hash.update(chunk as Buffer);
    }
    e.sha256 = hash.digest("hex");
  }
  return e;
}

/** Orders paths by their UTF-8 bytes, the contract of `ls --json`. */
export function comparePathBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
