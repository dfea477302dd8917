// The SQLite advisory database opened for reading: the AdvisoryStore the matcher uses. Opening
// reads the file header and the meta table only (a few pages), so it costs the same for a
// database of ten records or of a million; each lookup is one index descent plus the records.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import type { DatabaseInfo } from "@rafscan/analyzers";
import { decodeSummary, type LookupOptions } from "../affected-summary.js";
import type { OsvRecord } from "../osv.js";
import type { AdvisoryStore } from "../store.js";
import { nameKey, splitEcosystem } from "./ecosystems.js";
import { VulndbError, VulndbErrorCode } from "./errors.js";
import { RAFSCAN_DB_APPLICATION_ID, RECORD_ENCODING, RECORD_WINDOW_BITS, SCHEMA_VERSION } from "./schema.js";
import { openSqlite, type SqliteDatabase, type SqliteDriver, type SqliteStatement } from "./sqlite.js";

/** What the meta table says beyond {@link DatabaseInfo}. */
export interface DatabaseMeta {
  readonly info: DatabaseInfo;
  /** Records stored (withdrawn ones included). */
  readonly records: number;
  readonly withdrawn: number;
  /** Ecosystems with release (`Debian:12`, `PyPI`), sorted. */
  readonly ecosystems: readonly string[];
}

/** Options of {@link SqliteAdvisoryStore.open}. */
export interface OpenDatabaseOptions {
  /** The SQLite binding. Default: see {@link openSqlite}. */
  readonly driver?: SqliteDriver;
}

const HEADER = Buffer.from("SQLite format 3\0", "latin1");
const INFLATE_OPTIONS = { windowBits: RECORD_WINDOW_BITS } as const;

/**
 * Checks that `path` looks like a whole SQLite file before SQLite sees it: the magic, and a size
 * that matches the page count its header records (a truncated download or copy fails here, not
 * at the first lookup that reaches a missing page).
 */
function checkFile(path: string): void {
  // Synchronous: two small reads, once per open; the thread-pool round trips of fs/promises cost
  // more than the reads themselves.
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
      throw new VulndbError(
        VulndbErrorCode.NOT_FOUND,
        `no advisory database at ${path} (run rafscan db build, pull or import)`,
        { path, cause },
      );
    }
    throw new VulndbError(VulndbErrorCode.CORRUPT, `cannot read ${path}: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
  const head = Buffer.alloc(100);
  let size: number;
  try {
    size = fstatSync(fd).size;
    readSync(fd, head, 0, 100, 0);
  } catch (cause) {
    throw new VulndbError(VulndbErrorCode.CORRUPT, `cannot read ${path}: ${(cause as Error).message}`, {
      path,
      cause,
    });
  } finally {
    closeSync(fd);
  }
  if (size < 100 || !head.subarray(0, 16).equals(HEADER)) {
    throw new VulndbError(VulndbErrorCode.CORRUPT, `${path} is not a SQLite database`, { path });
  }
  const raw = head.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = head.readUInt32BE(28);
  // The in-header page count is valid only when written by the same change (offsets 24 and 92).
  if (pages !== 0 && head.readUInt32BE(24) === head.readUInt32BE(92) && size !== pages * pageSize) {
    throw new VulndbError(
      VulndbErrorCode.CORRUPT,
      `${path} is damaged: ${size} bytes, but its header says ${pages} pages of ${pageSize}`,
      { path },
    );
  }
}

function corrupt(path: string, cause: unknown): VulndbError {
  return new VulndbError(
    VulndbErrorCode.CORRUPT,
    `${path} is damaged or not a rafscan advisory database: ${(cause as Error).message}`,
    { path, cause },
  );
}

/** An advisory database file opened read-only. */
export class SqliteAdvisoryStore implements AdvisoryStore {
  readonly path: string;
  readonly meta: DatabaseMeta;
  readonly #db: SqliteDatabase;
  readonly #lookup: SqliteStatement;
  readonly #summaries: SqliteStatement;
  readonly #record: SqliteStatement;

  private constructor(path: string, db: SqliteDatabase, meta: DatabaseMeta) {
    this.path = path;
    this.#db = db;
    this.meta = meta;
    this.#lookup = db.prepare(
      "SELECT a.record FROM affected f JOIN advisory a ON a.id = f.advisory WHERE f.ecosystem = ? AND f.release = ? AND f.name = ? ORDER BY a.osv_id",
    );
    // The index rows alone (no join, no sort): most records a lookup names cannot cover the
    // installed version, and their summaries say so without touching the advisory table.
    this.#summaries = db.prepare(
      "SELECT advisory, summary FROM affected WHERE ecosystem = ? AND release = ? AND name = ?",
    );
    this.#record = db.prepare("SELECT record FROM advisory WHERE id = ?");
  }

  /**
   * Opens a database file read-only and checks it is one this rafscan reads.
   * @throws VulndbError `VULNDB_NOT_FOUND` (no file), `VULNDB_CORRUPT` (not SQLite, not ours,
   *   truncated, damaged), `VULNDB_SCHEMA_TOO_NEW`, `VULNDB_SCHEMA_TOO_OLD`, `VULNDB_NO_SQLITE`
   */
  static async open(path: string, options: OpenDatabaseOptions = {}): Promise<SqliteAdvisoryStore> {
    checkFile(path);
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, {
        readOnly: true,
        ...(options.driver === undefined ? {} : { driver: options.driver }),
      });
    } catch (cause) {
      if (cause instanceof VulndbError) throw cause;
      throw corrupt(path, cause);
    }
    try {
      const meta = readMeta(db, path);
      return new SqliteAdvisoryStore(path, db, meta);
    } catch (err) {
      db.close();
      if (err instanceof VulndbError) throw err;
      throw corrupt(path, err);
    }
  }

  info(): DatabaseInfo {
    return this.meta.info;
  }

  lookup(ecosystem: string, name: string, options: LookupOptions = {}): readonly OsvRecord[] {
    const { base, release } = splitEcosystem(ecosystem);
    const affects = options.affects;
    let rows: Record<string, unknown>[];
    try {
      if (affects === undefined) {
        rows = this.#lookup.all(base, release, nameKey(base, name));
      } else {
        rows = [];
        for (const row of this.#summaries.all(base, release, nameKey(base, name))) {
          if (typeof row.summary !== "string") throw new Error("an index summary is not text");
          if (!affects(decodeSummary(row.summary))) continue;
          const got = this.#record.get(row.advisory as number);
          if (got === undefined) throw new Error("an index row names a missing record");
          rows.push(got);
        }
      }
    } catch (cause) {
      if (cause instanceof VulndbError) throw cause;
      throw corrupt(this.path, cause);
    }
    const records = rows.map((row) => this.#decode(row.record));
    // Same order as the unfiltered lookup (by id), sorted here: usually zero or one record.
    if (affects !== undefined && records.length > 1) {
      records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    return records;
  }

  #decode(blob: unknown): OsvRecord {
    if (!(blob instanceof Uint8Array)) throw corrupt(this.path, new Error("a record is not a blob"));
    try {
      // The build's window: zlib's default (32 KiB) state costs more per call than the
      // inflating itself for records of a few KiB.
      return JSON.parse(inflateRawSync(blob, INFLATE_OPTIONS).toString("utf8")) as OsvRecord;
    } catch (cause) {
      throw corrupt(this.path, cause);
    }
  }

  ecosystems(): readonly string[] {
    return this.meta.ecosystems;
  }

  close(): void {
    this.#db.close();
  }
}

/** Reads and checks the application id, the schema version and the meta table. */
function readMeta(db: SqliteDatabase, path: string): DatabaseMeta {
  const appId = Number(db.prepare("PRAGMA application_id").get()?.application_id);
  if (appId !== RAFSCAN_DB_APPLICATION_ID) {
    throw new VulndbError(
      VulndbErrorCode.CORRUPT,
      `${path} is a SQLite file but not a rafscan advisory database`,
      { path },
    );
  }
  const version = Number(db.prepare("PRAGMA user_version").get()?.user_version);
  if (version > SCHEMA_VERSION) {
    throw new VulndbError(
      VulndbErrorCode.SCHEMA_TOO_NEW,
      `${path} has database schema ${version}; this rafscan reads schema ${SCHEMA_VERSION}: upgrade rafscan`,
      { path },
    );
  }
  if (version < SCHEMA_VERSION) {
    throw new VulndbError(
      VulndbErrorCode.SCHEMA_TOO_OLD,
      `${path} has database schema ${version}; this rafscan reads schema ${SCHEMA_VERSION}: build or pull the database again`,
      { path },
    );
  }
  const values = new Map<string, string>();
  for (const row of db.prepare("SELECT key, value FROM meta").all()) {
    if (typeof row.key === "string" && typeof row.value === "string") values.set(row.key, row.value);
  }
  const json = (key: string): unknown => {
    const v = values.get(key);
    if (v === undefined)
      throw new VulndbError(VulndbErrorCode.CORRUPT, `${path} has no ${key} in its meta table`, { path });
    try {
      return JSON.parse(v);
    } catch (cause) {
      throw new VulndbError(VulndbErrorCode.CORRUPT, `${path}: meta ${key} is not JSON`, { path, cause });
    }
  };
  if (json("record_encoding") !== RECORD_ENCODING) {
    throw new VulndbError(VulndbErrorCode.CORRUPT, `${path}: unknown record encoding`, { path });
  }
  const builtAt = json("built_at");
  const sources = json("sources");
  const ecosystems = json("ecosystems");
  const records = json("records");
  const withdrawn = json("withdrawn");
  const sample = json("sample");
  const okSources =
    Array.isArray(sources) &&
    sources.every(
      (s) =>
        typeof s === "object" &&
        s !== null &&
        typeof s.id === "string" &&
        typeof s.name === "string" &&
        Number.isSafeInteger(s.records),
    );
  if (
    typeof builtAt !== "string" ||
    !okSources ||
    !Array.isArray(ecosystems) ||
    !ecosystems.every((e) => typeof e === "string") ||
    !Number.isSafeInteger(records) ||
    !Number.isSafeInteger(withdrawn) ||
    typeof sample !== "boolean"
  ) {
    throw new VulndbError(VulndbErrorCode.CORRUPT, `${path}: malformed meta table`, { path });
  }
  return {
    info: { schemaVersion: version, builtAt, sources: sources as DatabaseInfo["sources"], sample, path },
    records: records as number,
    withdrawn: withdrawn as number,
    ecosystems: ecosystems as string[],
  };
}
