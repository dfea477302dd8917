// `rafscan check IMAGE [--json]`: verifies every chunk of every file against its digest, and the
// metadata against itself (sizes, offsets, blob bounds). Exit 0 only if all is sound.
import { type ChunkLocation, isRafsError } from "@rafscan/rafs";
import { type Image, isFsError } from "@rafscan/vfs";
import { expectedInodeDigest } from "../inode-digest.js";
import { InodeIdentities } from "../inode-identity.js";
import { humanBytes, type Io, progress, progressDone, writeJsonLine } from "../output.js";
import { plural } from "../parse-values.js";

/** One problem found by `check`. */
export interface CheckProblem {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** The summary `check --json` prints. */
export interface CheckSummary {
  ok: boolean;
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  others: number;
  /** v5: inodes whose digest was recomputed and matched. */
  inodesVerified: number;
  chunks: number;
  chunksVerified: number;
  bytesVerified: number;
  problems: CheckProblem[];
}

const MAX_PARALLEL = 8;

/** Walks the image and reads every distinct chunk once. */
export async function runCheck(image: Image, json: boolean, io: Io): Promise<number> {
  const s: CheckSummary = {
    ok: false,
    entries: 0,
    files: 0,
    directories: 0,
    symlinks: 0,
    others: 0,
    inodesVerified: 0,
    chunks: 0,
    chunksVerified: 0,
    bytesVerified: 0,
    problems: [],
  };
  const problem = (path: string, err: unknown) => {
    const code = isRafsError(err) || isFsError(err) ? err.code : "ERROR";
    s.problems.push({ path, code, message: err instanceof Error ? err.message : String(err) });
  };
  const seen = new Set<string>();
  const identities = new InodeIdentities();
  const blobs = image.info.blobs;
  const pending = new Set<Promise<void>>();
  try {
    for await (const e of image.walk("/")) {
      s.entries++;
      if (s.entries % 1000 === 0)
        progress(io, `checked ${plural(s.entries, "entry", "entries")}, ${humanBytes(s.bytesVerified)}`);
      try {
        switch (e.stats.type) {
          case "dir":
            s.directories++;
            break;
          case "symlink":
            s.symlinks++;
            await image.readlink(e.path);
            break;
          case "file":
            s.files++;
            break;
          default:
            s.others++;
        }
        await image.listxattr(e.path, { noFollow: true });
        // Every inode number must name one inode: v5 ties hardlinks only by a shared i_ino, and
        // two different files under one number would be extracted as one.
        const same = await identities.add(image, e.stats.ino, e.path);
        if (same !== undefined && "conflict" in same) {
          s.problems.push({
            path: e.path,
            code: "RAFS_CORRUPT",
            message: `inode number ${e.stats.ino} is also '${same.conflict}', which is a different inode`,
          });
        }
        const want = await expectedInodeDigest(image.raw, e.inode);
        if (
          want !== undefined &&
          e.inode.digest !== undefined &&
          Buffer.compare(want, e.inode.digest) !== 0
        ) {
          s.problems.push({
            path: e.path,
            code: "RAFS_DIGEST_MISMATCH",
            message: "inode digest does not match its content",
          });
        } else if (want !== undefined) {
          s.inodesVerified++;
        }
        if (e.stats.type !== "file") continue;
        for (const ext of await image.fileExtents(e.path)) {
          if (ext.kind !== "chunk") continue;
          const c = ext.chunk;
          const key = `${c.blobIndex}:${c.chunkIndex}:${c.compressedOffset}:${c.uncompressedOffset}`;
          if (seen.has(key)) continue;
          seen.add(key);
          s.chunks++;
          const bounds = checkBounds(c, blobs[c.blobIndex]);
          if (bounds !== undefined) {
            s.problems.push({ path: e.path, code: "RAFS_OUT_OF_BOUNDS", message: bounds });
            continue;
          }
          const job = image.readChunk(c).then(
            (data) => {
              s.chunksVerified++;
              s.bytesVerified += data.length;
            },
            (err) => problem(e.path, err),
          );
          pending.add(job);
          job.finally(() => pending.delete(job));
          if (pending.size >= MAX_PARALLEL) await Promise.race(pending);
        }
      } catch (err) {
        problem(e.path, err);
      }
    }
  } catch (err) {
    problem("/", err);
  }
  await Promise.all(pending);
  progressDone(io);
  s.ok = s.problems.length === 0;
  if (json) writeJsonLine(io, s);
  else {
    for (const p of s.problems) io.stdout.write(`FAIL ${p.path}: ${p.code}: ${p.message}\n`);
    io.stdout.write(
      `${s.ok ? "OK" : "FAILED"}: ${plural(s.entries, "entry", "entries")} (${plural(s.files, "file")}, ${plural(s.directories, "dir")}, ${plural(s.symlinks, "symlink")}, ` +
        `${s.others} other), ${s.chunksVerified}/${plural(s.chunks, "chunk")} verified, ${plural(s.inodesVerified, "inode digest")}, ${humanBytes(s.bytesVerified)}, ` +
        `${plural(s.problems.length, "problem")}\n`,
    );
  }
  return s.ok ? 0 : 1;
}

function checkBounds(
  c: ChunkLocation,
  blob: (typeof Image.prototype.info.blobs)[number] | undefined,
): string | undefined {
  if (blob === undefined) return `blob ${c.blobIndex} missing from the blob table`;
  // zran chunks address the original .tar.gz, not this blob; batch members share their batch.
  if (c.zran !== undefined) return undefined;
  const size = c.batch?.compressedSize ?? c.compressedSize;
  if (
    blob.compressedSize !== undefined &&
    blob.compressedSize > 0 &&
    c.compressedOffset + size > blob.compressedSize
  ) {
    return `chunk ${c.chunkIndex} [${c.compressedOffset}, +${size}) beyond blob size ${blob.compressedSize}`;
  }
  if (
    blob.uncompressedSize !== undefined &&
    blob.uncompressedSize > 0 &&
    c.uncompressedOffset + c.uncompressedSize > blob.uncompressedSize
  ) {
    return `chunk ${c.chunkIndex} uncompressed [${c.uncompressedOffset}, +${c.uncompressedSize}) beyond ${blob.uncompressedSize}`;
  }
  return undefined;
}
