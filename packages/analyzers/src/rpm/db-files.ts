// Where rpm keeps its database, which backend a database file is, and how to get its header blobs:
// shared by the analyzer and its `owners` hook.
import { readBdbRecords } from "./bdb.js";
import type { RpmDbRecord } from "./db-record.js";
import { readNdbRecords } from "./ndb.js";
import { readSqliteRecords } from "./sqlite.js";

/** The rpm database backends, by file name. */
export type RpmDbKind = "sqlite" | "ndb" | "bdb";

/**
 * Where rpm keeps its database, in the order the analyzer prefers them: newer backends first, and
 * `/usr/lib/sysimage/rpm` (rpm's `_dbpath` on Fedora 36+ and SUSE, where `/var/lib/rpm` is often a
 * symlink to it) before `/var/lib/rpm`.
 */
export const RPM_DB_PATHS: readonly string[] = [
  "/usr/lib/sysimage/rpm/rpmdb.sqlite",
  "/var/lib/rpm/rpmdb.sqlite",
  "/usr/lib/sysimage/rpm/Packages.db",
  "/var/lib/rpm/Packages.db",
  "/usr/lib/sysimage/rpm/Packages",
  "/var/lib/rpm/Packages",
];

/** The backend of a database file, from its name. */
export function rpmDbKind(path: string): RpmDbKind | undefined {
  if (path.endsWith("/rpmdb.sqlite")) return "sqlite";
  if (path.endsWith("/Packages.db")) return "ndb";
  if (path.endsWith("/Packages")) return "bdb";
  return undefined;
}

/** The header blobs of a database file of the given kind. */
export async function readRpmDbRecords(
  kind: RpmDbKind,
  bytes: Uint8Array,
  warn: (message: string) => void,
): Promise<RpmDbRecord[]> {
  if (kind === "sqlite") return readSqliteRecords(bytes, warn);
  if (kind === "ndb") return readNdbRecords(bytes, warn);
  return readBdbRecords(bytes, warn);
}
