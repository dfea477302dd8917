// The seed corpus of the campaign: the real Nydus fixtures (../shared/fixtures/nydus, when
// present) and images, tar layers and an OCI layout made here with our builder, mkfs.erofs and
// tar. Built once per campaign into a directory that every worker reads.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, writeOciLayout } from "@rafscan/builder";

/** The repository root (fuzz/ is one level down). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The shared real-Nydus fixtures, beside the repository. */
export const FIXTURES = join(REPO_ROOT, "../shared/fixtures/nydus");

const V5_BLOB = "7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00";
const V6_BLOB = "be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef";

const MTIME = 1_700_000_000;

/** Deterministic filler bytes, so every campaign starts from the same corpus. */
function filler(n, salt) {
  const out = new Uint8Array(n);
  let x = (salt * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Half text-like, half random: compressible and incompressible chunks both occur.
    out[i] = i % 512 < 256 ? 0x61 + (i % 26) : x & 0xff;
  }
  return out;
}

/** The tree the builder images hold: every entry type, multi-chunk files, a two-block directory. */
function treeEntries() {
  const meta = (path, type, extra = {}) => ({
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtimeSec: MTIME,
    mtimeNsec: 0,
    size: 0,
    xattrs: new Map(),
    ...extra,
  });
  const file = (path, bytes, extra = {}) =>
    meta(path, "file", {
      size: bytes.length,
      data: (async function* () {
        yield bytes;
      })(),
      ...extra,
    });
  const out = [
    meta("", "dir"),
    meta("bin", "dir"),
    file("bin/busybox", filler(10_000, 1), { mode: 0o755 }),
    meta("bin/sh", "symlink", { target: "busybox" }),
    meta("bin/ln", "hardlink", { target: "bin/busybox" }),
    file("bin/big", filler(3 * 4096 + 123, 2)),
    meta("dev", "dir"),
    meta("dev/null", "chardev", { rdev: { major: 1, minor: 3 }, mode: 0o666 }),
    meta("dev/fifo", "fifo"),
    meta("etc", "dir"),
    file("etc/os-release", new TextEncoder().encode('ID=debian\nVERSION_ID="12"\n'), {
      xattrs: new Map([["user.fuzz", new TextEncoder().encode("value")]]),
    }),
    file("etc/empty", new Uint8Array(0)),
    meta("etc/abs", "symlink", { target: "/etc/os-release" }),
    meta("many", "dir"),
    file("same-a", filler(5000, 3)),
    file("same-b", filler(5000, 3)),
  ];
  // 56 names of 67 bytes: 56 * (12 + 67) > 4096, so the directory spans two EROFS blocks.
  for (let i = 0; i < 56; i++) {
    const name = `many/${String(i).padStart(2, "0")}-${"n".repeat(64)}`;
    out.push(
      i % 7 === 0 ? meta(name, "symlink", { target: "../bin/busybox" }) : file(name, filler(i * 3, 10 + i)),
    );
  }
  // Parents before children, as a tar or directory walk gives them.
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function* entrySource() {
  for (const e of treeEntries()) yield e;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  return r.status === 0;
}

/** The bytes of every file of the tree, by path (filled by prepareCorpus). */
const FILE_BYTES = new Map();

/** One corpus item of a given image format: bootstrap (or image) plus its blobs or devices. */
function imageItem(name, format, bootstrap, blobs, extra = {}) {
  return { name, format, bootstrap, blobs, ...extra };
}

/**
 * Builds the corpus into `dir` (emptied first) and returns its description, also written to
 * `dir/corpus.json` for the workers.
 */
export async function prepareCorpus(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const e of treeEntries()) {
    if (e.type !== "file") continue;
    const chunks = [];
    for await (const c of e.data) chunks.push(c);
    FILE_BYTES.set(e.path, Buffer.concat(chunks));
  }
  const images = [];
  const tars = [];
  const metas = [];
  // 1. Real Nydus fixtures.
  if (existsSync(FIXTURES)) {
    const f = (...p) => join(FIXTURES, ...p);
    images.push(
      imageItem("fixture v5 sha256", "v5", f("repeatable/sha256-nocompress-repeatable"), {
        [V5_BLOB]: f("repeatable/blobs", V5_BLOB),
      }),
      // Both v5 fixtures refer to the same (uncompressed) blob.
      imageItem("fixture v5 blake3", "v5", f("repeatable/blake3-lz4_block-non_repeatable"), {
        [V5_BLOB]: f("repeatable/blobs", V5_BLOB),
      }),
      imageItem("fixture v6 2.2", "v6", f("bootstrap/rafs-v6-2.2.boot"), { [V6_BLOB]: f("blobs", V6_BLOB) }),
    );
    const toc = readdirSync(f("toc"))[0];
    if (toc !== undefined)
      images.push(imageItem("fixture TOC blob", "toc", f("toc", toc), {}, { selfBlob: true }));
    for (const t of readdirSync(f("tar"))) tars.push({ name: `fixture ${t}`, path: f("tar", t) });
    const zran = readdirSync(f("zran")).find((x) => x.endsWith(".blob.meta"));
    if (zran !== undefined) metas.push({ name: "fixture zran blob meta", path: f("zran", zran) });
    // Small multi-member gzip layers (the 2.5 MiB bgzip.tar.gz would dominate the campaign's time).
    for (const z of ["zran/zran-two-streams.tar.gz", "zran/zran-zero-file.tar.gz"])
      if (existsSync(f(z))) tars.push({ name: `fixture ${z}`, path: f(z) });
  }
  // 2. Builder images: v5 and v6, every compressor, small chunks so files span several.
  const variants = [
    { name: "built v6 zstd blake3", fsVersion: 6, compressor: "zstd", digester: "blake3" },
    { name: "built v6 lz4 sha256", fsVersion: 6, compressor: "lz4_block", digester: "sha256" },
    { name: "built v6 gzip", fsVersion: 6, compressor: "gzip", digester: "blake3" },
    { name: "built v5 lz4 blake3", fsVersion: 5, compressor: "lz4_block", digester: "blake3" },
    { name: "built v5 none sha256", fsVersion: 5, compressor: "none", digester: "sha256" },
    { name: "built v5 zstd", fsVersion: 5, compressor: "zstd", digester: "blake3" },
  ];
  let built6;
  for (const [i, v] of variants.entries()) {
    const out = join(dir, `built-${i}`);
    const res = await buildImage([entrySource()], {
      outDir: out,
      fsVersion: v.fsVersion,
      compressor: v.compressor,
      digester: v.digester,
      chunkSize: 4096,
      prefetch: ["/bin/busybox"],
    });
    const blobs = Object.fromEntries(res.blobs.map((b) => [b.id, join(out, "blobs", b.id)]));
    images.push(imageItem(v.name, `v${v.fsVersion}`, res.bootstrap, blobs));
    if (v.fsVersion === 6) {
      // The blob carries a TOC with the bootstrap (image.boot): it opens on its own.
      for (const [id, path] of Object.entries(blobs)) {
        images.push(imageItem(`${v.name} (TOC blob ${id.slice(0, 8)})`, "toc", path, {}, { selfBlob: true }));
        metas.push({ name: `${v.name} blob ${id.slice(0, 8)}`, blob: path });
      }
      built6 ??= res;
    }
  }
  // 3. Plain EROFS images from mkfs.erofs, with inline data, with an extra device.
  const tree = join(dir, "tree");
  for (const e of treeEntries()) {
    const p = join(tree, e.path);
    if (e.path === "") mkdirSync(tree, { recursive: true });
    else if (e.type === "dir") mkdirSync(p, { recursive: true });
    else if (e.type === "symlink") symlinkSync(e.target, p);
    else if (e.type === "file") writeFileSync(p, FILE_BYTES.get(e.path));
  }
  if (spawnSync("mkfs.erofs", ["--help"]).status !== null) {
    const plain = join(dir, "plain.erofs");
    if (run("mkfs.erofs", ["--quiet", "-T0", plain, tree]))
      images.push(imageItem("mkfs.erofs plain", "erofs", plain, {}));
    const noinline = join(dir, "noinline.erofs");
    if (run("mkfs.erofs", ["--quiet", "-T0", "-Enoinline_data", noinline, tree]))
      images.push(imageItem("mkfs.erofs noinline", "erofs", noinline, {}));
    const chunked = join(dir, "chunked.erofs");
    const dev = join(dir, "chunked.dev");
    if (run("mkfs.erofs", ["--quiet", "-T0", "--chunksize=4096", `--blobdev=${dev}`, chunked, tree]))
      images.push(imageItem("mkfs.erofs chunked + device", "erofs", chunked, { 1: dev }));
  }
  // 4. Tar layers: plain, gzip and zstd, with long (PAX/GNU) names and every entry type.
  const longDir = join(tree, "many", "l".repeat(120));
  mkdirSync(longDir, { recursive: true });
  writeFileSync(join(longDir, "f".repeat(120)), "long");
  const tarPath = join(dir, "layer.tar");
  // Without most of many/ (56 near-identical files): a smaller layer makes cheaper cases.
  const tarArgs = ["--exclude=./many/[1-5]*", "-C", tree, "."];
  if (run("tar", ["--format=pax", "-cf", tarPath, ...tarArgs])) {
    tars.push({ name: "tar pax", path: tarPath });
    const gnu = join(dir, "layer-gnu.tar");
    if (run("tar", ["--format=gnu", "-cf", gnu, ...tarArgs])) tars.push({ name: "tar gnu", path: gnu });
    if (run("gzip", ["-k", "-n", tarPath])) tars.push({ name: "tar.gz", path: `${tarPath}.gz` });
    if (run("zstd", ["-q", "-k", tarPath, "-o", `${tarPath}.zst`]))
      tars.push({ name: "tar.zst", path: `${tarPath}.zst` });
  }
  // 5. An OCI layout holding a small built v6 image (opening a layout reads and digests every
  // document and the bootstrap layer, so a small image keeps the cases cheap).
  const layouts = [];
  if (built6 !== undefined) {
    const small = await buildImage(
      [
        (async function* () {
          for (const e of treeEntries()) if (!e.path.startsWith("many/")) yield e;
        })(),
      ],
      { outDir: join(dir, "built-small"), chunkSize: 4096 },
    );
    const layout = join(dir, "oci");
    await writeOciLayout(small, layout, { tag: "latest", platform: { os: "linux", architecture: "amd64" } });
    layouts.push({ name: "built OCI layout", dir: layout });
  }
  const corpus = { images, tars, metas, layouts };
  writeFileSync(join(dir, "corpus.json"), JSON.stringify(corpus, null, 1));
  return corpus;
}

/** Reads the description a previous {@link prepareCorpus} wrote. */
export function loadCorpus(dir) {
  return JSON.parse(readFileSync(join(dir, "corpus.json"), "utf8"));
}
