// Pushes a Nydus image to a registry: each layer blob and the config unless the repository has it
// already, then the manifest under the reference's tag (or digest).
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline, Readable, Transform } from "node:stream";
import {
  parseReference,
  type RegistryAccess,
  RegistryClient,
  RegistryError,
  RegistryErrorCode,
  registryClientOptions,
} from "@rafscan/registry";
import type { Descriptor, Platform } from "./image-config.js";
import { imageIndex } from "./layout.js";
import { MediaType } from "./media-types.js";
import { type BuiltImage, type OciImageOptions, prepareImage } from "./prepare.js";

/** Progress of one blob upload. */
export interface PushProgress {
  /** The blob's digest. */
  readonly blob: string;
  /** Bytes sent so far; equals `total` when the registry already had the blob. */
  readonly bytes: number;
  readonly total: number;
}

/** Options of {@link pushImage}. */
export interface PushOptions extends OciImageOptions, RegistryAccess {
  /** User name (Basic, or at the token service). Default: the Docker config's for the registry, else anonymous. */
  readonly username?: string;
  /** Password or token for HTTP Basic authentication. Default: none. */
  readonly password?: string;
  /** Plain HTTP instead of HTTPS. Default: `false`. */
  readonly insecure?: boolean;
  /**
   * Push the manifest under its own digest instead of the reference's tag: one platform of an index
   * pushed afterwards with {@link pushIndex}. Default `false`.
   */
  readonly untagged?: boolean;
  /** Called as blob bytes are read for sending, and once for each blob the registry already has. */
  readonly onProgress?: (ev: PushProgress) => void;
}

/**
 * Pushes `image` to `ref` (`host[:port]/repo[:tag][@digest]`; Docker Hub by default; tag `latest`
 * when neither tag nor digest is given). The manifest is byte for byte the one
 * {@link writeOciLayout} writes for the same options, so both give the same manifest digest.
 * @throws RegistryError (`REGISTRY_UNAUTHORIZED`, `REGISTRY_DENIED`, `REGISTRY_INVALID_REFERENCE`, ...),
 *   BuildError `BUILD_BLOB_MISMATCH`
 */
export async function pushImage(
  image: BuiltImage,
  ref: string,
  options: PushOptions = {},
): Promise<{ manifestDigest: string; manifestSize: number; platform: Platform }> {
  const reference = parseReference(ref);
  let target = reference.tag ?? reference.digest ?? "latest";
  const signal = options.signal;
  const call = signal === undefined ? {} : { signal };
  const client = new RegistryClient(reference.endpoint, registryClientOptions(reference.registry, options));
  // Bad credentials fail here, before any blob is read.
  await client.ping(call);
  const work = await mkdtemp(join(tmpdir(), "rafscan-push-"));
  try {
    const prepared = await prepareImage(image, join(work, "bootstrap.tar.gz"), options);
    if (
      reference.tag === undefined &&
      reference.digest !== undefined &&
      reference.digest !== prepared.manifest.digest
    ) {
      throw new RegistryError(
        RegistryErrorCode.INVALID_REFERENCE,
        `the image's manifest digest is ${prepared.manifest.digest}, not ${reference.digest}`,
      );
    }
    if (options.untagged === true) target = prepared.manifest.digest;
    const uploads: { descriptor: Descriptor; body: () => Readable }[] = [
      ...prepared.layers.map((l) => ({
        descriptor: l.descriptor,
        body: () => createReadStream(l.path, { highWaterMark: 1 << 20 }),
      })),
      { descriptor: prepared.config.descriptor, body: () => Readable.from([prepared.config.bytes]) },
    ];
    const seen = new Set<string>();
    for (const { descriptor, body } of uploads) {
      const { digest, size } = descriptor;
      if (seen.has(digest)) continue;
      seen.add(digest);
      if (await client.hasBlob(reference.repository, digest, call)) {
        options.onProgress?.({ blob: digest, bytes: size, total: size });
        continue;
      }
      await client.uploadBlob(
        reference.repository,
        digest,
        size,
        () => counted(body(), digest, size, options),
        call,
      );
    }
    const manifestDigest = await client.putManifest(
      reference.repository,
      target,
      MediaType.IMAGE_MANIFEST,
      prepared.manifest.bytes,
      call,
    );
    return { manifestDigest, manifestSize: prepared.manifest.bytes.length, platform: prepared.platform };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Pushes an image index naming `manifests` (pushed before with `untagged: true`, each descriptor
 * with its platform) under `ref`'s tag (default `latest`). Returns the index digest.
 */
export async function pushIndex(
  manifests: readonly Descriptor[],
  ref: string,
  options: RegistryAccess & { readonly signal?: AbortSignal } = {},
): Promise<string> {
  const reference = parseReference(ref);
  const client = new RegistryClient(reference.endpoint, registryClientOptions(reference.registry, options));
  const { bytes } = imageIndex(manifests);
  return client.putManifest(
    reference.repository,
    reference.tag ?? "latest",
    MediaType.IMAGE_INDEX,
    bytes,
    options.signal === undefined ? {} : { signal: options.signal },
  );
}

/** Passes a body through, reporting the bytes read so far. */
function counted(source: Readable, blob: string, total: number, options: PushOptions): Readable {
  const onProgress = options.onProgress;
  if (onProgress === undefined) return source;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onProgress({ blob, bytes, total });
      done(null, chunk);
    },
  });
  // pipeline() destroys both streams when either fails, which plain pipe() does not.
  return pipeline(source, counter, () => {});
}
