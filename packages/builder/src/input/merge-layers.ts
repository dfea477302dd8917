// The merged tree of an image's layers: applies SourceEntry after SourceEntry, lowest layer first,
// with the OCI image-spec layer semantics (image-spec layer.md, "Applying Changesets", "Whiteouts").
import type { FileType } from "@rafscan/rafs";
import type { SourceEntry } from "../source.js";
import { BuildError, BuildErrorCode } from "./build-error.js";
import { compareUtf8, splitEntryPath } from "./entry-path.js";

/** The prefix of an OCI whiteout file: `.wh.NAME` removes NAME of lower layers. */
export const WHITEOUT_PREFIX = ".wh.";
/** An OCI opaque whiteout: hides everything lower layers put in its directory. */
export const OPAQUE_WHITEOUT = ".wh..wh..opq";
/** Names with this prefix are AUFS bookkeeping (`.wh..wh.plnk`, ...): never part of a tree. */
const WHITEOUT_META_PREFIX = ".wh..wh.";

/**
 * Metadata of a directory no entry described (a missing parent): 0755, owned by root, mtime 0.
 * containerd and moby create missing parents with mode 0755 as root (their mtime is the time of
 * extraction, which a reproducible build cannot use); nydus-image's tarball builder uses 0755,
 * uid/gid 0 and mtime 0, as here.
 */
export const IMPLIED_DIR = Object.freeze({ mode: 0o755, uid: 0, gid: 0, mtimeSec: 0, mtimeNsec: 0 });

/**
 * One inode of the merged tree. Hardlinked paths share one node object. Everything of the
 * SourceEntry that made it except `data`, plus where it came from and a slot for the writer.
 */
export interface TreeNode {
  readonly type: FileType;
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  /** Regular files: content length; 0 otherwise. */
  readonly size: number;
  /** Symlinks: the target as stored. */
  readonly target?: string;
  readonly rdev?: { readonly major: number; readonly minor: number };
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
  /** The layer of the entry that made the node (for an implied directory: that created it). */
  readonly layerIndex: number;
  /** True for a directory that no entry described: a missing parent, see {@link IMPLIED_DIR}. */
  readonly implied: boolean;
  /** Directories: children by name, in insertion order ({@link LayerTree.children} sorts). */
  readonly children?: ReadonlyMap<string, TreeNode>;
  /** Free for the writer, e.g. the chunk references of a file whose data it has stored. */
  payload: unknown;
}

/** A path of the tree and the node it names, as {@link LayerTree.walk} yields them. */
export interface TreeEntry {
  /** "" for the root, else "a/b/c". */
  readonly path: string;
  /** Last component ("" for the root). */
  readonly name: string;
  readonly node: TreeNode;
  /** The directory holding it; undefined for the root. */
  readonly parent: TreeNode | undefined;
  /** 0 for the root. */
  readonly depth: number;
}

/** What {@link LayerTree.apply} did with an entry. */
export type ApplyResult = "added" | "whiteout" | "skipped";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Node = Mutable<Omit<TreeNode, "children">> & { children?: Map<string, Node> };

/**
 * The merged tree of one image, built by {@link apply}ing the entries of each layer in order
 * (layer 0 is the lowest). OCI semantics:
 *
 * - An entry replaces what lower layers had at its path. A directory over a directory only
 *   replaces the metadata and keeps the children; anything else removes the old subtree.
 * - `.wh.NAME` removes NAME (and its subtree) as lower layers left it; `.wh..wh..opq` hides all
 *   that lower layers put in its directory. Whiteouts only act on lower layers, so their position
 *   in the layer does not matter (the spec's `a/.wh..wh..opq` after `a/b/c/foo` example). The
 *   whiteout files never appear in the tree; in layer 0 they are dropped.
 * - A missing parent is created as an implied directory ({@link IMPLIED_DIR}); a symlink in the
 *   way is followed inside the tree (as containerd does); another non-directory is replaced.
 * - A hardlink shares the node of its target, which must exist (not whited out) and be a
 *   non-directory, in this layer or a lower one (the link then moves the inode to this layer).
 * - The same path twice in one layer: the later entry wins, as tar extraction does.
 */
export class LayerTree {
  readonly #root: Node = impliedDir(0);
  #layer = 0;
  /** Names that a hardlink to a lower layer's node added, with the layer that added them. */
  readonly #linkedAt = new WeakMap<Node, Map<string, number>>();

  /** The root directory. */
  get root(): TreeNode {
    return this.#root as TreeNode;
  }

  /**
   * Applies one entry of layer `layerIndex` (never lower than the previous call's). Returns
   * `added` when the entry is now in the tree (`lookup(entry.path)` finds its node, where a
   * writer stores the file's data), `whiteout` when a whiteout removed or hid something, and
   * `skipped` when the entry changed nothing (a whiteout in layer 0 or of a missing path, AUFS
   * `.wh..wh.*` files). A skipped or whiteout entry's `data` is not needed.
   *
   * Throws `BUILD_BAD_ENTRY` for malformed paths, a non-directory root, `.wh.` names naming
   * nothing, hardlinks whose target is missing or a directory, and paths through more than 40
   * symlinks.
   */
  apply(entry: SourceEntry, layerIndex: number): ApplyResult {
    if (!Number.isInteger(layerIndex) || layerIndex < this.#layer) {
      throw new RangeError(`LayerTree: layer ${layerIndex} applied after layer ${this.#layer}`);
    }
    this.#layer = layerIndex;
    const bad = (message: string) => new BuildError(BuildErrorCode.BAD_ENTRY, message, { path: entry.path });
    const parts = splitEntryPath(entry.path);
    if (!Array.isArray(parts)) throw bad(parts.problem);
    const name = parts.pop();
    if (name === undefined) {
      if (entry.type !== "dir") throw bad("the layer root is not a directory");
      setMetadata(this.#root, entry, layerIndex);
      return "added";
    }
    if (parts.some((p) => p.startsWith(WHITEOUT_PREFIX))) throw bad("path goes through a whiteout file");

    if (name.startsWith(WHITEOUT_PREFIX)) {
      const dir = this.#resolveDir(parts, false, layerIndex, bad);
      const isOpaque = name === OPAQUE_WHITEOUT;
      if (!isOpaque && name.startsWith(WHITEOUT_META_PREFIX)) return "skipped";
      const victim = name.slice(WHITEOUT_PREFIX.length);
      if (!isOpaque && (victim === "" || victim === "." || victim === "..")) {
        // Obeying `.wh..` would remove the parent of the directory holding it.
        throw bad("whiteout names no file");
      }
      if (dir?.children === undefined) return "skipped";
      let changed = false;
      const linked = (parent: Node, childName: string) =>
        (this.#linkedAt.get(parent)?.get(childName) ?? -1) >= layerIndex;
      const prune = (child: Node, childName: string) => {
        if (linked(dir, childName)) return;
        const r = pruneLower(child, layerIndex, linked);
        if (r === "remove") dir.children?.delete(childName);
        if (r !== "kept") changed = true;
      };
      if (isOpaque) {
        for (const [childName, child] of [...dir.children]) prune(child, childName);
      } else {
        const child = dir.children.get(victim);
        if (child !== undefined) prune(child, victim);
      }
      return changed ? "whiteout" : "skipped";
    }

    const dir = this.#resolveDir(parts, true, layerIndex, bad) as Node;
    const children = dir.children as Map<string, Node>;
    if (entry.type === "hardlink") {
      const targetParts = entry.target === undefined ? undefined : splitEntryPath(entry.target);
      if (!Array.isArray(targetParts)) throw bad("hardlink without a valid target");
      const target = this.#find(targetParts, bad);
      if (target === undefined) throw bad(`hardlink target '${entry.target}' does not exist (whited out?)`);
      if (target.type === "dir") throw bad(`hardlink target '${entry.target}' is a directory`);
      if (target === children.get(name)) return "added";
      // A link to a lower layer's file is valid OCI (moby and containerd link to the file the
      // lower layers extracted): both names now share the inode. The new name belongs to this
      // layer, so this layer's whiteouts must not take it away; the old names stay lower.
      children.set(name, target);
      if (target.layerIndex < layerIndex) {
        const names = this.#linkedAt.get(dir) ?? new Map<string, number>();
        this.#linkedAt.set(dir, names);
        names.set(name, layerIndex);
      }
      return "added";
    }
    const existing = children.get(name);
    if (entry.type === "dir" && existing?.type === "dir") {
      // Directory over directory: the spec replaces the attributes only.
      setMetadata(existing, entry, layerIndex);
      return "added";
    }
    const node: Node = {
      type: entry.type,
      mode: entry.mode & 0o7777,
      uid: entry.uid,
      gid: entry.gid,
      mtimeSec: entry.mtimeSec,
      mtimeNsec: entry.mtimeNsec,
      size: entry.type === "file" ? entry.size : 0,
      xattrs: entry.xattrs,
      layerIndex,
      implied: false,
      payload: undefined,
      ...(entry.type === "symlink" && entry.target !== undefined ? { target: entry.target } : {}),
      ...((entry.type === "chardev" || entry.type === "blockdev") && entry.rdev !== undefined
        ? { rdev: entry.rdev }
        : {}),
      ...(entry.type === "dir" ? { children: new Map() } : {}),
    };
    children.set(name, node);
    return "added";
  }

  /** The node at `path` ("" is the root; a normalized path as in SourceEntry), if any. */
  lookup(path: string): TreeNode | undefined {
    const parts = splitEntryPath(path);
    return Array.isArray(parts) ? (this.#find(parts) as TreeNode | undefined) : undefined;
  }

  /** A directory's children sorted by the UTF-8 bytes of their names; [] for other nodes. */
  children(node: TreeNode): [string, TreeNode][] {
    if (node.children === undefined) return [];
    return [...node.children].sort(([a], [b]) => compareUtf8(a, b));
  }

  /**
   * Every path of the tree, depth first, parents before children, siblings in byte order of their
   * names; a hardlinked node appears once per path.
   */
  *walk(): Generator<TreeEntry> {
    const stack: TreeEntry[] = [{ path: "", name: "", node: this.root, parent: undefined, depth: 0 }];
    for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
      yield e;
      const kids = this.children(e.node);
      for (let i = kids.length - 1; i >= 0; i--) {
        const [name, node] = kids[i] as [string, TreeNode];
        stack.push({
          path: e.path === "" ? name : `${e.path}/${name}`,
          name,
          node,
          parent: e.node,
          depth: e.depth + 1,
        });
      }
    }
  }

  /** The node at `parts`; symlinks in the parent components are followed, the last is not. */
  #find(parts: readonly string[], bad: (message: string) => Error = badPath): Node | undefined {
    const last = parts[parts.length - 1];
    if (last === undefined) return this.#root;
    const dir = this.#resolveDir(parts.slice(0, -1), false, this.#layer, bad);
    return dir?.children?.get(last);
  }

  /**
   * The directory at `parts`. A symlink on the way is followed inside the tree, as containerd's
   * applier resolves an entry's parent with fs.RootPath: an absolute target starts at the root and
   * ".." stops at the root, so no target leads out of the image; at most 40 links are followed
   * (ELOOP, as Linux). With `create`, a missing directory (also one a symlink names) is made as an
   * implied directory and a file in the way is replaced by one; without, a miss is undefined.
   */
  #resolveDir(
    parts: readonly string[],
    create: boolean,
    layerIndex: number,
    bad: (message: string) => Error,
  ): Node | undefined {
    // The directories from the root down to the current one, so that ".." can step back.
    const stack: Node[] = [this.#root];
    const pending = [...parts].reverse();
    let hops = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const dir = stack[stack.length - 1] as Node;
      const children = dir.children as Map<string, Node>;
      let next = children.get(part);
      if (next?.type === "symlink" && next.target !== undefined) {
        if (++hops > MAX_SYMLINK_HOPS) throw bad("too many levels of symbolic links in the path");
        if (next.target.startsWith("/")) stack.length = 1;
        const target = next.target.split("/");
        for (let i = target.length - 1; i >= 0; i--) pending.push(target[i] as string);
        continue;
      }
      if (next?.children === undefined) {
        if (!create) return undefined;
        next = impliedDir(layerIndex);
        children.set(part, next);
      }
      stack.push(next);
    }
    return stack[stack.length - 1];
  }
}

/** Symlinks followed while resolving one path before giving up, as Linux's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

function badPath(message: string): Error {
  return new BuildError(BuildErrorCode.BAD_ENTRY, message);
}

function impliedDir(layerIndex: number): Node {
  return {
    type: "dir",
    ...IMPLIED_DIR,
    size: 0,
    xattrs: new Map(),
    layerIndex,
    implied: true,
    payload: undefined,
    children: new Map(),
  };
}

function setMetadata(node: Node, entry: SourceEntry, layerIndex: number): void {
  node.mode = entry.mode & 0o7777;
  node.uid = entry.uid;
  node.gid = entry.gid;
  node.mtimeSec = entry.mtimeSec;
  node.mtimeNsec = entry.mtimeNsec;
  node.xattrs = entry.xattrs;
  node.layerIndex = layerIndex;
  node.implied = false;
}

/**
 * Removes from `node`'s subtree what layers below `layer` put there, as a whiteout of `node` in
 * `layer` asks. What `layer` itself added stays, whichever came first in the layer: a lower
 * directory that `layer` put entries into survives as an implied directory holding only them.
 * Returns whether `node` was kept as is, kept with lower parts removed, or is to be removed.
 */
function pruneLower(
  node: Node,
  layer: number,
  linkedHere: (parent: Node, name: string) => boolean,
): "kept" | "pruned" | "remove" {
  let changed = false;
  if (node.children !== undefined) {
    for (const [name, child] of [...node.children]) {
      if (linkedHere(node, name)) continue;
      const r = pruneLower(child, layer, linkedHere);
      if (r === "remove") node.children.delete(name);
      if (r !== "kept") changed = true;
    }
  }
  if (node.layerIndex >= layer) return changed ? "pruned" : "kept";
  if (node.children === undefined || node.children.size === 0) return "remove";
  // A lower directory that only survives for this layer's entries: its own metadata was lower.
  Object.assign(node, IMPLIED_DIR, { xattrs: new Map(), layerIndex: layer, implied: true });
  return "pruned";
}
