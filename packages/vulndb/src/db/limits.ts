// Limits on untrusted advisory input (OSV exports, downloads, database artifacts), in one place;
// each can be overridden through the options of the call that applies it (docs/limits.md).

/** The limits the ingest and the database lifecycle apply. */
export interface VulndbLimits {
  /** Largest OSV record (one JSON file, zip entry or JSON line), in bytes. Default: 8 MiB. */
  readonly maxRecordBytes: number;
  /** Most entries in one zip. Default: 2,000,000 (osv.dev's largest `all.zip` holds ~500,000). */
  readonly maxZipEntries: number;
  /** Largest central directory of one zip read, in bytes (never more than the file). Default: 512 MiB. */
  readonly maxZipDirectoryBytes: number;
  /** Most bytes all entries of one zip may inflate to. Default: 16 GiB. */
  readonly maxZipTotalBytes: number;
  /** Highest inflated/compressed ratio of one zip entry (zip bombs). Default: 200. */
  readonly maxZipRatio: number;
  /** Largest OSV export downloaded from a URL, in bytes. Default: 4 GiB. */
  readonly maxDownloadBytes: number;
  /** Largest database file pulled or imported, in bytes (inflated). Default: 16 GiB. */
  readonly maxDatabaseBytes: number;
  /** Most `affected` entries in one record. Default: 100,000. */
  readonly maxAffected: number;
  /** Most events, versions, aliases or severities in one list of a record. Default: 200,000. */
  readonly maxListLength: number;
  /** Longest id, ecosystem, package name or version string, in characters. Default: 1,024. */
  readonly maxStringLength: number;
  /** Most bad records whose reasons the build summary lists (all are counted). Default: 100. */
  readonly maxReportedProblems: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: VulndbLimits = Object.freeze({
  maxRecordBytes: 8 * 1024 * 1024,
  maxZipEntries: 2_000_000,
  maxZipDirectoryBytes: 512 * 1024 * 1024,
  maxZipTotalBytes: 16 * 1024 ** 3,
  maxZipRatio: 200,
  maxDownloadBytes: 4 * 1024 ** 3,
  maxDatabaseBytes: 16 * 1024 ** 3,
  maxAffected: 100_000,
  maxListLength: 200_000,
  maxStringLength: 1024,
  maxReportedProblems: 100,
});

/** The default limits with `overrides` applied. */
export function resolveLimits(overrides: Partial<VulndbLimits> | undefined): VulndbLimits {
  return overrides === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...overrides };
}
