// Typed errors raised by the format decoders. Every error names what is wrong and where.

/** Stable error codes of `@rafscan/rafs`. Listed with their meaning in `docs/errors.md`. */
export const RafsErrorCode = {
  /** The bytes are not a RAFS v5, RAFS v6 or EROFS image (no known magic). */
  BAD_MAGIC: "RAFS_BAD_MAGIC",
  /** A structure, offset or size points outside the buffer it lives in. */
  OUT_OF_BOUNDS: "RAFS_OUT_OF_BOUNDS",
  /** A field holds a value the format does not allow (inconsistent sizes, bad flags, loops, ...). */
  CORRUPT: "RAFS_CORRUPT",
  /** A valid feature this reader does not implement (encryption, EROFS compression, ...). */
  UNSUPPORTED: "RAFS_UNSUPPORTED",
  /** A value is valid but exceeds a configured limit (see `docs/limits.md`). */
  LIMIT: "RAFS_LIMIT",
  /** Decompressed data does not match its digest or CRC. */
  DIGEST_MISMATCH: "RAFS_DIGEST_MISMATCH",
  /** A decompressor failed or produced a size other than the one recorded on disk. */
  DECOMPRESS: "RAFS_DECOMPRESS",
  /** A file needs a data blob (or EROFS device) that no BlobSource was given for. */
  BLOB_MISSING: "RAFS_BLOB_MISSING",
  /** A BlobSource returned fewer or more bytes than asked for, or failed. */
  BLOB_READ: "RAFS_BLOB_READ",
} as const;

export type RafsErrorCode = (typeof RafsErrorCode)[keyof typeof RafsErrorCode];

/** Options of {@link RafsError}. */
export interface RafsErrorOptions {
  /** Where the problem is: a structure and offset, e.g. `v6 inode nid 130 @0x3040`. */
  readonly where?: string;
  /** For `RAFS_UNSUPPORTED`: the feature name. */
  readonly feature?: string;
  readonly cause?: unknown;
}

/** Every decoder failure is a `RafsError` with a stable `code`. */
export class RafsError extends Error {
  override readonly name = "RafsError";
  readonly code: RafsErrorCode;
  readonly where: string | undefined;
  readonly feature: string | undefined;

  constructor(code: RafsErrorCode, message: string, options: RafsErrorOptions = {}) {
    super(options.where === undefined ? message : `${message} (at ${options.where})`, {
      cause: options.cause,
    });
    this.code = code;
    this.where = options.where;
    this.feature = options.feature;
  }
}

/** Raises `RAFS_CORRUPT`. */
export function corrupt(message: string, where?: string): never {
  throw new RafsError(RafsErrorCode.CORRUPT, message, where === undefined ? {} : { where });
}

/** Raises `RAFS_UNSUPPORTED` naming the feature. */
export function unsupported(feature: string, where?: string): never {
  throw new RafsError(RafsErrorCode.UNSUPPORTED, `unsupported feature: ${feature}`, {
    feature,
    ...(where === undefined ? {} : { where }),
  });
}

/** True when `err` is a {@link RafsError}, optionally with the given code. */
export function isRafsError(err: unknown, code?: RafsErrorCode): err is RafsError {
  return err instanceof RafsError && (code === undefined || err.code === code);
}
