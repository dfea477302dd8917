// The builder: streams input layers into per-layer data blobs (chunked, deduplicated within the
// image, compressed), merges the layers' trees with OCI whiteouts, and writes the bootstrap.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileType } from "@rafscan/rafs";
import type { BuildOptions, BuildProgress } from "./build-options.js";
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

/** Raised for input the builder cannot turn into an image; names the entry. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  readonly code: string;
  readonly path: string | undefined;
  constructor(code: string, message: string, path?: string) {
    super(path === undefined ? message : `${message}: ${path}`);
    this.code = code;
    this.path = path;
  }
}

interface MutableNode {
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  mtimeNsec: number;
  size: number;
  target?: Uint8Array;
  rdev?: readonly [number, number];
  xattrs: [string, Uint8Array][];
  children?: Map<string, MutableNode>;
  chunks?: ChunkRef[];
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

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
  const root: MutableNode = newDir();
  const writers: BlobWriter[] = [];
  const finished: FinishedBlob[] = [];
  const bootstrapTmp = join(options.outDir, ".tmp-bootstrap");
  try {
    for (const [layerIndex, layer] of layers.entries()) {
      const writer = new BlobWriter(blobDir, compressor, `${process.pid}-${layerIndex}`);
      writers.push(writer);
      const opaqueDirs = new Set<MutableNode>();
      for await (const entry of layer) {
        options.signal?.throwIfAborted();
        progress.entries++;
        await applyEntry(root, entry, layerIndex, opaqueDirs, async (data) => {
          progress.files++;
          return storeFile(data, entry, chunkSize, hash, dedup, writer, progress);
        });
        if (entry.type === "file") options.onProgress?.({ ...progress });
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
    const tree = freeze(root);
    const prefetch = (options.prefetch ?? []).map((p) => lookup(tree, p));
    const bootstrap =
      fsVersion === 6
        ? writeV6Bootstrap({ root: tree, blobs: finished, chunkSize, compressor, digester, prefetch })
        : writeV5Bootstrap({ root: tree, blobs: finished, chunkSize, compressor, digester, hash, prefetch });
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

function newDir(): MutableNode {
  return {
    type: "dir",
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtimeSec: 0,
    mtimeNsec: 0,
    size: 0,
    xattrs: [],
    children: new Map(),
  };
}

/** Applies one entry to the merged tree, with OCI whiteout semantics across layers. */
async function applyEntry(
  root: MutableNode,
  entry: SourceEntry,
  layerIndex: number,
  opaqueDirs: Set<MutableNode>,
  store: (data: AsyncIterable<Uint8Array>) => Promise<ChunkRef[]>,
): Promise<void> {
  const parts = entry.path === "" ? [] : entry.path.split("/");
  const name = parts.pop();
  let dir = root;
  for (const part of parts) {
    let next = dir.children?.get(part);
    if (next === undefined || next.type !== "dir") {
      // A missing (or replaced) parent is implied, as tar extraction does.
      next = newDir();
      dir.children?.set(part, next);
    }
    dir = next;
  }
  const children = dir.children as Map<string, MutableNode>;
  if (name === undefined) {
    Object.assign(root, metadata(entry), { children: root.children });
    return;
  }
  if (name === OPAQUE) {
    // Hide what lower layers put here; entries of this layer come after and stay.
    if (layerIndex > 0 && !opaqueDirs.has(dir)) children.clear();
    opaqueDirs.add(dir);
    return;
  }
  if (name.startsWith(WHITEOUT)) {
    children.delete(name.slice(WHITEOUT.length));
    return;
  }
  if (entry.type === "hardlink") {
    const target = entry.target === undefined ? undefined : lookupMutable(root, entry.target);
    if (target === undefined || target.type !== "file") {
      throw new BuildError("BUILD_BAD_ENTRY", `hardlink to missing file ${entry.target}`, entry.path);
    }
    children.set(name, target);
    return;
  }
  const existing = children.get(name);
  const node: MutableNode = { ...metadata(entry) };
  if (entry.type === "dir")
    node.children = existing?.type === "dir" ? (existing.children ?? new Map()) : new Map();
  if (entry.type === "file") node.chunks = entry.data === undefined ? [] : await store(entry.data);
  children.set(name, node);
}

function metadata(e: SourceEntry): MutableNode {
  const enc = new TextEncoder();
  return {
    type: e.type === "hardlink" ? "file" : e.type,
    mode: e.mode & 0o7777,
    uid: e.uid,
    gid: e.gid,
    mtimeSec: e.mtimeSec,
    mtimeNsec: e.mtimeNsec,
    size: e.type === "file" ? e.size : 0,
    ...(e.type === "symlink" && e.target !== undefined ? { target: enc.encode(e.target) } : {}),
    ...(e.rdev ? { rdev: [e.rdev.major, e.rdev.minor] as const } : {}),
    xattrs: [...e.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
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

function lookupMutable(root: MutableNode, path: string): MutableNode | undefined {
  let node: MutableNode | undefined = root;
  for (const part of path.split("/").filter((p) => p !== "")) node = node?.children?.get(part);
  return node;
}

/** Turns the mutable tree into the writer's sorted, read-only one (hardlinks stay shared). */
function freeze(root: MutableNode): ImageNode {
  const done = new Map<MutableNode, ImageNode>();
  const enc = new TextEncoder();
  const go = (n: MutableNode): ImageNode => {
    const seen = done.get(n);
    if (seen !== undefined) return seen;
    const children: ImageEntry[] | undefined = n.children
      ? [...n.children].map(([name, c]) => ({ name: enc.encode(name), node: go(c) }))
      : undefined;
    children?.sort((a, b) => Buffer.compare(a.name, b.name));
    const out: ImageNode = {
      type: n.type,
      mode: n.mode,
      uid: n.uid,
      gid: n.gid,
      mtimeSec: n.mtimeSec,
      mtimeNsec: n.mtimeNsec,
      size: n.size,
      xattrs: n.xattrs,
      ...(n.target ? { target: n.target } : {}),
      ...(n.rdev ? { rdev: n.rdev } : {}),
      ...(children ? { children } : {}),
      ...(n.chunks ? { chunks: n.chunks } : {}),
    };
    done.set(n, out);
    return out;
  };
  return go(root);
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
