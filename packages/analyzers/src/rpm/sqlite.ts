// Reader for rpm's sqlite backend (`rpmdb.sqlite`, rpm >= 4.16): table `Packages(hnum, blob)`,
// one header blob per row. Schema: rpm lib/backend/sqlite.c. Read with sql.js (sqlite compiled
// to wasm), whose module is loaded once, on first use.

import type { SqlJsStatic } from "sql.js";
import initSqlJs from "sql.js";
import type { RecordWarn, RpmDbRecord } from "./db-record.js";
import { RPM_LIMITS } from "./limits.js";

let sqlJs: Promise<SqlJsStatic> | undefined;

/** The sql.js module, compiled on the first call; a failed load is retried on the next call. */
function loadSqlJs(): Promise<SqlJsStatic> {
  if (sqlJs === undefined) {
    sqlJs = initSqlJs().catch((err: unknown) => {
      sqlJs = undefined;
      throw err;
    });
  }
  return sqlJs;
}

/**
 * The header blobs of an `rpmdb.sqlite` file, in `hnum` order. Only the main database file is
 * read: changes still in a `-wal` file are not seen (rpm checkpoints the WAL when it closes).
 * @throws Error when the bytes are not an sqlite database with a `Packages` table
 */
export async function readSqliteRecords(bytes: Uint8Array, warn: RecordWarn): Promise<RpmDbRecord[]> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  try {
    const stmt = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum");
    try {
      const out: RpmDbRecord[] = [];
      while (stmt.step()) {
        if (out.length >= RPM_LIMITS.maxPackages) {
          warn(`more than ${RPM_LIMITS.maxPackages} packages; the rest are ignored`);
          break;
        }
        const [hnum, blob] = stmt.get();
        if (typeof hnum !== "number" || !(blob instanceof Uint8Array)) {
          warn(`Packages row ${String(hnum)} has no header blob`);
          continue;
        }
        out.push({ key: hnum, blob });
      }
      return out;
    } finally {
      stmt.free();
    }
  } finally {
    db.close();
  }
}
