// The named case corpus of the metadata benchmark: a Debian minbase root and a synthetic 100k-entry
// tree, each built into EROFS images with mkfs.erofs and cached under benchmarks/.cache/.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { lstat, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Bump when the way a tree or an image is made changes, so stale caches are rebuilt rather than
 * measured. The mkfs.erofs version is part of every image key as well.
 */
export const CORPUS_VERSION = "1";

/** Debian suite, variant and mirror of the `debian-minbase` case. */
export const DEBIAN = /** @type {const} */ ({
  suite: "bookworm",
  variant: "minbase",
  mirror: "http://deb.debian.org/debian",
});

/** Entry count (root included) and PRNG seed of the synthetic tree. */
export const SYNTHETIC = /** @type {const} */ ({ entries: 100_000, seed: 0x5eed_2024 });

/**
 * @typedef {object} TreeManifest
 * @property {number} entries  paths under the root, the root included (what a full walk yields)
 * @property {Record<string, number>} types  entries by kind: dir, file, symlink, other
 * @property {number} fileBytes  sum of regular file sizes
 */

/**
 * @typedef {object} ImageCase
 * @property {string} name  case id used in tables and results.json, e.g. `debian-minbase/chunked`
 * @property {string} corpus  `debian-minbase` or `synthetic-100k`
 * @property {string} layout  `flat` (mkfs defaults), `chunked` (1 MiB chunks, data inline) or
 *   `blobdev` (1 MiB chunks in an extra device, so the image is metadata only, like a RAFS v6 bootstrap)
 * @property {string} image  path of the EROFS image
 * @property {string[]} devices  extra devices (fsck.erofs `--device`); empty unless `blobdev`
 * @property {number} imageBytes  size of the image file (what our reader loads)
 * @property {TreeManifest} tree  what the source tree held, counted with node:fs
 */

/** mkfs.erofs options of each layout; -T0 and a fixed UUID make images reproducible. */
const LAYOUTS = /** @type {const} */ ({
  flat: [],
  chunked: ["--chunksize=1048576"],
  blobdev: ["--chunksize=1048576"],
});
const FIXED_UUID = "2f7a5a0e-6b7d-4a3e-9c1e-0b2c9d3e4f50";

/**
 * Builds whatever is missing from the cache and returns the image cases.
 * @param {{ cacheDir: string, log: (msg: string) => void, only?: readonly string[] }} options
 *   `only` filters corpora by name (default both)
 * @returns {Promise<ImageCase[]>}
 */
export async function ensureCorpora({ cacheDir, log, only }) {
  mkdirSync(cacheDir, { recursive: true });
  const mkfsKey = toolVersion();
  /** @type {ImageCase[]} */
  const cases = [];
  const wanted = (/** @type {string} */ name) =>
    only === undefined || only.length === 0 || only.includes(name);
  if (wanted("debian-minbase")) {
    const dir = join(cacheDir, `debian-${DEBIAN.suite}-${DEBIAN.variant}-v${CORPUS_VERSION}`);
    const tree = await cachedTree(dir, log, (tmp) => buildDebianTree(tmp, log));
    cases.push(...buildImages("debian-minbase", dir, tree, mkfsKey, log));
  }
  if (wanted("synthetic-100k")) {
    const dir = join(
      cacheDir,
      `synthetic-${SYNTHETIC.entries}-${SYNTHETIC.seed.toString(16)}-v${CORPUS_VERSION}`,
    );
    const tree = await cachedTree(dir, log, (tmp) => buildSyntheticTree(tmp));
    cases.push(...buildImages("synthetic-100k", dir, tree, mkfsKey, log));
  }
  return cases;
}

/** A short key of the installed erofs-utils, e.g. `erofs-1.5`, so an upgrade rebuilds images. */
function toolVersion() {
  const out = execFileSync("fsck.erofs", ["-V"], { encoding: "utf8" });
  const m = /(\d+(?:\.\d+)+)/.exec(out);
  return `erofs-${m?.[1] ?? "unknown"}`;
}

/**
 * Returns the manifest of `dir/rootfs`, building the tree first when it is absent. The tree is
 * built under a temporary name and renamed at the end, so an interrupted build never counts as
 * a cached one.
 * @param {string} dir
 * @param {(msg: string) => void} log
 * @param {(tmp: string) => Promise<void>} build
 * @returns {Promise<TreeManifest>}
 */
async function cachedTree(dir, log, build) {
  const root = join(dir, "rootfs");
  const manifestPath = join(dir, "manifest.json");
  if (existsSync(root) && existsSync(manifestPath)) {
    return /** @type {TreeManifest} */ (JSON.parse(readFileSync(manifestPath, "utf8")));
  }
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, "rootfs.tmp");
  rmSync(tmp, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  const t0 = performance.now();
  log(`building ${root} (one-off, cached afterwards)`);
  await build(tmp);
  renameSync(tmp, root);
  const manifest = await countTree(root);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`  ${manifest.entries} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return manifest;
}

/**
 * Counts a tree with node:fs (lstat, no symlink following): an independent count the benchmark
 * checks our walk against.
 * @param {string} root
 * @returns {Promise<TreeManifest>}
 */
async function countTree(root) {
  /** @type {Record<string, number>} */
  const types = { dir: 0, file: 0, symlink: 0, other: 0 };
  let fileBytes = 0;
  let entries = 0;
  /** @type {string[]} */
  const stack = [root];
  while (stack.length > 0) {
    const p = /** @type {string} */ (stack.pop());
    const st = await lstat(p);
    entries++;
    if (st.isDirectory()) {
      types.dir = (types.dir ?? 0) + 1;
      for (const name of await readdir(p)) stack.push(join(p, name));
    } else if (st.isFile()) {
      types.file = (types.file ?? 0) + 1;
      fileBytes += st.size;
    } else if (st.isSymbolicLink()) {
      types.symlink = (types.symlink ?? 0) + 1;
    } else {
      types.other = (types.other ?? 0) + 1;
    }
  }
  return { entries, types, fileBytes };
}

/**
 * debootstrap --variant=minbase into `tmp` (needs root and network to the Debian mirror).
 * @param {string} tmp
 * @param {(msg: string) => void} log
 */
async function buildDebianTree(tmp, log) {
  if (!existsSync("/usr/sbin/debootstrap")) {
    throw new Error("debootstrap is not installed (apt-get install -y debootstrap)");
  }
  log(`  debootstrap --variant=${DEBIAN.variant} ${DEBIAN.suite} (a few minutes)`);
  execFileSync("/usr/sbin/debootstrap", [`--variant=${DEBIAN.variant}`, DEBIAN.suite, tmp, DEBIAN.mirror], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/**
 * A deterministic 32-bit PRNG (mulberry32), so every run builds the same synthetic tree.
 * @param {number} seed
 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The synthetic tree: exactly SYNTHETIC.entries paths, root included. Directories are expanded
 * breadth first; most hold 5-40 entries, one in 40 holds 1500 (so directory data spans many
 * blocks), depth is capped at 10. About 12% of children are directories, 6% symlinks (relative
 * and absolute, some dangling), the rest small files (mostly under 1 KiB so mkfs inlines them;
 * one in 50 a few KiB to tens of KiB so they take blocks). Name lengths vary from 1 to 80 bytes.
 * @param {string} root
 */
async function buildSyntheticTree(root) {
  const rand = prng(SYNTHETIC.seed);
  const pick = (/** @type {number} */ n) => Math.floor(rand() * n);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-";
  const name = (/** @type {number} */ i) => {
    const long = rand() < 0.1;
    const len = long ? 20 + pick(61) : 1 + pick(12);
    let s = "";
    for (let k = 0; k < len; k++) s += alphabet[pick(alphabet.length)];
    // The index suffix keeps siblings unique; '.' and '..' cannot arise because of it.
    return `${s}~${i.toString(36)}`;
  };
  await mkdir(root, { recursive: true });
  let remaining = SYNTHETIC.entries - 1;
  /** @type {{ path: string, depth: number }[]} */
  const queue = [{ path: root, depth: 0 }];
  /** @type {string[]} */
  const files = [];
  /** @type {Promise<void>[]} */
  let pending = [];
  const flush = async () => {
    await Promise.all(pending);
    pending = [];
  };
  for (let head = 0; remaining > 0; head++) {
    const dir = queue[head];
    if (dir === undefined) throw new Error("synthetic tree ran out of directories");
    const big = rand() < 1 / 40;
    const count = Math.min(remaining, big ? 1500 : 5 + pick(36));
    for (let i = 0; i < count; i++) {
      const path = join(dir.path, name(i));
      const r = rand();
      if (r < 0.12 && dir.depth < 10) {
        await mkdir(path);
        queue.push({ path, depth: dir.depth + 1 });
      } else if (r < 0.18 && files.length > 0) {
        const target = rand() < 0.5 ? `../${name(pick(50))}` : `/usr/share/doc/${name(pick(1000))}`;
        pending.push(symlink(target, path));
      } else {
        const size = rand() < 0.02 ? 2048 + pick(60_000) : pick(1024);
        const body = Buffer.alloc(size, alphabet[pick(alphabet.length)]);
        pending.push(writeFile(path, body));
        files.push(path);
      }
      remaining--;
      if (pending.length >= 256) await flush();
    }
  }
  await flush();
}

/**
 * Builds the three layouts of one corpus unless cached.
 * @param {string} corpus
 * @param {string} dir
 * @param {TreeManifest} tree
 * @param {string} mkfsKey
 * @param {(msg: string) => void} log
 * @returns {ImageCase[]}
 */
function buildImages(corpus, dir, tree, mkfsKey, log) {
  const root = join(dir, "rootfs");
  /** @type {ImageCase[]} */
  const out = [];
  for (const [layout, flags] of Object.entries(LAYOUTS)) {
    const image = join(dir, `${layout}.${mkfsKey}.erofs`);
    const blob = join(dir, `${layout}.${mkfsKey}.blob`);
    const devices = layout === "blobdev" ? [blob] : [];
    if (!existsSync(image) || devices.some((d) => !existsSync(d))) {
      const t0 = performance.now();
      const tmp = `${image}.tmp`;
      const args = [...flags, "-T0", `-U${FIXED_UUID}`, "--quiet"];
      if (layout === "blobdev") {
        rmSync(blob, { force: true });
        args.push(`--blobdev=${blob}`);
      }
      execFileSync("mkfs.erofs", [...args, tmp, root], { stdio: ["ignore", "ignore", "inherit"] });
      renameSync(tmp, image);
      log(`built ${image} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    out.push({
      name: `${corpus}/${layout}`,
      corpus,
      layout,
      image,
      devices,
      imageBytes: statSync(image).size,
      tree,
    });
  }
  return out;
}

/**
 * Removes cached trees and images that belong to other corpus versions.
 * @param {string} cacheDir
 * @param {(msg: string) => void} log
 */
export function pruneCache(cacheDir, log) {
  if (!existsSync(cacheDir)) return;
  for (const entry of readdirSync(cacheDir)) {
    if (!entry.endsWith(`-v${CORPUS_VERSION}`)) {
      log(`removing stale cache ${entry}`);
      rmSync(join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}
