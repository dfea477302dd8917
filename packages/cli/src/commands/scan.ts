// `rafscan scan [IMAGE]`: runs the analyzers over an image, reading only the files they need, and
// writes a report (table, JSON) or an SBOM (CycloneDX 1.6, SPDX 2.3) to stdout or --output.
import { writeFile } from "node:fs/promises";
import {
  type AnalyzerPlugin,
  builtinAnalyzers,
  DEFAULT_MAX_FILE_SIZE,
  formatTable,
  goBinaryAnalyzer,
  nodeLockfilePlugin,
  type RunProgress,
  rustBinaryAnalyzer,
  type ScanReport,
  scanImage,
  secretsAnalyzer,
  toCycloneDx,
  toSpdx,
} from "@rafscan/analyzers";
import type { Image } from "@rafscan/vfs";
import { humanBytes, type Io, progress, progressDone } from "../output.js";
import { UsageError } from "../usage-error.js";

/** The output formats; `json` is the ScanReport itself. */
export const SCAN_FORMATS = ["table", "json", "cyclonedx", "spdx"] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** Options of `rafscan scan`. */
export interface ScanArgs {
  readonly format: string | undefined;
  readonly output: string | undefined;
  /** Comma-separated analyzer ids to run (default: the built-in set). */
  readonly analyzers: string | undefined;
  /** Extra analyzers to add to the default set (e.g. `secrets`, `node-lockfile`). */
  readonly enable: readonly string[] | undefined;
  /** Extra glob paths for the secrets analyzer. */
  readonly secretPaths: readonly string[] | undefined;
  /** Total bytes all analyzers may read. */
  readonly budget: string | undefined;
  /** Largest file any analyzer reads whole. */
  readonly maxFileSize: string | undefined;
  /** dpkg: read each package's owned-file list; dpkg: read copyright files for licences. */
  readonly dpkgFiles: boolean;
  readonly licenses: boolean;
  /** Exit 0 even when a package database could not be read (`--allow-incomplete`). Default false. */
  readonly allowIncomplete?: boolean | undefined;
}

/** Exit code of a scan whose report is incomplete (a package database was not read). */
export const EXIT_INCOMPLETE = 3;

/** Every analyzer the CLI knows, by id: the defaults plus opt-in ones. */
export function knownAnalyzers(
  args: Pick<ScanArgs, "secretPaths">,
): Map<string, { plugin: AnalyzerPlugin; byDefault: boolean }> {
  const known = new Map<string, { plugin: AnalyzerPlugin; byDefault: boolean }>();
  for (const p of builtinAnalyzers()) known.set(p.id, { plugin: p, byDefault: true });
  // Opt-in: each reads a chunk of every executable, lockfile or in-scope file, which for a remote
  // image costs far more than a package scan.
  for (const plugin of [
    nodeLockfilePlugin,
    goBinaryAnalyzer,
    rustBinaryAnalyzer,
    secretsAnalyzer({ paths: args.secretPaths ?? [] }),
  ]) {
    known.set(plugin.id, { plugin, byDefault: false });
  }
  return known;
}

/** Parses a byte count: `1048576`, `64K`, `10M`, `2G`. */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text.trim());
  if (m === null)
    throw new UsageError(`${what} must be a byte count like 1048576, 64K, 10M or 2G, not '${text}'`);
  const unit = (m[2] ?? "").charAt(0).toUpperCase();
  const n = Number(m[1]) * (unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} is too large: '${text}'`);
  return n;
}

/** `rafscan scan --list-analyzers`. */
export function listAnalyzers(json: boolean, io: Io): number {
  const known = knownAnalyzers({ secretPaths: undefined });
  for (const [id, { plugin, byDefault }] of known) {
    if (json) {
      io.stdout.write(
        `${JSON.stringify({ id, version: plugin.version, default: byDefault, description: plugin.description ?? "" })}\n`,
      );
    } else {
      io.stdout.write(
        `${id.padEnd(14)} ${plugin.version.padEnd(8)} ${byDefault ? "default" : "opt-in "}  ${plugin.description ?? ""}\n`,
      );
    }
  }
  return 0;
}

/** Picks the analyzers: `--analyzers` replaces the default set, `--enable` adds to it. */
export function pickAnalyzers(args: ScanArgs): AnalyzerPlugin[] {
  const known = knownAnalyzers(args);
  const ids =
    args.analyzers === undefined
      ? [...known].filter(([, v]) => v.byDefault).map(([id]) => id)
      : args.analyzers
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
  const enable = [...(args.enable ?? []), ...((args.secretPaths ?? []).length > 0 ? ["secrets"] : [])];
  for (const id of enable) if (!ids.includes(id)) ids.push(id);
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown analyzer ${unknown.join(", ")} (known: ${[...known.keys()].join(", ")})`);
  }
  if (ids.length === 0) throw new UsageError("--analyzers names no analyzer");
  return ids.map((id) => (known.get(id) as { plugin: AnalyzerPlugin }).plugin);
}

/**
 * Runs the scan and writes the report in the format asked for. Exit code 0 (findings are not
 * failures), or {@link EXIT_INCOMPLETE} when an analyzer could not read its package database,
 * unless `allowIncomplete`.
 */
export async function runScan(image: Image, args: ScanArgs, json: boolean, io: Io): Promise<number> {
  const format = (args.format ?? (json ? "json" : "table")) as ScanFormat;
  if (!SCAN_FORMATS.includes(format)) {
    throw new UsageError(`--format must be one of ${SCAN_FORMATS.join(", ")}, not '${args.format}'`);
  }
  const analyzers = pickAnalyzers(args);
  const maxTotalBytes = args.budget === undefined ? undefined : parseBytes(args.budget, "--budget");
  const maxFileSize =
    args.maxFileSize === undefined ? undefined : parseBytes(args.maxFileSize, "--max-file-size");
  const plugins =
    maxFileSize === undefined
      ? analyzers
      : analyzers.map((p) => ({
          ...p,
          maxFileSize: Math.min(p.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, maxFileSize),
        }));
  let last = 0;
  const onProgress = (p: RunProgress) => {
    const now = performance.now();
    if (now - last < 100) return;
    last = now;
    const what =
      p.phase === "walk"
        ? "walking metadata"
        : p.phase === "read"
          ? "reading files"
          : `analyzing${p.plugin ? ` (${p.plugin})` : ""}`;
    const fetched = image.origin?.transport;
    const wire = fetched === undefined ? "" : `, ${humanBytes(fetched.bytesFetched ?? 0)} fetched`;
    progress(io, `scan: ${what} ${p.done}/${p.total}${wire}`);
  };
  let report: ScanReport;
  try {
    report = await scanImage(image, {
      analyzers: plugins,
      onProgress,
      ...(maxTotalBytes === undefined ? {} : { maxTotalBytes }),
      pluginOptions: {
        dpkg: { files: args.dpkgFiles, licenses: args.licenses },
        secrets: { paths: args.secretPaths ?? [] },
      },
    });
  } finally {
    progressDone(io);
  }
  const text = render(
    report,
    format,
    args.output === undefined && (io.stdout as NodeJS.WriteStream).isTTY === true,
  );
  if (args.output === undefined) io.stdout.write(text);
  else {
    await writeFile(args.output, text);
    io.stderr.write(`rafscan: wrote ${format} report to ${args.output}\n`);
  }
  for (const [codec, d] of Object.entries(report.telemetry.decoders ?? {})) {
    if (d.fallback) {
      io.stderr.write(
        `rafscan: note: ${codec} chunks were decoded by ${d.implementation}, a pure-JS fallback several times slower than the native decoder (${d.reason ?? "native binding unavailable"})\n`,
      );
    }
  }
  if (report.complete === false) {
    const missing = (report.incomplete ?? []).filter((f) => f.required);
    for (const f of missing) io.stderr.write(`rafscan: ${f.plugin}: not read: ${f.path}: ${f.reason}\n`);
    io.stderr.write(
      `rafscan: the scan is INCOMPLETE: ${missing.length} package database file${missing.length === 1 ? "" : "s"} could not be read, so packages are missing${args.allowIncomplete === true ? "" : ` (exit ${EXIT_INCOMPLETE}; --allow-incomplete accepts it)`}\n`,
    );
    return args.allowIncomplete === true ? 0 : EXIT_INCOMPLETE;
  }
  return 0;
}

function render(report: ScanReport, format: ScanFormat, color: boolean): string {
  switch (format) {
    case "table":
      return formatTable(report, { color, width: (process.stdout.columns ?? 100) || 100 });
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "cyclonedx":
      return `${JSON.stringify(toCycloneDx(report, { toolVersion: CLI_VERSION }), null, 2)}\n`;
    case "spdx":
      return `${JSON.stringify(toSpdx(report, { toolVersion: CLI_VERSION }), null, 2)}\n`;
  }
}

/** The version written into SBOM tool fields. */
export const CLI_VERSION = "0.1.0";
