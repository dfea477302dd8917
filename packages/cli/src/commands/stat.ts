// `rafscan stat IMAGE PATH [--json]`
import type { Image } from "@rafscan/vfs";
import { listingEntry } from "../listing.js";
import { type Io, writeJsonLine } from "../output.js";

/** Prints one path's metadata (lstat: a symlink itself, not its target). */
export async function runStat(image: Image, path: string, json: boolean, io: Io): Promise<number> {
  const st = await image.lstat(path);
  const e = await listingEntry(image, path, st, {});
  if (json) {
    writeJsonLine(io, { ...e, mtimeNs: st.mtimeNs.toString(), blocks: st.blocks });
    return 0;
  }
  const lines = [
    `  File: ${e.path}${e.target === undefined ? "" : ` -> ${e.target}`}`,
    `  Type: ${e.type}`,
    `  Size: ${e.size ?? 0}  Blocks: ${st.blocks}  Links: ${e.nlink}  Inode: ${e.ino}`,
    `  Mode: 0${e.mode.toString(8).padStart(4, "0")}  Uid: ${e.uid}  Gid: ${e.gid}`,
    `Modify: ${new Date(Number(st.mtimeNs / 1_000_000n)).toISOString()} (${st.mtimeNs} ns)`,
  ];
  if (e.rdev) lines.push(`Device: ${e.rdev[0]}, ${e.rdev[1]}`);
  for (const [k, v] of Object.entries(e.xattrs ?? {})) lines.push(` Xattr: ${k}=0x${v}`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
