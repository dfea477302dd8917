// Public API of @rafscan/vulndb.

export type { AffectedSummary, AffectedSummaryEntry, LookupOptions } from "./affected-summary.js";
export { cvssBaseScore, cvssSeverity, cvssType, cvssVersion } from "./cvss.js";
// The advisory database (ingest, SQLite store, build/pull/push/import/status): src/db/.
export * from "./db/index.js";
export { createMatcher, type MatchOptions, type MatchStats, matchVulnerabilities } from "./match/matcher.js";
export { MemoryAdvisoryStore } from "./memory-store.js";
export type {
  FixStatus,
  OsvAffected,
  OsvEvent,
  OsvPackage,
  OsvRange,
  OsvRecord,
  OsvReference,
  OsvSeverity,
} from "./osv.js";
export { normalizePackageName } from "./package-names.js";
export { openSampleStore, SAMPLE_DATA_PATH, SampleDataError } from "./sample-store.js";
export type { AdvisoryStore } from "./store.js";
export { compareVersions, schemeFor, VersionError, type VersionScheme } from "./versions/index.js";
