// Path resolution inside the image root, like a chroot: ".." at the root stays there, absolute
// symlink targets start at the image root, and more than 40 symlink hops give ELOOP.
import { decodeName, type RafsImage } from "@rafscan/rafs";
import { FsError } from "./fs-error.js";

/** Linux's limits: 40 hops (MAXSYMLINKS), 255-byte names, 4096-byte paths. */
export const MAX_SYMLINK_HOPS = 40;
export const NAME_MAX = 255;
export const PATH_MAX = 4096;

const encoder = new TextEncoder();

/** The result of a resolution: the inode handle and the canonical path that leads to it. */
export interface Resolved {
  readonly id: number;
  readonly path: string;
}

/**
 * Resolves `path` from the root. `follow` says whether a symlink in the last component is
 * followed (stat) or returned (lstat).
 */
export function resolvePath(image: RafsImage, path: string, follow: boolean, syscall: string): Resolved {
  if (typeof path !== "string" || path.includes("\0")) throw new FsError("EINVAL", syscall, String(path));
  if (encoder.encode(path).length >= PATH_MAX) throw new FsError("ENAMETOOLONG", syscall, path);
  // `stack` holds the directories from the root down; `todo` the components still to walk,
  // reversed so that pop() yields the next one and symlink targets can be pushed in front.
  // A trailing slash asks for a directory, so a final symlink is followed even by lstat.
  const followLast = follow || path.endsWith("/");
  const stack: { id: number; name: string }[] = [];
  const todo = splitReversed(path);
  let current = image.rootId;
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (name === "" || name === ".") continue;
    if (name === "..") {
      current = stack.pop()?.id ?? image.rootId;
      continue;
    }
    const dir = image.inode(current);
    if (dir.type !== "dir") throw new FsError("ENOTDIR", syscall, path);
    const bytes = encoder.encode(name);
    if (bytes.length > NAME_MAX) throw new FsError("ENAMETOOLONG", syscall, path);
    const entry = image.lookup(current, bytes);
    if (entry === undefined) throw new FsError("ENOENT", syscall, path);
    const isLast = todo.every((c) => c === "" || c === ".");
    if (entry.type === "symlink" && (!isLast || followLast)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new FsError("ELOOP", syscall, path);
      const target = decodeName(image.readlink(entry.id));
      if (target.startsWith("/")) {
        stack.length = 0;
        current = image.rootId;
      }
      todo.push(...splitReversed(target));
      continue;
    }
    stack.push({ id: current, name });
    current = entry.id;
  }
  // A trailing slash requires a directory, as on Linux.
  if (path.endsWith("/") && stack.length > 0 && image.inode(current).type !== "dir") {
    throw new FsError("ENOTDIR", syscall, path);
  }
  return { id: current, path: `/${stack.map((s) => s.name).join("/")}` };
}

function splitReversed(path: string): string[] {
  return path.split("/").reverse();
}

/** Joins a directory path and a child name. */
export function joinPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}
