// Regressions of issue 10 (hardening): an extraction escape through a planted symlink, RAFS v5
// inodes and directories that misled readers, EROFS device numbering, credentials sent to a
// cross-host token realm over HTTP, the code of lying bytes, and two layer-merge gaps of the builder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildResult, buildImage, type SourceEntry } from "@rafscan/builder";
import { decodeTocEntries } from "@rafscan/rafs";
import { RegistryClient } from "@rafscan/registry";
import { type BlobSource, FileBlobSource, openImage } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTRY_BIN, startRegistry } from "../packages/registry/test/helpers/registry-server.js";
import { HAVE_OPENSSL, startTokenServer } from "../packages/registry/test/helpers/token-server.js";
import { buildErofs, HAVE_MKFS_EROFS } from "./support/erofs-image.js";
import { HAVE_FIXTURES, TOC_BLOB } from "./support/fixtures.js";
import { jsonLines, runCli } from "./support/run-cli.js";

const enc = new TextEncoder();
let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rafscan-issue10-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function entry(path: string, type: SourceEntry["type"], extra: Partial<SourceEntry> = {}): SourceEntry {
  return {
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtimeSec: 1_700_000_000,
    mtimeNsec: 0,
    size: 0,
    xattrs: new Map(),
    ...extra,
  };
}

function file(path: string, text: string): SourceEntry {
  const bytes = enc.encode(text);
  return entry(path, "file", {
    size: bytes.length,
    data: (async function* () {
      yield bytes;
    })(),
  });
}

async function* layer(entries: SourceEntry[]): AsyncGenerator<SourceEntry> {
  yield* entries;
}

let built = 0;
/** Builds `layers` into a fresh directory; returns the image and its blob directory. */
async function build(
  layers: SourceEntry[][],
  options: { fsVersion?: 5 | 6; compressor?: "none" | "zstd" } = {},
): Promise<BuildResult & { blobDir: string }> {
  const outDir = join(work, `image-${built++}`);
  const image = await buildImage(
    layers.map((l) => layer(l)),
    {
      outDir,
      fsVersion: options.fsVersion ?? 6,
      compressor: options.compressor ?? "none",
      digester: "sha256",
    },
  );
  mkdirSync(join(outDir, "blobs"), { recursive: true });
  return { ...image, blobDir: join(outDir, "blobs") };
}

/** Offset of the v5 inode record whose name is `name` (the name follows the 128-byte record). */
function v5Record(bootstrap: Uint8Array, name: string): number {
  const needle = Buffer.from(`${name}\0`);
  const at = Buffer.from(bootstrap).indexOf(needle);
  if (at < 128 || Buffer.from(bootstrap).indexOf(needle, at + 1) !== -1)
    throw new Error(`name ${name} not unique in the bootstrap`);
  return at - 128;
}

describe("extract", () => {
  it("extract of PATH does not create it through a symlink an earlier extract planted outside DEST", async () => {
    const outside = join(work, "outside");
    mkdirSync(outside);
    const a = await build([[entry("", "dir"), entry("k", "symlink", { target: outside })]]);
    const b = await build([[entry("", "dir"), entry("k", "dir"), file("k/pwned", "owned")]]);
    const dest = join(work, "dest");
    expect(runCli(["extract", a.bootstrap, dest, "--blob-dir", a.blobDir]).status).toBe(0);
    const r = runCli(["extract", b.bootstrap, dest, "/k/pwned", "--blob-dir", b.blobDir]);
    expect(existsSync(join(outside, "pwned"))).toBe(false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("BUILD_UNSAFE_PATH");
    // The whole image fails the same way: /k is a directory in B but a symlink in DEST.
    const all = runCli(["extract", b.bootstrap, dest, "--blob-dir", b.blobDir]);
    expect(all.status).toBe(1);
    expect(existsSync(join(outside, "pwned"))).toBe(false);
  });
});

describe("RAFS v5 inode identity", () => {
  // Two hardlink pairs; the second pair's i_ino is then set to the first's.
  async function sharedIno(): Promise<{ bootstrap: string; blobDir: string }> {
    const img = await build(
      [
        [
          entry("", "dir"),
          file("one-a", "first file"),
          entry("one-b", "hardlink", { target: "one-a" }),
          file("two-a", "second, other file"),
          entry("two-b", "hardlink", { target: "two-a" }),
        ],
      ],
      { fsVersion: 5 },
    );
    const bytes = new Uint8Array(readFileSync(img.bootstrap));
    const view = new DataView(bytes.buffer);
    const ino = view.getBigUint64(v5Record(bytes, "one-a") + 40, true);
    for (const name of ["two-a", "two-b"]) view.setBigUint64(v5Record(bytes, name) + 40, ino, true);
    const bootstrap = join(work, `shared-ino-${built}.boot`);
    writeFileSync(bootstrap, bytes);
    return { bootstrap, blobDir: img.blobDir };
  }

  it("check reports an i_ino shared by two different files as RAFS_CORRUPT", async () => {
    const { bootstrap, blobDir } = await sharedIno();
    const r = runCli(["check", bootstrap, "--blob-dir", blobDir, "--json"]);
    expect(r.status).toBe(1);
    const [summary] = jsonLines<{ problems: { path: string; code: string }[] }>(r.stdout);
    expect(summary?.problems).toContainEqual(
      expect.objectContaining({ path: "/two-a", code: "RAFS_CORRUPT" }),
    );
  });

  it("extract does not hardlink a different file that shares an i_ino", async () => {
    const { bootstrap, blobDir } = await sharedIno();
    const dest = join(work, "dest-ino");
    const r = runCli(["extract", bootstrap, dest, "--blob-dir", blobDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("RAFS_CORRUPT");
    const a = join(dest, "one-a");
    const b = join(dest, "two-a");
    if (existsSync(b)) {
      expect(statSync(b).ino).not.toBe(statSync(a).ino);
      expect(readFileSync(b, "utf8")).toBe("second, other file");
    }
  });

  it("real hardlinks still check and extract as one inode", async () => {
    const img = await build(
      [[entry("", "dir"), file("a", "same"), entry("b", "hardlink", { target: "a" })]],
      { fsVersion: 5 },
    );
    expect(runCli(["check", img.bootstrap, "--blob-dir", img.blobDir]).status).toBe(0);
    const dest = join(work, "dest-links");
    expect(runCli(["extract", img.bootstrap, dest, "--blob-dir", img.blobDir]).status).toBe(0);
    expect(statSync(join(dest, "b")).ino).toBe(statSync(join(dest, "a")).ino);
  });
});

describe("RAFS v5 directory order", () => {
  async function renamed(from: string, to: string): Promise<{ bootstrap: string; blobDir: string }> {
    const img = await build(
      [[entry("", "dir"), entry("d", "dir"), file("d/entry-1", "one"), file("d/entry-2", "two")]],
      { fsVersion: 5 },
    );
    const bytes = new Uint8Array(readFileSync(img.bootstrap));
    bytes.set(enc.encode(to), v5Record(bytes, from) + 128);
    const bootstrap = join(work, `renamed-${built}.boot`);
    writeFileSync(bootstrap, bytes);
    return { bootstrap, blobDir: img.blobDir };
  }

  it("a v5 directory with two entries of one name is RAFS_CORRUPT naming the directory", async () => {
    const { bootstrap, blobDir } = await renamed("entry-2", "entry-1");
    const image = await openImage({ bootstrap });
    await expect(image.readdir("/d")).rejects.toMatchObject({
      code: "RAFS_CORRUPT",
      message: expect.stringMatching(/duplicate entry name "entry-1".*"d"/),
    });
    const r = runCli(["check", bootstrap, "--blob-dir", blobDir, "--json"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("RAFS_CORRUPT");
    const ls = runCli(["ls", bootstrap, "/d", "--blob-dir", blobDir, "--sha256"]);
    expect(ls.status).not.toBe(0);
    expect(ls.stderr).toContain("RAFS_CORRUPT");
  });

  it("an unsorted v5 directory is RAFS_CORRUPT, not entries that lookup then misses", async () => {
    const { bootstrap } = await renamed("entry-1", "entry-9");
    const image = await openImage({ bootstrap });
    await expect(image.readdir("/d")).rejects.toMatchObject({ code: "RAFS_CORRUPT" });
    await expect(image.stat("/d/entry-9")).rejects.toMatchObject({ code: "RAFS_CORRUPT" });
  });
});

describe.skipIf(!HAVE_MKFS_EROFS)("EROFS extra devices", () => {
  it('the first extra device is keyed "1", as the format numbers devices', async () => {
    const dev = join(work, "erofs.dev");
    const built = buildErofs({ "f.txt": "x".repeat(9000) }, ["--chunksize=4096", `--blobdev=${dev}`]);
    try {
      const missing = await openImage({ bootstrap: built.image });
      await expect(missing.readFile("/f.txt")).rejects.toMatchObject({
        code: "RAFS_BLOB_MISSING",
        message: expect.stringContaining("device 1"),
      });
      const image = await openImage({ bootstrap: built.image, blobs: { "1": new FileBlobSource(dev) } });
      expect(Buffer.from(await image.readFile("/f.txt")).toString()).toBe("x".repeat(9000));
      await image.close();
    } finally {
      built.cleanup();
    }
  });
});

describe("lying bytes", () => {
  it("chunk bytes that do not decompress fail as RAFS_DIGEST_MISMATCH, as docs/errors.md says", async () => {
    const img = await build([[entry("", "dir"), file("f", "compressible ".repeat(500))]], {
      fsVersion: 5,
      compressor: "zstd",
    });
    const id = img.blobs[0]?.id as string;
    // A server or cache that answers every range with other bytes of the right length.
    const liar: BlobSource = { read: async (_offset, length) => new Uint8Array(length).fill(0x55) };
    const image = await openImage({ bootstrap: img.bootstrap, blobs: { [id]: liar } });
    await expect(image.readFile("/f")).rejects.toMatchObject({ code: "RAFS_DIGEST_MISMATCH" });
  });
});

describe.skipIf(!HAVE_FIXTURES)("lying bytes in a TOC blob", () => {
  it("an image.boot that does not decompress fails as RAFS_DIGEST_MISMATCH (the TOC records its sha256)", async () => {
    const blob = new Uint8Array(readFileSync(TOC_BLOB));
    // The TOC is the tail section before the last 512-byte tar header; find image.boot in it.
    const tocSize = Number.parseInt(
      Buffer.from(blob.subarray(blob.length - 512 + 124, blob.length - 512 + 136))
        .toString()
        .trim(),
      8,
    );
    const entries = decodeTocEntries(blob.subarray(blob.length - 512 - tocSize, blob.length - 512));
    const boot = entries.find((e) => e.name === "image.boot");
    if (boot === undefined) throw new Error("the TOC fixture has no image.boot");
    blob.fill(0x55, boot.compressedOffset, boot.compressedOffset + 8); // no codec frame starts so
    const path = join(work, "lying-toc.blob");
    writeFileSync(path, blob);
    await expect(openImage({ bootstrap: path })).rejects.toMatchObject({ code: "RAFS_DIGEST_MISMATCH" });
  });
});

describe("builder layer merge", () => {
  it("convert accepts a hardlink in layer 2 to a file of layer 1", async () => {
    const img = await build([
      [entry("", "dir"), file("a", "from layer one")],
      [entry("b", "hardlink", { target: "a" })],
    ]);
    const image = await openImage({ bootstrap: img.bootstrap, blobs: blobSources(img) });
    expect(Buffer.from(await image.readFile("/b")).toString()).toBe("from layer one");
    expect((await image.stat("/b")).ino).toBe((await image.stat("/a")).ino);
  });

  it("an entry under a lower layer's symlink is written through it, and the symlink stays", async () => {
    const img = await build([
      [
        entry("", "dir"),
        entry("usr", "dir"),
        entry("usr/lib", "dir"),
        entry("lib", "symlink", { target: "usr/lib" }),
      ],
      [file("lib/libx.so", "library")],
    ]);
    const image = await openImage({ bootstrap: img.bootstrap, blobs: blobSources(img) });
    expect((await image.lstat("/lib")).isSymbolicLink()).toBe(true);
    expect(Buffer.from(await image.readFile("/usr/lib/libx.so")).toString()).toBe("library");
  });
});

function blobSources(img: BuildResult): Record<string, BlobSource> {
  return Object.fromEntries(img.blobs.map((b) => [b.id, new FileBlobSource(b.path)]));
}

describe.skipIf(REGISTRY_BIN === undefined || !HAVE_OPENSSL)("token realm on another host", () => {
  const USER = { username: "alice", password: "s3cret" };
  it("Basic credentials go to a plain-HTTP realm on another host only with allowCrossOriginRealm", async () => {
    const tokens = await startTokenServer({ users: { [USER.username]: USER.password } });
    // The challenge names the token server as "localhost": the same socket, another host name.
    const realm = tokens.realm.replace("127.0.0.1", "localhost");
    const registry = await startRegistry({ tokenAuth: { ...tokens, realm } });
    try {
      const refused = new RegistryClient(registry.host, { insecure: true, ...USER });
      await expect(refused.ping()).rejects.toMatchObject({ code: "REGISTRY_PROTOCOL" });
      expect(tokens.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
      const allowed = new RegistryClient(registry.host, {
        insecure: true,
        allowCrossOriginRealm: true,
        ...USER,
      });
      await allowed.ping();
      expect(tokens.requests.some((r) => r.account === USER.username)).toBe(true);
    } finally {
      await registry.stop();
      await tokens.stop();
    }
  });
});
