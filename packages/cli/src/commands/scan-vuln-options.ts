// `rafscan scan`'s vulnerability options (--scanners, --severity, --ignore-unfixed, --exit-code,
// --ignorefile, --vex) turned into filter options, and the exit code a filtered report earns.
// Everything here but the file reads is in @rafscan/analyzers; this is the CLI's glue.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  applyVulnerabilityFilters,
  type IgnoreFile,
  MAX_IGNORE_FILE_BYTES,
  MAX_VEX_FILE_BYTES,
  parseIgnoreFile,
  parseVex,
  type ScanReport,
  SEVERITIES,
  type Severity,
  type VexDocument,
  type VulnerabilityFilterOptions,
  VulnFilterError,
} from "@rafscan/analyzers";
import { UsageError } from "../usage-error.js";

/** The option values as the argument parser hands them over (strings, or lists for repeatable ones). */
export interface RawVulnOptions {
  /** `--scanners vuln[,secret]`. */
  readonly scanners?: string | readonly string[] | undefined;
  /** `--severity LIST`: comma-separated severities. */
  readonly severity?: string | readonly string[] | undefined;
  /** `--ignore-unfixed`. */
  readonly ignoreUnfixed?: boolean | undefined;
  /** `--exit-code N`. */
  readonly exitCode?: string | number | undefined;
  /** `--ignorefile FILE`. */
  readonly ignorefile?: string | undefined;
  /** `--vex FILE` (repeatable). */
  readonly vex?: string | readonly string[] | undefined;
}

/** The scanners `--scanners` names. */
export const SCANNERS = ["vuln", "secret"] as const;
export type Scanner = (typeof SCANNERS)[number];

/** Which scanners run. */
export interface Scanners {
  /** Match packages against the advisory database. */
  readonly vuln: boolean;
  /** Run the secrets analyzer (the same as `--enable secrets`). */
  readonly secret: boolean;
  /** True when `--scanners` was given: a scanner asked for by name that cannot run is an error. */
  readonly explicit: boolean;
}

/** The options resolved, ready for `scanImage`, `finishScan` and `formatTable`. */
export interface ScanVulnOptions {
  readonly scanners: Scanners;
  /** Severities kept (all five when `--severity` is not given); pass to `formatTable` too. */
  readonly severities: readonly Severity[];
  /** True when `--severity` was given: it then filters secrets as well. */
  readonly severityGiven: boolean;
  /** `--exit-code`, 0 when not given. */
  readonly exitCode: number;
  /** What `applyVulnerabilityFilters` takes. */
  readonly filters: VulnerabilityFilterOptions;
}

/** Options of `resolveScanVulnOptions`. */
export interface ResolveScanVulnOptions {
  /** Whether an advisory database is available: vuln scanning is on by default only then. */
  readonly databaseAvailable: boolean;
  /** Where the default `.trivyignore` is looked for. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** The time ignore-file expiry dates are compared with. Default: now. */
  readonly now?: Date;
}

/** The name read from the working directory when `--ignorefile` is not given, as Trivy does. */
export const DEFAULT_IGNORE_FILE = ".trivyignore";

function items(value: string | readonly string[] | undefined): string[] {
  const list = value === undefined ? [] : typeof value === "string" ? [value] : [...value];
  return list
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** `HIGH,critical` -> `["HIGH", "CRITICAL"]` (any case, repeats once, in severity order). */
export function parseSeverities(value: string | readonly string[]): Severity[] {
  const names = items(value).map((s) => s.toUpperCase());
  if (names.length === 0) throw new UsageError(`--severity needs a list of ${SEVERITIES.join(", ")}`);
  const unknown = names.filter((n) => !SEVERITIES.includes(n as Severity));
  if (unknown.length > 0) {
    throw new UsageError(
      `--severity: unknown severity ${unknown.join(", ")} (known: ${SEVERITIES.join(", ")})`,
    );
  }
  return SEVERITIES.filter((s) => names.includes(s));
}

/** `--exit-code`: a whole number 0-255 (what a process can exit with). */
export function parseExitCode(value: string | number): number {
  const text = String(value).trim();
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= 255))
    throw new UsageError(`--exit-code must be a whole number from 0 to 255, not '${value}'`);
  return n;
}

/**
 * `--scanners vuln,secret`. Without it, vuln runs when a database is available and secret does
 * not run (`--enable secrets` still adds the analyzer).
 */
export function parseScanners(
  value: string | readonly string[] | undefined,
  databaseAvailable: boolean,
): Scanners {
  if (value === undefined) return { vuln: databaseAvailable, secret: false, explicit: false };
  const names = items(value);
  if (names.length === 0) throw new UsageError(`--scanners needs a list of ${SCANNERS.join(", ")}`);
  const unknown = names.filter((n) => !(SCANNERS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`--scanners: unknown scanner ${unknown.join(", ")} (known: ${SCANNERS.join(", ")})`);
  }
  return { vuln: names.includes("vuln"), secret: names.includes("secret"), explicit: true };
}

/** Reads a filter file, refusing one over `limit` before reading it. */
async function readLimited(
  path: string,
  limit: number,
  code: "VULN_IGNOREFILE" | "VULN_VEX",
): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new VulnFilterError(code, path, "not a regular file");
    if (info.size > limit) throw new VulnFilterError(code, path, `larger than ${limit} bytes`);
    return await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof VulnFilterError) throw err;
    throw new VulnFilterError(code, path, `cannot read: ${(err as Error).message}`);
  }
}

/**
 * Parses the raw option values and reads the ignore file and VEX documents. `--ignorefile` names
 * a file that must exist; without it `.trivyignore` in `cwd` is read when present. Throws
 * `UsageError` for a bad value and `VulnFilterError` (`VULN_IGNOREFILE`, `VULN_VEX`) for a file
 * that cannot be read or parsed.
 */
export async function resolveScanVulnOptions(
  raw: RawVulnOptions,
  options: ResolveScanVulnOptions,
): Promise<ScanVulnOptions> {
  const scanners = parseScanners(raw.scanners, options.databaseAvailable);
  const severityGiven = raw.severity !== undefined;
  const severities = severityGiven
    ? parseSeverities(raw.severity as string | readonly string[])
    : [...SEVERITIES];
  const exitCode = raw.exitCode === undefined ? 0 : parseExitCode(raw.exitCode);

  const ignoreFiles: IgnoreFile[] = [];
  if (raw.ignorefile !== undefined) {
    if (raw.ignorefile === "") throw new UsageError("--ignorefile needs a file name");
    const text = await readLimited(raw.ignorefile, MAX_IGNORE_FILE_BYTES, "VULN_IGNOREFILE");
    ignoreFiles.push(parseIgnoreFile(text, raw.ignorefile));
  } else {
    const path = join(options.cwd ?? process.cwd(), DEFAULT_IGNORE_FILE);
    const present = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    if (present) {
      const text = await readLimited(path, MAX_IGNORE_FILE_BYTES, "VULN_IGNOREFILE");
      ignoreFiles.push(parseIgnoreFile(text, DEFAULT_IGNORE_FILE));
    }
  }
  const vex: VexDocument[] = [];
  for (const path of typeof raw.vex === "string" ? [raw.vex] : (raw.vex ?? [])) {
    if (path === "") throw new UsageError("--vex needs a file name");
    vex.push(parseVex(await readLimited(path, MAX_VEX_FILE_BYTES, "VULN_VEX"), path));
  }
  return {
    scanners,
    severities,
    severityGiven,
    exitCode,
    filters: {
      severities,
      ignoreUnfixed: raw.ignoreUnfixed === true,
      ignoreFiles,
      vex,
      ...(options.now !== undefined ? { now: options.now } : {}),
    },
  };
}

/** The report to print and the code to exit with. */
export interface ScanOutcome {
  readonly report: ScanReport;
  readonly exitCode: number;
  /** Why the exit code is 1 when the report could not be judged; print it on stderr. */
  readonly message?: string;
}

/**
 * Applies the filters to a finished scan and picks the exit code:
 * - the vulnerability findings are filtered (`applyVulnerabilityFilters`); with `--severity`,
 *   secrets of other severities are dropped too;
 * - `exitCode` (from `--exit-code`) when any vulnerability finding or secret is left, else 0;
 * - 1, with `message`, when matching did not run (`vulnerabilities.error`) and either
 *   `--exit-code` is set or `--scanners` asked for vuln by name: "no findings" cannot be told.
 */
export function finishScan(report: ScanReport, options: ScanVulnOptions): ScanOutcome {
  let shown = applyVulnerabilityFilters(report, options.filters);
  if (options.severityGiven) {
    const keep = new Set<string>(options.severities);
    const secrets = shown.secrets.filter((s) => keep.has(s.severity));
    if (secrets.length !== shown.secrets.length) shown = { ...shown, secrets };
  }
  const error = shown.vulnerabilities?.error;
  if (
    error !== undefined &&
    (options.exitCode !== 0 || (options.scanners.explicit && options.scanners.vuln))
  ) {
    return {
      report: shown,
      exitCode: 1,
      message: `vulnerabilities were not checked: ${error.code}: ${error.message}`,
    };
  }
  const remaining = (shown.vulnerabilities?.findings.length ?? 0) + shown.secrets.length;
  return { report: shown, exitCode: remaining > 0 ? options.exitCode : 0 };
}
