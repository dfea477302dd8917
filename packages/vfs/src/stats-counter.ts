// Telemetry counters kept per open image.

/** What an image has cost so far; the CLI's `--stats` prints it. */
export interface ImageStats {
  /** Reads issued to BlobSources (one per chunk or device range). */
  blobReads: number;
  /** Bytes returned by BlobSources. */
  blobBytesRead: number;
  /** Milliseconds spent waiting on BlobSources (overlapping reads count separately). */
  blobReadMs: number;
  cacheHits: number;
  cacheMisses: number;
  /** Chunks whose digest or CRC was checked. */
  chunksVerified: number;
  /** Bytes of the bootstrap (and blob meta) read to open the image. */
  metadataBytes: number;
}

/** A zeroed counter set. */
export function newImageStats(): ImageStats {
  return {
    blobReads: 0,
    blobBytesRead: 0,
    blobReadMs: 0,
    cacheHits: 0,
    cacheMisses: 0,
    chunksVerified: 0,
    metadataBytes: 0,
  };
}
