// The on-disk layout of a rafscan advisory database (a SQLite file) and its schema version.
// Layout, version 2:
//   PRAGMA application_id = RAFSCAN_DB_APPLICATION_ID  (tells our file from any other SQLite file)
//   PRAGMA user_version   = schema version             (read before any table is touched)
//   meta(key, value)       build time, sources, counts, ecosystems, record encoding (JSON values)
//   advisory(id, osv_id, modified, withdrawn, record)  one row per OSV record; `record` is the
//                          validated record as JSON, raw-deflated
//   affected(ecosystem, release, name, advisory, summary)  the index the matcher reads: one row
//                          per (ecosystem, release, package name) a record affects; a WITHOUT ROWID
//                          table, so the primary key is the table and a lookup is one b-tree descent.
//                          `summary` (JSON, see AffectedSummary) holds what decides whether the record
//                          covers a version, so records that cannot apply are never inflated

/** The schema version this rafscan writes and reads. Bump on any change to the layout above. */
export const SCHEMA_VERSION = 2;

/** `PRAGMA application_id` of rafscan databases: "rfsv". */
export const RAFSCAN_DB_APPLICATION_ID = 0x72667376;

/** The database file's name inside the database directory. */
export const DB_FILE_NAME = "vulndb.sqlite";

/**
 * zlib window of stored records (2^13 = 8 KiB): records are a few KiB, and a small window makes
 * both deflate and inflate calls cheaper (their state is allocated per call). Part of the
 * schema: inflating needs a window at least this large.
 */
export const RECORD_WINDOW_BITS = 13;

/** How `advisory.record` is encoded (meta key `record_encoding`). */
export const RECORD_ENCODING = "json+deflate-raw";

/** The statements that create an empty database of {@link SCHEMA_VERSION}. */
export const CREATE_SCHEMA = `
PRAGMA application_id = ${RAFSCAN_DB_APPLICATION_ID};
PRAGMA user_version = ${SCHEMA_VERSION};
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE advisory (
  id INTEGER PRIMARY KEY,
  osv_id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  withdrawn INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE TABLE affected (
  ecosystem TEXT NOT NULL,
  release TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  summary TEXT NOT NULL,
  PRIMARY KEY (ecosystem, release, name, advisory)
) WITHOUT ROWID;
`;
