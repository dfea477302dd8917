// The database directory and what moves a database into it: build from OSV inputs, import of a
// database file, and status. A new database is always written or copied beside the current one
// and renamed over it once checked, so a reader never sees half a file and a failed update
// leaves the old database in place.
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildOptions, type BuildSummary, buildDatabaseFile } from "./build.js";
import { isVulndbError, VulndbError, VulndbErrorCode } from "./errors.js";
import { resolveLimits, type VulndbLimits } from "./limits.js";
import { DB_FILE_NAME } from "./schema.js";
import { openSqlite, type SqliteDriver } from "./sqlite.js";
import { type DatabaseMeta, type OpenDatabaseOptions, SqliteAdvisoryStore } from "./sqlite-store.js";

/** The file beside the database saying where it came from. */
export const INSTALL_FILE_NAME = "install.json";

/** Where an installed database came from (`install.json`). */
export interface InstallRecord {
  /** How it got here. */
  readonly kind: "build" | "pull" | "import";
  /** The OSV inputs, the artifact reference, or the imported file. */
  readonly from: string;
  /** For pulls: the manifest digest. */
  readonly digest?: string;
  /** ISO 8601 time it was installed. */
  readonly installedAt: string;
}

/**
 * The default database directory: `$XDG_CACHE_HOME/rafscan/db`, else `~/.cache/rafscan/db`, else
 * under the temp dir (the CLI keeps its other cached data under the same root).
 */
export function defaultDbDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== "" ? xdg : homedir() ? join(homedir(), ".cache") : tmpdir();
  return join(base, "rafscan", "db");
}

/** The database file inside a database directory. */
export function dbFilePath(dbDir: string): string {
  return join(dbDir, DB_FILE_NAME);
}

function tempPath(dbDir: string): string {
  return join(dbDir, `.${DB_FILE_NAME}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Moves a checked database file into place and records where it came from. */
async function install(dbDir: string, file: string, record: InstallRecord): Promise<string> {
  const target = dbFilePath(dbDir);
  await rename(file, target);
  await writeFile(join(dbDir, INSTALL_FILE_NAME), `${JSON.stringify(record, null, 2)}\n`);
  return target;
}

/** Options of {@link buildDatabase}. */
export interface BuildIntoOptions extends Omit<BuildOptions, "output"> {
  /** The database directory. Default: {@link defaultDbDir}. */
  readonly dbDir?: string;
}

/**
 * Builds a database from OSV inputs and installs it in the database directory.
 * @throws the errors of {@link buildDatabaseFile}; the installed database is left as it was
 */
export async function buildDatabase(options: BuildIntoOptions): Promise<BuildSummary> {
  const dbDir = options.dbDir ?? defaultDbDir();
  await mkdir(dbDir, { recursive: true });
  const tmp = tempPath(dbDir);
  const summary = await buildDatabaseFile({ ...options, output: tmp });
  const path = await install(dbDir, tmp, {
    kind: "build",
    from: summary.sources.map((s) => s.id).join(" "),
    installedAt: new Date().toISOString(),
  });
  return { ...summary, path };
}

/** Options of {@link verifyDatabaseFile}, {@link importDatabase} and the pull. */
export interface VerifyOptions {
  readonly driver?: SqliteDriver;
  readonly limits?: Partial<VulndbLimits>;
}

/**
 * Checks a database file fully before it is installed: it opens as a rafscan database of this
 * schema (see {@link SqliteAdvisoryStore.open}) and SQLite's `quick_check` finds no damage in any
 * page. Slower than opening (it reads the whole file), so it runs once, on import and pull.
 * @throws VulndbError `VULNDB_CORRUPT`, `VULNDB_SCHEMA_TOO_NEW`, `VULNDB_SCHEMA_TOO_OLD`,
 *   `VULNDB_TOO_LARGE`, `VULNDB_NOT_FOUND`
 */
export async function verifyDatabaseFile(path: string, options: VerifyOptions = {}): Promise<DatabaseMeta> {
  const limits = resolveLimits(options.limits);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new VulndbError(VulndbErrorCode.NOT_FOUND, `cannot read database file ${path}`, { path, cause });
  }
  if (size > limits.maxDatabaseBytes) {
    throw new VulndbError(
      VulndbErrorCode.TOO_LARGE,
      `${path} is ${size} bytes, over the limit of ${limits.maxDatabaseBytes}`,
      { path },
    );
  }
  const store = await SqliteAdvisoryStore.open(
    path,
    options.driver === undefined ? {} : { driver: options.driver },
  );
  const meta = store.meta;
  store.close();
  const db = openSqlite(path, {
    readOnly: true,
    ...(options.driver === undefined ? {} : { driver: options.driver }),
  });
  try {
    const rows = db.prepare("PRAGMA quick_check").all();
    const first = rows[0]?.quick_check;
    if (rows.length !== 1 || first !== "ok") {
      throw new VulndbError(VulndbErrorCode.CORRUPT, `${path} is damaged: ${String(first).slice(0, 200)}`, {
        path,
      });
    }
  } catch (err) {
    if (isVulndbError(err)) throw err;
    throw new VulndbError(VulndbErrorCode.CORRUPT, `${path} is damaged: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  } finally {
    db.close();
  }
  return meta;
}

/** Options of {@link importDatabase}. */
export interface ImportOptions extends VerifyOptions {
  /** The database directory. Default: {@link defaultDbDir}. */
  readonly dbDir?: string;
}

/** What an import or pull installed. */
export interface InstallSummary {
  readonly path: string;
  readonly meta: DatabaseMeta;
  readonly install: InstallRecord;
  readonly bytes: number;
}

/**
 * Installs a database file taken offline (e.g. one `rafscan db build` made elsewhere): copies it
 * beside the current one, verifies the copy, and renames it into place.
 * @throws the errors of {@link verifyDatabaseFile}; the installed database is left as it was
 */
export async function importDatabase(file: string, options: ImportOptions = {}): Promise<InstallSummary> {
  const dbDir = options.dbDir ?? defaultDbDir();
  await mkdir(dbDir, { recursive: true });
  const tmp = tempPath(dbDir);
  try {
    await copyFile(file, tmp);
  } catch (cause) {
    throw new VulndbError(
      VulndbErrorCode.NOT_FOUND,
      `cannot read database file ${file}: ${(cause as Error).message}`,
      { path: file, cause },
    );
  }
  try {
    const meta = await verifyDatabaseFile(tmp, options);
    const bytes = (await stat(tmp)).size;
    const record: InstallRecord = { kind: "import", from: file, installedAt: new Date().toISOString() };
    const path = await install(dbDir, tmp, record);
    return { path, meta: { ...meta, info: { ...meta.info, path } }, install: record, bytes };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Installs a verified temporary file (a pull's download); used by the artifact code. */
export async function installVerified(
  dbDir: string,
  tmp: string,
  record: InstallRecord,
  options: VerifyOptions,
): Promise<InstallSummary> {
  try {
    const meta = await verifyDatabaseFile(tmp, options);
    const bytes = (await stat(tmp)).size;
    const path = await install(dbDir, tmp, record);
    return { path, meta: { ...meta, info: { ...meta.info, path } }, install: record, bytes };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A fresh temporary file name inside the database directory (created by the caller). */
export async function newTempFile(dbDir: string): Promise<string> {
  await mkdir(dbDir, { recursive: true });
  return tempPath(dbDir);
}

/** What `rafscan db status` reports. */
export interface DatabaseStatus {
  readonly dbDir: string;
  readonly path: string;
  /** False when there is no database (then only `dbDir`, `path` and `error` are meaningful). */
  readonly present: boolean;
  readonly schemaVersion?: number;
  readonly builtAt?: string;
  /** Whole seconds since `builtAt`. */
  readonly ageSeconds?: number;
  readonly sources?: DatabaseMeta["info"]["sources"];
  readonly sample?: boolean;
  readonly records?: number;
  readonly withdrawn?: number;
  readonly ecosystems?: readonly string[];
  readonly bytes?: number;
  readonly install?: InstallRecord;
  /** Why the database is not usable, when there is a file but it cannot be read. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Options of {@link databaseStatus}. */
export interface StatusOptions extends OpenDatabaseOptions {
  /** The database directory. Default: {@link defaultDbDir}. */
  readonly dbDir?: string;
  /** The time ages are measured to. Default: now. */
  readonly now?: Date;
}

/** Says what database is installed, how old it is, and whether it can be read. Never throws for a missing or bad file. */
export async function databaseStatus(options: StatusOptions = {}): Promise<DatabaseStatus> {
  const dbDir = options.dbDir ?? defaultDbDir();
  const path = dbFilePath(dbDir);
  let install: InstallRecord | undefined;
  try {
    const parsed = JSON.parse(await readFile(join(dbDir, INSTALL_FILE_NAME), "utf8")) as unknown;
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as InstallRecord).kind === "string") {
      install = parsed as InstallRecord;
    }
  } catch {
    install = undefined;
  }
  let store: SqliteAdvisoryStore;
  try {
    store = await SqliteAdvisoryStore.open(
      path,
      options.driver === undefined ? {} : { driver: options.driver },
    );
  } catch (err) {
    if (!isVulndbError(err)) throw err;
    return {
      dbDir,
      path,
      present: err.code !== VulndbErrorCode.NOT_FOUND,
      ...(install === undefined ? {} : { install }),
      error: { code: err.code, message: err.message },
    };
  }
  const meta = store.meta;
  store.close();
  const now = options.now ?? new Date();
  const built = Date.parse(meta.info.builtAt);
  return {
    dbDir,
    path,
    present: true,
    schemaVersion: meta.info.schemaVersion,
    builtAt: meta.info.builtAt,
    ...(Number.isFinite(built)
      ? { ageSeconds: Math.max(0, Math.floor((now.getTime() - built) / 1000)) }
      : {}),
    sources: meta.info.sources,
    sample: meta.info.sample,
    records: meta.records,
    withdrawn: meta.withdrawn,
    ecosystems: meta.ecosystems,
    bytes: (await stat(path)).size,
    ...(install === undefined ? {} : { install }),
  };
}

/** Options of {@link openDatabase}. */
export interface OpenOptions extends OpenDatabaseOptions {
  /** The database directory. Default: {@link defaultDbDir}. */
  readonly dbDir?: string;
}

/** Opens the installed database of a database directory for the matcher. */
export function openDatabase(options: OpenOptions = {}): Promise<SqliteAdvisoryStore> {
  return SqliteAdvisoryStore.open(
    dbFilePath(options.dbDir ?? defaultDbDir()),
    options.driver === undefined ? {} : { driver: options.driver },
  );
}
