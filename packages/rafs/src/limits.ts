// Named limits on untrusted input. Each is overridable through `Limits` options and documented
// in docs/limits.md; decoders check sizes from disk against them before allocating.

/** Limits applied while decoding an image. All sizes are in bytes. */
export interface Limits {
  /** Largest bootstrap accepted. Default 2 GiB (the v5 format maximum). */
  readonly maxBootstrapSize: number;
  /** Largest chunk (compressed or uncompressed). Default 16 MiB, the format maximum. */
  readonly maxChunkSize: number;
  /** Largest uncompressed blob meta (CI array plus zran/batch tables). Default 256 MiB. */
  readonly maxBlobMetaSize: number;
  /** Most blobs in one image. Default 256 (v6 can address 254). */
  readonly maxBlobs: number;
  /** Most entries in one directory. Default 1,000,000. */
  readonly maxDirEntries: number;
  /** Longest symlink target. Default 4096 (PATH_MAX). */
  readonly maxSymlinkSize: number;
  /** Most xattrs on one inode. Default 1024. */
  readonly maxXattrsPerInode: number;
  /** Deepest directory nesting walked. Default 4096. */
  readonly maxDepth: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxBootstrapSize: 0x8000_0000,
  maxChunkSize: 16 * 1024 * 1024,
  maxBlobMetaSize: 256 * 1024 * 1024,
  maxBlobs: 256,
  maxDirEntries: 1_000_000,
  maxSymlinkSize: 4096,
  maxXattrsPerInode: 1024,
  maxDepth: 4096,
});

/** Merges user overrides with the defaults. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...overrides });
}
