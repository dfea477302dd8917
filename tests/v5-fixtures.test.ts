// RAFS v5 ground truth: the repeatable images made by the real nydus-image, their .result
// listings, md5/sha256 of every file, chunk and inode facts from the format reference (section 7).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { openBootstrap, RafsError } from "@rafscan/rafs";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, HAVE_FIXTURES, V5_BLAKE3, V5_BLOBS, V5_LEGACY, V5_SHA256 } from "./support/fixtures.js";

const BLOB_ID = "7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00";

interface TreeNode {
  type: string;
  name: string;
  target?: string;
  contents?: TreeNode[];
}

/** Our listing in the shape `tree -J` wrote into the .result files. */
async function treeJson(image: Image, dir: string, name: string): Promise<TreeNode> {
  const contents: TreeNode[] = [];
  for (const d of await image.readdir(dir, { withFileTypes: true })) {
    const p = dir === "/" ? `/${d.name}` : `${dir}/${d.name}`;
    if (d.isDirectory()) contents.push(await treeJson(image, p, d.name));
    else if (d.isSymbolicLink())
      contents.push({ type: "link", name: d.name, target: await image.readlink(p), contents: [] });
    else contents.push({ type: "file", name: d.name });
  }
  return { type: "directory", name, contents };
}

function parseResult(path: string): { tree: TreeNode; md5: Map<string, string> } {
  const text = readFileSync(path, "utf8");
  const end = text.indexOf("\n]\n") + 3;
  const [tree] = JSON.parse(text.slice(0, end)) as TreeNode[];
  const md5 = new Map<string, string>();
  for (const line of text.slice(end).split("\n")) {
    const m = /^([0-9a-f]{32}) {2}(\/.*)$/.exec(line);
    if (m?.[1] && m[2]) md5.set(m[2], m[1]);
  }
  if (!tree) throw new Error(`no tree in ${path}`);
  return { tree, md5 };
}

describe.skipIf(!HAVE_FIXTURES).each([
  ["sha256", V5_SHA256],
  ["blake3", V5_BLAKE3],
])("RAFS v5 %s repeatable image", (digester, bootstrap) => {
  let image: Image;
  beforeAll(async () => {
    image = await openImage({
      bootstrap,
      blobs: { [BLOB_ID]: new FileBlobSource(`${V5_BLOBS}/${BLOB_ID}`) },
    });
  });
  afterAll(() => image.close());

  it("decodes the superblock facts nydus-image wrote", () => {
    const info = image.info;
    expect(info.format).toBe("v5");
    expect(info.chunkSize).toBe(0x100000);
    expect(info.compressor).toBe("none");
    expect(info.digester).toBe(digester);
    expect(info.blobs).toHaveLength(1);
    expect(info.blobs[0]).toMatchObject({
      id: BLOB_ID,
      chunkCount: 23,
      compressedSize: 3508766,
      uncompressedSize: 3508766,
    });
  });

  it("lists exactly the tree of its .result file", async () => {
    const { tree } = parseResult(`${bootstrap}.result`);
    expect(await treeJson(image, "/", "")).toEqual(tree);
  });

  it("reads every file with the md5 of its .result file", async () => {
    const { md5 } = parseResult(`${bootstrap}.result`);
    expect(md5.size).toBe(23);
    for (const [path, sum] of md5) {
      const data = await image.readFile(path);
      expect(createHash("md5").update(data).digest("hex"), path).toBe(sum);
    }
  });

  it("matches the reference's facts on hardlinks, holes and symlinks", async () => {
    const links = ["/hardlink-test/foo", "/hardlink-test/test.sh", "/normal-file-test/test.sh"];
    const stats = await Promise.all(links.map((p) => image.stat(p)));
    for (const st of stats) expect(st).toMatchObject({ ino: 5, nlink: 3, size: 944 });
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(sha(await image.readFile(links[0] as string))).toBe(
      "fff49cf6925f933ae4e834b5d88d25ed06d40f3d70ff9b1916070596bf5649eb",
    );
    const hole = await image.readFile("/normal-file-test/holefiles/head-hole-1");
    expect(hole.length).toBe(2097159);
    expect(hole.subarray(-7).toString()).toBe("foobar\n");
    expect(sha(hole)).toBe("97cc2c7a60468144b316c68ee9b9ac964f40928434011ab7ab6c4615647beac0");
    const layer =
      "/normal-file-test/busybox/1f777dbdd68d1c4d554bc0d20e027bfef9ed2dfe2d8d5f029e958552a0e12475/layer.tar";
    expect(sha(await image.readFile(layer))).toBe(
      "0b97b1c81a3200e9eeb87f17a5d25a50791a16fa08fc41eb94ad15f26516ccea",
    );
    expect(await image.readlink("/symlink-test/root-1")).toBe("/".repeat(17));
    expect(await image.realpath("/symlink-test/root-1")).toBe("/");
    expect(await image.realpath("/symlink-test/test.sh")).toBe("/normal-file-test/test.sh");
    // "../../fc/foo" climbs above the root, which stays the root (chroot semantics).
    await expect(image.stat("/symlink-test/foo1")).rejects.toMatchObject({ code: "ENOENT", syscall: "stat" });
  });

  it("verifies every chunk against its digest", async () => {
    const chunks = new Map<number, string>();
    for await (const e of image.walk("/")) {
      if (!e.stats.isFile()) continue;
      for (const ext of await image.fileExtents(e.path)) {
        if (ext.kind !== "chunk") throw new Error("v5 files are made of chunks");
        await image.readChunk(ext.chunk);
        chunks.set(ext.chunk.chunkIndex, Buffer.from(ext.chunk.digest ?? []).toString("hex"));
      }
    }
    expect(chunks.size).toBe(23);
    expect(image.stats.chunksVerified).toBe(23);
  });

  it("refuses a chunk whose bytes do not match its digest", async () => {
    const blob = readFileSync(`${V5_BLOBS}/${BLOB_ID}`);
    blob[100] = (blob[100] ?? 0) ^ 0xff; // inside chunk 0 (the 944-byte `foo`)
    const { MemoryBlobSource } = await import("@rafscan/vfs");
    const bad = await openImage({ bootstrap, blobs: { [BLOB_ID]: new MemoryBlobSource(blob) } });
    await expect(bad.readFile("/hardlink-test/foo")).rejects.toMatchObject({ code: "RAFS_DIGEST_MISMATCH" });
    const unchecked = await openImage({
      bootstrap,
      blobs: { [BLOB_ID]: new MemoryBlobSource(blob) },
      verify: false,
    });
    expect((await unchecked.readFile("/hardlink-test/foo"))[100]).toBe(blob[100]);
  });
});

describe.skipIf(!HAVE_FIXTURES)("legacy-layout v5 bootstrap", () => {
  it("is refused with a typed UNSUPPORTED error naming the layout, never misread", () => {
    const bytes = readFileSync(V5_LEGACY);
    let err: unknown;
    try {
      openBootstrap(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RafsError);
    expect(err).toMatchObject({ code: "RAFS_UNSUPPORTED", feature: expect.stringContaining("legacy") });
  });

  it("the unreferenced raw LZ4 blob is not mistaken for an image", async () => {
    const lz4 = fixture("repeatable/blobs/d7b86b1e74e316fe945741d1a9fa1b271459fe41481e304977659e0c6ecf56ac");
    await expect(openImage({ bootstrap: lz4 })).rejects.toMatchObject({ code: "RAFS_BAD_MAGIC" });
  });
});
