// The advisory database: OSV ingest and validation, the SQLite store, and its lifecycle (build,
// pull, push, import, status).
export {
  type ArtifactOptions,
  DB_ARTIFACT_TYPE,
  DB_LAYER_MEDIA_TYPE,
  DB_SCHEMA_ANNOTATION,
  DB_SIZE_ANNOTATION,
  type PullSummary,
  type PushSummary,
  pullDatabase,
  pushDatabase,
} from "./artifact.js";
export {
  type BuildOptions,
  type BuildProblem,
  type BuildSourceSummary,
  type BuildSummary,
  buildDatabaseFile,
} from "./build.js";
export { type EcosystemKey, KNOWN_ECOSYSTEMS, nameKey, splitEcosystem } from "./ecosystems.js";
export { isVulndbError, VulndbError, VulndbErrorCode, type VulndbErrorOptions } from "./errors.js";
export {
  type BuildIntoOptions,
  buildDatabase,
  type DatabaseStatus,
  databaseStatus,
  dbFilePath,
  defaultDbDir,
  type ImportOptions,
  type InstallRecord,
  type InstallSummary,
  importDatabase,
  type OpenOptions,
  openDatabase,
  type StatusOptions,
  type VerifyOptions,
  verifyDatabaseFile,
} from "./lifecycle.js";
export { DEFAULT_LIMITS, type VulndbLimits } from "./limits.js";
export { DB_FILE_NAME, SCHEMA_VERSION } from "./schema.js";
export { defaultSqliteDriver, type OpenSqliteOptions, openSqlite, type SqliteDriver } from "./sqlite.js";
export { type DatabaseMeta, type OpenDatabaseOptions, SqliteAdvisoryStore } from "./sqlite-store.js";
export { fixStatus, mapStatusWord, STATUS_FIELD, type Validated, validateRecord } from "./validate.js";
