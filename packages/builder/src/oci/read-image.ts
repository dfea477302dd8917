// Reads an ordinary OCI or Docker image as builder input: resolves `oci:DIR[:TAG]` (an OCI image
// layout, image-spec image-layout.md) or a registry reference to one image manifest for a platform,
// and turns its layers into lazily opened tar readers, lowest layer first.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { parseReference, RegistryClient } from "@rafscan/registry";
import { BuildError, BuildErrorCode } from "../input/build-error.js";
import { type ReadTarOptions, readTar } from "../input/read-tar.js";
import type { EntrySource } from "../source.js";
import { type Descriptor, hostPlatform, type Platform } from "./image-config.js";
import { Annotation, MediaType } from "./media-types.js";

/** Media types of image indexes: OCI, and Docker's manifest list. */
export const INDEX_MEDIA_TYPES: readonly string[] = Object.freeze([
  MediaType.IMAGE_INDEX,
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/** Media types of image manifests: OCI, and Docker's image manifest schema 2. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = Object.freeze([
  MediaType.IMAGE_MANIFEST,
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/** Media types of image configs: OCI, and Docker's. */
export const CONFIG_MEDIA_TYPES: readonly string[] = Object.freeze([
  MediaType.IMAGE_CONFIG,
  "application/vnd.docker.container.image.v1+json",
]);

/**
 * Layer media types a source image may use: tar, tar+gzip and tar+zstd (the reader tells the
 * compression from the bytes, so the label only gates what is accepted).
 */
export const LAYER_MEDIA_TYPES: readonly string[] = Object.freeze([
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
]);

/** Largest index.json, manifest or index read (distribution's own manifest limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Largest image config read. Configs are small; a long history is still far below this. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** Index levels followed (an index naming an index ...) before giving up. */
const MAX_INDEX_DEPTH = 4;
/** What nydusify sets in `platform["os.features"]` of the Nydus entry of a merged index. */
const NYDUS_OS_FEATURE = "nydus.remoteimage.v1";

/** Progress of one source layer as its compressed bytes are read. */
export interface LayerProgress {
  /** 1-based number of the layer, lowest first. */
  readonly layer: number;
  readonly layers: number;
  readonly digest: string;
  /** Compressed bytes read so far. */
  readonly bytes: number;
  /** The layer's compressed size, from its descriptor. */
  readonly total: number;
}

/** Options of {@link readImage}. */
export interface ReadImageOptions {
  /**
   * The platform to pick from an image index; with a single-platform image, the config must
   * name it. Default: `linux` on the host's architecture, and any platform for a single image.
   */
  readonly platform?: Platform;
  /** Registry user for HTTP Basic authentication. Default: anonymous. */
  readonly username?: string;
  /** Registry password or token. Default: none. */
  readonly password?: string;
  /** Speak plain HTTP to the registry. Default: `false`. */
  readonly insecure?: boolean;
  /** Limits and warnings of each layer's tar reader. Default: those of {@link readTar}. */
  readonly tar?: Omit<ReadTarOptions, "signal" | "name">;
  /** Called as layer bytes are read. Default: none. */
  readonly onProgress?: (p: LayerProgress) => void;
  /** Aborts manifest and config reads, and layer streams. */
  readonly signal?: AbortSignal;
}

/** A source image, ready to build from. */
export interface SourceImage {
  /** The image config (env, cmd, history, rootfs, ...), to pass on as `baseConfig`. */
  readonly config: Record<string, unknown>;
  /**
   * One tar reader per layer, lowest first. Each opens its blob only when iterated, so building
   * streams one layer at a time; each blob's length and digest are checked as it is read.
   */
  readonly layers: readonly EntrySource[];
  /** The layer descriptors, in the same order. */
  readonly layerDescriptors: readonly Descriptor[];
  /** Digest of the image manifest picked. */
  readonly manifestDigest: string;
  /** What the source was resolved to, for messages: `oci:DIR:TAG` or `host/repo:tag`. */
  readonly name: string;
}

/** Where an image is: an OCI image layout directory, or a registry. */
export type ImageLocation =
  | {
      readonly kind: "layout";
      readonly dir: string;
      /** The tag (`org.opencontainers.image.ref.name`), when one was written. */
      readonly tag: string | undefined;
    }
  | {
      readonly kind: "registry";
      /** The reference without a `docker://` prefix, checked by `parseReference`. */
      readonly reference: string;
    };

/**
 * Parses `oci:DIR[:TAG]` (DIR without colons) or a registry reference, optionally `docker://`
 * prefixed, so that a bad destination fails before any work.
 * @throws BuildError `BUILD_OPTION` (a bad `oci:` form); RegistryError
 *   `REGISTRY_INVALID_REFERENCE` (a bad reference)
 */
export function parseImageLocation(text: string): ImageLocation {
  if (text.startsWith("oci:")) {
    const m = /^oci:([^:]+)(?::([^:]+))?$/.exec(text);
    if (!m?.[1]) throw new BuildError(BuildErrorCode.OPTION, `expected oci:DIR[:TAG], got '${text}'`);
    return { kind: "layout", dir: m[1], tag: m[2] };
  }
  const reference = text.startsWith("docker://") ? text.slice("docker://".length) : text;
  parseReference(reference);
  return { kind: "registry", reference };
}

/** Where manifests and blobs come from. */
interface Store {
  readonly name: string;
  /** The manifest or index the source names. */
  root(): Promise<Fetched>;
  /** A manifest or index by descriptor, its digest checked. */
  manifest(d: Descriptor): Promise<Fetched>;
  /** A blob as a stream that checks length and digest as it ends. */
  blob(d: Descriptor): Promise<Readable>;
}

interface Fetched {
  readonly bytes: Uint8Array;
  /** What the transport says the type is (descriptor or Content-Type); may be "". */
  readonly mediaType: string;
  readonly digest: string;
}

/**
 * Opens a plain OCI or Docker image: `oci:DIR[:TAG]` (an OCI image layout; without TAG the only
 * image, else `latest`) or a registry reference `[host[:port]/]repo[:tag][@digest]` (optionally
 * `docker://`-prefixed). Follows an image index or Docker manifest list to `options.platform`.
 * Accepts OCI and Docker schema 2 manifests with tar, tar+gzip and tar+zstd layers.
 * @throws BuildError `BUILD_BAD_INPUT` (a Nydus image already, Docker schema 1, an unsupported
 *   media type, no manifest for the platform, a malformed manifest or config), `BUILD_OCI_LAYOUT`
 *   (no layout at DIR, TAG not in it), `BUILD_BLOB_MISMATCH` (a layout blob whose size or digest
 *   is wrong); RegistryError for registry failures
 */
export async function readImage(source: string, options: ReadImageOptions = {}): Promise<SourceImage> {
  const location = parseImageLocation(source);
  const store =
    location.kind === "layout"
      ? await layoutStore(location.dir, location.tag)
      : registryStore(location.reference, options);
  let fetched = await store.root();
  let manifest: ImageManifest | undefined;
  for (let depth = 0; manifest === undefined; depth++) {
    options.signal?.throwIfAborted();
    const doc = classify(fetched, store.name);
    if (doc.kind === "manifest") {
      manifest = doc;
      break;
    }
    if (depth >= MAX_INDEX_DEPTH) {
      throw bad(`${store.name}: more than ${MAX_INDEX_DEPTH} nested image indexes`);
    }
    fetched = await store.manifest(pickPlatform(doc.manifests, options.platform, store.name));
  }
  checkNotNydus(manifest, store.name);
  for (const layer of manifest.layers) {
    if (!LAYER_MEDIA_TYPES.includes(layer.mediaType)) {
      const foreign = /nondistributable|foreign/.test(layer.mediaType);
      throw bad(
        `${store.name}: layer ${layer.digest} has media type ${layer.mediaType}, which is not supported` +
          (foreign ? " (non-distributable layers are not stored in the image)" : "") +
          ` (accepted: ${LAYER_MEDIA_TYPES.join(", ")})`,
      );
    }
  }
  if (!CONFIG_MEDIA_TYPES.includes(manifest.config.mediaType)) {
    throw bad(
      `${store.name}: config media type ${manifest.config.mediaType} is not a container image config`,
    );
  }
  const config = await readConfig(store, manifest.config, options.signal);
  checkConfig(config, manifest, options.platform, store.name);
  const count = manifest.layers.length;
  const tar: ReadTarOptions = {
    ...options.tar,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const layers = manifest.layers.map((d, i) =>
    lazyLayer(store, d, { ...tar, name: `${store.name} layer ${i + 1}/${count} (${d.digest})` }, (bytes) =>
      options.onProgress?.({ layer: i + 1, layers: count, digest: d.digest, bytes, total: d.size }),
    ),
  );
  return {
    config,
    layers,
    layerDescriptors: manifest.layers,
    manifestDigest: fetched.digest,
    name: store.name,
  };
}

function bad(message: string): BuildError {
  return new BuildError(BuildErrorCode.BAD_INPUT, message);
}

// ---- manifests -------------------------------------------------------------------------------

interface ImageManifest {
  readonly kind: "manifest";
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

interface ImageIndex {
  readonly kind: "index";
  readonly manifests: readonly Descriptor[];
}

/** Parses a manifest or an index and checks its descriptors. */
function classify(fetched: Fetched, name: string): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(fetched.bytes).toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    doc = parsed as Record<string, unknown>;
  } catch (cause) {
    throw bad(`${name}: manifest ${fetched.digest} is not a JSON object (${(cause as Error).message})`);
  }
  if (doc.schemaVersion === 1) {
    throw bad(
      `${name}: Docker schema 1 manifests are not supported; push the image again with a current tool`,
    );
  }
  // The document's own mediaType wins; OCI makes it optional, so fall back to what the transport
  // said, then to the shape (an index has `manifests`, a manifest `config` and `layers`).
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : fetched.mediaType;
  const isIndex = INDEX_MEDIA_TYPES.includes(declared) || (!known(declared) && Array.isArray(doc.manifests));
  const isManifest =
    MANIFEST_MEDIA_TYPES.includes(declared) ||
    (!known(declared) && doc.config !== undefined && Array.isArray(doc.layers));
  if (isIndex) {
    if (!Array.isArray(doc.manifests))
      throw bad(`${name}: image index ${fetched.digest} has no manifests list`);
    return {
      kind: "index",
      manifests: doc.manifests.map((m, i) => descriptor(m, `${name}: manifests[${i}]`)),
    };
  }
  if (isManifest) {
    if (!Array.isArray(doc.layers)) throw bad(`${name}: manifest ${fetched.digest} has no layers list`);
    return {
      kind: "manifest",
      config: descriptor(doc.config, `${name}: config`),
      layers: doc.layers.map((l, i) => descriptor(l, `${name}: layers[${i}]`)),
    };
  }
  throw bad(`${name}: ${declared || "a document"} is neither an image manifest nor an image index`);
}

/** True for a media type this reader knows as manifest or index (else the shape decides). */
function known(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType) || MANIFEST_MEDIA_TYPES.includes(mediaType);
}

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** A checked descriptor: the digest is used in paths and URLs, so it must match the grammar. */
function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Record<keyof Descriptor, unknown>> | null;
  if (typeof d !== "object" || d === null) throw bad(`${where} is not a descriptor`);
  if (typeof d.mediaType !== "string") throw bad(`${where} has no mediaType`);
  if (typeof d.digest !== "string" || !DIGEST.test(d.digest)) {
    throw bad(`${where} has a bad digest ${JSON.stringify(d.digest)?.slice(0, 160)}`);
  }
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw bad(`${where} has a bad size ${String(d.size)}`);
  }
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(isStringRecord(d.annotations) ? { annotations: d.annotations } : {}),
    ...(isPlatform(d.platform) ? { platform: d.platform } : {}),
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

function isPlatform(v: unknown): v is Platform {
  const p = v as Partial<Record<string, unknown>> | null;
  return (
    typeof p === "object" && p !== null && typeof p.os === "string" && typeof p.architecture === "string"
  );
}

/** The default variant an architecture implies, as containerd normalizes platforms. */
function defaultVariant(architecture: string): string | undefined {
  return architecture === "arm64" ? "v8" : architecture === "arm" ? "v7" : undefined;
}

/**
 * The index entry for `wanted` (default: linux on the host architecture). Without a wanted
 * variant any variant matches, the architecture's default first. Entries nydusify marks as Nydus
 * are taken only when nothing else matches, so that they are then refused by name.
 */
function pickPlatform(
  entries: readonly Descriptor[],
  wanted: Platform | undefined,
  name: string,
): Descriptor {
  const want = wanted ?? hostPlatform();
  const variantOf = (p: Platform) => p.variant ?? defaultVariant(p.architecture);
  const matches = entries.filter((e) => {
    const p = e.platform;
    if (p === undefined || p.os !== want.os || p.architecture !== want.architecture) return false;
    return want.variant === undefined || variantOf(p) === variantOf(want);
  });
  const isNydus = (e: Descriptor) =>
    (
      (e.platform as { "os.features"?: unknown } | undefined)?.["os.features"] as unknown[] | undefined
    )?.includes(NYDUS_OS_FEATURE) === true;
  const ranked = [
    ...matches.filter((e) => !isNydus(e) && variantOf(e.platform as Platform) === variantOf(want)),
    ...matches.filter((e) => !isNydus(e)),
    ...matches,
  ];
  const picked = ranked[0];
  if (picked === undefined) {
    const have = entries
      .map((e) => (e.platform === undefined ? "(no platform)" : formatPlatform(e.platform)))
      .join(", ");
    throw bad(`${name}: no image for ${formatPlatform(want)} in the index (it has: ${have || "nothing"})`);
  }
  return picked;
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant === undefined ? "" : `/${p.variant}`}`;
}

/** Refuses an image whose layers are Nydus blobs and a bootstrap. */
function checkNotNydus(manifest: ImageManifest, name: string): void {
  const nydus = manifest.layers.some(
    (l) =>
      l.mediaType === MediaType.NYDUS_BLOB ||
      l.annotations?.[Annotation.NYDUS_BOOTSTRAP] === "true" ||
      l.annotations?.[Annotation.NYDUS_BLOB] === "true",
  );
  if (nydus)
    throw bad(`${name} is already a Nydus image (Nydus blob and bootstrap layers); nothing to convert`);
}

async function readConfig(
  store: Store,
  d: Descriptor,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  if (d.size > MAX_CONFIG_BYTES) {
    throw bad(`${store.name}: config ${d.digest} is ${d.size} bytes, more than ${MAX_CONFIG_BYTES}`);
  }
  const stream = await store.blob(d);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  let config: unknown;
  try {
    config = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (cause) {
    throw bad(`${store.name}: config ${d.digest} is not JSON (${(cause as Error).message})`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw bad(`${store.name}: config ${d.digest} is not a JSON object`);
  }
  return config as Record<string, unknown>;
}

/**
 * The config must agree with the manifest on the layer count (as `docker pull` checks), and
 * with the platform asked for, when one was.
 */
function checkConfig(
  config: Record<string, unknown>,
  manifest: ImageManifest,
  wanted: Platform | undefined,
  name: string,
): void {
  const diffIds = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (diffIds !== undefined && (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length)) {
    throw bad(
      `${name}: the config lists ${Array.isArray(diffIds) ? diffIds.length : "no"} diff ids for ${manifest.layers.length} layers`,
    );
  }
  if (
    wanted !== undefined &&
    typeof config.os === "string" &&
    typeof config.architecture === "string" &&
    (config.os !== wanted.os || config.architecture !== wanted.architecture)
  ) {
    throw bad(`${name} is ${config.os}/${config.architecture}, not the ${formatPlatform(wanted)} asked for`);
  }
}

// ---- layers -----------------------------------------------------------------------------------

/**
 * A layer as an EntrySource that opens its blob when iterated. The tar reader stops at the
 * archive's end marker; the rest of the blob is then read too, so that its length and digest are
 * checked before the layer counts as read.
 */
function lazyLayer(
  store: Store,
  d: Descriptor,
  tar: ReadTarOptions & { readonly name: string },
  progress: (bytes: number) => void,
): EntrySource {
  return {
    async *[Symbol.asyncIterator]() {
      let stream: Readable | undefined;
      let bytes = 0;
      async function* raw(): AsyncGenerator<Uint8Array> {
        stream = await store.blob(d);
        // The tar reader returning early must not destroy the stream: the rest is drained below.
        for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          progress(bytes);
          yield chunk;
        }
      }
      try {
        yield* readTar(raw(), tar);
        if (stream !== undefined) {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            tar.signal?.throwIfAborted();
            bytes += chunk.length;
          }
          progress(bytes);
        }
      } catch (err) {
        throw err instanceof BuildError
          ? err
          : new BuildError(BuildErrorCode.IO, `reading the layer failed: ${(err as Error).message}`, {
              input: tar.name,
              cause: err,
            });
      } finally {
        stream?.destroy();
      }
    },
  };
}

// ---- stores -----------------------------------------------------------------------------------

/** `oci:DIR[:TAG]`, read from disk. Every blob is checked against its descriptor. */
async function layoutStore(dir: string, tag: string | undefined): Promise<Store> {
  const source = `oci:${dir}${tag === undefined ? "" : `:${tag}`}`;
  const layoutError = (message: string, cause?: unknown) =>
    new BuildError(BuildErrorCode.OCI_LAYOUT, message, {
      input: dir,
      ...(cause === undefined ? {} : { cause }),
    });
  let version: unknown;
  try {
    version = (
      JSON.parse(await readFile(join(dir, "oci-layout"), "utf8")) as { imageLayoutVersion?: unknown }
    ).imageLayoutVersion;
  } catch (cause) {
    throw layoutError("not an OCI image layout (no readable oci-layout file)", cause);
  }
  if (typeof version !== "string" || !version.startsWith("1.")) {
    throw layoutError(`unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
  const blobPath = (d: Descriptor) => {
    const [algorithm, hex] = d.digest.split(":") as [string, string];
    return join(dir, "blobs", algorithm, hex);
  };
  const open = async (d: Descriptor): Promise<Readable> => {
    const path = blobPath(d);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (cause) {
      throw layoutError(`blob ${d.digest} is missing`, cause);
    }
    if (size !== d.size) {
      throw new BuildError(BuildErrorCode.BLOB_MISMATCH, `blob ${d.digest} is ${size} bytes, not ${d.size}`, {
        input: dir,
      });
    }
    return verified(createReadStream(path, { highWaterMark: 1 << 20 }), d, dir);
  };
  const readSmall = async (d: Descriptor, what: string): Promise<Fetched> => {
    if (d.size > MAX_MANIFEST_BYTES) {
      throw bad(`${source}: ${what} ${d.digest} is ${d.size} bytes, more than ${MAX_MANIFEST_BYTES}`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of (await open(d)) as AsyncIterable<Buffer>) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), mediaType: d.mediaType, digest: d.digest };
  };
  let name = source;
  return {
    get name() {
      return name;
    },
    async root() {
      const indexPath = join(dir, "index.json");
      const size = await stat(indexPath).then(
        (s) => s.size,
        (cause: unknown) => {
          throw layoutError("index.json is missing", cause);
        },
      );
      if (size > MAX_MANIFEST_BYTES)
        throw layoutError(`index.json is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const bytes = await readFile(indexPath);
      const index = classify(
        { bytes, mediaType: MediaType.IMAGE_INDEX, digest: "index.json" },
        `${source} (index.json)`,
      );
      if (index.kind !== "index") throw layoutError("index.json is not an image index");
      const tagged = (t: string) => index.manifests.filter((e) => e.annotations?.[Annotation.REF_NAME] === t);
      if (index.manifests.length === 0) throw layoutError("index.json lists no images");
      let picked: Descriptor | undefined;
      if (tag !== undefined) {
        picked = tagged(tag)[0];
        if (picked === undefined)
          throw layoutError(`no image tagged "${tag}" (tags: ${tags(index.manifests)})`);
      } else {
        picked = index.manifests.length === 1 ? index.manifests[0] : tagged("latest")[0];
        if (picked === undefined) {
          throw layoutError(
            `several images and none tagged "latest": name one (tags: ${tags(index.manifests)})`,
          );
        }
      }
      name = `oci:${dir}:${picked.annotations?.[Annotation.REF_NAME] ?? picked.digest}`;
      return readSmall(picked, "manifest");
    },
    manifest: (d) => readSmall(d, "manifest"),
    blob: open,
  };
}

function tags(entries: readonly Descriptor[]): string {
  const names = entries.map((e) => e.annotations?.[Annotation.REF_NAME]).filter((t) => t !== undefined);
  return names.length === 0 ? "none" : names.join(", ");
}

/** Passes a blob through, failing with `BUILD_BLOB_MISMATCH` when its length or digest is wrong. */
function verified(source: Readable, d: Descriptor, input: string): Readable {
  const algorithm = d.digest.slice(0, d.digest.indexOf(":"));
  const hash = createHash(algorithm);
  let length = 0;
  const mismatch = (why: string) =>
    new BuildError(BuildErrorCode.BLOB_MISMATCH, `blob ${d.digest}: ${why}`, { input });
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      length += chunk.length;
      if (length > d.size) {
        done(mismatch(`more than ${d.size} bytes (the file grew?)`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (length !== d.size) {
        done(mismatch(`${length} bytes instead of ${d.size}`));
        return;
      }
      const got = `${algorithm}:${hash.digest("hex")}`;
      done(got === d.digest ? null : mismatch(`the bytes hash to ${got}`));
    },
  });
  source.on("error", (err) => check.destroy(err));
  check.on("close", () => source.destroy());
  source.pipe(check);
  return check;
}

/** A registry reference; manifests and blobs come through {@link RegistryClient}. */
function registryStore(reference: string, options: ReadImageOptions): Store {
  const ref = parseReference(reference);
  const client = new RegistryClient(ref.endpoint, {
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    insecure: options.insecure === true,
  });
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const name = `${ref.registry}/${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${
    ref.digest === undefined ? "" : `@${ref.digest}`
  }`;
  const fetch = async (reference: string, size?: number): Promise<Fetched> => {
    const got = await client.getManifest(ref.repository, reference, { ...call, maxSize: MAX_MANIFEST_BYTES });
    if (size !== undefined && got.bytes.length !== size) {
      throw bad(`${name}: manifest ${reference} is ${got.bytes.length} bytes, not ${size}`);
    }
    return got;
  };
  return {
    name,
    // With both, the digest decides (as docker does); with neither, `latest`.
    root: () => fetch(ref.digest ?? ref.tag ?? "latest"),
    manifest: (d) => fetch(d.digest, d.size),
    blob: (d) => client.getBlob(ref.repository, d.digest, { ...call, size: d.size }),
  };
}
