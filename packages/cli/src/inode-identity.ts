// What makes two directory entries one inode: the same type, size and data extents. RAFS v5
// stores a hardlinked file once per name, tied only by a shared i_ino, so a reader has to check
// that the records agree before treating them as one file (extract links them, check proves it).
import { toHex } from "@rafscan/rafs";
import type { Image } from "@rafscan/vfs";

/** A string equal for two paths exactly when their inodes hold the same data the same way. */
export async function inodeIdentity(image: Image, path: string): Promise<string> {
  const st = await image.lstat(path);
  // Directories cannot be hardlinked: two with one number are two inodes, whatever they hold.
  if (st.isDirectory()) return `dir ${path}`;
  const head = `${st.mode.toString(8)}:${st.size}`;
  if (!st.isFile()) return head;
  const parts = [head];
  for (const ext of await image.fileExtents(path)) {
    switch (ext.kind) {
      case "chunk": {
        const c = ext.chunk;
        parts.push(
          `c${ext.fileOffset}+${ext.length}@${c.blobIndex}:${c.compressedOffset}:${c.compressedSize}:` +
            `${c.uncompressedOffset}:${c.digest === undefined ? "" : toHex(c.digest)}`,
        );
        break;
      }
      case "inline":
        parts.push(`i${ext.fileOffset}:${Buffer.from(ext.bytes).toString("base64")}`);
        break;
      case "device":
        parts.push(`d${ext.fileOffset}+${ext.length}@${ext.device}:${ext.offset}`);
        break;
      case "hole":
        parts.push(`h${ext.fileOffset}+${ext.length}`);
        break;
    }
  }
  return parts.join(" ");
}

/**
 * Remembers the first path of each inode number and says when a later path with the same number
 * is another inode (different type, mode, size or data): RAFS_CORRUPT material.
 */
export class InodeIdentities {
  readonly #first = new Map<number, { path: string; identity?: string }>();

  /**
   * Records `path` under `ino`. Returns `undefined` for the first path of a number, `{ first }`
   * when `path` is the same inode as that first path, and `{ conflict }` when it is another.
   */
  async add(
    image: Image,
    ino: number,
    path: string,
  ): Promise<{ first: string } | { conflict: string } | undefined> {
    const seen = this.#first.get(ino);
    if (seen === undefined) {
      this.#first.set(ino, { path });
      return undefined;
    }
    // Identities are computed only when a number repeats: most files never need one.
    seen.identity ??= await inodeIdentity(image, seen.path);
    const mine = await inodeIdentity(image, path);
    return mine === seen.identity ? { first: seen.path } : { conflict: seen.path };
  }
}
