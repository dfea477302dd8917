// Options of the image builder, with the defaults nydus-image uses.
import type { CompressorName, DigesterName } from "@rafscan/rafs";

/** Options of {@link buildImage}. */
export interface BuildOptions {
  /** Where `bootstrap` and `blobs/<id>` are written. */
  readonly outDir: string;
  /** RAFS version. Default 6. (Version 5 is not written yet.) */
  readonly fsVersion?: 5 | 6;
  /** Chunk codec. Default `zstd`. */
  readonly compressor?: CompressorName;
  /** Chunk digest. Default `blake3`, as nydus-image. */
  readonly digester?: DigesterName;
  /** Chunk size: a power of two from 4 KiB to 16 MiB. Default 1 MiB. */
  readonly chunkSize?: number;
  /** Paths (inside the image) to list in the prefetch table. */
  readonly prefetch?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called after each file with running totals. */
  readonly onProgress?: (p: BuildProgress) => void;
}

/** Running totals reported while building. */
export interface BuildProgress {
  readonly entries: number;
  readonly files: number;
  readonly bytesIn: number;
  readonly chunks: number;
  readonly dedupedChunks: number;
}
