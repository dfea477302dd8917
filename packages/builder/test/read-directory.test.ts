// Tests of readDirectory: a real tree with every entry type against what the test made, the walk
// order, xattrs through getfattr (and without it), GNU tar's archive of the same tree, and files
// that change, vanish or cannot be named while the tree is read.
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, BuildErrorCode, type BuildWarning } from "../src/input/build-error.js";
import { readDirectory, splitDev } from "../src/input/read-directory.js";
import { readTar } from "../src/input/read-tar.js";
import type { SourceEntry } from "../src/source.js";
import {
  type ExpectedEntry,
  HAVE_GETFATTR,
  HAVE_SETFATTR,
  IS_ROOT,
  makeSampleTree,
  noise,
  sha256,
} from "./helpers/sample-tree.js";
import { collect, type ReadEntry } from "./helpers/tar-craft.js";

const HAVE_XATTR_TOOLS = HAVE_GETFATTR && HAVE_SETFATTR;
const HAVE_GNU_TAR = /GNU tar/.test(spawnSync("tar", ["--version"], { encoding: "utf8" }).stdout ?? "");
if (!HAVE_XATTR_TOOLS)
  console.warn("xattr checks of readDirectory skipped: getfattr/setfattr (package attr) missing");

let work: string;
let tree: string;
let expected: Map<string, ExpectedEntry>;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rafscan-read-dir-"));
  tree = join(work, "tree");
  mkdirSync(tree);
  expected = makeSampleTree(tree, { xattrs: HAVE_XATTR_TOOLS, long: true, devices: IS_ROOT });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function buildError(fn: () => Promise<unknown>): Promise<BuildError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof BuildError) return err;
    throw err;
  }
  throw new Error("expected a BuildError, got success");
}

/** Depth-first order with siblings by name bytes, computed from the paths alone. */
function walkOrder(paths: string[]): string[] {
  const key = (p: string) => (p === "" ? [] : p.split("/").map((c) => Buffer.from(c)));
  return [...paths].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = Buffer.compare(x[i] as Buffer, y[i] as Buffer);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  });
}

function view(e: ReadEntry | ExpectedEntry) {
  const content = "content" in e ? e.content : undefined;
  return {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: [e.mtimeSec, e.mtimeNsec],
    target: e.target,
    rdev: e.rdev,
    xattrs: Object.fromEntries([...e.xattrs].map(([k, v]) => [k, Buffer.from(v).toString("hex")])),
    content: e.type === "file" ? sha256(content ?? Buffer.alloc(0)) : undefined,
  };
}

describe("a tree with every entry type", () => {
  it("yields what the test made, in depth-first byte order", async () => {
    const warnings: BuildWarning[] = [];
    const entries = await collect(readDirectory(tree, { onWarning: (w) => warnings.push(w) }));
    expect(warnings).toEqual([]);
    expect(entries.map((e) => e.path)).toEqual(walkOrder([...expected.keys()]));
    for (const e of entries) expect(view(e)).toEqual(view(expected.get(e.path) as ExpectedEntry));
    for (const e of entries) expect(e.size).toBe(e.type === "file" ? (e.content?.length ?? 0) : 0);
    // The surrogate-pair name sorts after U+FFEE, as its UTF-8 bytes do (not as UTF-16 would).
    const names = entries.filter((e) => e.path.startsWith("names/")).map((e) => e.path.slice(6));
    expect(names.indexOf("\u{1f600}")).toBeGreaterThan(names.indexOf("\uffee"));
  });

  it.skipIf(!HAVE_GNU_TAR)(
    "matches readTar of GNU tar's PAX archive of the same tree, entry for entry",
    async () => {
      const out = join(work, "tree.tar");
      const r = spawnSync(
        "tar",
        ["--format=pax", "--xattrs", "--xattrs-include=*", "--sort=name", "-cpf", out, "-C", tree, "."],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      const fromDir = (await collect(readDirectory(tree))).map(view);
      const fromTar = (await collect(readTar(out))).map(view);
      // GNU tar cannot archive sockets; the sample tree has none.
      expect(fromTar).toEqual(fromDir);
    },
  );

  it("reads sockets, hardlinked symlinks, xattrs on odd names; splits device numbers like glibc", async () => {
    const dir = mkdtempSync(join(work, "odd-"));
    const sock = join(dir, "sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      symlinkSync("target", join(dir, "s1"));
      linkSync(join(dir, "s1"), join(dir, "s2"));
      const odd = "new\nline\\back=eq";
      writeFileSync(join(dir, odd), "x");
      if (HAVE_XATTR_TOOLS) {
        const set = spawnSync("setfattr", ["-n", "user.q", "-v", "0x0a5c3d", join(dir, odd)]);
        expect(set.status).toBe(0);
      }
      const entries = await collect(readDirectory(dir));
      expect(entries.map((e) => [e.path, e.type, e.target])).toEqual([
        ["", "dir", undefined],
        [odd, "file", undefined],
        ["s1", "symlink", "target"],
        ["s2", "hardlink", "s1"],
        ["sock", "socket", undefined],
      ]);
      if (HAVE_XATTR_TOOLS) {
        expect(Buffer.from(entries[1]?.xattrs.get("user.q") ?? []).toString("hex")).toBe("0a5c3d");
      }
    } finally {
      server.close();
    }
    // glibc makedev(0x12345, 0xabcdef) = major bits 8-19 and 32-43, minor bits 0-7 and 20-31.
    const major = 0x12345n;
    const minor = 0xabcdefn;
    const dev =
      ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
    expect(splitDev(dev)).toBeUndefined();
    const small = ((0x123n & 0xfffn) << 8n) | (0x45n & 0xffn) | ((0x12345n & ~0xffn) << 12n);
    expect(splitDev(small)).toEqual({ major: 0x123, minor: 0x12345 });
  });
});

describe("xattrs without getfattr", () => {
  it("warns once and reads none when the command is missing", async () => {
    const warnings: BuildWarning[] = [];
    const entries = await collect(
      readDirectory(tree, { getfattr: "/nonexistent/getfattr", onWarning: (w) => warnings.push(w) }),
    );
    expect(warnings.map((w) => w.code)).toEqual(["XATTRS_UNAVAILABLE"]);
    expect(warnings[0]?.message).toContain("not found");
    expect(entries.every((e) => e.xattrs.size === 0)).toBe(true);
    expect(entries.length).toBe(expected.size);
  });

  it("reads none, silently, with getfattr: false", async () => {
    const warnings: BuildWarning[] = [];
    const entries = await collect(
      readDirectory(tree, { getfattr: false, onWarning: (w) => warnings.push(w) }),
    );
    expect(warnings).toEqual([]);
    expect(entries.every((e) => e.xattrs.size === 0)).toBe(true);
  });
});

describe("files that change while the tree is read", () => {
  /** The entry of `name` in a fresh directory holding one file of `size` bytes. */
  async function fileEntry(size: number): Promise<{ dir: string; entry: SourceEntry; file: string }> {
    const dir = mkdtempSync(join(work, "change-"));
    const file = join(dir, "f");
    writeFileSync(file, noise(size, 3));
    for await (const entry of readDirectory(dir, { getfattr: false })) {
      if (entry.path === "f") return { dir, entry, file };
    }
    throw new Error("f not found");
  }
  const drain = async (e: SourceEntry) => {
    for await (const _ of e.data ?? []) void _;
  };

  it("reads exactly size bytes of an unchanged file", async () => {
    const { entry } = await fileEntry(2 * 1024 * 1024 + 5);
    let n = 0;
    for await (const piece of entry.data ?? []) n += piece.length;
    expect(n).toBe(2 * 1024 * 1024 + 5);
  });

  it("BUILD_IO when a file shrank, grew, was replaced or removed", async () => {
    const cases: [(file: string) => void, string][] = [
      [(f) => truncateSync(f, 1000), "shrank"],
      [(f) => appendFileSync(f, "more"), "grew"],
      [
        (f) => {
          // Made while the old inode still exists, so its inode number differs.
          writeFileSync(`${f}.new`, readFileSync(f));
          renameSync(`${f}.new`, f);
        },
        "replaced",
      ],
      [(f) => unlinkSync(f), "ENOENT"],
    ];
    // Small files are read in one synchronous go, large ones in a loop: both paths.
    for (const [[change, text], size] of cases.flatMap(
      (c) =>
        [
          [c, 3000],
          [c, 3 * 1024 * 1024],
        ] as const,
    )) {
      const { dir, entry, file } = await fileEntry(size);
      change(file);
      const err = await buildError(() => drain(entry));
      expect(err.code).toBe(BuildErrorCode.IO);
      expect(err.path).toBe("f");
      expect(err.input).toBe(dir);
      expect(err.message).toContain(text);
    }
  });
});

describe("bad roots and names", () => {
  it("BUILD_IO for a missing root, BUILD_BAD_INPUT for a file; a symlink to a directory is followed", async () => {
    const missing = await buildError(() => collect(readDirectory(join(work, "nope"))));
    expect(missing.code).toBe(BuildErrorCode.IO);
    expect(missing.message).toContain("ENOENT");
    const file = join(work, "plain-file");
    writeFileSync(file, "x");
    expect((await buildError(() => collect(readDirectory(file)))).code).toBe(BuildErrorCode.BAD_INPUT);
    const link = join(work, "tree-link");
    symlinkSync(tree, link);
    const viaLink = await collect(readDirectory(link, { getfattr: false }));
    expect(viaLink.length).toBe(expected.size);
  });

  it("refuses a name that is not UTF-8, naming it", async () => {
    const dir = mkdtempSync(join(work, "latin1-"));
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9])]), "x");
    const err = await buildError(() => collect(readDirectory(dir, { getfattr: false })));
    expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(err.path).toBe("caf\ufffd");
    expect(err.message).toContain("UTF-8");
  });

  it("stops on abort", async () => {
    const ac = new AbortController();
    await expect(async () => {
      for await (const e of readDirectory(tree, { signal: ac.signal, getfattr: false }))
        if (e.path === "dir") ac.abort();
    }).rejects.toThrow(/abort/i);
  });
});
