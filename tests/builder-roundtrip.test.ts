// Build -> read back (RAFS v5 and v6): random trees (names, sizes around chunk and block boundaries, links,
// devices, xattrs, modes, owners, times) built with every compressor read back identically
// through @rafscan/vfs, pass rafscan check, and (uncompressed) extract identically with fsck.erofs.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildOptions, buildImage, type SourceEntry } from "@rafscan/builder";
import type { CompressorName } from "@rafscan/rafs";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTree } from "./helpers/list-tree.js";
import { runCli } from "./support/run-cli.js";

const CHUNK = 4096;
const HAVE_FSCK = spawnSync("fsck.erofs", ["-V"]).status === 0;

interface Spec {
  path: string;
  type: "dir" | "file" | "symlink" | "hardlink" | "chardev" | "blockdev" | "fifo" | "socket";
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  mtimeNsec: number;
  data?: Uint8Array;
  target?: string;
  rdev?: { major: number; minor: number };
  xattrs: [string, Uint8Array][];
}

const nameArb = fc
  .stringMatching(/^[a-zA-Z0-9._-]{1,20}$/)
  .filter((n) => n !== "." && n !== ".." && !n.startsWith(".wh."));
const sizeArb = fc.oneof(
  fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1),
  fc.integer({ min: 0, max: 5 * CHUNK }),
);
const dataArb = sizeArb.chain((size) =>
  fc.oneof(
    fc.uint8Array({ minLength: size, maxLength: size }),
    // Repeating content, so chunks deduplicate within and across files.
    fc.integer({ min: 0, max: 3 }).map((b) => new Uint8Array(size).fill(b)),
  ),
);
const metaArb = fc.record({
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff })),
  gid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 70000 })),
  mtimeSec: fc.integer({ min: 0, max: 2 ** 33 }),
  mtimeNsec: fc.integer({ min: 0, max: 999_999_999 }),
  xattrs: fc.uniqueArray(
    fc.tuple(
      fc.constantFrom("user.a", "user.comment", "trusted.overlay.x", "security.selinux", "user.empty"),
      fc.uint8Array({ maxLength: 40 }),
    ),
    { selector: ([n]) => n, maxLength: 3 },
  ),
});

/** A random tree as an ordered entry list (parents first), with hardlinks to earlier files. */
const treeArb = fc
  .array(
    fc.record({
      dir: fc.integer({ min: 0, max: 5 }),
      name: nameArb,
      kind: fc.constantFrom(
        "dir",
        "file",
        "file",
        "file",
        "symlink",
        "hardlink",
        "chardev",
        "blockdev",
        "fifo",
        "socket",
      ),
      meta: metaArb,
      data: dataArb,
      target: fc.stringMatching(/^[a-z/.]{1,60}$/),
      dev: fc.record({
        major: fc.integer({ min: 0, max: 4095 }),
        minor: fc.integer({ min: 0, max: 0xfffff }),
      }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((items) => {
    const dirs = [""];
    const files: string[] = [];
    const seen = new Set<string>([""]);
    const specs: Spec[] = [
      { path: "", type: "dir", mode: 0o755, uid: 0, gid: 0, mtimeSec: 1700000000, mtimeNsec: 5, xattrs: [] },
    ];
    for (const it of items) {
      const parent = dirs[it.dir % dirs.length] as string;
      const path = parent === "" ? it.name : `${parent}/${it.name}`;
      if (seen.has(path)) continue;
      seen.add(path);
      const base = { path, ...it.meta, xattrs: it.meta.xattrs as [string, Uint8Array][] };
      if (it.kind === "hardlink") {
        if (files.length === 0) continue;
        specs.push({ ...base, type: "hardlink", target: files[it.dir % files.length] as string });
        continue;
      }
      const spec: Spec = { ...base, type: it.kind };
      if (it.kind === "dir") dirs.push(path);
      if (it.kind === "file") {
        spec.data = it.data;
        files.push(path);
      }
      if (it.kind === "symlink") spec.target = it.target;
      if (it.kind === "chardev" || it.kind === "blockdev") spec.rdev = it.dev;
      specs.push(spec);
    }
    return specs;
  });

async function* source(specs: readonly Spec[]): AsyncGenerator<SourceEntry> {
  for (const s of specs) {
    yield {
      path: s.path,
      type: s.type,
      mode: s.mode,
      uid: s.uid,
      gid: s.gid,
      mtimeSec: s.mtimeSec,
      mtimeNsec: s.mtimeNsec,
      size: s.data?.length ?? 0,
      xattrs: new Map(s.xattrs),
      ...(s.target === undefined ? {} : { target: s.target }),
      ...(s.rdev === undefined ? {} : { rdev: s.rdev }),
      ...(s.data === undefined
        ? {}
        : {
            data: (async function* () {
              // Uneven pieces, so chunking does not depend on how the input is split.
              const d = s.data as Uint8Array;
              for (let i = 0; i < d.length; i += 3001) yield d.subarray(i, i + 3001);
            })(),
          }),
    };
  }
}

async function openBuilt(out: string): Promise<Image> {
  const blobs = readdirSync(join(out, "blobs"));
  return openImage({
    bootstrap: join(out, "bootstrap"),
    blobs: Object.fromEntries(blobs.map((id) => [id, new FileBlobSource(join(out, "blobs", id))])),
  });
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Checks every spec against the image read back. */
async function expectSame(image: Image, specs: readonly Spec[]): Promise<void> {
  const byPath = new Map(specs.map((s) => [s.path, s]));
  const inos = new Map<string, number>();
  let count = 0;
  for await (const e of image.walk("/")) {
    count++;
    const spec = byPath.get(e.path.slice(1));
    expect(spec, e.path).toBeDefined();
    if (spec === undefined) continue;
    const real = spec.type === "hardlink" ? (byPath.get(spec.target as string) as Spec) : spec;
    const st = e.stats;
    expect({ type: st.type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, e.path).toEqual({
      type: real.type,
      mode: real.mode,
      uid: real.uid,
      gid: real.gid,
    });
    expect(st.mtimeNs, e.path).toBe(BigInt(real.mtimeSec) * 1_000_000_000n + BigInt(real.mtimeNsec));
    const xattrs: [string, string][] = [];
    for (const n of await image.listxattr(e.path, { noFollow: true })) {
      xattrs.push([n, (await image.getxattr(e.path, n, { noFollow: true })).toString("hex")]);
    }
    expect(xattrs.sort(), e.path).toEqual(
      real.xattrs.map(([n, v]) => [n, Buffer.from(v).toString("hex")]).sort(),
    );
    if (real.type === "file") {
      expect(sha(await image.readFile(e.path)), e.path).toBe(sha(real.data as Uint8Array));
      const key = spec.type === "hardlink" ? (spec.target as string) : spec.path;
      const ino = inos.get(key);
      if (ino === undefined) inos.set(key, st.ino);
      else expect(st.ino, `${e.path} is a hardlink of ${key}`).toBe(ino);
    }
    if (real.type === "symlink") expect(await image.readlink(e.path)).toBe(real.target);
    if (real.type === "chardev" || real.type === "blockdev") {
      const major = (st.rdev >>> 8) & 0xfff;
      const minor = (st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00);
      expect([major, minor], e.path).toEqual([real.rdev?.major, real.rdev?.minor]);
    }
  }
  expect(count).toBe(specs.length);
}

describe("builder round trip", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rafscan-build-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const versions = [6, 5] as const;
  const compressors = ["none", "zstd", "lz4_block", "gzip"] as const satisfies readonly CompressorName[];
  for (const [fsVersion, compressor] of versions.flatMap((v) => compressors.map((c) => [v, c] as const))) {
    it(`random trees read back identically (v${fsVersion}, ${compressor})`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          treeArb,
          fc.constantFrom("blake3", "sha256") as fc.Arbitrary<"blake3" | "sha256">,
          async (specs, digester) => {
            const out = join(dir, `${compressor}-${run++}`);
            const options: BuildOptions = { outDir: out, compressor, digester, chunkSize: CHUNK };
            await buildImage([source(specs)], options);
            const image = await openBuilt(out);
            try {
              await expectSame(image, specs);
            } finally {
              await image.close();
            }
            const check = runCli(["check", out, "--json"]);
            expect(check.status, check.stdout + check.stderr).toBe(0);
            // v6 images are EROFS images: erofs-utils must accept them, with each blob as a device.
            if (HAVE_FSCK && fsVersion === 6) {
              const blobs = readdirSync(join(out, "blobs")).map((b) => `--device=${join(out, "blobs", b)}`);
              const fsck = spawnSync("fsck.erofs", [...blobs, join(out, "bootstrap")]);
              expect(fsck.status, fsck.stderr.toString()).toBe(0);
            }
            rmSync(out, { recursive: true, force: true });
          },
        ),
        { numRuns: 10, interruptAfterTimeLimit: 40_000 },
      );
    });
  }

  it("is deterministic: the same input gives byte-identical bootstrap and blobs", async () => {
    const specs = fc.sample(treeArb, { numRuns: 1, seed: 42 })[0] as Spec[];
    const a = join(dir, "det-a");
    const b = join(dir, "det-b");
    await buildImage([source(specs)], { outDir: a, chunkSize: CHUNK });
    await buildImage([source(specs)], { outDir: b, chunkSize: CHUNK });
    expect(sha(readFileSync(join(a, "bootstrap")))).toBe(sha(readFileSync(join(b, "bootstrap"))));
    expect(readdirSync(join(a, "blobs"))).toEqual(readdirSync(join(b, "blobs")));
    for (const id of readdirSync(join(a, "blobs"))) {
      // Blobs are named by their sha256.
      expect(sha(readFileSync(join(a, "blobs", id)))).toBe(id);
    }
  });

  it.skipIf(!HAVE_FSCK)(
    "an uncompressed v6 image is a valid EROFS image whose blob is its extra device",
    async () => {
      const specs = fc.sample(treeArb, { numRuns: 1, seed: 7 })[0] as Spec[];
      const out = join(dir, "fsck-extract");
      await buildImage(
        [source(specs.filter((s) => !["chardev", "blockdev", "fifo", "socket"].includes(s.type)))],
        {
          outDir: out,
          compressor: "none",
          chunkSize: CHUNK,
        },
      );
      const [blob] = readdirSync(join(out, "blobs"));
      const ex = join(dir, "fsck-extract-tree");
      if (blob !== undefined) {
        execFileSync("fsck.erofs", [
          `--device=${join(out, "blobs", blob)}`,
          `--extract=${ex}`,
          join(out, "bootstrap"),
        ]);
        const extracted = await listTree(ex, { sha256: true, xattrs: false });
        const ours = runCli(["ls", out, "-R", "--json", "--sha256"]);
        const oursRows = ours.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l));
        const pick = (r: {
          path: string;
          type: string;
          sha256?: string;
          size?: number;
          target?: string;
        }) => ({
          path: r.path,
          type: r.type,
          size: r.type === "file" || r.type === "symlink" ? r.size : undefined,
          sha256: r.sha256,
          target: r.target,
        });
        expect(extracted.map(pick)).toEqual(oursRows.map(pick));
      }
    },
  );
});

describe("builder edge cases", () => {
  it("a large sparse-looking file is one deduplicated chunk and reads back in full", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rafscan-big-"));
    try {
      const size = 48 * 1024 * 1024 + 123;
      const zeros = new Uint8Array(1024 * 1024);
      async function* layer(): AsyncGenerator<SourceEntry> {
        const base = { mode: 0o644, uid: 0, gid: 0, mtimeSec: 0, mtimeNsec: 0, xattrs: new Map() };
        yield { ...base, path: "", type: "dir", mode: 0o755, size: 0 };
        yield {
          ...base,
          path: "zeros.img",
          type: "file",
          size,
          data: (async function* () {
            for (let left = size; left > 0; left -= zeros.length)
              yield zeros.subarray(0, Math.min(left, zeros.length));
          })(),
        };
      }
      const r = await buildImage([layer()], { outDir: dir });
      expect(r.progress).toMatchObject({ chunks: 2, dedupedChunks: 47, bytesIn: size });
      const image = await openBuilt(dir);
      const st = await image.stat("/zeros.img");
      expect(st.size).toBe(size);
      const tail = Buffer.alloc(200);
      const fh = await image.open("/zeros.img");
      expect((await fh.read(tail, 0, 200, size - 200)).bytesRead).toBe(200);
      expect(tail.every((b) => b === 0)).toBe(true);
      await image.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes the prefetch table with the nids of the listed paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rafscan-prefetch-"));
    try {
      const specs = fc.sample(treeArb, { numRuns: 1, seed: 3 })[0] as Spec[];
      const target = specs.find((s) => s.type === "dir" && s.path !== "") ?? specs[0];
      await buildImage([source(specs)], { outDir: dir, prefetch: [`/${target?.path}`] });
      const image = await openBuilt(dir);
      expect(image.info.prefetch).toEqual([(await image.stat(`/${target?.path}`)).ino]);
      await image.close();
      await expect(
        buildImage([source(specs)], { outDir: join(dir, "bad"), prefetch: ["/no/such"] }),
      ).rejects.toMatchObject({
        code: "BUILD_OPTION",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
