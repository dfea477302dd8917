// The mkfs.erofs option sets the differential test builds, and what each does to the expected listing.

import type { Entry } from "./list-tree.js";

/** One way of building an image from a source tree. */
export interface ErofsVariant {
  /** Short label used in test names. */
  name: string;
  /** mkfs.erofs options (besides `--quiet` and `--blobdev`). */
  args: readonly string[];
  /** Put chunk data on an extra device (`--blobdev=BLOB`); rafscan then gets `--blob BLOB`. */
  blob?: boolean;
  /**
   * What mkfs.erofs does to an entry of the source listing under these options, per its
   * documented behaviour; identity when absent. The differential test checks this against
   * `fsck.erofs --extract` too, so a wrong guess here cannot hide behind the reader.
   */
  expect?: (entry: Entry) => Entry;
}

/** Timestamp given to `-T`; the on-disk build time, and so the mtime of every inode. */
export const FIXED_TIME = 1_234_567_890;

/** Timestamp of the all-compact-inodes variant. */
export const COMPACT_TIME = 1_600_000_000;

/**
 * Variants: inline and non-inline tails, chunk-based files (4 KiB and 64 KiB chunks), chunk data
 * on an extra device, inline-only xattrs, no xattrs, a fixed build time (mixed compact and extended inodes), all
 * compact inodes, and forced owners.
 */
export const EROFS_VARIANTS: readonly ErofsVariant[] = [
  { name: "default", args: [] },
  { name: "noinline_data", args: ["-E", "noinline_data"] },
  { name: "chunksize=4096", args: ["--chunksize=4096"] },
  { name: "chunksize=65536", args: ["--chunksize=65536"] },
  { name: "chunksize=4096+blobdev", args: ["--chunksize=4096"], blob: true },
  {
    // mkfs.erofs shares a name/value pair used more than `-x` times (default 2); 1000 keeps every
    // xattr inline, so this variant reads inline entries only where the others mix in shared ones.
    name: "inline-xattrs",
    args: ["-x", "1000"],
  },
  {
    name: "no-xattrs",
    args: ["-x", "-1"],
    // A negative xattr tolerance makes mkfs.erofs skip xattrs entirely.
    expect: (e) => {
      const { xattrs: _dropped, ...rest } = e;
      return rest;
    },
  },
  {
    name: "fixed-time",
    args: ["-T", String(FIXED_TIME)],
    // -T sets every inode's time to the build time. Inodes that need nothing else get the compact
    // form, which has no time field: readers take the superblock build time, which is -T's value.
    // Owners above 65535 still force extended inodes, so both forms appear.
    expect: (e) => ({ ...e, mtime: FIXED_TIME }),
  },
  {
    name: "all-compact",
    args: ["-T", String(COMPACT_TIME), "--all-root"],
    // With one time and root owners nothing needs an extended inode (sizes < 4 GiB, nlink < 65536).
    expect: (e) => ({ ...e, mtime: COMPACT_TIME, uid: 0, gid: 0 }),
  },
  {
    name: "force-owner",
    args: ["--force-uid=123456", "--force-gid=7"],
    expect: (e) => ({ ...e, uid: 123_456, gid: 7 }),
  },
];
