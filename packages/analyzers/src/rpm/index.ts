// The rpm analyzer: finds the rpm database (sqlite, ndb or Berkeley DB), reads its header blobs and
// reports one package per installed rpm.
import type { Findings, Package } from "../findings.js";
import type { AnalyzerContext, AnalyzerPlugin, MatchedFile } from "../plugin.js";
import { RPM_DB_PATHS, type RpmDbKind, readRpmDbRecords, rpmDbKind } from "./db-files.js";
import type { RpmDbRecord } from "./db-record.js";
import { parseHeaderBlob } from "./header.js";
import { RPM_LIMITS } from "./limits.js";
import { rpmOwners } from "./owners.js";
import { readPackageInfo, rpmPackage } from "./package.js";

export { RPM_DB_PATHS, type RpmDbKind, readRpmDbRecords, rpmDbKind };

/** sqlite write-ahead logs: matched only to warn when they hold changes we cannot see. */
const WAL_SUFFIX = "-wal";

/** Bad records reported one by one per database; the rest are counted in one warning. */
const MAX_RECORD_WARNINGS = 20;

/**
 * The rpm analyzer (`rpm`). Reads one database: the first of {@link RPM_DB_PATHS} present that
 * can be opened (a database that cannot be opened is a warning, and the next one is tried). The
 * same kind of database of the same size under the other directory is taken to be the same file
 * seen through a symlink; any other database left unread is named in a note. The `gpg-pubkey`
 * entries rpm keeps for imported signing keys are not packages and are left out (counted in a
 * note). Uses ranged access so that only the chosen database is read; files up to
 * `RPM_LIMITS.maxFileSize` (256 MiB). Its `owners` hook links language packages under system
 * trees to the rpm whose file list holds them (see owners.ts).
 */
export const rpmAnalyzer: AnalyzerPlugin = {
  id: "rpm",
  version: "1.0.0",
  description: "Installed rpm packages (rpmdb.sqlite, Packages.db, Berkeley DB Packages)",
  stage: "packages",
  database: true,
  needs: [
    ...RPM_DB_PATHS,
    ...RPM_DB_PATHS.filter((p) => rpmDbKind(p) === "sqlite").map((p) => p + WAL_SUFFIX),
  ],
  access: "range",
  maxFileSize: RPM_LIMITS.maxFileSize,
  analyze,
  owners: rpmOwners,
};

async function analyze(files: readonly MatchedFile[], ctx: AnalyzerContext): Promise<Findings> {
  const candidates = files
    .filter((f) => RPM_DB_PATHS.includes(f.path))
    .sort((a, b) => RPM_DB_PATHS.indexOf(a.path) - RPM_DB_PATHS.indexOf(b.path));
  let chosen: { file: MatchedFile; kind: RpmDbKind } | undefined;
  let packages: Package[] = [];
  const notes: string[] = [];
  const ignored: string[] = [];
  for (const file of candidates) {
    ctx.signal?.throwIfAborted();
    const kind = rpmDbKind(file.path);
    if (kind === undefined) continue;
    if (chosen !== undefined) {
      if (kind !== chosen.kind || file.size !== chosen.file.size) ignored.push(file.path);
      continue;
    }
    const warn = limitedWarn(ctx, file.path);
    let records: RpmDbRecord[];
    try {
      const bytes = await file.bytes();
      records = await readRpmDbRecords(kind, bytes, warn.warn);
    } catch (err) {
      warn.flush();
      ctx.warn(`cannot read rpm database: ${errorMessage(err)}`, file.path);
      continue;
    }
    chosen = { file, kind };
    const read = packagesOf(records, file.path, ctx, warn.warn);
    warn.flush();
    packages = read.packages;
    if (read.pubkeys > 0) {
      notes.push(
        `${file.path}: left out ${read.pubkeys} gpg-pubkey entries (imported signing keys, not packages)`,
      );
    }
  }
  if (chosen !== undefined && ignored.length > 0) {
    notes.push(`read the rpm database ${chosen.file.path}; not read: ${ignored.join(", ")}`);
  }
  if (chosen?.kind === "sqlite") {
    const wal = files.find((f) => f.path === chosen.file.path + WAL_SUFFIX);
    if (wal !== undefined && wal.size > 0) {
      ctx.warn(
        `the sqlite write-ahead log holds ${wal.size} bytes not merged into the database; packages from the last transactions may be missing`,
        wal.path,
      );
    }
  }
  return notes.length > 0 ? { packages, notes } : { packages };
}

/**
 * A warn function for one database that passes on the first `MAX_RECORD_WARNINGS` messages;
 * `flush` reports how many more there were, so a wrecked database cannot flood the report.
 */
function limitedWarn(
  ctx: AnalyzerContext,
  path: string,
): { warn: (message: string) => void; flush: () => void } {
  let count = 0;
  return {
    warn: (message) => {
      count++;
      if (count <= MAX_RECORD_WARNINGS) ctx.warn(message, path);
    },
    flush: () => {
      if (count > MAX_RECORD_WARNINGS)
        ctx.warn(`${count - MAX_RECORD_WARNINGS} more problems in this database`, path);
      count = 0;
    },
  };
}

/** Decodes every record into a package; a bad record becomes a warning. */
function packagesOf(
  records: readonly RpmDbRecord[],
  path: string,
  ctx: AnalyzerContext,
  warn: (message: string) => void,
): { packages: Package[]; pubkeys: number } {
  const packages: Package[] = [];
  let pubkeys = 0;
  for (const record of records) {
    if (packages.length % 1024 === 0) ctx.signal?.throwIfAborted();
    try {
      const header = parseHeaderBlob(record.blob);
      const info = readPackageInfo(header, (field, why) =>
        warn(`package record ${record.key}: ${field} dropped (${why})`),
      );
      if (info.name === "gpg-pubkey") {
        pubkeys++;
        continue;
      }
      packages.push(rpmPackage(info, path, ctx.os));
    } catch (err) {
      warn(`package record ${record.key}: ${errorMessage(err)}`);
    }
  }
  return { packages, pubkeys };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
