// Public API of @rafscan/vulndb.
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
