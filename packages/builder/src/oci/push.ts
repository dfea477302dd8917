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
import type { Descriptor } from "./image-config.js";
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
): Promise<{ manifestDigest: string }> {
  const reference = parseReference(ref);
  const target = reference.tag ?? reference.digest ?? "latest";
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
    return { manifestDigest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
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
