// Writes a Nydus image as an OCI image layout directory (image-spec image-layout.md): `oci-layout`,
// `index.json` naming the manifest by tag, and every blob under `blobs/sha256/<hex>`.
import { createHash, randomUUID } from "node:crypto";
import { constants as fsc } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BuildError } from "../input/build-error.js";
import type { Descriptor, Platform } from "./image-config.js";
import { Annotation, MediaType } from "./media-types.js";
import { type BuiltImage, type OciImageOptions, prepareImage } from "./prepare.js";

/** Options of {@link writeOciLayout}. */
export interface OciLayoutOptions extends OciImageOptions {
  /** The name `index.json` gives the manifest (`org.opencontainers.image.ref.name`). Default: `latest`. */
  readonly tag?: string;
  /**
   * Write the blobs and the manifest but no `index.json` entry: the manifest is one platform of an
   * index written afterwards with {@link writeOciIndex}. Default `false`.
   */
  readonly untagged?: boolean;
}

/** What {@link writeOciLayout} and {@link pushImage} produced. */
export interface OciImageResult {
  /** `sha256:<hex>` of the manifest bytes. */
  readonly manifestDigest: string;
  /** Length of the manifest bytes, and the image's platform (for an index entry). */
  readonly manifestSize: number;
  readonly platform: Platform;
  readonly manifest: object;
  readonly config: object;
}

// The image-spec grammar of a ref name: components joined by - . _ : @ / + or --.
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@/+]|--)[A-Za-z0-9]+)*$/;

/**
 * Writes `image` into the OCI layout directory `dir` (created if needed). An existing layout keeps
 * its other manifests; one with the same tag is replaced in place. Blobs already present are not
 * copied again. The output is deterministic: the same image and options give the same bytes.
 * @throws BuildError `BUILD_OPTION` (bad tag), `BUILD_OCI_LAYOUT` (an existing index.json that is
 *   not an image index), `BUILD_BLOB_MISMATCH` (see {@link OciImageOptions.checkBlobIds})
 */
export async function writeOciLayout(
  image: BuiltImage,
  dir: string,
  options: OciLayoutOptions = {},
): Promise<OciImageResult> {
  const tag = options.tag ?? "latest";
  if (!REF_NAME.test(tag)) throw new BuildError("BUILD_OPTION", `bad OCI layout tag "${tag}"`);
  const blobDir = join(dir, "blobs", "sha256");
  await mkdir(blobDir, { recursive: true });
  const index = await readIndex(dir);
  const tmpBootstrap = join(blobDir, `.tmp-${randomUUID()}`);
  try {
    const prepared = await prepareImage(image, tmpBootstrap, options);
    for (const layer of prepared.layers) {
      options.signal?.throwIfAborted();
      const target = blobPath(blobDir, layer.descriptor.digest);
      if (layer.path === tmpBootstrap) await rename(tmpBootstrap, target);
      else if (!(await hasFile(target, layer.descriptor.size))) {
        // Copy under a temporary name, so that a crash never leaves a wrong blob under a digest.
        // FICLONE shares the data on filesystems with reflinks and falls back to a copy elsewhere.
        const tmp = join(blobDir, `.tmp-${randomUUID()}`);
        await copyFile(layer.path, tmp, fsc.COPYFILE_FICLONE);
        await rename(tmp, target);
      }
    }
    await writeAtomic(blobPath(blobDir, prepared.config.descriptor.digest), prepared.config.bytes);
    await writeAtomic(blobPath(blobDir, prepared.manifest.digest), prepared.manifest.bytes);
    const entry: Descriptor = {
      mediaType: MediaType.IMAGE_MANIFEST,
      digest: prepared.manifest.digest,
      size: prepared.manifest.bytes.length,
      annotations: { [Annotation.REF_NAME]: tag },
      platform: prepared.platform,
    };
    if (options.untagged !== true) await tagInLayout(dir, index, entry, tag);
    return {
      manifestDigest: prepared.manifest.digest,
      manifestSize: prepared.manifest.bytes.length,
      platform: prepared.platform,
      manifest: prepared.manifest.object,
      config: prepared.config.object,
    };
  } finally {
    await rm(tmpBootstrap, { force: true });
  }
}

/** Adds (or replaces) `entry` under `tag` in the layout's `index.json`, and writes `oci-layout`. */
async function tagInLayout(dir: string, index: Index, entry: Descriptor, tag: string): Promise<void> {
  const at = index.manifests.findIndex((m) => refName(m) === tag);
  if (at === -1) index.manifests.push(entry);
  else index.manifests[at] = entry;
  await writeAtomic(
    join(dir, "oci-layout"),
    new TextEncoder().encode(JSON.stringify({ imageLayoutVersion: "1.0.0" })),
  );
  await writeAtomic(join(dir, "index.json"), new TextEncoder().encode(JSON.stringify(index)));
}

/**
 * The image index of a multi-platform image: `manifests` are per-platform manifest descriptors
 * (each with its `platform`), in the order given. Returns its bytes and digest.
 */
export function imageIndex(manifests: readonly Descriptor[]): { bytes: Uint8Array; digest: string } {
  for (const m of manifests) {
    if (m.platform === undefined)
      throw new BuildError("BUILD_OPTION", `index entry ${m.digest} has no platform`);
  }
  const bytes = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.IMAGE_INDEX, manifests }),
  );
  return { bytes, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
}

/**
 * Writes an image index naming `manifests` (written before with `untagged: true`) into the layout
 * at `dir` and tags it `tag` in `index.json` (replacing an entry of that tag). Returns its digest.
 */
export async function writeOciIndex(
  dir: string,
  manifests: readonly Descriptor[],
  tag = "latest",
): Promise<string> {
  if (!REF_NAME.test(tag)) throw new BuildError("BUILD_OPTION", `bad OCI layout tag "${tag}"`);
  const { bytes, digest } = imageIndex(manifests);
  const blobDir = join(dir, "blobs", "sha256");
  await mkdir(blobDir, { recursive: true });
  await writeAtomic(blobPath(blobDir, digest), bytes);
  const entry: Descriptor = {
    mediaType: MediaType.IMAGE_INDEX,
    digest,
    size: bytes.length,
    annotations: { [Annotation.REF_NAME]: tag },
  };
  await tagInLayout(dir, await readIndex(dir), entry, tag);
  return digest;
}

interface Index {
  schemaVersion: 2;
  mediaType: string;
  manifests: unknown[];
  [key: string]: unknown;
}

/** The existing index.json, or a new empty index. */
async function readIndex(dir: string): Promise<Index> {
  let text: string;
  try {
    text = await readFile(join(dir, "index.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      return { schemaVersion: 2, mediaType: MediaType.IMAGE_INDEX, manifests: [] };
    }
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new BuildError("BUILD_OCI_LAYOUT", `index.json is not JSON: ${(cause as Error).message}`, dir);
  }
  const index = parsed as Partial<Index> | null;
  if (
    typeof index !== "object" ||
    index === null ||
    index.schemaVersion !== 2 ||
    !Array.isArray(index.manifests)
  ) {
    throw new BuildError("BUILD_OCI_LAYOUT", "index.json is not an OCI image index", dir);
  }
  return index as Index;
}

function refName(entry: unknown): unknown {
  return (entry as { annotations?: Record<string, unknown> } | null)?.annotations?.[Annotation.REF_NAME];
}

function blobPath(blobDir: string, digest: string): string {
  return join(blobDir, digest.slice("sha256:".length));
}

async function hasFile(path: string, size: number): Promise<boolean> {
  try {
    const st = await stat(path);
    return st.isFile() && st.size === size;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomUUID()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
