// Local image files as Docker and Skopeo name them: `docker-archive:FILE` (a `docker save` tar),
// `oci-archive:FILE` (a tar of an OCI image layout), and `dir:PATH` (an unpacked root filesystem).
// Archives are unpacked with the builder's own tar reader (readTar: names checked, sizes bounded)
// into an OCI image layout, which @rafscan/registry's openImage then reads like any `oci:` layout.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, normalize, posix, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { type OpenImageOptions, openImage } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { buildImage } from "../build.js";
import { BuildError, BuildErrorCode } from "../input/build-error.js";
import { readDirectory } from "../input/read-directory.js";
import { type ReadTarOptions, readTar } from "../input/read-tar.js";

/** The transports of local image files, as `skopeo` spells them. */
export const LOCAL_TRANSPORTS = ["docker-archive:", "oci-archive:", "dir:"] as const;

/** Largest `manifest.json` or `index.json` read from an archive: these are small documents. */
const MAX_ARCHIVE_JSON = 4 * 1024 * 1024;

/** True when `name` uses one of {@link LOCAL_TRANSPORTS}. */
export function isLocalTransport(name: string): boolean {
  return LOCAL_TRANSPORTS.some((t) => name.startsWith(t));
}

function bad(message: string, input: string): BuildError {
  return new BuildError(BuildErrorCode.BAD_INPUT, message, { input });
}

/** Inside `root`, `rel` (already free of `..`, from readTar) resolved; undefined if it escapes. */
function inside(root: string, rel: string): string | undefined {
  const full = normalize(join(root, rel));
  return full === root || full.startsWith(root + sep) ? full : undefined;
}

/**
 * Unpacks a tar into `dest`: directories and regular files; symlinks and hardlinks inside the
 * archive become copies of what they point at (a `docker save` of old Docker links duplicate
 * layers); links that leave the archive, and devices, are refused.
 */
export async function unpackTar(file: string, dest: string, options: ReadTarOptions = {}): Promise<void> {
  const links: { path: string; target: string }[] = [];
  for await (const entry of readTar(file, { ...options, name: file })) {
    const to = inside(dest, entry.path);
    if (to === undefined) throw bad(`entry ${entry.path} leaves the archive`, file);
    if (entry.type === "dir") await mkdir(to, { recursive: true });
    else if (entry.type === "file") {
      await mkdir(dirname(to), { recursive: true });
      await pipeline(entry.data ?? [], createWriteStream(to));
    } else if (entry.type === "symlink" || entry.type === "hardlink") {
      const target =
        entry.type === "hardlink"
          ? (entry.target ?? "")
          : posix.join(posix.dirname(entry.path), entry.target ?? "");
      links.push({ path: entry.path, target });
    } else {
      throw bad(`entry ${entry.path} is a ${entry.type}, not part of an image archive`, file);
    }
  }
  for (const link of links) {
    const from = inside(dest, posix.normalize(link.target));
    const to = inside(dest, link.path);
    if (from === undefined || to === undefined || link.target.startsWith("/") || !existsSync(from))
      throw bad(`link ${link.path} -> ${link.target} points outside the archive`, file);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
}

async function readJson(path: string, input: string): Promise<unknown> {
  const size = (await stat(path)).size;
  if (size > MAX_ARCHIVE_JSON) throw bad(`${path} is ${size} bytes (limit ${MAX_ARCHIVE_JSON})`, input);
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new BuildError(BuildErrorCode.BAD_INPUT, `${path} is not JSON`, { input, cause });
  }
}

async function digestFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

async function magic(path: string): Promise<Buffer> {
  const stream = createReadStream(path, { start: 0, end: 3 });
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

interface DockerManifestEntry {
  readonly Config: string;
  readonly RepoTags?: readonly string[] | null;
  readonly Layers: readonly string[];
}

/**
 * Turns an unpacked `docker save` archive into an OCI image layout in the same directory. Archives
 * of Docker 25 and later already hold one (`oci-layout`, `index.json`) and are used as they are;
 * older ones (`manifest.json` naming a config and `layer.tar` files) get blobs named by digest, an
 * OCI manifest and an `index.json`. `ref` picks an image by its `RepoTags` when there are several.
 */
async function dockerArchiveToLayout(root: string, input: string, ref: string | undefined): Promise<void> {
  const manifestPath = join(root, "manifest.json");
  if (!existsSync(manifestPath)) {
    if (existsSync(join(root, "oci-layout"))) return;
    throw bad("no manifest.json: not a `docker save` archive", input);
  }
  const parsed = await readJson(manifestPath, input);
  if (!Array.isArray(parsed) || parsed.length === 0) throw bad("manifest.json lists no image", input);
  const entries = parsed as DockerManifestEntry[];
  const wanted = (e: DockerManifestEntry) =>
    ref === undefined ||
    (e.RepoTags ?? []).some((t) => t === ref || t === `${ref}:latest` || t.endsWith(`/${ref}`));
  const matching = entries.filter(wanted);
  if (matching.length !== 1) {
    const tags = entries.flatMap((e) => e.RepoTags ?? []).join(", ");
    throw bad(
      matching.length === 0
        ? `no image ${ref} in the archive (it has: ${tags || "untagged images"})`
        : `the archive holds ${matching.length} images; name one as docker-archive:FILE:REF (${tags})`,
      input,
    );
  }
  const entry = matching[0] as DockerManifestEntry;
  if (typeof entry.Config !== "string" || !Array.isArray(entry.Layers))
    throw bad("manifest.json entry lacks Config or Layers", input);
  const blobs = join(root, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  // Blobs are moved (or, when shared, copied) to their digest names: no second copy of a layer.
  const asBlob = async (rel: string, move: boolean) => {
    const path = inside(root, rel);
    if (path === undefined || !existsSync(path))
      throw bad(`manifest.json names a missing file ${rel}`, input);
    const { digest, size } = await digestFile(path);
    const dest = join(blobs, digest.slice(7));
    if (dest !== path && !existsSync(dest)) await (move ? rename(path, dest) : copyFile(path, dest));
    return { digest, size, path: dest };
  };
  const config = await asBlob(entry.Config, false);
  const layers = [];
  for (const rel of entry.Layers) {
    const blob = await asBlob(rel, entry.Layers.filter((l) => l === rel).length === 1);
    const head = await magic(blob.path);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const zstd = head.readUInt32LE?.(0) === 0xfd2fb528;
    const mediaType = `application/vnd.oci.image.layer.v1.tar${gzip ? "+gzip" : zstd ? "+zstd" : ""}`;
    layers.push({ mediaType, digest: blob.digest, size: blob.size });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: config.digest,
        size: config.size,
      },
      layers,
    }),
  );
  const manifestDigest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  await writeFile(join(blobs, manifestDigest.slice(7)), manifest);
  await writeFile(join(root, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(root, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: manifestDigest,
          size: manifest.length,
        },
      ],
    }),
  );
}

/** Options of {@link openLocalImage}. */
export interface LocalImageOptions extends OpenImageOptions {
  /** Where the unpacked archive or the built directory image goes. Default: a new directory in the OS temp dir, removed at exit. */
  readonly workDir?: string;
}

/**
 * Splits `docker-archive:FILE[:REF]` / `oci-archive:FILE[:TAG]` / `dir:PATH`. FILE is the whole
 * rest when it exists, else the longest part before a `:` that exists (REF may hold `:` itself,
 * as in `alpine:3.20`).
 */
export function parseLocalName(name: string): {
  kind: "docker-archive" | "oci-archive" | "dir";
  path: string;
  ref?: string;
} {
  const colon = name.indexOf(":");
  const kind = name.slice(0, colon) as "docker-archive" | "oci-archive" | "dir";
  const rest = name.slice(colon + 1);
  if (kind === "dir") return { kind, path: rest };
  if (existsSync(rest)) return { kind, path: rest };
  for (let at = rest.lastIndexOf(":"); at > 0; at = rest.lastIndexOf(":", at - 1)) {
    if (existsSync(rest.slice(0, at))) return { kind, path: rest.slice(0, at), ref: rest.slice(at + 1) };
  }
  return { kind, path: rest };
}

/**
 * Opens a local image file: `docker-archive:FILE[:REF]` and `oci-archive:FILE[:TAG]` are unpacked
 * into an OCI image layout and opened with `openImage` (a plain image then goes through
 * `options.plainImage`, as from a registry); `dir:PATH` builds an uncompressed image of the tree
 * (see docs/architecture.md for why) and opens it, with `origin.format` `dir`.
 * @throws BuildError `BUILD_BAD_INPUT` for an archive that is not an image, RegistryError, RafsError
 */
export async function openLocalImage(name: string, options: LocalImageOptions = {}): Promise<Image> {
  const { kind, path, ref } = parseLocalName(name);
  if (!existsSync(path)) throw bad(`${path} does not exist`, name);
  let work = options.workDir;
  if (work === undefined) {
    const made = await mkdtemp(join(tmpdir(), "rafscan-local-"));
    process.once("exit", () => rmSync(made, { recursive: true, force: true }));
    work = made;
  }
  if (kind === "dir") {
    if (!(await stat(path)).isDirectory()) throw bad(`${path} is not a directory`, name);
    const built = await buildImage([readDirectory(path)], {
      outDir: work,
      compressor: "none",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const imageBytes = built.blobs.reduce((n, b) => n + b.size, 0);
    return openImage(work, { ...options, origin: { name, kind: "local", format: "dir", imageBytes } });
  }
  await unpackTar(path, work, options.signal === undefined ? {} : { signal: options.signal });
  if (kind === "docker-archive") await dockerArchiveToLayout(work, name, ref);
  else if (!existsSync(join(work, "oci-layout")))
    throw bad("no oci-layout file: not an OCI image layout archive", name);
  return openImage(`oci:${work}${kind === "oci-archive" && ref !== undefined ? `:${ref}` : ""}`, options);
}
