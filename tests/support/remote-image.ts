// Shared setup of the remote-read tests: a source tree made from a seeded PRNG, the Nydus image
// built from it (RAFS v6, zstd, 64 KiB chunks), a plain OCI image of the same tree, pushing both to
// a docker-registry on 127.0.0.1, and helpers to compare what an image reads with the tree.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { type BuiltImage, buildImage, pushImage, readDirectory } from "@rafscan/builder";
import { hostPlatform, type Platform, RegistryClient } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { REGISTRY_BIN } from "../../packages/registry/test/helpers/registry-server.js";
import { CLI, REPO_ROOT } from "./fixtures.js";

/** True when a docker-registry binary can be started; the remote tests skip otherwise. */
export const HAVE_REGISTRY = REGISTRY_BIN !== undefined;
/** True when GNU tar is there to make the plain image's layer. */
export const HAVE_TAR = spawnSync("tar", ["--version"], { stdio: "ignore" }).status === 0;

if (!HAVE_REGISTRY) {
  console.warn(
    "[rafscan tests] remote read tests skipped: `docker-registry` is not installed (apt-get install docker-registry)",
  );
}

/** Chunk size of the test image: small, so that the big file spans many chunks. */
export const CHUNK_SIZE = 0x10000;
/** Number of small files under `/small`. */
export const SMALL_FILES = 30;
/** Size of `/big/data.bin`. */
export const BIG_SIZE = 3 * 1024 * 1024;

/** `sha256:<hex>` of some bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same tree and the same fault plan. */
export function prng(seed: number): () => number {
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
 * Bytes that compress to about half: random letters from a 16-letter alphabet, so every chunk is
 * a real zstd frame of a size worth counting, and no two chunks are equal (no deduplication).
 */
function noise(size: number, random: () => number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = 0x61 + Math.floor(random() * 16);
  return out;
}

/** The source tree's regular files by image path (`/etc/os-release`, ...). */
export type TreeFiles = ReadonlyMap<string, Buffer>;

/**
 * Writes the test tree under `dir`: `/etc/os-release`, {@link SMALL_FILES} files of 1 to 6 KiB
 * under `/small`, and {@link BIG_SIZE} bytes in `/big/data.bin`.
 */
export function writeTree(dir: string): TreeFiles {
  const random = prng(0x5eed);
  const files = new Map<string, Buffer>();
  const put = (path: string, data: Buffer) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), data);
    files.set(path, data);
  };
  put(
    "/etc/os-release",
    Buffer.from(
      'NAME="Rafscan Test Linux"\nID=rafscantest\nVERSION_ID=1.0\nPRETTY_NAME="Rafscan Test 1.0"\n',
    ),
  );
  for (let i = 0; i < SMALL_FILES; i++) {
    put(`/small/f${String(i).padStart(2, "0")}.txt`, noise(1024 + Math.floor(random() * 5 * 1024), random));
  }
  put("/big/data.bin", noise(BIG_SIZE, random));
  return files;
}

/** The built Nydus image, as pushImage and writeOciLayout take it. */
export async function buildNydus(tree: string, outDir: string): Promise<BuiltImage> {
  const result = await buildImage([readDirectory(tree, { getfattr: false })], {
    outDir,
    fsVersion: 6,
    compressor: "zstd",
    chunkSize: CHUNK_SIZE,
  });
  return { bootstrap: result.bootstrap, blobs: result.blobs, fsVersion: 6 };
}

/** What was pushed for one image. */
export interface PushedImage {
  readonly manifestDigest: string;
  /** The manifest bytes as the registry serves them. */
  readonly manifest: Buffer;
  readonly parsed: {
    readonly config: { readonly digest: string; readonly size: number };
    readonly layers: readonly {
      readonly mediaType: string;
      readonly digest: string;
      readonly size: number;
      readonly annotations?: Record<string, string>;
    }[];
  };
}

/** Reads a manifest back from the registry (anonymous, plain HTTP). */
export async function fetchManifest(
  host: string,
  repository: string,
  reference: string,
): Promise<PushedImage> {
  const got = await new RegistryClient(host, { insecure: true }).getManifest(repository, reference);
  const manifest = Buffer.from(got.bytes);
  return { manifestDigest: got.digest, manifest, parsed: JSON.parse(manifest.toString("utf8")) };
}

/** Pushes the Nydus image to `host/repository:tag` and reads its manifest back. */
export async function pushNydus(
  image: BuiltImage,
  host: string,
  repository: string,
  tag: string,
  auth: { username?: string; password?: string } = {},
): Promise<PushedImage> {
  const { manifestDigest } = await pushImage(image, `${host}/${repository}:${tag}`, {
    insecure: true,
    platform: hostPlatform(),
    ...auth,
  });
  const client = new RegistryClient(host, { insecure: true, ...auth });
  const got = await client.getManifest(repository, manifestDigest);
  const manifest = Buffer.from(got.bytes);
  return { manifestDigest, manifest, parsed: JSON.parse(manifest.toString("utf8")) };
}

/**
 * Pushes a plain (non-Nydus) OCI image of `tree`: one tar+gzip layer made by GNU tar, a config
 * whose diff_id is the tar's sha256, and an OCI manifest under `tag`.
 */
export async function pushPlain(
  tree: string,
  work: string,
  host: string,
  repository: string,
  tag: string,
  auth: { username?: string; password?: string } = {},
): Promise<PushedImage> {
  const tarPath = join(work, "plain-layer.tar");
  const made = spawnSync(
    "tar",
    ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-cf", tarPath, "-C", tree, "."],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (made.status !== 0) throw new Error(`tar failed: ${made.stderr}`);
  const tar = readFileSync(tarPath);
  const layer = gzipSync(tar);
  const platform: Platform = hostPlatform();
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ["PATH=/usr/bin:/bin"] },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: sha256(layer),
          size: layer.length,
        },
      ],
    }),
  );
  const client = new RegistryClient(host, { insecure: true, ...auth });
  for (const blob of [layer, config]) {
    await client.uploadBlob(repository, sha256(blob), blob.length, () => Readable.from([blob]));
  }
  const manifestDigest = await client.putManifest(
    repository,
    tag,
    "application/vnd.oci.image.manifest.v1+json",
    manifest,
  );
  return { manifestDigest, manifest, parsed: JSON.parse(manifest.toString("utf8")) };
}

/**
 * Pushes an image index under `tag` naming a plain manifest and a Nydus manifest for `platform`,
 * the Nydus entry marked with `os.features: ["nydus.remoteimage.v1"]` as nydusify merges them.
 */
export async function pushMergedIndex(
  host: string,
  repository: string,
  tag: string,
  plain: PushedImage,
  nydus: PushedImage,
  platform: Platform,
): Promise<string> {
  const entry = (m: PushedImage, features?: string[]) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: m.manifestDigest,
    size: m.manifest.length,
    platform: {
      os: platform.os,
      architecture: platform.architecture,
      ...(features === undefined ? {} : { "os.features": features }),
    },
  });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      // The plain entry first: a reader that takes the first match would get the wrong one.
      manifests: [entry(plain), entry(nydus, ["nydus.remoteimage.v1"])],
    }),
  );
  return new RegistryClient(host, { insecure: true }).putManifest(
    repository,
    tag,
    "application/vnd.oci.image.index.v1+json",
    index,
  );
}

/** Reads every file of `files` from `image` and says which (if any) differ from the tree. */
export async function mismatches(image: Image, files: TreeFiles): Promise<string[]> {
  const bad: string[] = [];
  for (const [path, want] of files) {
    const got = await image.readFile(path);
    if (!got.equals(want)) bad.push(path);
  }
  return bad;
}

/** The `code` of an error and of each error in its `cause` chain, outermost first. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** Awaits `p` and returns its error, failing when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Parses `bytes=A-B` into `[A, B]` (inclusive), or undefined. */
export function parseRange(range: string | undefined): [number, number] | undefined {
  const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/** True for a proxied request of a blob (as opposed to a manifest or /v2/). */
export function isBlobPath(path: string): boolean {
  return /\/blobs\/sha256:[a-f0-9]{64}/.test(path);
}

/**
 * Runs `rafscan ARGS` without blocking the event loop, so that servers living in the test process
 * (the fault proxy) keep answering while the CLI talks to them. Killed after `timeoutMs`.
 */
export function runCliAsync(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number; stdout: Buffer; stderr: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({
        status: code ?? -1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}
