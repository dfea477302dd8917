// One thin adapter over the two SQLite bindings rafscan runs on: `node:sqlite` where the running
// Node has it (22.5 and later, unflagged from 22.13), `better-sqlite3` otherwise (Node 20). Both
// are synchronous, prepare statements the same way and bind positional parameters alike, so the
// adapter only hides how each is loaded and opened.
import { createRequire } from "node:module";
import { VulndbError, VulndbErrorCode } from "./errors.js";

/** A value bound to or read from SQLite. BLOBs read back as `Uint8Array` (a `Buffer` under better-sqlite3). */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** A prepared statement. */
export interface SqliteStatement {
  all(...params: SqlValue[]): Record<string, SqlValue>[];
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
  run(...params: SqlValue[]): void;
}

/** An open SQLite database. */
export interface SqliteDatabase {
  /** Which binding opened it. */
  readonly driver: SqliteDriver;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/** The SQLite bindings the adapter knows. */
export type SqliteDriver = "node:sqlite" | "better-sqlite3";

/** Options of {@link openSqlite}. */
export interface OpenSqliteOptions {
  /** Open read-only; the file must exist. Default: `false` (read-write, created when absent). */
  readonly readOnly?: boolean;
  /**
   * The binding to use. Default: `node:sqlite` when the running Node has it, else
   * `better-sqlite3`; the environment variable `RAFSCAN_SQLITE` picks one too.
   */
  readonly driver?: SqliteDriver;
}

const require = createRequire(import.meta.url);

interface NodeSqliteModule {
  DatabaseSync: new (
    path: string,
    options?: { readOnly?: boolean },
  ) => {
    exec(sql: string): void;
    prepare(sql: string): SqliteStatement;
    close(): void;
  };
}

type BetterSqliteCtor = new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean },
) => {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
};

let nodeSqlite: NodeSqliteModule | null | undefined;
let betterSqlite: BetterSqliteCtor | null | undefined;

function loadNodeSqlite(): NodeSqliteModule | null {
  if (nodeSqlite === undefined) {
    try {
      // Node 20 has no such module; Node 22.5-22.12 has it only behind --experimental-sqlite.
      nodeSqlite = require("node:sqlite") as NodeSqliteModule;
    } catch {
      nodeSqlite = null;
    }
  }
  return nodeSqlite;
}

function loadBetterSqlite(): BetterSqliteCtor | null {
  if (betterSqlite === undefined) {
    try {
      betterSqlite = require("better-sqlite3") as BetterSqliteCtor;
    } catch {
      betterSqlite = null;
    }
  }
  return betterSqlite;
}

/** The binding {@link openSqlite} uses when not told, or `undefined` when neither loads. */
export function defaultSqliteDriver(): SqliteDriver | undefined {
  const wanted = process.env.RAFSCAN_SQLITE;
  if (wanted === "better-sqlite3" || wanted === "node:sqlite") return wanted;
  if (loadNodeSqlite() !== null) return "node:sqlite";
  if (loadBetterSqlite() !== null) return "better-sqlite3";
  return undefined;
}

/**
 * Opens (or creates) a SQLite database file.
 * @throws VulndbError `VULNDB_NO_SQLITE` when the binding cannot be loaded; SQLite's own errors
 *   (a missing file under `readOnly`, ...) pass through for the caller to name
 */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const driver = options.driver ?? defaultSqliteDriver();
  const readOnly = options.readOnly === true;
  if (driver === "node:sqlite") {
    const mod = loadNodeSqlite();
    if (mod === null) throw noSqlite("node:sqlite is not available in this Node");
    const db = new mod.DatabaseSync(path, readOnly ? { readOnly: true } : {});
    return wrap("node:sqlite", db);
  }
  if (driver === "better-sqlite3") {
    const Ctor = loadBetterSqlite();
    if (Ctor === null) throw noSqlite("better-sqlite3 is not installed or does not load");
    const db = new Ctor(path, readOnly ? { readonly: true, fileMustExist: true } : {});
    return wrap("better-sqlite3", db);
  }
  throw noSqlite("neither node:sqlite (Node >= 22.5) nor better-sqlite3 can be loaded");
}

function wrap(
  driver: SqliteDriver,
  db: { exec(sql: string): void; prepare(sql: string): SqliteStatement; close(): void },
): SqliteDatabase {
  return {
    driver,
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    close: () => db.close(),
  };
}

function noSqlite(message: string): VulndbError {
  return new VulndbError(VulndbErrorCode.NO_SQLITE, `no SQLite binding: ${message}`);
}
