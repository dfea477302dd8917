// A chunk as the writer records it: where its bytes went and what they hash to.

/** One stored chunk; `blob` is resolved to a blob-table index when the image is finished. */
export interface ChunkRef {
  readonly blob: { index: number };
  /** Chunk index within its blob (the CI index). */
  readonly index: number;
  readonly digest: Uint8Array;
  readonly compressedOffset: number;
  readonly compressedSize: number;
  readonly uncompressedOffset: number;
  readonly uncompressedSize: number;
  readonly compressed: boolean;
}
