// Recomputes RAFS v5 inode digests (reference 2.10): a file hashes its chunk digests in order, a
// symlink its target, a directory its children's digests in index order, anything else "".
import { type ChunkHasher, type Inode, loadHasher, type RafsImage } from "@rafscan/rafs";

/** The expected digest of `inode`, or undefined when the format keeps none (v6, EROFS). */
export async function expectedInodeDigest(raw: RafsImage, inode: Inode): Promise<Uint8Array | undefined> {
  if (inode.digest === undefined || raw.info.digester === "none") return undefined;
  const hasher: ChunkHasher = await loadHasher(raw.info.digester);
  const parts: Uint8Array[] = [];
  switch (inode.type) {
    case "file":
      for (const ext of raw.extents(inode.id))
        if (ext.kind === "chunk" && ext.chunk.digest) parts.push(ext.chunk.digest);
      break;
    case "symlink":
      parts.push(raw.readlink(inode.id));
      break;
    case "dir":
      for (const e of raw.readdir(inode.id)) {
        const d = raw.inode(e.id).digest;
        if (d !== undefined) parts.push(d);
      }
      break;
    default:
      break;
  }
  return hasher.digest(Buffer.concat(parts));
}
