// Tests of LayerTree: OCI whiteouts and opaque directories on small synthetic layers, replacement
// rules, implied parents, hardlinks, and a property test against a plain reference model of the
// spec ("whiteouts first, then the entries") over random layers applied in random order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BuildError, BuildErrorCode } from "../src/input/build-error.js";
import { IMPLIED_DIR, LayerTree, type TreeNode } from "../src/input/merge-layers.js";
import type { SourceEntry } from "../src/source.js";

type Kind = SourceEntry["type"];

/** A synthetic entry; `mode` doubles as a tag to tell entries apart. */
function e(path: string, type: Kind = "file", extra: Partial<SourceEntry> = {}): SourceEntry {
  return {
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 1,
    gid: 1,
    mtimeSec: 100,
    mtimeNsec: 5,
    size: 0,
    xattrs: new Map(),
    ...extra,
  };
}

function applyAll(layers: SourceEntry[][]): { tree: LayerTree; results: string[][] } {
  const tree = new LayerTree();
  const results = layers.map((layer, i) => layer.map((entry) => tree.apply(entry, i)));
  return { tree, results };
}

/** "path type Llayer" for every path but the root; implied dirs are marked with "*". */
function listing(tree: LayerTree): string[] {
  return [...tree.walk()]
    .filter((x) => x.path !== "")
    .map((x) => `${x.path} ${x.node.type} L${x.node.layerIndex}${x.node.implied ? "*" : ""}`);
}

function expectBadEntry(fn: () => unknown, text: string): BuildError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BuildError);
    const b = err as BuildError;
    expect(b.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(b.message).toContain(text);
    return b;
  }
  throw new Error("expected a BuildError");
}

describe("one layer", () => {
  it("adds entries, implies missing parents as 0755 root-owned dirs with mtime 0", () => {
    const { tree, results } = applyAll([
      [e("", "dir", { mode: 0o700 }), e("a/b/c", "file", { size: 3 }), e("a", "dir", { mode: 0o711 })],
    ]);
    expect(results).toEqual([["added", "added", "added"]]);
    expect(listing(tree)).toEqual(["a dir L0", "a/b dir L0*", "a/b/c file L0"]);
    const b = tree.lookup("a/b") as TreeNode;
    expect({ mode: b.mode, uid: b.uid, gid: b.gid, mtimeSec: b.mtimeSec, mtimeNsec: b.mtimeNsec }).toEqual(
      IMPLIED_DIR,
    );
    // The later "a/" entry replaced the implied directory's metadata and kept its children.
    expect(tree.lookup("a")?.mode).toBe(0o711);
    expect(tree.lookup("a")?.implied).toBe(false);
    expect(tree.root.mode).toBe(0o700);
    expect(tree.lookup("a/b/c")?.size).toBe(3);
    expect(tree.lookup("a/x")).toBeUndefined();
  });

  it("walks depth first with siblings in UTF-8 byte order", () => {
    const names = ["a-c", "a/b", "\u{1f600}", "\uffee", "B", "a", "a/a"];
    const { tree } = applyAll([names.map((n) => e(n, n === "a" ? "dir" : "file"))]);
    expect([...tree.walk()].map((x) => x.path)).toEqual([
      "",
      "B",
      "a",
      "a/a",
      "a/b",
      "a-c",
      "\uffee",
      "\u{1f600}",
    ]);
    const walked = [...tree.walk()];
    expect(walked.find((x) => x.path === "a/b")?.parent).toBe(tree.lookup("a"));
    expect(walked.find((x) => x.path === "a/b")?.depth).toBe(2);
    expect(tree.children(tree.lookup("a") as TreeNode).map(([n]) => n)).toEqual(["a", "b"]);
    expect(tree.children(tree.lookup("B") as TreeNode)).toEqual([]);
  });

  it("drops whiteouts of the lowest layer; they never appear and remove nothing", () => {
    const { tree, results } = applyAll([
      [
        e("a", "dir"),
        e("a/x"),
        e("a/.wh.x"),
        e("a/.wh..wh..opq"),
        e(".wh.missing"),
        e(".wh..wh.plnk", "dir"),
      ],
    ]);
    expect(results[0]).toEqual(["added", "added", "skipped", "skipped", "skipped", "skipped"]);
    expect(listing(tree)).toEqual(["a dir L0", "a/x file L0"]);
  });

  it("the same path twice: the later entry wins", () => {
    const { tree } = applyAll([[e("f", "file", { mode: 0o600 }), e("f", "symlink", { target: "t" })]]);
    expect(tree.lookup("f")?.type).toBe("symlink");
    expect(tree.lookup("f")?.target).toBe("t");
  });

  it("keeps symlink targets, device numbers, xattrs and the payload slot", () => {
    const xattrs = new Map([["user.a", new Uint8Array([1, 2])]]);
    const { tree } = applyAll([
      [
        e("s", "symlink", { target: "../x" }),
        e("c", "chardev", { rdev: { major: 1, minor: 3 } }),
        e("f", "file", { size: 9, xattrs }),
        e("d", "dir"),
      ],
    ]);
    expect(tree.lookup("s")?.target).toBe("../x");
    expect(tree.lookup("c")?.rdev).toEqual({ major: 1, minor: 3 });
    const f = tree.lookup("f") as TreeNode;
    expect(f.xattrs.get("user.a")).toEqual(new Uint8Array([1, 2]));
    expect(f.payload).toBeUndefined();
    f.payload = ["chunk refs"];
    expect(tree.lookup("f")?.payload).toEqual(["chunk refs"]);
  });
});

describe("replacing across layers", () => {
  it("a directory over a directory replaces metadata and keeps the children", () => {
    const { tree } = applyAll([
      [e("d", "dir", { mode: 0o700 }), e("d/x")],
      [e("d", "dir", { mode: 0o751 }), e("d/y")],
    ]);
    expect(listing(tree)).toEqual(["d dir L1", "d/x file L0", "d/y file L1"]);
    expect(tree.lookup("d")?.mode).toBe(0o751);
  });

  it("a non-directory over a directory removes the subtree; a directory over a file starts empty", () => {
    const { tree } = applyAll([
      [e("d", "dir"), e("d/x"), e("d/sub/y"), e("f")],
      [e("d", "symlink", { target: "/elsewhere" }), e("f", "dir")],
    ]);
    expect(listing(tree)).toEqual(["d symlink L1", "f dir L1"]);
  });

  it("a path under a lower file replaces the file with an implied directory", () => {
    const { tree } = applyAll([[e("f")], [e("f/g")]]);
    expect(listing(tree)).toEqual(["f dir L1*", "f/g file L1"]);
  });

  // Issue 10: an entry written through a lower layer's symlink replaced the symlink with a
  // directory; containerd resolves the parent inside the root and writes through it.
  it("an entry under a lower layer's symlink is written through it, inside the root", () => {
    const { tree } = applyAll([
      [
        e("usr/lib", "dir"),
        e("lib", "symlink", { target: "usr/lib" }),
        e("up", "symlink", { target: "../../../x" }),
      ],
      [e("lib/libc.so"), e("up/y"), e("usr/.wh.none")],
    ]);
    expect(tree.lookup("lib")?.type).toBe("symlink");
    expect(tree.lookup("usr/lib/libc.so")?.type).toBe("file");
    expect(tree.lookup("lib/libc.so")).toBe(tree.lookup("usr/lib/libc.so"));
    // ".." stops at the root: the target lands in /x, not outside the image.
    expect(tree.lookup("x/y")?.type).toBe("file");
    const loop = applyAll([[e("l", "symlink", { target: "l" })]]).tree;
    expectBadEntry(() => loop.apply(e("l/f"), 1), "symbolic links");
  });
});

describe("whiteouts", () => {
  it(".wh.NAME removes a file, or a directory with its subtree, of lower layers", () => {
    const { tree, results } = applyAll([
      [e("a", "dir"), e("a/f"), e("a/d/x"), e("a/d/y/z"), e("a/keep")],
      [e("a/.wh.f"), e("a/.wh.d")],
    ]);
    expect(results[1]).toEqual(["whiteout", "whiteout"]);
    expect(listing(tree)).toEqual(["a dir L0", "a/keep file L0"]);
  });

  it("a whiteout of a missing path, or under a missing or non-directory parent, changes nothing", () => {
    const { tree, results } = applyAll([
      [e("a", "dir"), e("f")],
      [e("a/.wh.nothing"), e("b/c/.wh.x"), e("f/.wh.x")],
    ]);
    expect(results[1]).toEqual(["skipped", "skipped", "skipped"]);
    // No parent was created for the whiteout.
    expect(listing(tree)).toEqual(["a dir L0", "f file L0"]);
  });

  it("re-adding a whited-out path in the same or a later layer", () => {
    const { tree } = applyAll([
      [e("a", "dir", { mode: 0o700 }), e("a/old")],
      [e(".wh.a"), e("a", "dir", { mode: 0o755 }), e("a/new")],
      [e("a/.wh.new")],
      [e("a/new", "symlink", { target: "x" })],
    ]);
    expect(listing(tree)).toEqual(["a dir L1", "a/new symlink L3"]);
    expect(tree.lookup("a")?.mode).toBe(0o755);
  });

  it("a whiteout only acts on lower layers, wherever it is in its layer", () => {
    for (const upper of [
      [e(".wh.a"), e("a/x")],
      [e("a/x"), e(".wh.a")],
    ]) {
      const { tree } = applyAll([[e("a", "dir", { mode: 0o700 }), e("a/old")], upper]);
      // The lower "a" is gone with its metadata; "a" exists again only as the parent of a/x.
      expect(listing(tree)).toEqual(["a dir L1*", "a/x file L1"]);
      expect(tree.lookup("a")?.mode).toBe(IMPLIED_DIR.mode);
    }
  });

  it("refuses .wh. names that name no file, and paths through a whiteout name", () => {
    const tree = new LayerTree();
    expectBadEntry(() => tree.apply(e("d/.wh."), 1), "whiteout names no file");
    expectBadEntry(() => tree.apply(e("d/.wh.."), 1), "whiteout names no file");
    expectBadEntry(() => tree.apply(e("d/.wh.x/y"), 1), "through a whiteout");
  });
});

describe("opaque directories", () => {
  it("hide everything lower layers put in the directory, not what the layer adds", () => {
    const { tree, results } = applyAll([
      [e("a", "dir"), e("a/x"), e("a/y/z"), e("b/keep")],
      [e("a", "dir", { mode: 0o700 }), e("a/.wh..wh..opq"), e("a/new")],
    ]);
    expect(results[1]).toEqual(["added", "whiteout", "added"]);
    expect(listing(tree)).toEqual(["a dir L1", "a/new file L1", "b dir L0*", "b/keep file L0"]);
  });

  it("the spec's example gives the same tree whether the marker comes first or last", () => {
    const base = [e("a", "dir"), e("a/b", "dir"), e("a/b/c", "dir"), e("a/b/c/bar")];
    const upper = [e("a", "dir"), e("a/b", "dir"), e("a/b/c", "dir"), e("a/b/c/foo")];
    const first = applyAll([base, [upper[0] as SourceEntry, e("a/.wh..wh..opq"), ...upper.slice(1)]]).tree;
    const last = applyAll([base, [...upper, e("a/.wh..wh..opq")]]).tree;
    const want = ["a dir L1", "a/b dir L1", "a/b/c dir L1", "a/b/c/foo file L1"];
    expect(listing(first)).toEqual(want);
    expect(listing(last)).toEqual(want);
  });

  it("an opaque marker in a directory lower layers lack, or at the root", () => {
    const { tree, results } = applyAll([
      [e("x"), e("d/y")],
      [e("new/.wh..wh..opq"), e(".wh..wh..opq"), e("z")],
    ]);
    expect(results[1]).toEqual(["skipped", "whiteout", "added"]);
    expect(listing(tree)).toEqual(["z file L1"]);
  });
});

describe("hardlinks", () => {
  it("share the node of a same-layer target, which survives a later whiteout of its first name", () => {
    const { tree } = applyAll([
      [
        e("a", "file", { size: 4 }),
        e("d/b", "hardlink", { target: "a" }),
        e("s", "symlink", { target: "t" }),
        e("s2", "hardlink", { target: "s" }),
      ],
      [e(".wh.a")],
    ]);
    const b = tree.lookup("d/b") as TreeNode;
    expect(b.type).toBe("file");
    expect(b.size).toBe(4);
    expect(tree.lookup("s2")).toBe(tree.lookup("s"));
    expect(tree.lookup("a")).toBeUndefined();
    const tree2 = applyAll([[e("a"), e("b", "hardlink", { target: "a" })]]).tree;
    expect(tree2.lookup("b")).toBe(tree2.lookup("a"));
  });

  it("a file replaced in a later layer leaves its other names on the old node", () => {
    const { tree } = applyAll([
      [e("a", "file", { size: 1 }), e("b", "hardlink", { target: "a" })],
      [e("a", "file", { size: 2 })],
    ]);
    expect(tree.lookup("a")?.size).toBe(2);
    expect(tree.lookup("b")?.size).toBe(1);
  });

  it("refuses missing (whited-out) targets and directories", () => {
    const t1 = applyAll([[e("a"), e("d", "dir")]]).tree;
    t1.apply(e(".wh.a"), 1);
    const err = expectBadEntry(() => t1.apply(e("b", "hardlink", { target: "a" }), 1), "does not exist");
    expect(err.path).toBe("b");
    expectBadEntry(() => t1.apply(e("c", "hardlink", { target: "d" }), 1), "directory");
    const t2 = applyAll([[e("a")]]).tree;
    expectBadEntry(() => t2.apply(e("b", "hardlink"), 1), "target");
  });

  // Issue 10: `convert` refused a hardlink in layer 2 to a file of layer 1, which valid OCI
  // images contain (containerd and moby link to the file the lower layer extracted).
  it("a hardlink to a lower layer's file shares its node, and this layer's whiteouts keep the link", () => {
    const { tree } = applyAll([
      [e("d", "dir"), e("d/a", "file", { size: 3 })],
      [e("d/b", "hardlink", { target: "d/a" }), e("c", "hardlink", { target: "d/a" }), e("d/.wh..wh..opq")],
    ]);
    // The opaque whiteout hides d/a (lower) but not d/b, which this layer added.
    expect(tree.lookup("d/a")).toBeUndefined();
    expect(tree.lookup("d/b")?.size).toBe(3);
    expect(tree.lookup("c")).toBe(tree.lookup("d/b"));
    const t2 = applyAll([
      [e("a", "file", { size: 5 })],
      [e("b", "hardlink", { target: "a" }), e(".wh.a")],
    ]).tree;
    expect(t2.lookup("a")).toBeUndefined();
    expect(t2.lookup("b")?.size).toBe(5);
  });
});

describe("bad input", () => {
  it("refuses malformed paths and a root that is not a directory", () => {
    const tree = new LayerTree();
    for (const path of ["a//b", "/a", "a/./b", "..", "a/", "x\0y"])
      expectBadEntry(() => tree.apply(e(path), 0), "path");
    expectBadEntry(() => tree.apply(e("", "file"), 0), "root");
  });

  it("refuses layers applied out of order", () => {
    const tree = new LayerTree();
    tree.apply(e("a"), 2);
    expect(() => tree.apply(e("b"), 1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Reference model: the spec read literally. Each layer: first every whiteout of the layer against
// the tree as lower layers left it, then the layer's other entries, parents first.

interface RefNode {
  type: Kind;
  mode: number;
  layer: number;
  implied: boolean;
  target?: string;
}

function reference(layers: SourceEntry[][]): string[] {
  const tree = new Map<string, RefNode>();
  const under = (p: string, d: string) => (d === "" ? p !== "" : p.startsWith(`${d}/`));
  const dropTree = (p: string) => {
    for (const k of [...tree.keys()]) if (k === p || under(k, p)) tree.delete(k);
  };
  // Parent components that are symlinks are followed (targets are relative names here).
  // A symlink in `replaced` is one the layer replaces by a directory before the paths below it.
  const resolve = (path: string, replaced = new Set<string>()): string | undefined => {
    let parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join("/");
      const cur = tree.get(anc);
      if (cur?.type === "symlink" && cur.target !== undefined) {
        if (replaced.has(anc)) return undefined;
        parts = [...parts.slice(0, i - 1), cur.target, ...parts.slice(i)];
        i = 0;
      }
    }
    return parts.join("/");
  };
  layers.forEach((layer, L) => {
    const replaced = new Set<string>();
    for (const x of layer) {
      const path = resolve(x.path);
      if (path !== undefined && tree.get(path)?.type === "symlink") replaced.add(path);
    }
    for (const x of [...layer].sort((a, b) => depth(a.path) - depth(b.path))) {
      const path = resolve(x.path, replaced);
      if (path === undefined) continue;
      const slash = path.lastIndexOf("/");
      const dir = slash < 0 ? "" : path.slice(0, slash);
      const name = path.slice(slash + 1);
      if (!name.startsWith(".wh.")) continue;
      const d = dir === "" ? { type: "dir" as Kind } : tree.get(dir);
      if (d?.type !== "dir") continue;
      if (name === ".wh..wh..opq") {
        for (const k of [...tree.keys()]) if (under(k, dir)) tree.delete(k);
      } else if (!name.startsWith(".wh..wh.")) {
        dropTree(dir === "" ? name.slice(4) : `${dir}/${name.slice(4)}`);
      }
    }
    const rest = layer.filter((x) => !x.path.split("/").some((c) => c.startsWith(".wh.")));
    for (const x of [...rest].sort((a, b) => a.path.split("/").length - b.path.split("/").length)) {
      const path = resolve(x.path) as string;
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const anc = parts.slice(0, i).join("/");
        const cur = tree.get(anc);
        if (cur?.type === "dir") continue;
        if (cur !== undefined) dropTree(anc);
        tree.set(anc, { type: "dir", ...IMPLIED_DIR, layer: L, implied: true });
      }
      const cur = tree.get(path);
      if (!(cur?.type === "dir" && x.type === "dir")) dropTree(path);
      tree.set(path, {
        type: x.type,
        mode: x.mode,
        layer: L,
        implied: false,
        ...(x.target === undefined ? {} : { target: x.target }),
      });
    }
  });
  return [...tree.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, n]) => `${p} ${n.type} ${n.mode.toString(8)} L${n.layer}${n.implied ? "*" : ""}`);
}

function depth(path: string): number {
  return path.split("/").length;
}

function flat(tree: LayerTree): string[] {
  return [...tree.walk()]
    .filter((x) => x.path !== "")
    .map(
      (x) =>
        `${x.path} ${x.node.type} ${x.node.mode.toString(8)} L${x.node.layerIndex}${x.node.implied ? "*" : ""}`,
    )
    .sort();
}

/** A random layer over a small name space: no path twice, nothing below a non-directory. */
const layerArb = fc
  .array(
    fc.tuple(
      fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 3 }),
      fc.constantFrom<Kind | "wh" | "opq">("file", "dir", "dir", "symlink", "wh", "wh", "opq"),
      fc.integer({ min: 0o100, max: 0o777 }),
    ),
    { maxLength: 12 },
  )
  .map((raw) => {
    const entries: SourceEntry[] = [];
    const seen = new Set<string>();
    const nonDirs: string[] = [];
    for (const [parts, kind, mode] of raw) {
      let path = parts.join("/");
      if (kind === "wh") path = [...parts.slice(0, -1), `.wh.${parts[parts.length - 1]}`].join("/");
      if (kind === "opq") path = [...parts.slice(0, -1), ".wh..wh..opq"].join("/");
      if (seen.has(path)) continue;
      if (nonDirs.some((n) => path.startsWith(`${n}/`))) continue;
      if (kind !== "wh" && kind !== "opq" && kind !== "dir") {
        if ([...seen].some((s) => s.startsWith(`${path}/`))) continue;
        nonDirs.push(path);
      }
      seen.add(path);
      const type: Kind = kind === "wh" || kind === "opq" ? "file" : kind;
      entries.push(e(path, type, { mode, ...(type === "symlink" ? { target: "t" } : {}) }));
    }
    return entries;
  });

describe("property: the same tree as the reference model, whatever the order within each layer", () => {
  it("holds for random layers in random order", () => {
    fc.assert(
      fc.property(
        fc.array(layerArb, { minLength: 1, maxLength: 4 }).chain((layers) =>
          fc.tuple(
            fc.constant(layers),
            // Within a layer, an entry comes after the entries of its parents, as in any tar:
            // whether a path goes through a lower symlink depends on that (containerd applies
            // entries in tar order), so only siblings and whiteouts of siblings are shuffled.
            fc.tuple(
              ...layers.map((l) =>
                fc
                  .shuffledSubarray(l, { minLength: l.length })
                  .map((x) => [...x].sort((a, b) => depth(a.path) - depth(b.path))),
              ),
            ),
          ),
        ),
        ([layers, shuffled]) => {
          const want = reference(layers);
          const tree = new LayerTree();
          shuffled.forEach((layer, i) => {
            for (const x of layer) tree.apply(x, i);
          });
          expect(flat(tree)).toEqual(want);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
