// `rafscan scan [IMAGE]`: runs the analyzers over an image, reading only the files they need, and
// writes reports (table, JSON) and SBOMs (CycloneDX 1.6, SPDX 2.3) to stdout and/or files (-o).
import { writeFile } from "node:fs/promises";
import {
  type AnalyzerPlugin,
  builtinAnalyzers,
  DEFAULT_MAX_FILE_SIZE,
  formatJsonReport,
  formatTable,
  goBinaryAnalyzer,
  nodeLockfilePlugin,
  type RunProgress,
  rustBinaryAnalyzer,
  type ScanReport,
  scanImage,
  secretsAnalyzer,
  toCycloneDx,
  toSarif,
  toSpdx,
} from "@rafscan/analyzers";
import type { Image } from "@rafscan/vfs";
import { humanBytes, type Io, note, progress, progressDone, useColor } from "../output.js";
import { parseBytes } from "../parse-values.js";
import type { ScanFormat, ScanOutput } from "../scan-outputs.js";
import { UsageError } from "../usage-error.js";
import { cliVersion } from "../version.js";
import { finishScan } from "./scan-vuln-options.js";
import { type ScanVulns, withoutDatabase } from "./scan-vulns.js";

export { SCAN_FORMATS, type ScanFormat } from "../scan-outputs.js";
export { parseBytes };

/** Options of `rafscan scan`. */
export interface ScanArgs {
  /** Where the reports go (checked by `scanOutputs`). */
  readonly outputs: readonly ScanOutput[];
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

/** A scan with every option checked: what runs, and where reports go. */
export interface ScanPlan {
  readonly plugins: readonly AnalyzerPlugin[];
  readonly maxTotalBytes: number | undefined;
  readonly outputs: readonly ScanOutput[];
  readonly dpkgFiles: boolean;
  readonly licenses: boolean;
  readonly secretPaths: readonly string[];
  readonly allowIncomplete: boolean;
}

/** Checks the options (usage errors) before any image is opened. */
export function prepareScan(args: ScanArgs): ScanPlan {
  const analyzers = pickAnalyzers(args);
  const maxTotalBytes = args.budget === undefined ? undefined : parseBytes(args.budget, "--budget");
  const maxFileSize =
    args.maxFileSize === undefined ? undefined : parseBytes(args.maxFileSize, "--max-file-size");
  const plugins = analyzers.map((p) => ({
    ...p,
    ...(maxFileSize === undefined
      ? {}
      : { maxFileSize: Math.min(p.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, maxFileSize) }),
  }));
  return {
    plugins,
    maxTotalBytes,
    outputs: args.outputs,
    dpkgFiles: args.dpkgFiles,
    licenses: args.licenses,
    secretPaths: args.secretPaths ?? [],
    allowIncomplete: args.allowIncomplete === true,
  };
}

/**
 * Runs the scan, matches vulnerabilities when a database is there, applies the filters and writes
 * each report asked for. Exit code: {@link EXIT_INCOMPLETE} when an analyzer could not read its
 * package database (unless `allowIncomplete`), else `--exit-code` when findings remain, else 0.
 */
export async function runScan(image: Image, plan: ScanPlan, io: Io, vulns: ScanVulns): Promise<number> {
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
      analyzers: [...plan.plugins],
      onProgress,
      ...(vulns.matcher === undefined ? {} : { vulnerabilities: vulns.matcher }),
      ...(plan.maxTotalBytes === undefined ? {} : { maxTotalBytes: plan.maxTotalBytes }),
      pluginOptions: {
        dpkg: { files: plan.dpkgFiles, licenses: plan.licenses },
        secrets: { paths: plan.secretPaths },
      },
    });
  } finally {
    progressDone(io);
  }
  if (vulns.missing !== undefined) {
    report = withoutDatabase(report, vulns.missing);
    note(io, `rafscan: vulnerabilities not checked: ${vulns.missing.message}`);
  } else if (vulns.sample) {
    note(io, "rafscan: vulnerabilities matched against rafscan's SAMPLE data, not real advisories");
  }
  const outcome = finishScan(report, vulns.options);
  if (outcome.message !== undefined) io.stderr.write(`rafscan: ${outcome.message}\n`);
  report = outcome.report;
  for (const out of plan.outputs) {
    if (out.file === undefined) {
      const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
      // Only a terminal has a width to fit; a file or pipe gets whole lines.
      const width = tty ? (io.stdout as NodeJS.WriteStream).columns || 100 : Number.POSITIVE_INFINITY;
      io.stdout.write(render(report, out.format, useColor(io, io.stdout), width, vulns));
    } else {
      await writeFile(out.file, render(report, out.format, false, Number.POSITIVE_INFINITY, vulns));
      note(io, `rafscan: wrote ${out.format} report to ${out.file}`);
    }
  }
  for (const [codec, d] of Object.entries(report.telemetry.decoders ?? {})) {
    if (d.fallback) {
      note(
        io,
        `rafscan: note: ${codec} chunks were decoded by ${d.implementation}, a pure-JS fallback several times slower than the native decoder (${d.reason ?? "native binding unavailable"})`,
      );
    }
  }
  if (report.complete === false) {
    // Not a note: a partial result must never pass for a whole one, even with -q.
    const missing = (report.incomplete ?? []).filter((f) => f.required);
    for (const f of missing) io.stderr.write(`rafscan: ${f.plugin}: not read: ${f.path}: ${f.reason}\n`);
    io.stderr.write(
      `rafscan: the scan is INCOMPLETE: ${missing.length} package database file${missing.length === 1 ? "" : "s"} could not be read, so packages are missing${plan.allowIncomplete ? "" : ` (exit ${EXIT_INCOMPLETE}; --allow-incomplete accepts it)`}\n`,
    );
    if (!plan.allowIncomplete) return EXIT_INCOMPLETE;
  }
  return outcome.exitCode;
}

function render(
  report: ScanReport,
  format: ScanFormat,
  color: boolean,
  width: number,
  vulns: ScanVulns,
): string {
  switch (format) {
    case "table":
      return formatTable(report, { color, width, severities: vulns.options.severities });
    case "json":
      return formatJsonReport(report);
    case "sarif":
      return `${JSON.stringify(toSarif(report, { toolVersion: cliVersion() }), null, 2)}\n`;
    case "cyclonedx":
      return `${JSON.stringify(toCycloneDx(report, { toolVersion: cliVersion() }), null, 2)}\n`;
    case "spdx":
      return `${JSON.stringify(toSpdx(report, { toolVersion: cliVersion() }), null, 2)}\n`;
  }
}
