// `rafscan db build|pull|push|import|status`: the local advisory database. Each subcommand is a
// function the CLI framework calls with parsed options; errors are thrown (typed `VULNDB_*` or
// `REGISTRY_*`) for the caller to print with their code.
import {
  type BuildSummary,
  buildDatabase,
  type DatabaseStatus,
  databaseStatus,
  defaultDbDir,
  importDatabase,
  pullDatabase,
  pushDatabase,
} from "@rafscan/vulndb";
import { humanBytes, type Io, progress, progressDone, writeJsonLine } from "../output.js";
import { UsageError } from "../usage-error.js";

/** Usage of `rafscan db`. */
export const DB_USAGE = `Usage: rafscan db <subcommand> [args] [options]

The local advisory database (OSV data) that vulnerability matching reads.

Subcommands:
  build --osv PATH...   build the database from OSV exports: per-ecosystem all.zip files,
                        directories of OSV JSON, JSON Lines files, or http(s) URLs of zips
  pull REF              install a database published as an OCI artifact (host[:port]/repo[:tag])
  push REF              publish the installed database as an OCI artifact
  import FILE           install a database file taken offline
  status                what database is installed and how old it is (exit 1 when none is usable)

Options:
  --db-dir DIR          the database directory (default: $XDG_CACHE_HOME/rafscan/db or ~/.cache/rafscan/db)
  --osv PATH            build: an OSV input (repeatable)
  --username U, --password P, --insecure   pull/push: registry credentials, plain HTTP
  --json                machine-readable output (one JSON object)
`;

/** Options of the `db` subcommands, as the CLI parses them. */
export interface DbArgs {
  /** `--db-dir`. Default: {@link defaultDbDir}. */
  readonly dbDir?: string | undefined;
  /** `--osv` (repeatable), for `build`. */
  readonly osv?: readonly string[] | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** `--insecure`: plain HTTP to the registry. Default: `false`. */
  readonly insecure?: boolean | undefined;
}

/** Runs `rafscan db <subcommand> ...positionals`; returns the exit code. */
export async function runDb(
  subcommand: string | undefined,
  positionals: readonly string[],
  args: DbArgs,
  json: boolean,
  io: Io,
): Promise<number> {
  const one = (what: string): string => {
    const [value, ...rest] = positionals;
    if (value === undefined || rest.length > 0)
      throw new UsageError(`db ${subcommand} takes exactly one ${what}`);
    return value;
  };
  const none = () => {
    if (positionals.length > 0)
      throw new UsageError(`db ${subcommand} takes no arguments (OSV inputs go after --osv)`);
  };
  switch (subcommand) {
    case "build":
      none();
      return runDbBuild(args, json, io);
    case "pull":
      return runDbPull(one("REF"), args, json, io);
    case "push":
      return runDbPush(one("REF"), args, json, io);
    case "import":
      return runDbImport(one("FILE"), args, json, io);
    case "status":
      none();
      return runDbStatus(args, json, io);
    default:
      throw new UsageError(
        subcommand === undefined
          ? "db needs a subcommand: build, pull, push, import or status"
          : `unknown db subcommand ${JSON.stringify(subcommand)}: build, pull, push, import or status`,
      );
  }
}

function dirOf(args: DbArgs): string {
  return args.dbDir ?? defaultDbDir();
}

function registryOptions(args: DbArgs) {
  if (args.password !== undefined && args.username === undefined)
    throw new UsageError("--password needs --username");
  return {
    dbDir: dirOf(args),
    insecure: args.insecure === true,
    ...(args.username === undefined ? {} : { username: args.username }),
    ...(args.password === undefined ? {} : { password: args.password }),
  };
}

/** `rafscan db build --osv PATH...`. */
export async function runDbBuild(args: DbArgs, json: boolean, io: Io): Promise<number> {
  const sources = args.osv ?? [];
  if (sources.length === 0)
    throw new UsageError("db build needs at least one --osv PATH (zip, directory, JSON Lines or URL)");
  const started = performance.now();
  let summary: BuildSummary;
  try {
    summary = await buildDatabase({
      sources,
      dbDir: dirOf(args),
      onProgress: (read) => progress(io, `reading OSV records: ${read}`),
    });
  } finally {
    progressDone(io);
  }
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  if (json) {
    writeJsonLine(io, { ...summary, seconds });
    return 0;
  }
  const lines = [
    `built ${summary.path}: ${summary.records} advisories (${summary.withdrawn} withdrawn), ` +
      `${summary.indexed} package keys in ${summary.ecosystems.length} ecosystems, ${humanBytes(summary.bytes)}, ${seconds} s`,
    ...summary.sources.map((s) => `  ${s.name} ${s.id}: ${s.records} records`),
  ];
  const skipped = summary.badRecords + summary.skippedUnknownEcosystem + summary.skippedNoAffected;
  if (skipped > 0 || summary.duplicates > 0) {
    lines.push(
      `skipped: ${summary.badRecords} bad, ${summary.skippedUnknownEcosystem} only in unknown ecosystems, ` +
        `${summary.skippedNoAffected} with no affected package; ${summary.duplicates} duplicate ids merged`,
    );
  }
  const unknown = Object.entries(summary.unknownEcosystems);
  if (unknown.length > 0) {
    lines.push(`unknown ecosystems (entries skipped): ${unknown.map(([e, c]) => `${e} ${c}`).join(", ")}`);
  }
  for (const p of summary.problems)
    lines.push(`  bad: ${p.where}${p.id === undefined ? "" : ` (${p.id})`}: ${p.reason}`);
  if (summary.problems.length < summary.badRecords) {
    lines.push(`  ... and ${summary.badRecords - summary.problems.length} more bad records`);
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** `rafscan db pull REF`. */
export async function runDbPull(ref: string, args: DbArgs, json: boolean, io: Io): Promise<number> {
  const s = await pullDatabase(ref, registryOptions(args));
  if (json) {
    writeJsonLine(io, {
      reference: ref,
      manifestDigest: s.manifestDigest,
      path: s.path,
      bytes: s.bytes,
      layerBytes: s.layerBytes,
      schemaVersion: s.meta.info.schemaVersion,
      builtAt: s.meta.info.builtAt,
      records: s.meta.records,
    });
  } else {
    io.stdout.write(
      `pulled ${ref} (${s.manifestDigest}): ${s.meta.records} advisories built ${s.meta.info.builtAt}, ` +
        `${humanBytes(s.layerBytes)} fetched -> ${s.path}\n`,
    );
  }
  return 0;
}

/** `rafscan db push REF`. */
export async function runDbPush(ref: string, args: DbArgs, json: boolean, io: Io): Promise<number> {
  const s = await pushDatabase(ref, registryOptions(args));
  if (json) writeJsonLine(io, s);
  else {
    io.stdout.write(
      `pushed ${ref} (${s.manifestDigest}): database of ${humanBytes(s.bytes)} built ${s.builtAt}, ` +
        `layer ${humanBytes(s.layerBytes)}\n`,
    );
  }
  return 0;
}

/** `rafscan db import FILE`. */
export async function runDbImport(file: string, args: DbArgs, json: boolean, io: Io): Promise<number> {
  const s = await importDatabase(file, { dbDir: dirOf(args) });
  if (json) {
    writeJsonLine(io, {
      from: file,
      path: s.path,
      bytes: s.bytes,
      schemaVersion: s.meta.info.schemaVersion,
      builtAt: s.meta.info.builtAt,
      records: s.meta.records,
    });
  } else {
    io.stdout.write(
      `imported ${file}: ${s.meta.records} advisories built ${s.meta.info.builtAt} -> ${s.path}\n`,
    );
  }
  return 0;
}

/** A duration for people: `3 days`, `5 hours`, `12 minutes`. */
function humanAge(seconds: number): string {
  const units: [number, string][] = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} seconds`;
}

/** `rafscan db status`: exit 0 when a usable database is installed, 1 otherwise. */
export async function runDbStatus(args: DbArgs, json: boolean, io: Io): Promise<number> {
  const s: DatabaseStatus = await databaseStatus({ dbDir: dirOf(args) });
  const usable = s.error === undefined;
  if (json) {
    writeJsonLine(io, s);
    return usable ? 0 : 1;
  }
  if (!usable) {
    io.stdout.write(`no usable advisory database in ${s.dbDir}: ${s.error?.code}: ${s.error?.message}\n`);
    return 1;
  }
  const lines = [
    `advisory database ${s.path}${s.sample === true ? " (SAMPLE data, not real advisories)" : ""}`,
    `  schema ${s.schemaVersion}, built ${s.builtAt} (${humanAge(s.ageSeconds ?? 0)} ago), ${humanBytes(s.bytes ?? 0)}`,
    `  ${s.records} advisories (${s.withdrawn} withdrawn) in ${s.ecosystems?.length ?? 0} ecosystems`,
    ...(s.sources ?? []).map((src) => `  source ${src.name} ${src.id}: ${src.records} records`),
  ];
  if (s.install !== undefined)
    lines.push(`  installed by ${s.install.kind} from ${s.install.from} at ${s.install.installedAt}`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
