// `rafscan extract IMAGE DEST [PATH...]`: writes files out under DEST, never outside it.
import { chmod, lchown, lutimes, utimes } from "node:fs/promises";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { SafeRoot } from "@rafscan/builder";
import { RafsError, RafsErrorCode } from "@rafscan/rafs";
import type { Image, WalkEntry } from "@rafscan/vfs";
import { InodeIdentities } from "../inode-identity.js";
import { humanBytes, type Io, note, progress, progressDone, writeJsonLine } from "../output.js";
import { plural } from "../parse-values.js";

/** What `extract` did. */
export interface ExtractSummary {
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  /** Devices, fifos and sockets are not created (node cannot mknod); they are listed here. */
  skipped: string[];
}

/**
 * Extracts PATHs (default `/`). Every output path is a canonical image path (components checked
 * when read) written through {@link SafeRoot}: each directory on the way is created or checked
 * one component at a time and must be a real directory, never a symlink (one an earlier extract
 * planted included), and files are created with O_EXCL|O_NOFOLLOW, so no write lands outside
 * DEST. Hardlinks are made only between entries that are provably one inode.
 */
export async function runExtract(
  image: Image,
  dest: string,
  paths: readonly string[],
  json: boolean,
  io: Io,
): Promise<number> {
  const root = await SafeRoot.open(dest);
  const summary: ExtractSummary = {
    files: 0,
    directories: 0,
    symlinks: 0,
    hardlinks: 0,
    bytes: 0,
    skipped: [],
  };
  const identities = new InodeIdentities();
  const dirTimes: { out: string; e: WalkEntry }[] = [];
  const asRoot = process.getuid?.() === 0;
  for (const p of paths.length === 0 ? ["/"] : paths) {
    const start = await image.realpath(p);
    // Parents of a requested path are created as plain directories.
    await root.mkdirs(posix.dirname(start));
    for await (const e of image.walk(start)) {
      const st = e.stats;
      let out: string;
      switch (st.type) {
        case "dir":
          out = await root.mkdirs(e.path);
          summary.directories++;
          dirTimes.push({ out, e });
          continue;
        case "symlink":
          out = await root.symlink(await image.readlink(e.path), e.path);
          summary.symlinks++;
          break;
        case "file": {
          if (st.nlink > 1) {
            // v5 ties hardlinks only by i_ino: link only to a first name that is the same inode.
            const same = await identities.add(image, st.ino, e.path);
            if (same !== undefined && "conflict" in same) {
              throw new RafsError(
                RafsErrorCode.CORRUPT,
                `inode number ${st.ino} names both '${same.conflict}' and '${e.path}', which differ`,
                { where: e.path },
              );
            }
            if (same !== undefined) {
              await root.link(same.first, e.path);
              summary.hardlinks++;
              continue;
            }
          }
          const created = await root.createFile(e.path);
          out = created.path;
          // The write stream owns the handle and closes it on finish or error (an explicit
          // close of a handle with an open stream waits for that stream forever).
          await pipeline(image.createReadStream(e.path), created.handle.createWriteStream());
          summary.files++;
          summary.bytes += st.size;
          if (summary.files % 200 === 0)
            progress(io, `extracted ${plural(summary.files, "file")}, ${humanBytes(summary.bytes)}`);
          break;
        }
        default:
          summary.skipped.push(e.path);
          continue;
      }
      if (st.type !== "symlink") await chmod(out, st.mode & 0o7777);
      if (asRoot) await lchown(out, st.uid, st.gid).catch(() => undefined);
      const t = Number(st.mtimeNs / 1000n) / 1e6;
      if (st.type === "symlink") await lutimes(out, t, t).catch(() => undefined);
      else await utimes(out, t, t);
    }
  }
  // Directory modes and times last: writing children would change them, and a read-only mode
  // would stop the writes. Each is checked again: it must still be a real directory.
  for (const { e } of dirTimes.reverse()) {
    const out = await root.mkdirs(e.path);
    await chmod(out, e.stats.mode & 0o7777);
    if (asRoot) await lchown(out, e.stats.uid, e.stats.gid).catch(() => undefined);
    const t = Number(e.stats.mtimeNs / 1000n) / 1e6;
    await utimes(out, t, t);
  }
  progressDone(io);
  if (json) writeJsonLine(io, summary);
  else {
    io.stdout.write(
      `extracted ${plural(summary.files, "file")} (${humanBytes(summary.bytes)}), ${plural(summary.directories, "directory", "directories")}, ` +
        `${plural(summary.symlinks, "symlink")}, ${plural(summary.hardlinks, "hardlink")} to ${root.path}\n`,
    );
    if (summary.skipped.length > 0)
      note(io, `skipped ${plural(summary.skipped.length, "special file")} (devices, fifos, sockets)`);
  }
  return 0;
}
