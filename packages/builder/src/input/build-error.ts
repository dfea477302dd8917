// Typed errors and warnings of the builder's inputs: each names a stable code, the entry and the input.

/** Stable error codes of `@rafscan/builder`. */
export const BuildErrorCode = {
  /**
   * One entry cannot become part of an image: a bad name (NUL, `..`, empty component, not UTF-8),
   * a size over `maxEntrySize`, data cut short, a hardlink to nothing, a sparse or unknown entry.
   */
  BAD_ENTRY: "BUILD_BAD_ENTRY",
  /** The input as a whole is malformed: not a tar, a bad header checksum, corrupt gzip or zstd. */
  BAD_INPUT: "BUILD_BAD_INPUT",
  /** The input exceeds a configured limit (`maxTotalSize`, `maxRatio`, ...). */
  LIMIT: "BUILD_LIMIT",
  /** Reading the input failed: a file could not be opened or read, or changed while it was read. */
  IO: "BUILD_IO",
  /** An option has a value the builder cannot use. */
  OPTION: "BUILD_OPTION",
  /** Packaging: a blob's size or sha256 does not match its id. */
  BLOB_MISMATCH: "BUILD_BLOB_MISMATCH",
  /** Packaging: an existing `index.json` is not an OCI image index. */
  OCI_LAYOUT: "BUILD_OCI_LAYOUT",
  /**
   * Writing under a root (`SafeRoot`): a path component is a symlink or not a directory, or
   * the path resolves outside the root.
   */
  UNSAFE_PATH: "BUILD_UNSAFE_PATH",
} as const;

export type BuildErrorCode = (typeof BuildErrorCode)[keyof typeof BuildErrorCode];

/** Options of {@link BuildError}. */
export interface BuildErrorOptions {
  /** The entry, as a path inside the layer ("" is the layer root). */
  readonly path?: string;
  /** The input: a file or directory name, or the `name` given to a stream reader. */
  readonly input?: string;
  readonly cause?: unknown;
}

/**
 * Every failure of the builder on bad input is a `BuildError` with a stable `code`; the message
 * names the entry and the input, e.g. `BUILD_BAD_ENTRY: path has a ".." component: '../etc/passwd'
 * (in layer.tar)`.
 */
export class BuildError extends Error {
  override readonly name = "BuildError";
  readonly code: BuildErrorCode;
  /** The entry, when the error is about one. */
  readonly path: string | undefined;
  /** The input, when known. */
  readonly input: string | undefined;

  /** `options` may also be just the path (the form `build.ts` used before this class). */
  constructor(code: BuildErrorCode, message: string, options: BuildErrorOptions | string = {}) {
    if (typeof options === "string") options = { path: options };
    const where =
      (options.path === undefined ? "" : `: '${options.path}'`) +
      (options.input === undefined ? "" : ` (in ${options.input})`);
    super(`${code}: ${message}${where}`, { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.input = options.input;
  }
}

/** True when `err` is a {@link BuildError}, optionally with the given code. */
export function isBuildError(err: unknown, code?: BuildErrorCode): err is BuildError {
  return err instanceof BuildError && (code === undefined || err.code === code);
}

/** Codes of {@link BuildWarning}: oddities an input reader works around and reports. */
export const BuildWarningCode = {
  /** `getfattr` is missing or failed: extended attributes were not (all) read. */
  XATTRS_UNAVAILABLE: "XATTRS_UNAVAILABLE",
  /** A tar holds the same path twice; the later entry wins, as tar extraction does. */
  DUPLICATE_ENTRY: "DUPLICATE_ENTRY",
  /** A tar record the builder does not turn into image metadata (ACLs, unknown PAX keys, ...). */
  IGNORED_FIELD: "IGNORED_FIELD",
  /** Data attached to an entry type that has none (a directory or a link with a size): skipped. */
  IGNORED_DATA: "IGNORED_DATA",
} as const;

export type BuildWarningCode = (typeof BuildWarningCode)[keyof typeof BuildWarningCode];

/** A recoverable oddity of an input, passed to the reader's `onWarning` callback. */
export interface BuildWarning {
  readonly code: BuildWarningCode;
  readonly message: string;
  readonly path?: string;
  readonly input?: string;
}

/** Receives {@link BuildWarning}s. */
export type WarningHandler = (warning: BuildWarning) => void;
