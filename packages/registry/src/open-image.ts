// openImage(name): the one entry point for every place an image can be. A registry reference
// pulls only the manifest, the config and the bootstrap layer, and reads file data with ranged
// requests; `oci:DIR[:TAG]` reads an OCI image layout the same way from disk; a path opens a local
// bootstrap (or build output directory) with its blobs.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { type Limits, resolveLimits } from "@rafscan/rafs";
import {
  type BlobSource,
  FileBlobSource,
  type Image,
  type ImageOptions,
  type ImageOrigin,
  openImage as openVfsImage,
} from "@rafscan/vfs";
import type { Dispatcher } from "undici";
import { RegistryClient } from "./client.js";
import { DiskCache } from "./disk-cache.js";
import { RegistryError, RegistryErrorCode } from "./errors.js";
import { Limiter } from "./limiter.js";
import { extractBootstrap } from "./oci/bootstrap-layer.js";
import { type Descriptor, formatPlatform, type Platform, parsePlatform } from "./oci/descriptor.js";
import { CONFIG_MEDIA_TYPES, type ImageManifest } from "./oci/document.js";
import { describeLayers, type NydusLayers, nydusLayers } from "./oci/nydus-layers.js";
import {
  type ImageStore,
  layoutBlobPath,
  layoutStore,
  parseImageLocation,
  readSmallBlob,
  registryStore,
  resolveManifest,
} from "./oci/store.js";
import { type RangeSourceOptions, RegistryBlobSource } from "./range-source.js";
import type { ImageReference } from "./reference.js";
import { registryClientOptions } from "./registry-access.js";
import { NetworkClock, newRemoteStats, type RemoteStats } from "./remote-stats.js";
import type { RetryOptions } from "./retry.js";

/** Largest image config read. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** What {@link OpenImageOptions.plainImage} is given for an image that is not a Nydus image. */
export interface PlainImage {
  /** The name as given to openImage. */
  readonly name: string;
  readonly manifest: ImageManifest;
  readonly manifestDigest: string;
  readonly platform: Platform | undefined;
  /** Counters to add the layer downloads to. */
  readonly stats: RemoteStats;
  readonly signal: AbortSignal | undefined;
}

/** Options of {@link openImage}. */
export interface OpenImageOptions extends ImageOptions, RetryOptions {
  /** Platform to pick from an image index (`linux/arm64` or an object). Default: linux on the host's architecture. */
  readonly platform?: Platform | string;
  /** Registry user; with `password`, wins over the Docker config. */
  readonly username?: string;
  readonly password?: string;
  /**
   * Read credentials from the Docker CLI config (`auths`, `credHelpers`, `credsStore`): `true`
   * for the default file, or a path. Default `true`.
   */
  readonly dockerConfig?: boolean | string;
  /** Plain HTTP (local registries). Default `false`. */
  readonly insecure?: boolean;
  /**
   * Send credentials to a token realm on another host over plain HTTP. Default `false`: over
   * HTTP they go only to a realm on the registry's own host (see {@link RegistryClientOptions}).
   */
  readonly allowCrossOriginRealm?: boolean;
  /** Requests in flight at once to the registry. Default 8. */
  readonly concurrency?: number;
  /** Range coalescing: largest hole bridged, and largest request. Defaults 64 KiB and 8 MiB. */
  readonly gap?: number;
  readonly maxRequestBytes?: number;
  /** See {@link RangeSourceOptions}. */
  readonly idleTimeoutMs?: number;
  readonly ignoredRangeBudget?: number;
  /** A directory for the persistent cache of bootstraps, configs and chunks. Default: none. */
  readonly cacheDir?: string;
  /**
   * What to do with an image that is not a Nydus image: a function that opens it some other way
   * (e.g. @rafscan/builder's `openPlainImage`, which downloads and converts its layers). Default:
   * fail with `REGISTRY_NOT_NYDUS`.
   */
  readonly plainImage?: (image: PlainImage) => Promise<Image>;
  /** Local images: the directory of data blobs named by id. Default `<bootstrap dir>/blobs`. */
  readonly blobDir?: string;
  /** Local plain EROFS images: extra device files, in device order. */
  readonly devices?: readonly string[];
  /**
   * Receives what the user should know but that does not stop the read, e.g. a `platform` that a
   * single-platform image does not match (the image's own platform is read). Default: ignored.
   */
  readonly onWarning?: (message: string) => void;
  /** The undici dispatcher for registry requests. Default: the shared `defaultTransport()` (timeouts, proxies from the environment). */
  readonly dispatcher?: Dispatcher;
  readonly signal?: AbortSignal;
}

/**
 * Opens an image by name: a registry reference (`registry.example.com/app:tag`, Docker Hub short
 * names, `docker://` prefix allowed), an OCI image layout (`oci:DIR[:TAG]`), a local bootstrap file,
 * or a build output directory (`DIR/bootstrap` with `DIR/blobs/<id>`). A directory with an
 * `oci-layout` file is read as an OCI image layout without the `oci:` prefix. `image.origin` describes where
 * it came from and, for registry images, carries live transport counters.
 * @throws RegistryError (`REGISTRY_NOT_NYDUS`, `REGISTRY_BAD_IMAGE`, auth and network codes), RafsError
 */
export async function openImage(name: string, options: OpenImageOptions = {}): Promise<Image> {
  // A directory holding an OCI image layout is one, with or without the `oci:` prefix.
  if (!name.startsWith("oci:") && existsSync(join(name, "oci-layout"))) name = `oci:${name}`;
  if (!name.startsWith("oci:") && existsSync(name)) return openLocal(name, options);
  const meta = await fetchMetadata(name, options);
  if (meta.layers === undefined) {
    if (options.plainImage === undefined) {
      throw new RegistryError(
        RegistryErrorCode.NOT_NYDUS,
        `${meta.name} is not a Nydus image (layers: ${describeLayers(meta.manifest)}); convert it with \`rafscan convert\`, or allow reading it by downloading its layers`,
      );
    }
    return options.plainImage({
      name,
      manifest: meta.manifest,
      manifestDigest: meta.manifestDigest,
      platform: meta.platform,
      stats: meta.stats,
      signal: options.signal,
    });
  }
  const layers = meta.layers;
  const sources = new Map<string, BlobSource>();
  const origin: ImageOrigin = {
    name: meta.name,
    kind: meta.kind,
    manifestDigest: meta.manifestDigest,
    imageBytes: meta.manifest.layers.reduce((n, l) => n + l.size, 0),
    ...(meta.config === undefined ? {} : { config: meta.config }),
    // A layout's blobs are local files: the image's own read counters tell their cost, and the
    // transport counters (which see only the config and bootstrap layer) would under-report it.
    ...(meta.kind === "registry"
      ? { transport: meta.stats as unknown as Readonly<Record<string, number>> }
      : {}),
  };
  return openVfsImage({
    ...options,
    bootstrap: meta.bootstrap as Uint8Array,
    origin,
    blobs: (blob) => {
      const d = layers.blobs.get(blob.id);
      if (d === undefined) return undefined;
      let source = sources.get(blob.id);
      if (source === undefined) {
        source = meta.blobSource(d);
        sources.set(blob.id, source);
      }
      return source;
    },
  });
}

/** What {@link fetchMetadata} reads: everything about an image but its file data. */
export interface ImageMetadata {
  /** The resolved name: `host/repo:tag` or `oci:DIR:TAG`. */
  readonly name: string;
  readonly kind: "registry" | "layout";
  readonly platform: Platform | undefined;
  readonly manifest: ImageManifest;
  /** The manifest's bytes as served, and their digest. */
  readonly manifestBytes: Uint8Array;
  readonly manifestDigest: string;
  /** The Nydus layers; undefined for a plain image (then there is no bootstrap either). */
  readonly layers: NydusLayers | undefined;
  /** The bootstrap, out of the bootstrap layer. */
  readonly bootstrap: Uint8Array | undefined;
  /** The image config, parsed, and its bytes. */
  readonly config: Record<string, unknown> | undefined;
  readonly configBytes: Uint8Array | undefined;
  /** Transport counters so far; reads through `blobSource` add to them. */
  readonly stats: RemoteStats;
  /** A ranged (or, for layouts, file) source for a data blob layer. */
  readonly blobSource: (d: Descriptor) => BlobSource;
}

/**
 * Reads an image's manifest, config and bootstrap (a registry reference or `oci:DIR[:TAG]`): what
 * `rafscan pull-meta` saves, and what {@link openImage} starts from.
 */
export async function fetchMetadata(name: string, options: OpenImageOptions = {}): Promise<ImageMetadata> {
  const location = parseImageLocation(name);
  const platform = typeof options.platform === "string" ? parsePlatform(options.platform) : options.platform;
  const stats = newRemoteStats();
  const clock = new NetworkClock(stats);
  const cache = options.cacheDir === undefined ? undefined : new DiskCache(options.cacheDir);
  let store: ImageStore;
  let blobSource: (d: Descriptor) => BlobSource;
  if (location.kind === "layout") {
    store = await layoutStore(location.dir, location.tag);
    blobSource = (d) => new FileBlobSource(layoutBlobPath(location.dir, d.digest));
  } else {
    const client = registryClient(location.reference, options);
    const timed = registryStore(client, location.reference, (bytes) => {
      stats.otherRequests++;
      stats.otherBytes += bytes;
    });
    store = {
      name: timed.name,
      root: (signal) => timedCall(clock, () => timed.root(signal)),
      manifest: (d, signal) => timedCall(clock, () => timed.manifest(d, signal)),
      blob: (d, signal) => timedCall(clock, () => timed.blob(d, signal)),
    };
    const limiter = new Limiter(options.concurrency ?? 8);
    const rangeOptions: RangeSourceOptions = { ...options, limiter, stats, clock };
    blobSource = (d) => {
      const source = new RegistryBlobSource(
        client,
        location.reference.repository,
        d.digest,
        d.size,
        rangeOptions,
      );
      return cache === undefined ? source : cache.wrap(source, d.digest, stats);
    };
  }
  const resolved = await resolveManifest(store, platform, "nydus", options.signal);
  const manifest = resolved.manifest;
  const layers = nydusLayers(manifest, store.name);
  const limits: Limits = resolveLimits(options.limits);
  const [bootstrap, configBytes] = await Promise.all([
    layers === undefined
      ? undefined
      : readBootstrap(store, layers.bootstrap, limits.maxBootstrapSize, cache, stats, options.signal),
    readConfig(store, manifest, cache, stats, options.signal),
  ]);
  const config = parseConfig(configBytes);
  if (platform !== undefined && config !== undefined)
    warnPlatform(store.name, platform, config, options.onWarning);
  return {
    name: store.name,
    kind: location.kind,
    platform,
    manifest,
    manifestBytes: resolved.raw,
    manifestDigest: resolved.digest,
    layers,
    bootstrap,
    config,
    configBytes,
    stats,
    blobSource,
  };
}

/**
 * A single-platform image is read whatever `--platform` says (there is nothing else to read), but
 * silently scanning amd64 when arm64 was asked for would mislead: say so.
 */
function warnPlatform(
  name: string,
  wanted: Platform,
  config: Record<string, unknown>,
  warn: ((message: string) => void) | undefined,
): void {
  const os = typeof config.os === "string" ? config.os : undefined;
  const architecture = typeof config.architecture === "string" ? config.architecture : undefined;
  if (os === undefined || architecture === undefined) return;
  const variant = typeof config.variant === "string" ? config.variant : undefined;
  const mismatch =
    os !== wanted.os ||
    architecture !== wanted.architecture ||
    (wanted.variant !== undefined && variant !== undefined && variant !== wanted.variant);
  if (!mismatch) return;
  const have = formatPlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
  warn?.(
    `${name} is a single-platform ${have} image, not ${formatPlatform(wanted)} as asked; reading ${have}`,
  );
}

function registryClient(ref: ImageReference, options: OpenImageOptions): RegistryClient {
  return new RegistryClient(ref.endpoint, registryClientOptions(ref.registry, options));
}

async function timedCall<T>(clock: NetworkClock, call: () => Promise<T>): Promise<T> {
  const done = clock.start();
  try {
    return await call();
  } finally {
    done();
  }
}

/**
 * A small blob (bootstrap layer, config) from the disk cache, else from the store (counted and then
 * cached). The store refuses a blob whose descriptor says it is larger than `max`, unread.
 */
async function cachedBlob(
  store: ImageStore,
  d: Descriptor,
  max: number,
  cache: DiskCache | undefined,
  stats: RemoteStats,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const hit = cache?.getBlob(d.digest);
  if (hit !== undefined) {
    stats.diskHits++;
    return hit;
  }
  const bytes = await readSmallBlob(store, d, max, signal);
  stats.otherRequests++;
  stats.otherBytes += bytes.length;
  cache?.putBlob(d.digest, bytes);
  return bytes;
}

async function readBootstrap(
  store: ImageStore,
  d: Descriptor,
  maxSize: number,
  cache: DiskCache | undefined,
  stats: RemoteStats,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  // The layer is gzip'd, so its compressed size bounds what is worth downloading: a bootstrap
  // layer larger than the bootstrap limit itself (before compression) is refused unread.
  const layer = await cachedBlob(store, d, maxSize, cache, stats, signal);
  const view = Buffer.from(layer.buffer, layer.byteOffset, layer.length);
  return extractBootstrap(Readable.from([view]), maxSize, `${store.name} layer ${d.digest}`);
}

async function readConfig(
  store: ImageStore,
  manifest: ImageManifest,
  cache: DiskCache | undefined,
  stats: RemoteStats,
  signal: AbortSignal | undefined,
): Promise<Uint8Array | undefined> {
  const d = manifest.config;
  if (!CONFIG_MEDIA_TYPES.includes(d.mediaType)) return undefined;
  return cachedBlob(store, d, MAX_CONFIG_BYTES, cache, stats, signal);
}

function parseConfig(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    const config: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    return typeof config === "object" && config !== null && !Array.isArray(config)
      ? (config as Record<string, unknown>)
      : undefined;
  } catch {
    // A config that is not JSON costs the scan its config findings, not the image.
    return undefined;
  }
}

/** A local bootstrap file or build output directory, with blobs found by id in a directory. */
async function openLocal(path: string, options: OpenImageOptions): Promise<Image> {
  let bootstrap = path;
  if (statSync(bootstrap).isDirectory()) bootstrap = join(bootstrap, "bootstrap");
  const blobDir = options.blobDir ?? join(dirname(bootstrap), "blobs");
  const devices = (options.devices ?? []).map((p) => new FileBlobSource(p));
  const known =
    existsSync(blobDir) && statSync(blobDir).isDirectory() ? new Set(readdirSync(blobDir)) : new Set();
  const byId = new Map<string, BlobSource>();
  // What the image weighs on disk: the bootstrap and the blobs beside it.
  let imageBytes = statSync(bootstrap).size;
  for (const id of known) imageBytes += statSync(join(blobDir, id as string)).size;
  return openVfsImage({
    ...options,
    bootstrap,
    origin: options.origin ?? { name: path, kind: "local", imageBytes },
    blobs: (blob) => {
      // Plain EROFS extra devices are given in order; RAFS blobs are found by id.
      const device = devices[blob.index];
      if (device !== undefined && (!blob.id || !known.has(blob.id))) return device;
      if (!blob.id || !known.has(blob.id)) return undefined;
      let source = byId.get(blob.id);
      if (source === undefined) {
        source = new FileBlobSource(join(blobDir, blob.id));
        byId.set(blob.id, source);
      }
      return source;
    },
  });
}
