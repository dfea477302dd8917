// `rafscan ls IMAGE [PATH] [-R] [--json] [--sha256]`
import type { Image } from "@rafscan/vfs";
import { comparePathBytes, type ListingEntry, listingEntry } from "../listing.js";
import type { Io } from "../output.js";
import { writeJsonLine } from "../output.js";

/** Options of {@link runLs}. */
export interface LsOptions {
  readonly path: string;
  readonly recursive: boolean;
  readonly json: boolean;
  readonly sha256: boolean;
}

/** Lists PATH itself and its entries (all descendants with -R), sorted by path bytes. */
export async function runLs(image: Image, options: LsOptions, io: Io): Promise<number> {
  const start = await image.realpath(options.path);
  const startStat = await image.lstat(start);
  const entries: ListingEntry[] = [];
  for await (const e of image.walk(start, { descend: (w) => options.recursive || w.depth === 0 })) {
    entries.push(await listingEntry(image, e.path, e.stats, { sha256: options.sha256 }));
  }
  if (entries.length === 0)
    entries.push(await listingEntry(image, start, startStat, { sha256: options.sha256 }));
  entries.sort((a, b) => comparePathBytes(a.path, b.path));
  for (const e of entries) {
    if (options.json) writeJsonLine(io, e);
    else io.stdout.write(`${formatLine(e)}\n`);
  }
  return 0;
}

const TYPE_CHAR: Record<string, string> = {
  file: "-",
  dir: "d",
  symlink: "l",
  chardev: "c",
  blockdev: "b",
  fifo: "p",
  socket: "s",
};

/** An `ls -l`-like line. */
function formatLine(e: ListingEntry): string {
  const perms = permString(e.mode);
  const size = e.rdev ? `${e.rdev[0]}, ${e.rdev[1]}` : String(e.size ?? 0);
  const date = new Date(e.mtime * 1000).toISOString().slice(0, 19).replace("T", " ");
  const target = e.target === undefined ? "" : ` -> ${e.target}`;
  const hash = e.sha256 === undefined ? "" : `  ${e.sha256}`;
  return `${TYPE_CHAR[e.type] ?? "?"}${perms} ${String(e.nlink).padStart(3)} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${size.padStart(10)} ${date} ${e.path}${target}${hash}`;
}

function permString(mode: number): string {
  const rwx = (bits: number, special: boolean, ch: string) =>
    `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? "x" : "-"}`;
  return (
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, "s") +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, "s") +
    rwx(mode & 7, (mode & 0o1000) !== 0, "t")
  );
}
