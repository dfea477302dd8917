// Reads an ordinary OCI or Docker image as builder input: resolves `oci:DIR[:TAG]` (an OCI image
// layout) or a registry reference to one image manifest for a platform (through @rafscan/registry's
// image stores), and turns its layers into lazily opened tar readers, lowest layer first.
import type { Readable } from "node:stream";
import {
  CONFIG_MEDIA_TYPES,
  type Descriptor,
  formatPlatform,
  type ImageManifest,
  type ImageStore,
  INDEX_MEDIA_TYPES,
  isNydusEntry,
  isRegistryError,
  layoutStore,
  IMAGE_MANIFEST_MEDIA_TYPES as MANIFEST_MEDIA_TYPES,
  type Platform,
  parseImageDocument,
  parseImageLocation as parseLocation,
  type RegistryAccess,
  RegistryClient,
  RegistryErrorCode,
  readSmallBlob,
  registryClientOptions,
  registryStore,
  resolveManifest,
} from "@rafscan/registry";
import { BuildError, BuildErrorCode } from "../input/build-error.js";
import { type ReadTarOptions, readTar } from "../input/read-tar.js";
import type { EntrySource } from "../source.js";
import { Annotation, MediaType } from "./media-types.js";

export { CONFIG_MEDIA_TYPES, formatPlatform, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES };

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

/** Largest image config read. Configs are small; a long history is still far below this. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

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
export interface ReadImageOptions extends RegistryAccess {
  /**
   * The platform to pick from an image index; with a single-platform image, the config must
   * name it. Default: `linux` on the host's architecture, and any platform for a single image.
   */
  readonly platform?: Platform;
  /**
   * Registry user and password (Basic, or at the token service). Default: the Docker config's
   * credentials for the registry (`dockerConfig`, default on), else anonymous.
   */
  readonly username?: string;
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
    try {
      const { dir, tag } = parseLocation(text) as Extract<
        ReturnType<typeof parseLocation>,
        { kind: "layout" }
      >;
      return { kind: "layout", dir, tag };
    } catch (cause) {
      throw new BuildError(BuildErrorCode.OPTION, `expected oci:DIR[:TAG], got '${text}'`, { cause });
    }
  }
  parseLocation(text);
  return {
    kind: "registry",
    reference: text.startsWith("docker://") ? text.slice("docker://".length) : text,
  };
}

/**
 * Registry image-format errors become the builder's own codes, so that `convert` reports one
 * family of codes for bad input whichever store it came from.
 */
function asBuildError(err: unknown): unknown {
  if (!isRegistryError(err)) return err;
  const code =
    err.code === RegistryErrorCode.BAD_IMAGE
      ? BuildErrorCode.BAD_INPUT
      : err.code === RegistryErrorCode.LAYOUT
        ? BuildErrorCode.OCI_LAYOUT
        : err.code === RegistryErrorCode.BLOB_MISMATCH
          ? BuildErrorCode.BLOB_MISMATCH
          : undefined;
  return code === undefined ? err : new BuildError(code, err.message, { cause: err });
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
  try {
    return await openSource(source, options);
  } catch (err) {
    throw asBuildError(err);
  }
}

/** The store of a source: an OCI layout or a registry repository. */
async function sourceStore(source: string, options: RegistryAccess): Promise<ImageStore> {
  const location = parseImageLocation(source);
  if (location.kind === "layout") return layoutStore(location.dir, location.tag);
  const location2 = parseLocation(location.reference);
  if (location2.kind !== "registry") throw new BuildError(BuildErrorCode.OPTION, `bad source '${source}'`);
  const ref = location2.reference;
  const client = new RegistryClient(ref.endpoint, registryClientOptions(ref.registry, options));
  return registryStore(client, ref);
}

/**
 * The platforms of a multi-platform source (an image index or manifest list), in index order:
 * entries without a platform, attestations (`unknown/unknown`) and Nydus entries of a merged
 * index are left out. Empty for a single-platform image.
 */
export async function sourcePlatforms(
  source: string,
  options: RegistryAccess & { readonly signal?: AbortSignal } = {},
): Promise<Platform[]> {
  const store = await sourceStore(source, options);
  const doc = parseImageDocument(await store.root(options.signal), store.name);
  if (doc.kind !== "index") return [];
  const out: Platform[] = [];
  for (const m of doc.manifests) {
    const p = m.platform;
    if (p === undefined || p.os === "unknown" || p.architecture === "unknown" || isNydusEntry(m)) continue;
    out.push({
      os: p.os,
      architecture: p.architecture,
      ...(p.variant === undefined ? {} : { variant: p.variant }),
    });
  }
  return out;
}

async function openSource(source: string, options: ReadImageOptions): Promise<SourceImage> {
  const store = await sourceStore(source, options);
  const resolved = await resolveManifest(store, options.platform, "plain", options.signal);
  const manifest = resolved.manifest;
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
    manifestDigest: resolved.digest,
    name: store.name,
  };
}

function bad(message: string): BuildError {
  return new BuildError(BuildErrorCode.BAD_INPUT, message);
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
  store: ImageStore,
  d: Descriptor,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const bytes = await readSmallBlob(store, d, MAX_CONFIG_BYTES, signal);
  let config: unknown;
  try {
    config = JSON.parse(Buffer.from(bytes).toString("utf8"));
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
  store: ImageStore,
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
      } catch (caught) {
        const err = asBuildError(caught);
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
