// The node:fs/promises-like API: path resolution (chroot semantics, ELOOP after 40 hops, ENOTDIR,
// EISDIR, ENAMETOOLONG), error shapes, readdir, positional reads, streams, xattrs, walk, glob.
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type Image, openImage } from "@rafscan/vfs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltImage, buildErofs, HAVE_MKFS_EROFS } from "./support/erofs-image.js";

const BIG = randomBytes(300_000); // several 64 KiB chunks and a partial tail
const loop = Object.fromEntries(
  Array.from({ length: 41 }, (_, i) => [`chain/l${i}`, { symlink: `l${i + 1}` }]),
);

describe.skipIf(!HAVE_MKFS_EROFS)("Image API over a mkfs.erofs image", () => {
  let built: BuiltImage;
  let image: Image;
  beforeAll(async () => {
    built = buildErofs(
      {
        "etc/os-release": "ID=debian\n",
        "etc/empty": "",
        "usr/lib/big.bin": BIG,
        "usr/share/doc/a.txt": "a",
        "usr/share/doc/b.md": "b",
        "abs-link": { symlink: "/etc/os-release" },
        "rel-link": { symlink: "../../etc/os-release" },
        "dir-link": { symlink: "usr/share" },
        "up-link": { symlink: "../../../../.." },
        dangling: { symlink: "/nope" },
        self: { symlink: "self" },
        "chain/l41": "end of chain\n",
        ...loop,
        "chain/ok": { symlink: "l2" },
      },
      ["--chunksize=65536"],
    );
    image = await openImage({ bootstrap: built.image });
  });
  afterAll(async () => {
    await image?.close();
    built?.cleanup();
  });

  it("stat follows symlinks, lstat does not", async () => {
    expect((await image.stat("/abs-link")).isFile()).toBe(true);
    expect((await image.lstat("/abs-link")).isSymbolicLink()).toBe(true);
    expect((await image.stat("/dir-link")).isDirectory()).toBe(true);
    expect(await image.readlink("/rel-link")).toBe("../../etc/os-release");
  });

  it("resolves like a chroot: '..' at the root stays there, absolute targets start at the image root", async () => {
    expect(await image.realpath("/../../etc/./os-release")).toBe("/etc/os-release");
    expect(await image.realpath("/rel-link")).toBe("/etc/os-release");
    expect(await image.realpath("/up-link")).toBe("/");
    expect(await image.realpath("/dir-link/doc/../doc/a.txt")).toBe("/usr/share/doc/a.txt");
    expect(await image.readFile("/abs-link", { encoding: "utf8" })).toBe("ID=debian\n");
    expect(await image.realpath("etc")).toBe("/etc");
  });

  it("raises node:fs-shaped errors", async () => {
    await expect(image.stat("/nope")).rejects.toMatchObject({
      code: "ENOENT",
      errno: -2,
      syscall: "stat",
      path: "/nope",
      message: "ENOENT: no such file or directory, stat '/nope'",
    });
    await expect(image.stat("/dangling")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(image.lstat("/dangling")).resolves.toBeDefined();
    await expect(image.stat("/etc/os-release/x")).rejects.toMatchObject({ code: "ENOTDIR", errno: -20 });
    await expect(image.stat("/etc/os-release/")).rejects.toMatchObject({ code: "ENOTDIR" });
    await expect(image.readFile("/etc")).rejects.toMatchObject({ code: "EISDIR", errno: -21 });
    await expect(image.readdir("/etc/os-release")).rejects.toMatchObject({
      code: "ENOTDIR",
      syscall: "scandir",
    });
    await expect(image.readlink("/etc/os-release")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(image.stat(`/${"x".repeat(256)}`)).rejects.toMatchObject({ code: "ENAMETOOLONG" });
    await expect(image.stat(`/${"a/".repeat(2100)}`)).rejects.toMatchObject({ code: "ENAMETOOLONG" });
    await expect(image.getxattr("/etc/os-release", "user.nope")).rejects.toMatchObject({ code: "ENODATA" });
    expect(await image.exists("/nope")).toBe(false);
    expect(await image.exists("/abs-link")).toBe(true);
  });

  it("gives ELOOP after 40 symlink hops and follows chains of up to 40", async () => {
    await expect(image.stat("/self")).rejects.toMatchObject({ code: "ELOOP", errno: -40 });
    // l0 -> l1 -> ... -> l41 (a file): 41 hops, one too many.
    await expect(image.stat("/chain/l0")).rejects.toMatchObject({ code: "ELOOP" });
    // ok -> l2 -> ... -> l41: 40 hops, exactly the limit.
    expect(await image.readFile("/chain/ok", { encoding: "utf8" })).toBe("end of chain\n");
  });

  it("reads directories by name and with file types, in byte order", async () => {
    expect(await image.readdir("/usr/share/doc")).toEqual(["a.txt", "b.md"]);
    const entries = await image.readdir("/", { withFileTypes: true });
    const byName = Object.fromEntries(entries.map((d) => [d.name, d]));
    expect(byName.etc?.isDirectory()).toBe(true);
    expect(byName["abs-link"]?.isSymbolicLink()).toBe(true);
    expect(byName.etc?.parentPath).toBe("/");
    const names = entries.map((d) => d.name);
    expect([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(names);
  });

  it("reads whole files, empty files and files spanning many chunks", async () => {
    expect((await image.readFile("/etc/empty")).length).toBe(0);
    const big = await image.readFile("/usr/lib/big.bin");
    expect(Buffer.compare(big, BIG)).toBe(0);
    expect(Buffer.compare(big, await readFile(`${built.tree}/usr/lib/big.bin`))).toBe(0);
  });

  it("random positional reads equal slices of the whole file", async () => {
    const fh = await image.open("/usr/lib/big.bin");
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(BIG.length + 100), fc.nat(200_000), async (pos, len) => {
          const buf = Buffer.alloc(len);
          const { bytesRead } = await fh.read(buf, 0, len, pos);
          const want = BIG.subarray(Math.min(pos, BIG.length), Math.min(pos + len, BIG.length));
          expect(bytesRead).toBe(want.length);
          expect(Buffer.compare(buf.subarray(0, bytesRead), want)).toBe(0);
        }),
        { numRuns: 60 },
      );
      // Sequential reads advance the file position.
      const a = Buffer.alloc(10);
      const b = Buffer.alloc(10);
      const fh2 = await image.open("/usr/lib/big.bin");
      await fh2.read(a, 0, 10, null);
      await fh2.read(b, 0, 10, null);
      expect(Buffer.concat([a, b]).equals(BIG.subarray(0, 20))).toBe(true);
      await fh2.close();
      await expect(fh2.read(a, 0, 1, 0)).rejects.toMatchObject({ code: "EBADF" });
    } finally {
      await fh.close();
    }
  });

  it("streams a file, or an inclusive byte range of it", async () => {
    const hash = createHash("sha256");
    for await (const chunk of image.createReadStream("/usr/lib/big.bin", { highWaterMark: 70_000 }))
      hash.update(chunk);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(BIG).digest("hex"));
    const parts: Buffer[] = [];
    for await (const chunk of image.createReadStream("/usr/lib/big.bin", { start: 65_530, end: 65_545 }))
      parts.push(chunk);
    expect(Buffer.concat(parts).equals(BIG.subarray(65_530, 65_546))).toBe(true);
  });

  it("walks depth-first in name order and prunes where asked", async () => {
    const all: string[] = [];
    for await (const e of image.walk("/usr")) all.push(e.path);
    expect(all).toEqual([
      "/usr",
      "/usr/lib",
      "/usr/lib/big.bin",
      "/usr/share",
      "/usr/share/doc",
      "/usr/share/doc/a.txt",
      "/usr/share/doc/b.md",
    ]);
    const pruned: string[] = [];
    for await (const e of image.walk("/usr", { descend: (w) => w.path !== "/usr/share" }))
      pruned.push(e.path);
    expect(pruned).toEqual(["/usr", "/usr/lib", "/usr/lib/big.bin", "/usr/share"]);
  });

  it("walkSync yields exactly what walk yields", async () => {
    const asyncPaths: string[] = [];
    for await (const e of image.walk("/")) asyncPaths.push(`${e.path} ${e.stats.ino} ${e.depth}`);
    const syncPaths = [...image.walkSync("/")].map((e) => `${e.path} ${e.stats.ino} ${e.depth}`);
    expect(syncPaths).toEqual(asyncPaths);
    expect(syncPaths.length).toBeGreaterThan(50);
  });

  it("globs from the pattern's static base", async () => {
    const found: string[] = [];
    for await (const p of image.glob("/usr/**/*.txt")) found.push(p);
    expect(found).toEqual(["/usr/share/doc/a.txt"]);
    const rel: string[] = [];
    for await (const p of image.glob("etc/*")) rel.push(p);
    expect(rel).toEqual(["/etc/empty", "/etc/os-release"]);
    const none: string[] = [];
    for await (const p of image.glob("/missing/**")) none.push(p);
    expect(none).toEqual([]);
  });

  it("honours an aborted signal", async () => {
    const ac = new AbortController();
    ac.abort();
    const walk = async () => {
      for await (const _ of image.walk("/", { signal: ac.signal })) {
        // never reached
      }
    };
    await expect(walk()).rejects.toMatchObject({ name: "AbortError" });
  });
});
