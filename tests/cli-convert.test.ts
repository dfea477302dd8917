// rafscan convert as users run it: plain OCI images made by umoci (and re-compressed or re-typed by
// skopeo) become Nydus images whose merged tree, read back through the Nydus layout (index.json ->
// manifest -> bootstrap layer -> blobs by digest) with @rafscan/vfs, equals `umoci unpack` of the
// source: whiteouts and opaque directories applied, hardlinks kept. Also index platform choice,
// refusals (a Nydus source, schema 1, a corrupt blob) and registries with and without Basic auth.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileBlobSource, openImage } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HAVE_HTPASSWD,
  REGISTRY_BIN,
  type RegistryServer,
  startRegistry,
} from "../packages/registry/test/helpers/registry-server.js";
import { listTree, normalizeInos } from "./helpers/list-tree.js";
import { CLI, REPO_ROOT } from "./support/fixtures.js";
import { runCli } from "./support/run-cli.js";

const have = (cmd: string, args = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const HAVE_UMOCI = have("umoci");
const HAVE_SKOPEO = have("skopeo");
const HAVE_TAR = have("tar");
const LOCAL = HAVE_UMOCI && HAVE_TAR;
const REGISTRY = LOCAL && HAVE_SKOPEO && REGISTRY_BIN !== undefined;
if (!LOCAL) console.warn("rafscan convert tests skipped: needs umoci and GNU tar (apt-get install umoci)");
else if (!REGISTRY) {
  console.warn(
    "rafscan convert registry tests skipped: needs skopeo and docker-registry (apt-get install skopeo docker-registry)",
  );
}
if (REGISTRY && !HAVE_HTPASSWD)
  console.warn("convert auth test skipped: needs htpasswd (apt-get install apache2-utils)");

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function run(cmd: string, args: readonly string[], cwd?: string): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd === undefined ? {} : { cwd }),
  });
}

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** `rafscan convert ARGS` in a child process, with its own TMPDIR so leftovers can be seen. */
function convert(args: readonly string[], tmp: string): Result {
  mkdirSync(tmp, { recursive: true });
  const r = spawnSync(process.execPath, [CLI, "convert", ...args], {
    cwd: REPO_ROOT,
    timeout: 60_000,
    env: { ...process.env, TMPDIR: tmp },
    encoding: "utf8",
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What is compared between the source's unpacked tree and the Nydus image. */
interface Row {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  target?: string;
  sha256?: string;
  /** Files: the first path sharing the inode (hardlink structure). */
  link?: string;
}

/** Lists a real directory (the oracle) as rows. */
function listDir(root: string): Row[] {
  const entries = normalizeInos(listTree(root, { sha256: true, xattrs: false }));
  return entries.map((e) => ({
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    ...(e.type === "file" ? { size: e.size as number, sha256: e.sha256 as string, link: String(e.ino) } : {}),
    ...(e.target === undefined ? {} : { target: e.target }),
  }));
}

interface NydusLayout {
  rows: Row[];
  manifest: {
    layers: { mediaType: string; digest: string; annotations?: Record<string, string> }[];
    config: { digest: string };
  };
  config: Record<string, unknown>;
  manifestDigest: string;
}

/**
 * Reads the Nydus image an OCI layout holds the way a Nydus client finds it: index.json names the
 * manifest by tag; the last layer is the bootstrap tar.gz (extracted by GNU tar); every blob id of
 * the bootstrap is the layer `sha256:<id>`. Lists the merged tree with @rafscan/vfs.
 */
async function readNydusLayout(dir: string, tag: string, work: string): Promise<NydusLayout> {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (entry === undefined) throw new Error(`no ${tag} in ${dir}`);
  const blob = (digest: string) => join(dir, "blobs/sha256", digest.slice("sha256:".length));
  const manifest = JSON.parse(readFileSync(blob(entry.digest), "utf8")) as NydusLayout["manifest"];
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), "utf8")) as Record<string, unknown>;
  const boot = manifest.layers.at(-1);
  if (boot?.annotations?.["containerd.io/snapshot/nydus-bootstrap"] !== "true")
    throw new Error("no bootstrap layer");
  mkdirSync(work, { recursive: true });
  run("tar", ["-xzf", blob(boot.digest), "-C", work, "image/image.boot"]);
  const blobs = Object.fromEntries(
    manifest.layers
      .slice(0, -1)
      .map((l) => [l.digest.slice("sha256:".length), new FileBlobSource(blob(l.digest))]),
  );
  const image = await openImage({ bootstrap: join(work, "image/image.boot"), blobs });
  const rows: Row[] = [];
  const firstPathOfIno = new Map<number, string>();
  try {
    for await (const e of image.walk("/")) {
      const st = e.stats;
      const row: Row = { path: e.path, type: st.type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.type === "file") {
        const owner = firstPathOfIno.get(st.ino) ?? e.path;
        firstPathOfIno.set(st.ino, owner);
        Object.assign(row, { size: st.size, sha256: sha256(await image.readFile(e.path)), link: owner });
      }
      if (st.type === "symlink") row.target = await image.readlink(e.path);
      rows.push(row);
    }
  } finally {
    await image.close();
  }
  rows.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  // The oracle names a hardlink group by its first path in sorted order; do the same here.
  const firstSorted = new Map<string, string>();
  for (const r of rows) if (r.link !== undefined && !firstSorted.has(r.link)) firstSorted.set(r.link, r.path);
  for (const r of rows) if (r.link !== undefined) r.link = firstSorted.get(r.link) as string;
  return { rows, manifest, config, manifestDigest: entry.digest };
}

/** The oracle's hardlink groups are named by inode number; rename them by first path. */
function byFirstPath(rows: Row[]): Row[] {
  const first = new Map<string, string>();
  return rows.map((r) => {
    if (r.link === undefined) return r;
    if (!first.has(r.link)) first.set(r.link, r.path);
    return { ...r, link: first.get(r.link) as string };
  });
}

/** `umoci unpack` of `image` (`DIR:TAG`), listed. */
function unpacked(image: string, bundle: string): Row[] {
  run("umoci", ["unpack", "--image", image, bundle]);
  return byFirstPath(listDir(join(bundle, "rootfs")));
}

/** Deterministic bytes that do not repeat within a chunk. */
function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A plain OCI image made by umoci, five layers: a base tree (files, a 3 MiB file, a hardlink, a
 * symlink, an executable), a whiteout of a file, a whiteout of a directory, an opaque directory
 * and a file replaced. Plus tag `arm`, a one-layer linux/arm64 image.
 */
function makeSource(work: string): string {
  const layout = join(work, "src");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:t`]);
  const l1 = join(work, "l1");
  for (const d of ["etc/apt", "usr/bin", "gone-dir/sub", "opq"]) mkdirSync(join(l1, d), { recursive: true });
  writeFileSync(join(l1, "etc/os-release"), "ID=debian\nVERSION_ID=12\n");
  writeFileSync(join(l1, "etc/apt/sources.list"), "deb http://deb.debian.org/debian bookworm main\n");
  writeFileSync(join(l1, "usr/bin/tool"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
  run("ln", [join(l1, "usr/bin/tool"), join(l1, "usr/bin/tool-again")]);
  writeFileSync(join(l1, "big"), pseudoRandom(3 * 1024 * 1024 + 17, 7));
  run("ln", ["-s", "etc/os-release", join(l1, "os")]);
  writeFileSync(join(l1, "gone-file"), "removed by a whiteout\n");
  writeFileSync(join(l1, "gone-dir/a"), "a\n");
  writeFileSync(join(l1, "gone-dir/sub/b"), "b\n");
  writeFileSync(join(l1, "opq/x"), "x\n");
  writeFileSync(join(l1, "opq/y"), "y\n");
  run("umoci", ["insert", "--image", `${layout}:t`, l1, "/"]);
  run("umoci", ["insert", "--image", `${layout}:t`, "--whiteout", "/gone-file"]);
  run("umoci", ["insert", "--image", `${layout}:t`, "--whiteout", "/gone-dir"]);
  const l4 = join(work, "l4");
  mkdirSync(l4);
  writeFileSync(join(l4, "z"), "z replaces x and y\n");
  run("umoci", ["insert", "--image", `${layout}:t`, "--opaque", l4, "/opq"]);
  const l5 = join(work, "os-release-new");
  writeFileSync(l5, "ID=debian\nVERSION_ID=13\n");
  run("umoci", ["insert", "--image", `${layout}:t`, l5, "/etc/os-release"]);
  run("umoci", ["config", "--image", `${layout}:t`, "--config.env", "FOO=bar", "--config.cmd", "/bin/sh"]);
  // The arm64 image of the multi-platform index.
  run("umoci", ["new", "--image", `${layout}:arm`]);
  run("umoci", ["config", "--image", `${layout}:arm`, "--os", "linux", "--architecture", "arm64"]);
  const la = join(work, "la");
  mkdirSync(join(la, "etc"), { recursive: true });
  writeFileSync(join(la, "etc/arch"), "arm64\n");
  run("umoci", ["insert", "--image", `${layout}:arm`, la, "/"]);
  return layout;
}

/** Adds tag `multi`: an image index with the `t` image as linux/amd64 and `arm` as linux/arm64/v8. */
function addIndex(layout: string): void {
  const indexPath = join(layout, "index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8")) as {
    manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const byTag = (t: string) => {
    const m = index.manifests.find((e) => e.annotations?.["org.opencontainers.image.ref.name"] === t);
    if (m === undefined) throw new Error(`no tag ${t}`);
    return { mediaType: m.mediaType, digest: m.digest, size: m.size };
  };
  const multi = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { ...byTag("arm"), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { ...byTag("t"), platform: { os: "linux", architecture: "amd64" } },
      ],
    }),
  );
  const digest = `sha256:${sha256(multi)}`;
  writeFileSync(join(layout, "blobs/sha256", digest.slice(7)), multi);
  index.manifests.push({
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest,
    size: multi.length,
    annotations: { "org.opencontainers.image.ref.name": "multi" },
  });
  writeFileSync(indexPath, JSON.stringify(index));
}

describe.skipIf(!LOCAL)("rafscan convert (OCI layouts)", () => {
  let work = "";
  let src = "";
  let expected: Row[] = [];
  let expectedArm: Row[] = [];
  let n = 0;
  const fresh = (name: string) => join(work, `${name}-${++n}`);
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "rafscan-cli-convert-"));
    src = makeSource(work);
    expected = unpacked(`${src}:t`, join(work, "bundle-t"));
    expectedArm = unpacked(`${src}:arm`, join(work, "bundle-arm"));
    addIndex(src);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("the source really has whiteouts, an opaque directory and a hardlink (guards the oracle)", () => {
    const paths = expected.map((r) => r.path);
    expect(paths).toContain("/opq/z");
    for (const gone of ["/gone-file", "/gone-dir", "/opq/x"]) expect(paths).not.toContain(gone);
    expect(expected.find((r) => r.path === "/usr/bin/tool-again")?.link).toBe("/usr/bin/tool");
    expect(expected.find((r) => r.path === "/etc/os-release")?.size).toBe(
      "ID=debian\nVERSION_ID=13\n".length,
    );
  });

  for (const [name, extra] of [
    ["v6 zstd", []],
    [
      "v5 gzip sha256 64K",
      ["--fs-version", "5", "--compressor", "gzip", "--digester", "sha256", "--chunk-size", "64K"],
    ],
  ] as const) {
    it(`converts oci:DIR:TAG to a Nydus layout (${name}) whose merged tree equals umoci unpack`, async () => {
      const out = fresh("out");
      const tmp = fresh("tmp");
      const r = convert([`oci:${src}:t`, `oci:${out}:nydus`, "--json", ...extra], tmp);
      expect(r.status, r.stderr).toBe(0);
      // Not a terminal: no progress lines.
      expect(r.stderr).toBe("");
      expect(readdirSync(tmp)).toEqual([]);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({
        sourceLayers: 5,
        destination: `oci:${out}:nydus`,
        fsVersion: extra.length ? 5 : 6,
      });
      const bootDir = fresh("boot");
      const got = await readNydusLayout(out, "nydus", bootDir);
      expect(got.manifestDigest).toBe(summary.manifestDigest);
      expect(got.rows).toEqual(expected);
      const types = got.manifest.layers.map((l) => l.mediaType);
      expect(types.at(-1)).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
      expect(new Set(types.slice(0, -1))).toEqual(new Set(["application/vnd.oci.image.layer.nydus.blob.v1"]));
      // The source config's env and cmd carry over; the rootfs is the Nydus one.
      const cfg = got.config as { config: { Env: string[]; Cmd: string[] }; rootfs: { diff_ids: string[] } };
      expect(cfg.config.Env).toContain("FOO=bar");
      expect(cfg.config.Cmd).toEqual(["/bin/sh"]);
      expect(cfg.rootfs.diff_ids).toHaveLength(got.manifest.layers.length);
      // And rafscan itself accepts the image (every chunk digest checked).
      const boot = join(bootDir, "image/image.boot");
      const check = spawnSync(
        process.execPath,
        [CLI, "check", boot, "--blob-dir", join(out, "blobs/sha256")],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });
  }

  it.skipIf(!HAVE_SKOPEO)("converts tar+zstd layers (re-compressed by skopeo)", async () => {
    const zst = fresh("zst");
    run("skopeo", ["copy", "--quiet", "--dest-compress-format", "zstd", `oci:${src}:t`, `oci:${zst}:t`]);
    const raw = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${zst}:t`])) as {
      layers: { mediaType: string }[];
    };
    expect(raw.layers.map((l) => l.mediaType)).toContain("application/vnd.oci.image.layer.v1.tar+zstd");
    const out = fresh("out");
    const r = convert([`oci:${zst}:t`, `oci:${out}`], fresh("tmp"));
    expect(r.status, r.stderr).toBe(0);
    expect((await readNydusLayout(out, "latest", fresh("boot"))).rows).toEqual(expected);
  });

  it("picks the platform from an image index", async () => {
    const arm = fresh("out");
    const r = convert([`oci:${src}:multi`, `oci:${arm}:a`, "--platform", "linux/arm64"], fresh("tmp"));
    expect(r.status, r.stderr).toBe(0);
    const gotArm = await readNydusLayout(arm, "a", fresh("boot"));
    expect(gotArm.rows).toEqual(expectedArm);
    expect(gotArm.config).toMatchObject({ architecture: "arm64", os: "linux" });
    const amd = fresh("out");
    expect(
      convert([`oci:${src}:multi`, `oci:${amd}:b`, "--platform", "linux/amd64"], fresh("tmp")).status,
    ).toBe(0);
    expect((await readNydusLayout(amd, "b", fresh("boot"))).rows).toEqual(expected);
    const none = convert(
      [`oci:${src}:multi`, `oci:${fresh("out")}`, "--platform", "linux/s390x", "--json"],
      fresh("tmp"),
    );
    expect(none.status).toBe(1);
    const err = JSON.parse(none.stderr).error;
    expect(err.code).toBe("BUILD_BAD_INPUT");
    expect(err.message).toContain("linux/arm64/v8");
    expect(err.message).toContain("linux/amd64");
  });

  it("refuses a Nydus image as the source, and names what it is", () => {
    const out = fresh("out");
    expect(convert([`oci:${src}:t`, `oci:${out}:n`], fresh("tmp")).status).toBe(0);
    const again = convert([`oci:${out}:n`, `oci:${fresh("out")}`, "--json"], fresh("tmp"));
    expect(again.status).toBe(1);
    const err = JSON.parse(again.stderr).error;
    expect(err.code).toBe("BUILD_BAD_INPUT");
    expect(err.message).toContain("already a Nydus image");
  });

  it("rejects bad arguments with exit 2 before any work", () => {
    const tmp = fresh("tmp");
    for (const args of [
      [`oci:${src}:t`],
      [`oci:${src}:t`, "not a reference!"],
      [`oci:${src}:t`, `oci:${fresh("out")}`, "--platform", "amd64"],
      [`oci:${src}:t`, `oci:${fresh("out")}`, "--chunk-size", "3000"],
      [`oci:${src}:t`, `oci:${fresh("out")}`, "--password", "p"],
    ]) {
      expect(convert(args, tmp).status, args.join(" ")).toBe(2);
    }
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("names a missing tag and a directory that is not a layout", () => {
    const missing = convert([`oci:${src}:nope`, `oci:${fresh("out")}`, "--json"], fresh("tmp"));
    expect(JSON.parse(missing.stderr).error).toMatchObject({ code: "BUILD_OCI_LAYOUT" });
    expect(JSON.parse(missing.stderr).error.message).toContain('no image tagged "nope"');
    const notLayout = convert([`oci:${work}:t`, `oci:${fresh("out")}`, "--json"], fresh("tmp"));
    expect(JSON.parse(notLayout.stderr).error).toMatchObject({ code: "BUILD_OCI_LAYOUT" });
  });
});

/**
 * A layout made by hand: an uncompressed tar layer (OCI `tar`), then a tar.gz layer with a
 * whiteout `.wh.a` and a new file. Returns the layout and a function to rewrite a blob.
 */
function handMadeLayout(work: string, manifestOverride?: object): string {
  const dir = join(work, "layout");
  const blobs = join(dir, "blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = `sha256:${sha256(bytes)}`;
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const t1 = join(work, "t1");
  mkdirSync(join(t1, "d"), { recursive: true });
  writeFileSync(join(t1, "a"), "a\n");
  writeFileSync(join(t1, "d/b"), "b\n");
  const t2 = join(work, "t2");
  mkdirSync(t2);
  writeFileSync(join(t2, ".wh.a"), "");
  writeFileSync(join(t2, "c"), "c\n");
  const tar1 = execFileSync("tar", ["-C", t1, "--owner=0", "--group=0", "-cf", "-", "."]);
  const tar2 = execFileSync("tar", ["-C", t2, "--owner=0", "--group=0", "-czf", "-", "."]);
  const l1 = put(tar1);
  const l2 = put(tar2);
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: {
          type: "layers",
          diff_ids: [
            `sha256:${sha256(tar1)}`,
            `sha256:${sha256(execFileSync("gzip", ["-dc"], { input: tar2 }))}`,
          ],
        },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify(
        manifestOverride ?? {
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers: [
            { mediaType: "application/vnd.oci.image.layer.v1.tar", ...l1 },
            { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l2 },
          ],
        },
      ),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest }],
    }),
  );
  return dir;
}

describe.skipIf(!HAVE_TAR)("rafscan convert (hand-made layouts)", () => {
  let work = "";
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "rafscan-cli-convert-hand-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("reads an uncompressed layer, applies a whiteout, and takes the only image when no tag is given", async () => {
    const dir = handMadeLayout(join(work, "ok"));
    const out = join(work, "ok-out");
    const r = convert([`oci:${dir}`, `oci:${out}:x`], join(work, "ok-tmp"));
    expect(r.status, r.stderr).toBe(0);
    const got = await readNydusLayout(out, "x", join(work, "ok-boot"));
    expect(got.rows.map((x) => `${x.path} ${x.type} ${x.sha256 ?? ""}`)).toEqual([
      "/ dir ",
      `/c file ${sha256(Buffer.from("c\n"))}`,
      "/d dir ",
      `/d/b file ${sha256(Buffer.from("b\n"))}`,
    ]);
  });

  it("checks a layer's digest after the tar's end marker, and leaves no output behind", () => {
    const dir = handMadeLayout(join(work, "bad"));
    const manifest = JSON.parse(
      readFileSync(
        join(
          dir,
          "blobs/sha256",
          JSON.parse(readFileSync(join(dir, "index.json"), "utf8")).manifests[0].digest.slice(7),
        ),
        "utf8",
      ),
    );
    // The last byte of the uncompressed tar is end-of-archive padding, which the tar reader never
    // needs: only the digest check can notice it changed.
    const layer = join(dir, "blobs/sha256", manifest.layers[0].digest.slice(7));
    const bytes = readFileSync(layer);
    bytes[bytes.length - 1] = 1;
    writeFileSync(layer, bytes);
    const out = join(work, "bad-out");
    const tmp = join(work, "bad-tmp");
    const r = convert([`oci:${dir}`, `oci:${out}`, "--json"], tmp);
    expect(r.status).toBe(1);
    const err = JSON.parse(r.stderr).error;
    expect(err.code).toBe("BUILD_BLOB_MISMATCH");
    expect(err.message).toContain(manifest.layers[0].digest);
    expect(existsSync(join(out, "index.json"))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("refuses Docker schema 1 and unknown layer media types", () => {
    for (const [name, manifest, text] of [
      ["s1", { schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }, "schema 1"],
      [
        "enc",
        {
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {
            mediaType: "application/vnd.oci.image.config.v1+json",
            digest: `sha256:${"0".repeat(64)}`,
            size: 2,
          },
          layers: [
            {
              mediaType: "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
              digest: `sha256:${"1".repeat(64)}`,
              size: 5,
            },
          ],
        },
        "tar+gzip+encrypted",
      ],
    ] as const) {
      const dir = handMadeLayout(join(work, name), manifest);
      const r = convert(
        [`oci:${dir}`, `oci:${join(work, `${name}-out`)}`, "--json"],
        join(work, `${name}-tmp`),
      );
      expect(r.status).toBe(1);
      const err = JSON.parse(r.stderr).error;
      expect(err.code).toBe("BUILD_BAD_INPUT");
      expect(err.message).toContain(text);
    }
  });
});

describe.skipIf(!REGISTRY)("rafscan convert (registries)", () => {
  let work = "";
  let src = "";
  let expected: Row[] = [];
  let open: RegistryServer | undefined;
  let locked: RegistryServer | undefined;
  const AUTH = { username: "conv", password: "pa55-word" };
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-cli-convert-reg-"));
    src = makeSource(work);
    expected = unpacked(`${src}:t`, join(work, "bundle"));
    open = await startRegistry();
    if (HAVE_HTPASSWD) locked = await startRegistry({ auth: AUTH });
  });
  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function skopeo(from: string, to: string, extra: readonly string[] = []): void {
    run("skopeo", [
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      ...extra,
      from,
      to,
    ]);
  }

  it("converts a Docker schema 2 image in a registry to a Nydus image in a registry", async () => {
    const host = (open as RegistryServer).host;
    skopeo(`oci:${src}:t`, `docker://${host}/plain/app:v1`, ["--format", "v2s2"]);
    const raw = JSON.parse(
      run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${host}/plain/app:v1`]),
    );
    expect(raw.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(raw.layers[0].mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    const tmp = join(work, "tmp1");
    const r = convert([`${host}/plain/app:v1`, `${host}/nydus/app:v1`, "--insecure", "--json"], tmp);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    const pulled = join(work, "pulled1");
    skopeo(`docker://${host}/nydus/app:v1`, `oci:${pulled}:p`);
    const got = await readNydusLayout(pulled, "p", join(work, "boot1"));
    expect(got.rows).toEqual(expected);
    expect(got.manifestDigest).toBe(JSON.parse(r.stdout).manifestDigest);
    expect(got.config).toMatchObject({ config: { Env: expect.arrayContaining(["FOO=bar"]) } });
  });

  it.skipIf(!HAVE_HTPASSWD)("uses Basic auth for the source and the destination", async () => {
    const host = (locked as RegistryServer).host;
    const creds = `${AUTH.username}:${AUTH.password}`;
    skopeo(`oci:${src}:t`, `docker://${host}/private/app:v1`, ["--dest-creds", creds]);
    const auth = ["--username", AUTH.username, "--password", AUTH.password, "--insecure"];
    // Registry to layout.
    const out = join(work, "from-locked");
    const r1 = convert([`${host}/private/app:v1`, `oci:${out}:n`, ...auth], join(work, "tmp2"));
    expect(r1.status, r1.stderr).toBe(0);
    expect((await readNydusLayout(out, "n", join(work, "boot2"))).rows).toEqual(expected);
    // Registry to registry.
    const r2 = convert([`${host}/private/app:v1`, `${host}/private/nydus:v1`, ...auth], join(work, "tmp3"));
    expect(r2.status, r2.stderr).toBe(0);
    const pulled = join(work, "pulled2");
    skopeo(`docker://${host}/private/nydus:v1`, `oci:${pulled}:p`, ["--src-creds", creds]);
    expect((await readNydusLayout(pulled, "p", join(work, "boot3"))).rows).toEqual(expected);
    // Wrong or missing credentials.
    for (const bad of [["--username", AUTH.username, "--password", "wrong", "--insecure"], ["--insecure"]]) {
      const r = convert(
        [`${host}/private/app:v1`, `oci:${join(work, "never")}`, "--json", ...bad],
        join(work, "tmp4"),
      );
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stderr).error.code).toBe("REGISTRY_UNAUTHORIZED");
    }
    expect(existsSync(join(work, "never"))).toBe(false);
  });
});

describe("convert credentials", () => {
  it("refuses to send one set of credentials to two different registries", () => {
    const r = runCli([
      "convert",
      "127.0.0.1:1/src:a",
      "127.0.0.2:1/dest:b",
      "--username",
      "u",
      "--password",
      "p",
      "--json",
    ]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error.message).toContain("would be sent to both 127.0.0.1:1 and 127.0.0.2:1");
  });
});
