// `rafscan extract IMAGE DEST [PATH...]`: writes files out under DEST, never outside it.
import { constants } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, open, symlink, utimes } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Image, WalkEntry } from "@rafscan/vfs";
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
 * Extracts PATHs (default `/`). Every output path is DEST joined with a canonical image path whose
 * components were checked when read, and files are created with O_EXCL|O_NOFOLLOW, so neither a
 * crafted name nor a symlink written earlier can redirect a write outside DEST.
 */
export async function runExtract(
  image: Image,
  dest: string,
  paths: readonly string[],
  json: boolean,
  io: Io,
): Promise<number> {
  const root = resolve(dest);
  await mkdir(root, { recursive: true });
  const summary: ExtractSummary = {
    files: 0,
    directories: 0,
    symlinks: 0,
    hardlinks: 0,
    bytes: 0,
    skipped: [],
  };
  const linked = new Map<number, string>();
  const dirTimes: { out: string; e: WalkEntry }[] = [];
  const asRoot = process.getuid?.() === 0;
  for (const p of paths.length === 0 ? ["/"] : paths) {
    const start = await image.realpath(p);
    // Parents of a requested path are created as plain directories.
    await mkdir(join(root, start, ".."), { recursive: true });
    for await (const e of image.walk(start)) {
      const out = join(root, e.path);
      const st = e.stats;
      switch (st.type) {
        case "dir":
          await mkdir(out, { recursive: true });
          await ensureRealDir(out);
          summary.directories++;
          dirTimes.push({ out, e });
          continue;
        case "symlink":
          await symlink(await image.readlink(e.path), out);
          summary.symlinks++;
          break;
        case "file": {
          const first = st.nlink > 1 ? linked.get(st.ino) : undefined;
          if (first !== undefined) {
            await link(first, out);
            summary.hardlinks++;
            continue;
          }
          const fh = await open(
            out,
            constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
            0o600,
          );
          // The write stream owns the handle and closes it on finish or error (an explicit
          // close of a handle with an open stream waits for that stream forever).
          await pipeline(image.createReadStream(e.path), fh.createWriteStream());
          if (st.nlink > 1) linked.set(st.ino, out);
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
  // would stop the writes.
  for (const { out, e } of dirTimes.reverse()) {
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
        `${plural(summary.symlinks, "symlink")}, ${plural(summary.hardlinks, "hardlink")} to ${root}\n`,
    );
    if (summary.skipped.length > 0)
      note(io, `skipped ${plural(summary.skipped.length, "special file")} (devices, fifos, sockets)`);
  }
  return 0;
}

async function ensureRealDir(path: string): Promise<void> {
  const st = await lstat(path);
  if (!st.isDirectory()) throw new Error(`refusing to extract through non-directory ${path}`);
}
