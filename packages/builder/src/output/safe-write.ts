// Writing files under a root directory without ever following a symlink out of it: the extract
// command's guard against crafted images and against symlinks an earlier extract left behind.
import { constants } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, realpath, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BuildError, BuildErrorCode } from "../input/build-error.js";

/**
 * A directory that writes stay inside. Node has no `openat`, so every path is checked one
 * component at a time: each existing component must be a real directory (`lstat`, never a
 * symlink), a missing one is created with `mkdir` (never `mkdir -p`, which follows symlinks), the
 * parent's `realpath` must then be exactly the path checked, and the last component is created
 * with `O_CREAT | O_EXCL | O_NOFOLLOW` (files) or `symlink`/`link`, which never follow it.
 *
 * What this cannot close without `openat`: another process that can write inside the root may
 * swap a checked directory for a symlink between the `realpath` check and the final create. The
 * window is a few system calls long; extract into a directory nobody else writes to meanwhile.
 * Every refusal is a {@link BuildError} `BUILD_UNSAFE_PATH` naming the path and the component.
 */
export class SafeRoot {
  /** The root's real path (symlinks in the path the caller gave are resolved once, here). */
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens `dir` as a root, creating it (and its parents: the caller chose it) when missing. */
  static async open(dir: string): Promise<SafeRoot> {
    await mkdir(resolve(dir), { recursive: true });
    return new SafeRoot(await realpath(resolve(dir)));
  }

  /**
   * Makes sure `rel` ("/"-separated, relative to the root; a leading "/" is ignored) is a real
   * directory under the root, creating missing components with `mode` (default 0o755). Returns
   * its absolute path.
   */
  async mkdirs(rel: string, mode = 0o755): Promise<string> {
    const parts = components(rel);
    let current = this.path;
    for (const [i, part] of parts.entries()) {
      current = join(current, part);
      let st = await lstat(current).catch(missing);
      if (st === undefined) {
        // EEXIST: something appeared meanwhile; the lstat below decides whether it will do.
        await mkdir(current, { mode }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
        });
        st = await lstat(current);
      }
      if (st.isSymbolicLink() || !st.isDirectory()) {
        const what = st.isSymbolicLink() ? "is a symlink" : "is not a directory";
        throw unsafe(rel, `'/${parts.slice(0, i + 1).join("/")}' ${what}`);
      }
    }
    // A component swapped for a symlink after its lstat makes the real path differ.
    const real = await realpath(current);
    if (real !== current) throw unsafe(rel, `resolves to ${real}, outside the checked path`);
    return current;
  }

  /** The checked parent directory of `rel` and the absolute path of `rel` itself. */
  async #place(rel: string): Promise<string> {
    const parts = components(rel);
    const name = parts.pop();
    if (name === undefined) throw unsafe(rel, "names the root itself");
    return join(await this.mkdirs(parts.join("/")), name);
  }

  /**
   * Creates the regular file `rel` (which must not exist: `EEXIST` otherwise) and returns it
   * open for writing. Parents are made as {@link mkdirs} does. `mode` defaults to 0o600.
   */
  async createFile(rel: string, mode = 0o600): Promise<{ path: string; handle: FileHandle }> {
    const path = await this.#place(rel);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return { path, handle: await open(path, flags, mode) };
  }

  /** Creates the symlink `rel` pointing at `target` (stored as given, never followed here). */
  async symlink(target: string, rel: string): Promise<string> {
    const path = await this.#place(rel);
    await symlink(target, path);
    return path;
  }

  /**
   * Creates `rel` as a hardlink to `existing`, another path under the root that must be a regular
   * file (not a symlink). Returns the new path.
   */
  async link(existing: string, rel: string): Promise<string> {
    const from = await this.#place(existing);
    const st = await lstat(from);
    if (!st.isFile()) throw unsafe(existing, "hardlink source is not a regular file");
    const path = await this.#place(rel);
    await link(from, path);
    return path;
  }
}

function components(rel: string): string[] {
  const parts = rel.split("/").filter((p) => p !== "");
  for (const p of parts) {
    if (p === "." || p === ".." || p.includes("\0")) throw unsafe(rel, `has a '${p}' component`);
  }
  return parts;
}

function missing(err: NodeJS.ErrnoException): undefined {
  if (err.code === "ENOENT") return undefined;
  throw err;
}

function unsafe(rel: string, why: string): BuildError {
  return new BuildError(BuildErrorCode.UNSAFE_PATH, `refusing to write through a path that ${why}`, {
    path: rel,
  });
}
