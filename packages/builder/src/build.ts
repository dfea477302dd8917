// The builder: streams input layers into per-layer data blobs (chunked, deduplicated within the
// image, compressed), merges the layers' trees with OCI whiteouts (LayerTree), and writes the
// bootstrap.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildOptions, BuildProgress } from "./build-options.js";
import { BuildError } from "./input/build-error.js";
import { LayerTree, type TreeNode } from "./input/merge-layers.js";
import type { EntrySource, SourceEntry } from "./source.js";
import { BlobWriter, type FinishedBlob } from "./writer/blob-writer.js";
import type { ChunkRef } from "./writer/chunk-ref.js";
import { type DigestFn, digestFn } from "./writer/digests.js";
import type { ImageEntry, ImageNode } from "./writer/image-node.js";
import { writeV5Bootstrap } from "./writer/v5-bootstrap.js";
import { writeV6Bootstrap } from "./writer/v6-bootstrap.js";

/** What a build produced. */
export interface BuildResult {
  readonly bootstrap: string;
  readonly fsVersion: 5 | 6;
  readonly blobs: readonly FinishedBlob[];
  readonly progress: BuildProgress;
}

/** Builds an image from one or more layers (lowest first); each layer gets its own blob. */
export async function buildImage(
  layers: readonly EntrySource[],
  options: BuildOptions,
): Promise<BuildResult> {
  const compressor = options.compressor ?? "zstd";
  const digester = options.digester ?? "blake3";
  const chunkSize = options.chunkSize ?? 0x100000;
  if (chunkSize < 0x1000 || chunkSize > 0x100_0000 || (chunkSize & (chunkSize - 1)) !== 0) {
    throw new BuildError("BUILD_OPTION", `chunk size ${chunkSize} is not a power of two in [4 KiB, 16 MiB]`);
  }
  const fsVersion = options.fsVersion ?? 6;
  if (fsVersion !== 5 && fsVersion !== 6)
    throw new BuildError("BUILD_OPTION", `unknown fs version ${fsVersion}`);
  const blobDir = join(options.outDir, "blobs");
  await mkdir(blobDir, { recursive: true });
  const hash = await digestFn(digester);
  const dedup = new Map<string, ChunkRef>();
  const progress = { entries: 0, files: 0, bytesIn: 0, chunks: 0, dedupedChunks: 0 };
  const tree = new LayerTree();
  const writers: BlobWriter[] = [];
  const finished: FinishedBlob[] = [];
  const bootstrapTmp = join(options.outDir, ".tmp-bootstrap");
  try {
    for (const [layerIndex, layer] of layers.entries()) {
      const writer = new BlobWriter(blobDir, compressor, `${process.pid}-${layerIndex}`);
      writers.push(writer);
      for await (const entry of layer) {
        options.signal?.throwIfAborted();
        progress.entries++;
        // Whiteouts and merging are LayerTree's; the writer stores the data of added files only
        // (the reader skips the data of an entry nobody read).
        if (tree.apply(entry, layerIndex) !== "added" || entry.type !== "file") continue;
        const node = tree.lookup(entry.path);
        if (node === undefined)
          throw new BuildError("BUILD_BAD_ENTRY", "added entry missing from the tree", entry.path);
        progress.files++;
        node.payload =
          entry.data === undefined
            ? []
            : await storeFile(entry.data, entry, chunkSize, hash, dedup, writer, progress);
        options.onProgress?.({ ...progress });
      }
    }
    // Blobs with no new chunk are dropped; the others are numbered in layer order.
    for (const w of writers) {
      if (w.chunkCount === 0) {
        await w.abort();
        continue;
      }
      w.ref.index = finished.length;
      finished.push(await w.finish({ sections: fsVersion === 6 }));
    }
    const root = freeze(tree);
    const prefetch = (options.prefetch ?? []).map((p) => lookup(root, p));
    const bootstrap =
      fsVersion === 6
        ? writeV6Bootstrap({ root, blobs: finished, chunkSize, compressor, digester, prefetch })
        : writeV5Bootstrap({ root, blobs: finished, chunkSize, compressor, digester, hash, prefetch });
    await writeFile(bootstrapTmp, bootstrap);
    await rename(bootstrapTmp, join(options.outDir, "bootstrap"));
    return { bootstrap: join(options.outDir, "bootstrap"), fsVersion, blobs: finished, progress };
  } catch (err) {
    // Leave nothing half-written behind: temporary blobs, finished blobs of this build, bootstrap.
    await Promise.all(writers.map((w) => w.abort()));
    await Promise.all(finished.map((b) => rm(b.path, { force: true })));
    await rm(bootstrapTmp, { force: true });
    throw err;
  }
}

/** Turns the merged tree into the writer's sorted, read-only one (hardlinks stay shared). */
function freeze(tree: LayerTree): ImageNode {
  const done = new Map<TreeNode, ImageNode>();
  const enc = new TextEncoder();
  const go = (n: TreeNode, path: string): ImageNode => {
    const seen = done.get(n);
    if (seen !== undefined) return seen;
    const children: ImageEntry[] | undefined =
      n.type === "dir"
        ? tree.children(n).map(([name, c]) => ({ name: enc.encode(name), node: go(c, `${path}/${name}`) }))
        : undefined;
    const chunks = n.type === "file" ? ((n.payload as ChunkRef[] | undefined) ?? []) : undefined;
    if (chunks !== undefined && chunks.length === 0 && n.size > 0) {
      throw new BuildError("BUILD_BAD_ENTRY", "file has no data", path);
    }
    const out: ImageNode = {
      type: n.type,
      mode: n.mode & 0o7777,
      uid: n.uid,
      gid: n.gid,
      // Both formats store unsigned times: a time before 1970 is written as the epoch.
      mtimeSec: Math.max(0, n.mtimeSec),
      mtimeNsec: n.mtimeSec < 0 ? 0 : n.mtimeNsec,
      size: n.type === "file" ? n.size : 0,
      xattrs: [...n.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ...(n.type === "symlink" && n.target !== undefined ? { target: enc.encode(n.target) } : {}),
      ...(n.rdev ? { rdev: [n.rdev.major, n.rdev.minor] as const } : {}),
      ...(children ? { children } : {}),
      ...(chunks ? { chunks } : {}),
    };
    done.set(n, out);
    return out;
  };
  return go(tree.root, "");
}

/** Streams a file into chunks: digest, deduplicate within the image, store new ones. */
async function storeFile(
  data: AsyncIterable<Uint8Array>,
  entry: SourceEntry,
  chunkSize: number,
  hash: DigestFn,
  dedup: Map<string, ChunkRef>,
  writer: BlobWriter,
  progress: { bytesIn: number; chunks: number; dedupedChunks: number },
): Promise<ChunkRef[]> {
  const refs: ChunkRef[] = [];
  let buf = new Uint8Array(Math.min(chunkSize, Math.max(entry.size, 1)));
  let fill = 0;
  let total = 0;
  const flush = async (bytes: Uint8Array) => {
    const digest = hash(bytes);
    const key = Buffer.from(digest).toString("hex");
    let ref = dedup.get(key);
    if (ref === undefined) {
      ref = await writer.addChunk(bytes, digest);
      dedup.set(key, ref);
      progress.chunks++;
    } else {
      progress.dedupedChunks++;
    }
    refs.push(ref);
  };
  for await (const piece of data) {
    let at = 0;
    while (at < piece.length) {
      if (fill === buf.length) {
        await flush(buf);
        buf = new Uint8Array(Math.min(chunkSize, Math.max(entry.size - total, 1)));
        fill = 0;
      }
      const n = Math.min(buf.length - fill, piece.length - at);
      buf.set(piece.subarray(at, at + n), fill);
      fill += n;
      at += n;
      total += n;
      if (total > entry.size)
        throw new BuildError(
          "BUILD_BAD_ENTRY",
          `more data than the ${entry.size} bytes declared`,
          entry.path,
        );
    }
  }
  if (total !== entry.size) {
    throw new BuildError(
      "BUILD_BAD_ENTRY",
      `${total} bytes of data where ${entry.size} were declared`,
      entry.path,
    );
  }
  if (fill > 0) await flush(buf.subarray(0, fill));
  progress.bytesIn += total;
  return refs;
}

function lookup(root: ImageNode, path: string): ImageNode {
  let node: ImageNode | undefined = root;
  const enc = new TextEncoder();
  for (const part of path.split("/").filter((p) => p !== "")) {
    const want = enc.encode(part);
    node = node?.children?.find((c) => Buffer.compare(c.name, want) === 0)?.node;
  }
  if (node === undefined) throw new BuildError("BUILD_OPTION", "prefetch path not in the image", path);
  return node;
}
