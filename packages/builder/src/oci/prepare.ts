// Turns a built image into what both an OCI layout and a registry push need: the layer files with
// their descriptors, the config and the manifest bytes. Blobs are digested by streaming them.
import { BuildError } from "../input/build-error.js";
import { type BootstrapLayer, writeBootstrapLayer } from "./bootstrap-layer.js";
import { fileDigest } from "./file-digest.js";
import {
  blobLayer,
  bootstrapLayer,
  checkBaseConfig,
  type Descriptor,
  imageConfig,
  imageManifest,
  type Platform,
  resolvePlatform,
} from "./image-config.js";
import { MediaType } from "./media-types.js";
import { sha256Digest } from "./sha256.js";

/** A Nydus image on disk, as the builder leaves it. */
export interface BuiltImage {
  /** Path of the bootstrap file. */
  readonly bootstrap: string;
  /** The data blobs in blob-table order. */
  readonly blobs: readonly {
    /** The blob id the bootstrap records: sha256 hex of the blob file, as the builder names blobs. */
    readonly id: string;
    readonly path: string;
    readonly size: number;
  }[];
  readonly fsVersion: 5 | 6;
}

/** Options shared by {@link writeOciLayout} and {@link pushImage}. */
export interface OciImageOptions {
  /** The image platform. Default: the base config's, else `linux` on the host's architecture. */
  readonly platform?: Platform;
  /**
   * The source image's config, to keep its env, entrypoint, cmd, labels, working dir and so on.
   * Its `rootfs` is replaced and its `history` adjusted. Default: none.
   */
  readonly baseConfig?: object;
  /**
   * Require each blob's sha256 to be its id. Nydus finds a blob by looking up the layer whose
   * digest is `sha256:<blob id>`, so an image failing this check cannot be mounted; turn it off
   * only to package blobs made by other builders (whose ids are not file hashes, reference 4.7).
   * Default: `true`.
   */
  readonly checkBlobIds?: boolean;
  /** Aborts the work. */
  readonly signal?: AbortSignal;
}

/** One layer: its descriptor and the file holding its bytes. */
export interface PreparedLayer {
  readonly descriptor: Descriptor;
  readonly path: string;
}

/** Everything to write or push. */
export interface PreparedImage {
  /** Blob layers in order, then the bootstrap layer. */
  readonly layers: readonly PreparedLayer[];
  readonly platform: Platform;
  readonly config: { readonly object: object; readonly bytes: Uint8Array; readonly descriptor: Descriptor };
  readonly manifest: { readonly object: object; readonly bytes: Uint8Array; readonly digest: string };
}

/**
 * Digests the blobs, writes the bootstrap layer to `bootstrapOut`, and builds config and manifest.
 * @throws BuildError `BUILD_BLOB_MISMATCH` (a blob's size or sha256 is not what `image` says),
 *   `BUILD_OPTION` (bad fsVersion, platform or base config)
 */
export async function prepareImage(
  image: BuiltImage,
  bootstrapOut: string,
  options: OciImageOptions,
): Promise<PreparedImage> {
  if (image.fsVersion !== 5 && image.fsVersion !== 6) {
    throw new BuildError("BUILD_OPTION", `fsVersion must be 5 or 6, not ${String(image.fsVersion)}`);
  }
  const base = checkBaseConfig(options.baseConfig);
  const platform = resolvePlatform(options.platform, base);
  const layers: PreparedLayer[] = [];
  for (const blob of image.blobs) {
    options.signal?.throwIfAborted();
    const { digest, size } = await fileDigest(blob.path, options.signal);
    if (size !== blob.size) {
      throw new BuildError(
        "BUILD_BLOB_MISMATCH",
        `blob ${blob.id} is ${size} bytes, not ${blob.size}`,
        blob.path,
      );
    }
    if (options.checkBlobIds !== false && digest !== `sha256:${blob.id}`) {
      throw new BuildError(
        "BUILD_BLOB_MISMATCH",
        `blob id ${blob.id} is not the file's ${digest}, so Nydus could not find it in the image`,
        blob.path,
      );
    }
    layers.push({ descriptor: blobLayer(digest, size), path: blob.path });
  }
  const boot: BootstrapLayer = await writeBootstrapLayer(image.bootstrap, bootstrapOut, options.signal);
  layers.push({ descriptor: bootstrapLayer(boot.digest, boot.size, image.fsVersion), path: bootstrapOut });
  // Blob layers are stored uncompressed, so a blob's diff id is its own digest.
  const diffIds = [...layers.slice(0, -1).map((l) => l.descriptor.digest), boot.diffId];
  const config = imageConfig(base, platform, diffIds);
  const configBytes = json(config);
  const configDescriptor: Descriptor = {
    mediaType: MediaType.IMAGE_CONFIG,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  const manifest = imageManifest(
    configDescriptor,
    layers.map((l) => l.descriptor),
  );
  const manifestBytes = json(manifest);
  return {
    layers,
    platform,
    config: { object: config, bytes: configBytes, descriptor: configDescriptor },
    manifest: { object: manifest, bytes: manifestBytes, digest: sha256Digest(manifestBytes) },
  };
}

/** Compact JSON in UTF-8, like Go's encoder writes configs and manifests. */
function json(value: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
