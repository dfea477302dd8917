// openImage: the entry point that turns a bootstrap (path or bytes) and blob sources into an Image.
import { BlobFeatures, openBootstrap, resolveLimits } from "@rafscan/rafs";
import { type BlobSource, FileBlobSource, MemoryBlobSource, type ReadOptions } from "./blob-source.js";
import { loadBootstrap } from "./bootstrap-loader.js";
import { type BlobSources, Image, type ImageOptions, pickSource } from "./image.js";
import { newImageStats } from "./stats-counter.js";

/** Options of {@link openImage}. */
export interface OpenImageOptions extends ImageOptions, ReadOptions {
  /**
   * A bootstrap file path, its bytes, or a data blob that carries one (TOC `image.boot`).
   */
  readonly bootstrap: string | Uint8Array;
  /**
   * Data blobs by id (v5/v6), or EROFS extra devices by device number: "1" is the first extra
   * device, as EROFS numbers them (0 is the image itself; errors say "device 1"). A device with a
   * tag may also be keyed by its tag. Default none.
   */
  readonly blobs?: BlobSources;
}

/**
 * Opens an image. Reads the bootstrap once and decodes only the superblock and tables; files
 * are decoded and fetched as they are read.
 */
export async function openImage(options: OpenImageOptions): Promise<Image> {
  const limits = resolveLimits(options.limits);
  const stats = newImageStats();
  const isPath = typeof options.bootstrap === "string";
  const file = isPath ? new FileBlobSource(options.bootstrap as string) : undefined;
  const source: BlobSource = file ?? new MemoryBlobSource(options.bootstrap as Uint8Array, "bootstrap");
  const name = isPath ? (options.bootstrap as string) : "bootstrap";
  let loaded: Awaited<ReturnType<typeof loadBootstrap>>;
  try {
    loaded = await loadBootstrap(source, limits.maxBootstrapSize, name, options.signal);
  } finally {
    await file?.close();
  }
  stats.metadataBytes += loaded.bytes.length;
  const raw = openBootstrap(loaded.bytes, limits);
  let blobs: BlobSources = options.blobs ?? {};
  if (loaded.fromBlob && typeof options.bootstrap === "string") {
    // A bootstrap carried in a blob records a stale or placeholder id for that very blob
    // (reference 4.7); like nydus, serve the blob that inlines the metadata from this file.
    const self: BlobSource = new FileBlobSource(options.bootstrap);
    const given = blobs;
    blobs = (blob) => {
      const inlined =
        (blob.features & BlobFeatures.INLINED_FS_META) !== 0 ||
        (blob.features & BlobFeatures.CAP_TAR_TOC) === 0;
      return pickSource(given, blob) ?? (inlined ? self : undefined);
    };
  }
  return new Image(raw, blobs, options, stats);
}
