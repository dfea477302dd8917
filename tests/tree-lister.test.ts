// Proves the oracle of the EROFS differential test: listTree agrees with coreutils, the generator is
// deterministic and covers what it claims, and mkfs.erofs → fsck.erofs --extract reproduces the
// listing up to the documented extractor limits (which are then checked on the image itself).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { diffListings, maskForExtract, parseListing } from "./helpers/compare-listings.js";
import {
  dumpInode,
  erofsSkipReason,
  fsckErofs,
  makeTempDir,
  mkfsErofs,
  removeTempDir,
} from "./helpers/erofs-tools.js";
import { COMPACT_TIME, EROFS_VARIANTS } from "./helpers/erofs-variants.js";
import { type GeneratedTree, generateTree, smallTree } from "./helpers/gen-tree.js";
import { type Entry, formatEntry, listTree, normalizeInos } from "./helpers/list-tree.js";

const skipReason = erofsSkipReason();
const SEED = 1;

/** What coreutils says about every name under `root`: stat, readlink and sha256sum, NUL-separated. */
function coreutilsView(root: string): Map<string, Record<string, string>> {
  const sh = (script: string): string[] =>
    execFileSync("sh", ["-c", script, "sh", root], { maxBuffer: 256 << 20 })
      .toString("utf8")
      .split("\0");
  const toImagePath = (p: string): string => (p === "." ? "/" : p.slice(1));
  const out = new Map<string, Record<string, string>>();
  // %f raw mode (hex), %u %g owners, %Y mtime seconds, %h links, %i inode, %s size, %t %T major/minor (hex).
  const stat = sh(
    `cd "$1" && find . -print0 | xargs -0 stat --printf '%n\\0%f\\0%u\\0%g\\0%Y\\0%h\\0%i\\0%s\\0%t\\0%T\\0'`,
  );
  for (let i = 0; i + 10 <= stat.length; i += 10) {
    const [n, f, u, g, y, h, ino, s, t, T] = stat.slice(i, i + 10) as [string, ...string[]];
    out.set(toImagePath(n), {
      f: f ?? "",
      u: u ?? "",
      g: g ?? "",
      y: y ?? "",
      h: h ?? "",
      ino: ino ?? "",
      s: s ?? "",
      t: t ?? "",
      T: T ?? "",
    });
  }
  const links = sh(`cd "$1" && find . -type l -printf '%p\\0%l\\0'`);
  for (let i = 0; i + 2 <= links.length; i += 2) {
    const rec = out.get(toImagePath(links[i] ?? ""));
    if (rec) rec.target = links[i + 1] ?? "";
  }
  // -z: NUL-terminated records and no escaping of odd file names.
  for (const line of sh(`cd "$1" && find . -type f -print0 | xargs -0 sha256sum -z`)) {
    if (line === "") continue;
    const rec = out.get(toImagePath(line.slice(66)));
    if (rec) rec.sha256 = line.slice(0, 64);
  }
  return out;
}

const TYPE_BITS: Record<string, Entry["type"]> = {
  "8": "file",
  "4": "dir",
  a: "symlink",
  "2": "chardev",
  "6": "blockdev",
  "1": "fifo",
  c: "socket",
};

/** Reads i_format and i_mode of inode `nid` straight from the image (EROFS on-disk inode). */
function rawInode(image: string, nid: number): { extended: boolean; mode: number } {
  const fd = fs.openSync(image, "r");
  try {
    const sb = Buffer.alloc(128);
    fs.readSync(fd, sb, 0, 128, 1024);
    // erofs_super_block: blkszbits at 12, meta_blkaddr at 40 (include/erofs_fs.h).
    const blockSize = 1 << (sb[12] ?? 12);
    const inode = Buffer.alloc(8);
    fs.readSync(fd, inode, 0, 8, sb.readUInt32LE(40) * blockSize + nid * 32);
    return { extended: (inode.readUInt16LE(0) & 1) === 1, mode: inode.readUInt16LE(4) };
  } finally {
    fs.closeSync(fd);
  }
}

describe.skipIf(skipReason !== undefined)(
  `tree lister (oracle)${skipReason ? ` [skipped: ${skipReason}]` : ""}`,
  () => {
    let tmp = "";
    let tree: GeneratedTree;
    let source: Entry[];

    beforeAll(() => {
      tmp = makeTempDir("tree-lister");
      tree = generateTree(path.join(tmp, "src"), SEED);
      source = listTree(tree.root);
    });
    afterAll(() => removeTempDir(tmp));

    test("smallTree lists exactly as built", () => {
      const root = path.join(tmp, "small");
      smallTree(root);
      const hash = (s: string): string => execFileSync("sha256sum", { input: s }).toString().slice(0, 64);
      // The values smallTree writes, spelled out independently of the lister.
      const expected: Entry[] = [
        { path: "/", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000, nlink: 3, ino: "/" },
        {
          path: "/blk-big",
          type: "blockdev",
          mode: 0o660,
          uid: 0,
          gid: 6,
          mtime: 1_300_000_002,
          nlink: 1,
          ino: "/blk-big",
          rdev: [259, 70_000],
        },
        {
          path: "/d",
          type: "dir",
          mode: 0o2750,
          uid: 1000,
          gid: 100,
          mtime: 1_600_000_000,
          nlink: 3,
          ino: "/d",
        },
        {
          path: "/d/hello.txt",
          type: "file",
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 1_500_000_000,
          nlink: 2,
          ino: "/d/hello.txt",
          size: 6,
          xattrs: { "user.empty": "", "user.greeting": "6869" },
          sha256: hash("hello\n"),
        },
        {
          path: "/d/sub",
          type: "dir",
          mode: 0o1777,
          uid: 0,
          gid: 0,
          mtime: 1_600_000_001,
          nlink: 2,
          ino: "/d/sub",
        },
        {
          path: "/dangling",
          type: "symlink",
          mode: 0o777,
          uid: 0,
          gid: 0,
          mtime: 1_400_000_001,
          nlink: 1,
          ino: "/dangling",
          size: 13,
          target: "/no/such/file",
        },
        {
          path: "/empty",
          type: "file",
          mode: 0o4755,
          uid: 70_000,
          gid: 80_000,
          mtime: 2 ** 32 + 5,
          nlink: 1,
          ino: "/empty",
          size: 0,
          sha256: hash(""),
        },
        {
          path: "/fifo",
          type: "fifo",
          mode: 0o640,
          uid: 0,
          gid: 0,
          mtime: 1_300_000_000,
          nlink: 1,
          ino: "/fifo",
        },
        {
          path: "/four-k",
          type: "file",
          mode: 0o600,
          uid: 0,
          gid: 0,
          mtime: 1_000_000_000,
          nlink: 1,
          ino: "/four-k",
          size: 4096,
          sha256: hash("x".repeat(4096)),
        },
        {
          path: "/hello-link",
          type: "file",
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 1_500_000_000,
          nlink: 2,
          ino: "/d/hello.txt",
          size: 6,
          xattrs: { "user.empty": "", "user.greeting": "6869" },
          sha256: hash("hello\n"),
        },
        {
          path: "/link",
          type: "symlink",
          mode: 0o777,
          uid: 0,
          gid: 0,
          mtime: 1_400_000_000,
          nlink: 1,
          ino: "/link",
          size: 11,
          target: "d/hello.txt",
          xattrs: { "trusted.t": "000102" },
        },
        {
          path: "/null-ish",
          type: "chardev",
          mode: 0o666,
          uid: 0,
          gid: 0,
          mtime: 1_300_000_001,
          nlink: 1,
          ino: "/null-ish",
          rdev: [1, 3],
        },
        {
          path: "/sock",
          type: "socket",
          mode: 0o700,
          uid: 0,
          gid: 0,
          mtime: 1_300_000_003,
          nlink: 1,
          ino: "/sock",
        },
        {
          path: "/é日🙂",
          type: "file",
          mode: 0o444,
          uid: 0,
          gid: 0,
          mtime: 1_300_000_004,
          nlink: 1,
          ino: "/é日🙂",
          size: 10,
          sha256: hash("utf8 name\n"),
        },
      ];
      const actual = normalizeInos(listTree(root));
      expect(actual.map(formatEntry)).toEqual(expected.map(formatEntry));
    });

    test("listTree agrees with stat, readlink and sha256sum on a generated tree", () => {
      const view = coreutilsView(tree.root);
      expect(view.size).toBe(source.length);
      const problems: string[] = [];
      for (const e of source) {
        const c = view.get(e.path);
        if (!c) {
          problems.push(`${e.path}: not seen by find`);
          continue;
        }
        const mode = Number.parseInt(c.f ?? "", 16);
        const want: Record<string, unknown> = {
          type: TYPE_BITS[(mode >> 12).toString(16)],
          mode: mode & 0o7777,
          uid: Number(c.u),
          gid: Number(c.g),
          mtime: Number(c.y),
          nlink: Number(c.h),
          ino: Number(c.ino),
        };
        if (e.type === "file" || e.type === "symlink") want.size = Number(c.s);
        if (e.type === "symlink") want.target = c.target;
        if (e.type === "file") want.sha256 = c.sha256;
        if (e.type === "chardev" || e.type === "blockdev")
          want.rdev = [Number.parseInt(c.t ?? "", 16), Number.parseInt(c.T ?? "", 16)];
        for (const [k, v] of Object.entries(want)) {
          const got = (e as unknown as Record<string, unknown>)[k];
          if (JSON.stringify(got) !== JSON.stringify(v))
            problems.push(`${e.path}: ${k} lister ${JSON.stringify(got)}, coreutils ${JSON.stringify(v)}`);
        }
      }
      expect(problems.slice(0, 20)).toEqual([]);
    });

    test("listTree's xattrs agree with per-file getfattr", () => {
      const withX = source.filter((e) => e.xattrs);
      expect(withX.length).toBeGreaterThan(30);
      for (const e of withX.slice(0, 40)) {
        const abs = e.path === "/" ? tree.root : path.join(tree.root, e.path);
        const text = execFileSync("getfattr", [
          "-h",
          "-d",
          "-m",
          "-",
          "-e",
          "hex",
          "--absolute-names",
          "--",
          abs,
        ]).toString("utf8");
        const pairs: Record<string, string> = {};
        for (const line of text.split("\n")) {
          const m = /^([a-z]+\.[^=]*)=0x([0-9a-f]*)$/.exec(line);
          if (m?.[1] && m[2] !== undefined) pairs[m[1]] = m[2];
        }
        expect(e.xattrs, e.path).toEqual(pairs);
      }
    });

    test("the generated tree has the features the differential test relies on", () => {
      const byPath = new Map(source.map((e) => [e.path, e]));
      const types = new Set(source.map((e) => e.type));
      expect([...types].sort()).toEqual(["blockdev", "chardev", "dir", "fifo", "file", "socket", "symlink"]);
      const many = source.filter((e) => e.path.startsWith("/many/") && e.path.indexOf("/", 6) < 0);
      expect(many.length).toBeGreaterThanOrEqual(3000);
      const nameBytes = many.map((e) => Buffer.byteLength(e.path.slice(6)));
      expect(Math.max(...nameBytes)).toBe(254);
      expect(Math.min(...nameBytes)).toBeLessThanOrEqual(3);
      expect(source.some((e) => Buffer.byteLength(e.path) > e.path.length)).toBe(true);
      expect(Math.max(...source.map((e) => e.path.split("/").length - 1))).toBeGreaterThanOrEqual(41);
      const sizes = new Set(source.filter((e) => e.type === "file").map((e) => e.size));
      for (const s of [0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 131071, 131072, 131073])
        expect(sizes.has(s), `size ${s}`).toBe(true);
      expect(source.some((e) => e.type === "file" && (e.size ?? 0) >= 1 << 20)).toBe(true);
      const targets = source.filter((e) => e.type === "symlink").map((e) => e.size ?? 0);
      expect(Math.max(...targets)).toBe(4095);
      expect(targets.some((n) => n >= 900 && n <= 1000)).toBe(true);
      const devs = source.flatMap((e) => (e.rdev ? [e.rdev] : []));
      expect(devs.some(([ma]) => ma > 255)).toBe(true);
      expect(devs.some(([, mi]) => mi > 255)).toBe(true);
      expect(devs.some(([ma, mi]) => ma === 4095 && mi === 1_048_575)).toBe(true);
      // Hardlink groups of 2 and 3, on files, a fifo, a symlink and a device.
      for (const group of tree.hardlinkGroups) {
        const inos = new Set(group.map((p) => byPath.get(p)?.ino));
        expect(inos.size, group.join(" ")).toBe(1);
        expect(byPath.get(group[0] ?? "")?.nlink).toBe(group.length);
      }
      expect(new Set(tree.hardlinkGroups.map((g) => g.length))).toEqual(new Set([2, 3]));
      expect(new Set(tree.hardlinkGroups.map((g) => byPath.get(g[0] ?? "")?.type))).toEqual(
        new Set(["file", "fifo", "symlink", "blockdev"]),
      );
      expect(source.some((e) => e.uid > 65535)).toBe(true);
      expect(source.some((e) => e.gid > 65535)).toBe(true);
      for (const bit of [0o4000, 0o2000, 0o1000]) {
        expect(source.some((e) => e.type === "file" && (e.mode & bit) !== 0)).toBe(true);
        expect(source.some((e) => e.type === "dir" && (e.mode & bit) !== 0)).toBe(true);
      }
      expect(source.some((e) => e.mtime > 2 ** 32)).toBe(true);
      expect(source.some((e) => e.mtime === 0)).toBe(true);
      const xattrValues = source.flatMap((e) => Object.entries(e.xattrs ?? {}));
      expect(xattrValues.some(([n, v]) => n.startsWith("user.") && v === "")).toBe(true);
      expect(xattrValues.some(([n]) => n.startsWith("trusted."))).toBe(true);
      expect(xattrValues.some(([n]) => n === "system.posix_acl_access")).toBe(true);
      expect(xattrValues.some(([n]) => n === "system.posix_acl_default")).toBe(true);
      for (const t of ["symlink", "chardev", "blockdev", "fifo", "socket", "dir"]) {
        expect(
          source.some((e) => e.type === t && e.xattrs),
          t,
        ).toBe(true);
      }
      for (const s of tree.sharedXattrs) expect(s.paths.length).toBeGreaterThanOrEqual(5);
    });

    test("the same seed gives the same tree; another seed a different one", () => {
      const small = { bigDirEntries: 50, depth: 5, largeFiles: 0 } as const;
      const a = listTree(generateTree(path.join(tmp, "det-a"), 42, small).root);
      const b = listTree(generateTree(path.join(tmp, "det-b"), 42, small).root);
      const c = listTree(generateTree(path.join(tmp, "det-c"), 43, small).root);
      expect(diffListings(a, b)).toEqual([]);
      expect(diffListings(a, c).length).toBeGreaterThan(0);
    });

    describe("through mkfs.erofs and fsck.erofs --extract", () => {
      test("default options: the extracted copy lists like the source, up to extractor limits", () => {
        const image = path.join(tmp, "default.img");
        mkfsErofs(image, tree.root);
        expect(fsckErofs(image).code).toBe(0);
        const out = path.join(tmp, "default-x");
        const r = fsckErofs(image, { extractTo: out });
        expect(r.code, r.stderr).toBe(0);
        expect(diffListings(source, listTree(out, { xattrs: false }), { mask: maskForExtract })).toEqual([]);

        // What the extractor cannot show, read from the image: hardlinks share one inode (nid)
        // whose link count is the group size...
        for (const group of tree.hardlinkGroups) {
          const nodes = group.map((p) => dumpInode(image, p));
          expect(new Set(nodes.map((n) => n.nid)).size, group.join(" ")).toBe(1);
          expect(nodes[0]?.links).toBe(group.length);
        }
        // ...setuid/setgid bits are stored (raw i_mode of the inode dump.erofs locates)...
        const suid = source.filter((e) => e.type !== "dir" && (e.mode & 0o6000) !== 0).slice(0, 15);
        expect(suid.length).toBeGreaterThan(0);
        for (const e of suid) {
          expect(rawInode(image, dumpInode(image, e.path).nid).mode & 0o7777, e.path).toBe(e.mode);
        }
        // ...and xattrs are there: shared ones take 4 bytes of the inode's xattr area instead of a
        // full inline entry (header 12 bytes; inline entry 4 + name suffix + value, 4-aligned).
        for (const s of tree.sharedXattrs) {
          for (const p of s.paths.slice(0, 3)) {
            const e = source.find((x) => x.path === p);
            const inline = Object.entries(e?.xattrs ?? {}).reduce(
              (sum, [n, v]) =>
                sum + ((4 + Buffer.byteLength(n.slice(n.indexOf(".") + 1)) + v.length / 2 + 3) & ~3),
              12,
            );
            expect(dumpInode(image, p).xattrSize, p).toBeLessThan(inline);
          }
        }
        const plain = source.find((e) => e.type === "file" && !e.xattrs);
        expect(dumpInode(image, plain?.path ?? "").xattrSize).toBe(0);
      });

      test("-T with --all-root: every inode is compact and takes the build time", () => {
        const variant = EROFS_VARIANTS.find((v) => v.name === "all-compact");
        const image = path.join(tmp, "compact.img");
        mkfsErofs(image, tree.root, variant?.args ?? []);
        expect(fsckErofs(image).code).toBe(0);
        for (const e of source.filter((x) => !x.path.startsWith("/many/")).slice(0, 40)) {
          expect(dumpInode(image, e.path).inodeSize, e.path).toBe(32);
        }
        const out = path.join(tmp, "compact-x");
        expect(fsckErofs(image, { extractTo: out }).code).toBe(0);
        const extracted = listTree(out, { xattrs: false });
        expect(new Set(extracted.map((e) => e.mtime))).toEqual(new Set([COMPACT_TIME]));
        expect(new Set(extracted.map((e) => e.uid + e.gid))).toEqual(new Set([0]));
      });

      test("--chunksize makes chunk-based files; --blobdev moves their data to the extra device", () => {
        const image = path.join(tmp, "chunk.img");
        const blob = path.join(tmp, "chunk.blob");
        mkfsErofs(image, tree.root, ["--chunksize=4096", `--blobdev=${blob}`]);
        expect(fsckErofs(image, { device: blob }).code).toBe(0);
        // EROFS_INODE_CHUNK_BASED = 4 (include/erofs_fs.h).
        expect(dumpInode(image, "/files/size-8193", blob).layout).toBe(4);
        // File data sits on the device and the image keeps metadata only. mkfs.erofs deduplicates
        // identical chunks, so the device is smaller than the sum of file sizes but holds at least the
        // largest (random, so chunk-unique) file.
        const largest = Math.max(...source.map((e) => e.size ?? 0));
        expect(fs.statSync(blob).size).toBeGreaterThanOrEqual(largest);
        expect(fs.statSync(blob).size).toBeLessThan(tree.bytes);
        expect(fs.statSync(image).size).toBeLessThan(tree.bytes / 4);
      });
    });
  },
);

describe("listing comparison helpers", () => {
  const file = (p: string, ino: number, extra: Partial<Entry> = {}): Entry => ({
    path: p,
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 1,
    nlink: 1,
    ino,
    size: 0,
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ...extra,
  });

  test("parseListing accepts what formatEntry writes and flags contract breaks", () => {
    const good = [file("/a", 1), file("/a/b", 2), file("/a-b", 3)];
    // Byte order, not locale order: "-" (0x2d) sorts before "/" (0x2f).
    const sorted = [good[0], good[2], good[1]] as Entry[];
    expect(parseListing(sorted.map(formatEntry).join("\n")).problems).toEqual([]);
    expect(parseListing(good.map(formatEntry).join("\n")).problems).toHaveLength(1);
    const reordered = '{"type":"file","path":"/x","mode":420,"uid":0,"gid":0,"mtime":1,"nlink":1,"ino":1}';
    expect(parseListing(reordered).problems[0]).toMatch(/key order/);
    expect(parseListing('{"path":"/x","colour":"red"}').problems[0]).toMatch(/unknown keys colour/);
    expect(parseListing("{not json").problems[0]).toMatch(/not JSON/);
  });

  test("diffListings reports field, presence and hardlink-structure differences only", () => {
    const a = [file("/x", 10, { nlink: 2 }), file("/y", 10, { nlink: 2 }), file("/z", 11)];
    // Different inode numbers, same structure: equal.
    expect(
      diffListings(a, [file("/x", 7, { nlink: 2 }), file("/y", 7, { nlink: 2 }), file("/z", 8)]),
    ).toEqual([]);
    // /y no longer shares /x's inode.
    const split = diffListings(a, [file("/x", 7, { nlink: 2 }), file("/y", 9, { nlink: 2 }), file("/z", 8)]);
    expect(split).toEqual(['"/y": ino expected "/x", got "/y"']);
    const changed = diffListings(a, [file("/x", 1, { nlink: 2, mode: 0o4644 }), file("/y", 1, { nlink: 2 })]);
    expect(changed).toEqual(['"/x": mode expected 420, got 2468', expect.stringMatching(/^"\/z": missing/)]);
    expect(diffListings([file("/x", 1)], [file("/x", 1), file("/w", 2)])[0]).toMatch(/^"\/w": unexpected/);
    // Xattr key order is free; values are not.
    const x1 = file("/x", 1, { xattrs: { "user.a": "01", "user.b": "" } });
    expect(diffListings([x1], [file("/x", 1, { xattrs: { "user.b": "", "user.a": "01" } })])).toEqual([]);
    expect(diffListings([x1], [file("/x", 1, { xattrs: { "user.a": "02", "user.b": "" } })])).toHaveLength(1);
    expect(diffListings([x1], [file("/x", 1)])).toHaveLength(1);
  });

  test("maskForExtract keeps what an extracted copy can show", () => {
    const e = file("/x", 5, { nlink: 3, mode: 0o6755, xattrs: { "user.a": "" } });
    expect(maskForExtract(e)).toEqual({
      ...file("/x", 0, { mode: 0o755 }),
      ino: undefined,
      nlink: undefined,
    });
    const d: Entry = { path: "/d", type: "dir", mode: 0o3777, uid: 1, gid: 2, mtime: 3, nlink: 4, ino: 9 };
    expect(maskForExtract(d)).toEqual({ ...d, ino: undefined });
  });
});
