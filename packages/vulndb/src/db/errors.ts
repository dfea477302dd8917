// Typed errors of the advisory database: every failure to read OSV input or to open, build, pull,
// push or import a database has a stable `code` and, where known, the file, entry or URL it is about.

/** Stable error codes of the advisory database. */
export const VulndbErrorCode = {
  /** An input path that is neither a zip, a directory, a JSON file nor a JSON Lines file. */
  BAD_SOURCE: "VULNDB_BAD_SOURCE",
  /** A zip that is malformed, or breaks a limit (entry count, entry size, total size, ratio). */
  BAD_ZIP: "VULNDB_BAD_ZIP",
  /** An input over a size limit (download, JSON file, JSON line). */
  TOO_LARGE: "VULNDB_TOO_LARGE",
  /** Downloading an OSV export failed (HTTP status, connection, cut short). */
  DOWNLOAD: "VULNDB_DOWNLOAD",
  /** A build whose inputs held no valid record at all: never installed as an empty database. */
  EMPTY: "VULNDB_EMPTY",
  /** No database in the database directory (`rafscan db build`, `pull` or `import` first). */
  NOT_FOUND: "VULNDB_NOT_FOUND",
  /** A database file written by a newer rafscan (its schema version is higher than this one reads). */
  SCHEMA_TOO_NEW: "VULNDB_SCHEMA_TOO_NEW",
  /** A database file of an older schema this rafscan no longer reads: rebuild or pull it again. */
  SCHEMA_TOO_OLD: "VULNDB_SCHEMA_TOO_OLD",
  /** A file that is not a rafscan database, or one that is damaged. */
  CORRUPT: "VULNDB_CORRUPT",
  /** An OCI artifact that is not a rafscan database (media types, layer count, sizes). */
  BAD_ARTIFACT: "VULNDB_BAD_ARTIFACT",
  /** Neither `node:sqlite` nor `better-sqlite3` can be loaded. */
  NO_SQLITE: "VULNDB_NO_SQLITE",
} as const;

export type VulndbErrorCode = (typeof VulndbErrorCode)[keyof typeof VulndbErrorCode];

/** Options of {@link VulndbError}. */
export interface VulndbErrorOptions {
  /** The file, zip entry (`all.zip!GHSA-x.json`) or URL the error is about. */
  readonly path?: string;
  readonly cause?: unknown;
}

/** Every advisory-database failure is a `VulndbError` with a stable `code`. */
export class VulndbError extends Error {
  override readonly name = "VulndbError";
  readonly code: VulndbErrorCode;
  readonly path: string | undefined;

  constructor(code: VulndbErrorCode, message: string, options: VulndbErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }
}

/** True when `err` is a {@link VulndbError}, optionally with the given code. */
export function isVulndbError(err: unknown, code?: VulndbErrorCode): err is VulndbError {
  return err instanceof VulndbError && (code === undefined || err.code === code);
}
