// Where an image's manifests and blobs come from: an OCI image layout on disk (`oci:DIR[:TAG]`,
// image-spec image-layout.md) or a registry. Both check every blob against its descriptor.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import type { RegistryClient } from "../client.js";
import { RegistryError, RegistryErrorCode } from "../errors.js";
import { formatReference, type ImageReference, parseReference } from "../reference.js";
import type { Descriptor, Platform } from "./descriptor.js";
import { type FetchedDocument, type ImageManifest, parseImageDocument, pickPlatform } from "./document.js";

/** Largest index.json, manifest or index read (distribution's own manifest limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Index levels followed (an index naming an index ...) before giving up. */
const MAX_INDEX_DEPTH = 4;
/** The tag of a manifest in an OCI layout's index.json. */
const REF_NAME = "org.opencontainers.image.ref.name";

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
      /** The reference without a `docker://` prefix. */
      readonly reference: ImageReference;
    };

/**
 * Parses `oci:DIR[:TAG]` (DIR without colons) or a registry reference, optionally `docker://`
 * prefixed, so that a bad name fails before any work.
 * @throws RegistryError `REGISTRY_INVALID_REFERENCE`
 */
export function parseImageLocation(text: string): ImageLocation {
  if (text.startsWith("oci:")) {
    const m = /^oci:([^:]+)(?::([^:]+))?$/.exec(text);
    if (!m?.[1])
      throw new RegistryError(RegistryErrorCode.INVALID_REFERENCE, `expected oci:DIR[:TAG], got '${text}'`);
    return { kind: "layout", dir: m[1], tag: m[2] };
  }
  const reference = text.startsWith("docker://") ? text.slice("docker://".length) : text;
  return { kind: "registry", reference: parseReference(reference) };
}

/** Manifests and blobs of one image source. */
export interface ImageStore {
  /** What the source was resolved to, for messages: `oci:DIR:TAG` or `host/repo:tag`. */
  readonly name: string;
  /** The manifest or index the source names. */
  root(signal?: AbortSignal): Promise<FetchedDocument>;
  /** A manifest or index by descriptor, its digest checked. */
  manifest(d: Descriptor, signal?: AbortSignal): Promise<FetchedDocument>;
  /** A blob as a stream that checks length and digest as it ends. */
  blob(d: Descriptor, signal?: AbortSignal): Promise<Readable>;
}

/** An image manifest picked from a store. */
export interface ResolvedManifest {
  readonly manifest: ImageManifest;
  /** The image manifest's bytes, as served. */
  readonly raw: Uint8Array;
  /** Digest of the image manifest. */
  readonly digest: string;
  /** Size in bytes of the manifests and indexes read to get here. */
  readonly bytes: number;
}

/**
 * Follows the store's root through image indexes (up to 4 levels) to one image manifest for
 * `platform`, preferring Nydus or plain entries of merged indexes as `prefer` says.
 */
export async function resolveManifest(
  store: ImageStore,
  platform: Platform | undefined,
  prefer: "nydus" | "plain",
  signal?: AbortSignal,
): Promise<ResolvedManifest> {
  let fetched = await store.root(signal);
  let bytes = fetched.bytes.length;
  for (let depth = 0; ; depth++) {
    signal?.throwIfAborted();
    const doc = parseImageDocument(fetched, store.name);
    if (doc.kind === "manifest") return { manifest: doc, raw: fetched.bytes, digest: fetched.digest, bytes };
    if (depth >= MAX_INDEX_DEPTH) {
      throw new RegistryError(
        RegistryErrorCode.BAD_IMAGE,
        `${store.name}: more than ${MAX_INDEX_DEPTH} nested image indexes`,
      );
    }
    fetched = await store.manifest(pickPlatform(doc.manifests, platform, store.name, prefer), signal);
    bytes += fetched.bytes.length;
  }
}

/** Reads a small blob (a config) whole, refusing one over `max` bytes before reading it. */
export async function readSmallBlob(
  store: ImageStore,
  d: Descriptor,
  max: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (d.size > max) {
    throw new RegistryError(
      RegistryErrorCode.BAD_IMAGE,
      `${store.name}: blob ${d.digest} is ${d.size} bytes, more than ${max}`,
    );
  }
  const stream = await store.blob(d, signal);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

/** The path of a blob in an OCI image layout. */
export function layoutBlobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(":") as [string, string];
  return join(dir, "blobs", algorithm, hex);
}

/**
 * `oci:DIR[:TAG]`, read from disk. Without TAG the only image, else `latest`.
 * @throws RegistryError `REGISTRY_LAYOUT` (no layout, unknown tag), `REGISTRY_BLOB_MISMATCH`
 */
export async function layoutStore(dir: string, tag: string | undefined): Promise<ImageStore> {
  const source = `oci:${dir}${tag === undefined ? "" : `:${tag}`}`;
  const layoutError = (message: string, cause?: unknown) =>
    new RegistryError(
      RegistryErrorCode.LAYOUT,
      `${source}: ${message}`,
      cause === undefined ? {} : { cause },
    );
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
  const open = async (d: Descriptor): Promise<Readable> => {
    const path = layoutBlobPath(dir, d.digest);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (cause) {
      throw layoutError(`blob ${d.digest} is missing`, cause);
    }
    if (size !== d.size) {
      throw new RegistryError(
        RegistryErrorCode.BLOB_MISMATCH,
        `${source}: blob ${d.digest} is ${size} bytes, not ${d.size}`,
      );
    }
    return verified(createReadStream(path, { highWaterMark: 1 << 20 }), d, source);
  };
  const readSmall = async (d: Descriptor, what: string): Promise<FetchedDocument> => {
    if (d.size > MAX_MANIFEST_BYTES) {
      throw new RegistryError(
        RegistryErrorCode.BAD_IMAGE,
        `${source}: ${what} ${d.digest} is ${d.size} bytes, more than ${MAX_MANIFEST_BYTES}`,
      );
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
      const index = parseImageDocument(
        { bytes, mediaType: "application/vnd.oci.image.index.v1+json", digest: "index.json" },
        `${source} (index.json)`,
      );
      if (index.kind !== "index") throw layoutError("index.json is not an image index");
      const tagged = (t: string) => index.manifests.filter((e) => e.annotations?.[REF_NAME] === t);
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
      name = `oci:${dir}:${picked.annotations?.[REF_NAME] ?? picked.digest}`;
      return readSmall(picked, "manifest");
    },
    manifest: (d) => readSmall(d, "manifest"),
    blob: open,
  };
}

function tags(entries: readonly Descriptor[]): string {
  const names = entries.map((e) => e.annotations?.[REF_NAME]).filter((t) => t !== undefined);
  return names.length === 0 ? "none" : names.join(", ");
}

/** Passes a blob through, failing with `REGISTRY_BLOB_MISMATCH` when its length or digest is wrong. */
function verified(source: Readable, d: Descriptor, name: string): Readable {
  const algorithm = d.digest.slice(0, d.digest.indexOf(":"));
  const hash = createHash(algorithm);
  let length = 0;
  const mismatch = (why: string) =>
    new RegistryError(RegistryErrorCode.BLOB_MISMATCH, `${name}: blob ${d.digest}: ${why}`);
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

/** A registry repository; manifests and blobs come through `client`. */
export function registryStore(
  client: RegistryClient,
  ref: ImageReference,
  onFetched?: (bytes: number) => void,
): ImageStore {
  const name = formatReference(ref);
  const fetch = async (reference: string, size: number | undefined, signal: AbortSignal | undefined) => {
    const got = await client.getManifest(ref.repository, reference, {
      maxSize: MAX_MANIFEST_BYTES,
      ...(signal === undefined ? {} : { signal }),
    });
    onFetched?.(got.bytes.length);
    if (size !== undefined && got.bytes.length !== size) {
      throw new RegistryError(
        RegistryErrorCode.BAD_IMAGE,
        `${name}: manifest ${reference} is ${got.bytes.length} bytes, not ${size}`,
      );
    }
    return got;
  };
  return {
    name,
    // With both, the digest decides (as docker does); with neither, `latest`.
    root: (signal) => fetch(ref.digest ?? ref.tag ?? "latest", undefined, signal),
    manifest: (d, signal) => fetch(d.digest, d.size, signal),
    blob: (d, signal) =>
      client.getBlob(ref.repository, d.digest, { size: d.size, ...(signal === undefined ? {} : { signal }) }),
  };
}
