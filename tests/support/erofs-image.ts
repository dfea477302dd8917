// Builds small EROFS images with Debian's mkfs.erofs from trees a test describes, so API tests
// run against bytes an independent tool wrote.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** True when mkfs.erofs is installed (.ci/run installs erofs-utils). */
export const HAVE_MKFS_EROFS = spawnSync("mkfs.erofs", ["--help"]).status !== null;

if (!HAVE_MKFS_EROFS)
  console.warn("[rafscan tests] mkfs.erofs is not installed: EROFS-based tests are skipped");

/** A tree: file contents (string or bytes), `{ symlink }` or `{ dir: true }`. */
export type TreeSpec = Record<string, string | Uint8Array | { symlink: string } | { dir: true }>;

/** A built image and the directory that holds it; `cleanup` removes both. */
export interface BuiltImage {
  readonly image: string;
  readonly tree: string;
  readonly dir: string;
  cleanup(): void;
}

/** Writes `spec` under a temp dir and runs `mkfs.erofs ARGS IMAGE TREE`. */
export function buildErofs(spec: TreeSpec, args: readonly string[] = []): BuiltImage {
  const dir = mkdtempSync(join(tmpdir(), "rafscan-erofs-"));
  const tree = join(dir, "tree");
  mkdirSync(tree);
  for (const [path, value] of Object.entries(spec)) {
    const full = join(tree, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof value === "string" || value instanceof Uint8Array) writeFileSync(full, value);
    else if ("symlink" in value) symlinkSync(value.symlink, full);
    else mkdirSync(full, { recursive: true });
  }
  const image = join(dir, "image.erofs");
  execFileSync("mkfs.erofs", ["--quiet", "-T0", ...args, image, tree]);
  return { image, tree, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
