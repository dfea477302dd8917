// The fuzz targets: each takes a seeded PRNG, mutates one corpus item of its format, runs the
// reader (or builder input) over the result and throws what it throws. A `Finding` thrown here is
// a broken expectation that is not an error at all, e.g. a read that succeeded with wrong bytes.
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { LayerTree, readTar } from "@rafscan/builder";
import { blobMetaRange, decodeBlobMetaCacheFile, decodeBlobMetaSection, resolveLimits } from "@rafscan/rafs";
import { openImage as openRegistryImage } from "@rafscan/registry";
import { MemoryBlobSource, openImage } from "@rafscan/vfs";
import { mutateBytes, mutateJson } from "./mutate.mjs";

/** Every target, in the order the campaign rotates through them. */
export const TARGET_NAMES = [
  "v5-bootstrap",
  "v6-bootstrap",
  "erofs",
  "blob-data",
  "blob-meta",
  "toc",
  "tar-layer",
  "oci-layout",
];
if (process.env.RAFSCAN_FUZZ_SELFTEST === "1") TARGET_NAMES.push("selftest");

/** A broken expectation that no error explains (wrong bytes, a wrong size). */
export class Finding extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** Bounds that keep one input cheap whatever a mutation claims. */
const MAX_ENTRIES = 3000;
const MAX_READS = 8;
/** Share of the files listed that a case reads. */
const READ_SHARE = 0.2;
/** Files up to this size are read whole; of larger ones, one range of at most SLICE_READ bytes. */
const WHOLE_READ = 64 * 1024;
const SLICE_READ = 8 * 1024;
const LIMITS = resolveLimits({});
const IMAGE_OPTIONS = { maxReadFileSize: 16 * 1024 * 1024, cacheBytes: 8 * 1024 * 1024 };

/**
 * Walks an image and reads what it lists. A typed error of one file does not stop the others
 * (it is recorded in `codes`); anything else propagates. With `expected` (path -> bytes of the
 * pristine image), a read that succeeds must give exactly those bytes.
 */
async function exercise(image, expected, codes, isTyped, rng) {
  let entries = 0;
  let reads = 0;
  const guard = async (fn) => {
    try {
      return await fn();
    } catch (err) {
      if (!isTyped(err)) throw err;
      codes.add(err.code);
      return undefined;
    }
  };
  for await (const e of image.walk("/")) {
    if (++entries > MAX_ENTRIES) break;
    // The walk itself decodes every directory and inode; the per-path calls re-resolve a path
    // and decode xattrs and chunk lists, so a sample of them keeps a case cheap.
    if (rng.chance(0.15)) {
      await guard(() => image.listxattr(e.path, { noFollow: true }));
      await guard(() => image.lstat(e.path));
    }
    if (e.stats.isSymbolicLink()) await guard(() => image.readlink(e.path));
    if (!e.stats.isFile() || reads >= MAX_READS || !rng.chance(READ_SHARE)) continue;
    reads++;
    // Small files are read whole; of a large one, one random range (the v5 fixtures hold MiBs).
    let got;
    let at = 0;
    if (e.stats.size <= WHOLE_READ) got = await guard(() => image.readFile(e.path));
    else if (expected === undefined) {
      // Metadata targets: decode the chunk list; reading a range of a large file would mostly
      // time the hashing of the fixtures' 1 MiB chunks.
      await guard(() => image.fileExtents(e.path));
      continue;
    } else {
      at = rng.int(e.stats.size);
      const length = Math.min(SLICE_READ, e.stats.size - at);
      got = await guard(async () => {
        const fh = await image.open(e.path);
        const { bytesRead, buffer } = await fh.read(new Uint8Array(length), 0, length, at);
        await fh.close();
        return buffer.subarray(0, bytesRead);
      });
    }
    if (got === undefined || expected === undefined) continue;
    const whole = expected.get(e.path);
    if (whole === undefined) continue;
    const want = e.stats.size <= WHOLE_READ ? whole : whole.subarray(at, at + got.length);
    if (Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), want) !== 0) {
      throw new Finding(
        "wrong-bytes",
        `${e.path} [${at}, +${got.length}): read succeeded with bytes that differ from the source's`,
      );
    }
  }
}

/** path -> bytes of every file of a pristine image (setup; errors here are corpus bugs). */
async function pristineFiles(image) {
  const out = new Map();
  for await (const e of image.walk("/")) {
    if (e.stats.isFile()) out.set(e.path, Buffer.from(await image.readFile(e.path)));
  }
  return out;
}

function sources(blobs) {
  return Object.fromEntries(
    Object.entries(blobs).map(([id, bytes]) => [id, new MemoryBlobSource(bytes, `blob ${id}`)]),
  );
}

async function* once(bytes) {
  yield bytes;
}

const sha256 = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/**
 * Loads the corpus and returns `{ name -> run(rng, codes) }` for the targets that have items.
 * `tmp` is a directory this process alone writes (TOC blobs and the OCI layout copy).
 */
export async function setupTargets(corpus, tmp, isTyped) {
  const images = [];
  for (const item of corpus.images) {
    const bootstrap = readFileSync(item.bootstrap);
    const blobs = Object.fromEntries(Object.entries(item.blobs).map(([id, p]) => [id, readFileSync(p)]));
    if (item.selfBlob) {
      // Our builder's blobs have a TOC but no image.boot: they fail to open (typed), which still
      // exercises the TOC decoder; the fixture's opens and must then read right.
      const image = await openImage({ bootstrap: item.bootstrap, ...IMAGE_OPTIONS }).catch((err) => {
        if (!isTyped(err)) throw err;
        return undefined;
      });
      const expected = image === undefined ? undefined : await pristineFiles(image);
      images.push({ ...item, bytes: bootstrap, blobBytes: blobs, info: image?.info, expected });
      continue;
    }
    const image = await openImage({ bootstrap, blobs: sources(blobs), ...IMAGE_OPTIONS });
    const expected = await pristineFiles(image);
    images.push({ ...item, bytes: bootstrap, blobBytes: blobs, info: image.info, expected });
  }
  const byFormat = (f) => images.filter((i) => i.format === f);
  const targets = {};
  const rnd = (rng, xs) => xs[rng.int(xs.length)];

  // Metadata targets: mutate the bootstrap, keep the blobs; any outcome but an untyped error is
  // fine (a mutated size or chunk record legitimately changes what a file reads as).
  const bootstrapTarget = (items) => async (rng, codes) => {
    const item = rnd(rng, items);
    // Most metadata sits in the first 16 KiB; aim there more often than elsewhere.
    const focus = rng.chance(0.6) ? [0, Math.min(item.bytes.length, 16384)] : [0, item.bytes.length];
    const bytes = mutateBytes(rng, item.bytes, focus);
    const image = await openImage({ bootstrap: bytes, blobs: sources(item.blobBytes), ...IMAGE_OPTIONS });
    await exercise(image, undefined, codes, isTyped, rng);
  };
  if (byFormat("v5").length > 0) targets["v5-bootstrap"] = bootstrapTarget(byFormat("v5"));
  if (byFormat("v6").length > 0) targets["v6-bootstrap"] = bootstrapTarget(byFormat("v6"));
  if (byFormat("erofs").length > 0) targets.erofs = bootstrapTarget(byFormat("erofs"));

  // Data targets: the bootstrap is intact, so every chunk has a digest to check; a read that
  // succeeds must return the source bytes.
  // Blobs over 1 MiB (the v5 fixtures' 3.5 MiB one) would make each case copy megabytes; the
  // built v5 images cover v5 data instead.
  const withBlobs = images.filter(
    (i) =>
      (i.format === "v5" || i.format === "v6") &&
      Object.keys(i.blobBytes).length > 0 &&
      Object.values(i.blobBytes).every((b) => b.length <= 1024 * 1024),
  );
  const blobRegion = (item, id, part) => {
    const bytes = item.blobBytes[id];
    const info = item.info.blobs.find((b) => b.id === id);
    const meta = info?.meta;
    if (meta === undefined || meta.compressedSize === 0)
      return part === "data" ? [0, bytes.length] : undefined;
    return part === "data" ? [0, meta.offset] : [meta.offset, meta.offset + meta.compressedSize];
  };
  if (withBlobs.length > 0) {
    targets["blob-data"] = async (rng, codes) => {
      const item = rnd(rng, withBlobs);
      const id = rnd(rng, Object.keys(item.blobBytes));
      const blobs = {
        ...item.blobBytes,
        [id]: mutateBytes(rng, item.blobBytes[id], blobRegion(item, id, "data")),
      };
      const image = await openImage({ bootstrap: item.bytes, blobs: sources(blobs), ...IMAGE_OPTIONS });
      await exercise(image, item.expected, codes, isTyped, rng);
    };
  }
  const withMeta = withBlobs.filter((i) => Object.keys(i.blobBytes).some((id) => blobRegion(i, id, "meta")));
  const metaFiles = corpus.metas.filter((m) => m.path !== undefined).map((m) => readFileSync(m.path));
  if (withMeta.length > 0 || metaFiles.length > 0) {
    targets["blob-meta"] = async (rng, codes) => {
      if (metaFiles.length > 0 && (withMeta.length === 0 || rng.chance(0.1))) {
        // A nydusd cache-format blob meta file (zran): the decoder alone.
        decodeBlobMetaCacheFile(mutateBytes(rng, rnd(rng, metaFiles)));
        return;
      }
      const item = rnd(rng, withMeta);
      const id = rnd(
        rng,
        Object.keys(item.blobBytes).filter((x) => blobRegion(item, x, "meta")),
      );
      const blobs = {
        ...item.blobBytes,
        [id]: mutateBytes(rng, item.blobBytes[id], blobRegion(item, id, "meta")),
      };
      // Images with a chunk table in the bootstrap (ours) read chunks without the blob meta, so
      // decode the mutated section directly as well, as a table-less image would.
      const info = item.info.blobs.find((b) => b.id === id);
      const range = info === undefined ? undefined : blobMetaRange(info);
      if (range !== undefined) {
        try {
          decodeBlobMetaSection(blobs[id].subarray(range.offset, range.offset + range.length), info, LIMITS);
        } catch (err) {
          if (!isTyped(err)) throw err;
          codes.add(err.code);
        }
      }
      const image = await openImage({ bootstrap: item.bytes, blobs: sources(blobs), ...IMAGE_OPTIONS });
      await exercise(image, item.expected, codes, isTyped, rng);
    };
  }

  // TOC target: a blob that carries its own bootstrap, opened from a file as users do. The TOC
  // records image.boot's sha256 and every chunk has a digest: reads that succeed must be right.
  const tocItems = images.filter((i) => i.selfBlob);
  if (tocItems.length > 0) {
    const path = join(tmp, "toc.blob");
    targets.toc = async (rng, codes) => {
      const item = rnd(rng, tocItems);
      const len = item.bytes.length;
      const focus = rng.chance(0.5) ? [Math.max(0, len - 4096), len] : [0, len];
      writeFileSync(path, mutateBytes(rng, item.bytes, focus));
      const image = await openImage({ bootstrap: path, ...IMAGE_OPTIONS });
      try {
        await exercise(image, item.expected, codes, isTyped, rng);
      } finally {
        await image.close();
      }
    };
  }

  // Tar layers through the builder's reader and the layer merge; the data of an entry that
  // reads without error must be exactly its declared size.
  const tars = corpus.tars.map((t) => ({ ...t, bytes: readFileSync(t.path) }));
  if (tars.length > 0) {
    targets["tar-layer"] = async (rng, codes) => {
      const t = rnd(rng, tars);
      let bytes;
      if (t.path.endsWith(".gz") && rng.chance(0.5)) {
        // Mutate the tar inside, so the mutation reaches the tar parser and not only inflate.
        bytes = gzipSync(mutateBytes(rng, gunzipSync(t.bytes)));
      } else {
        bytes = mutateBytes(rng, t.bytes);
      }
      const tree = new LayerTree();
      const entries = readTar(once(bytes), {
        maxEntrySize: 16 * 1024 * 1024,
        maxTotalSize: 64 * 1024 * 1024,
        name: t.name,
      });
      let n = 0;
      for await (const entry of entries) {
        if (++n > 20_000) break;
        try {
          tree.apply(entry, 0);
        } catch (err) {
          if (!isTyped(err)) throw err;
          codes.add(err.code);
        }
        if (entry.data === undefined) continue;
        let size = 0;
        for await (const piece of entry.data) size += piece.length;
        if (size !== entry.size) {
          throw new Finding(
            "wrong-bytes",
            `${entry.path}: data of ${size} bytes for a declared size of ${entry.size}`,
          );
        }
      }
      for (const _ of tree.walk()) {
        // Walking the merged tree must terminate (symlink and hardlink loops).
      }
    };
  }

  // OCI layouts: mutate index.json, the manifest, the config or the bootstrap layer (re-digested
  // so the mutation gets past the digest check), or any blob as is; open through @rafscan/registry.
  if (corpus.layouts.length > 0) {
    const src = corpus.layouts[0].dir;
    const dir = join(tmp, "oci");
    rmSync(dir, { recursive: true, force: true });
    cpSync(src, dir, { recursive: true });
    const blobPath = (digest) => join(dir, "blobs", "sha256", digest.slice("sha256:".length));
    const indexBytes = readFileSync(join(dir, "index.json"));
    const index = JSON.parse(indexBytes.toString("utf8"));
    const manifestDigest = index.manifests[0].digest;
    const manifestBytes = readFileSync(blobPath(manifestDigest));
    const manifest = JSON.parse(manifestBytes.toString("utf8"));
    const configBytes = readFileSync(blobPath(manifest.config.digest));
    const bootIndex = manifest.layers.length - 1;
    const bootBytes = readFileSync(blobPath(manifest.layers[bootIndex].digest));
    const allBlobs = [manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
    targets["oci-layout"] = async (rng, codes) => {
      const written = [];
      const restore = [];
      const putBlob = (bytes) => {
        const d = sha256(bytes);
        // A mutation that changed nothing names an existing blob: leave that one alone.
        if (!existsSync(blobPath(d))) {
          writeFileSync(blobPath(d), bytes);
          written.push(blobPath(d));
        }
        return { digest: d, size: bytes.length };
      };
      const withManifest = (m) => {
        const bytes =
          typeof m === "object" && !(m instanceof Uint8Array) ? Buffer.from(JSON.stringify(m)) : m;
        const { digest, size } = putBlob(bytes);
        const idx = structuredClone(index);
        idx.manifests[0].digest = digest;
        idx.manifests[0].size = size;
        return Buffer.from(JSON.stringify(idx));
      };
      let newIndex;
      const choice = rng.int(6);
      if (choice === 0)
        newIndex = rng.chance(0.6) ? mutateJson(rng, indexBytes) : mutateBytes(rng, indexBytes);
      else if (choice === 1)
        newIndex = withManifest(
          rng.chance(0.7) ? mutateJson(rng, manifestBytes) : mutateBytes(rng, manifestBytes),
        );
      else if (choice === 2) {
        const cfg = rng.chance(0.7) ? mutateJson(rng, configBytes) : mutateBytes(rng, configBytes);
        const m = structuredClone(manifest);
        Object.assign(m.config, putBlob(cfg));
        newIndex = withManifest(m);
      } else if (choice === 3) {
        const boot = rng.chance(0.5)
          ? gzipSync(mutateBytes(rng, gunzipSync(bootBytes)))
          : mutateBytes(rng, bootBytes);
        const m = structuredClone(manifest);
        Object.assign(m.layers[bootIndex], putBlob(boot));
        newIndex = withManifest(m);
      } else {
        // A blob changed in place: the layout lies about its digest.
        const d = rnd(rng, allBlobs);
        const original = readFileSync(blobPath(d));
        restore.push([blobPath(d), original]);
        writeFileSync(blobPath(d), mutateBytes(rng, original));
      }
      if (newIndex !== undefined) {
        writeFileSync(join(dir, "index.json"), newIndex);
        restore.push([join(dir, "index.json"), indexBytes]);
      }
      try {
        const image = await openRegistryImage(`oci:${dir}`, { dockerConfig: false, platform: "linux/amd64" });
        try {
          await exercise(image, undefined, codes, isTyped, rng);
        } finally {
          await image.close();
        }
      } finally {
        for (const p of written) rmSync(p, { force: true });
        for (const [p, bytes] of restore) writeFileSync(p, bytes);
      }
    };
  }
  if (process.env.RAFSCAN_FUZZ_SELFTEST === "1") {
    // The harness's own test (tests/fuzz-smoke.test.ts): each kind of finding on a known case.
    targets.selftest = async (_rng, codes) => {
      const k = Number(process.env.RAFSCAN_FUZZ_CASE ?? "-1");
      if (k === 1) await new Promise(() => setInterval(() => {}, 1000));
      if (k === 2) process.exit(3);
      if (k === 3) throw new TypeError("untyped on purpose");
      if (k === 4) throw new Finding("wrong-bytes", "wrong bytes on purpose");
      if (k === 5) {
        const hold = [];
        for (let i = 0; i < 18; i++) hold.push(Buffer.alloc(64 * 1024 * 1024, 1));
        await new Promise((r) => setTimeout(r, 3000));
        hold.length = 0;
      }
      if (k === 6) codes.add("RAFS_CORRUPT");
    };
  }
  return targets;
}
