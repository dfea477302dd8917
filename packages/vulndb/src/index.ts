// Public API of @rafscan/vulndb.

// The advisory database (ingest, SQLite store, build/pull/push/import/status): src/db/.
export * from "./db/index.js";
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
export type { AdvisoryStore } from "./store.js";
export { compareVersions, schemeFor, VersionError, type VersionScheme } from "./versions/index.js";
