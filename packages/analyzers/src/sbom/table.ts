// A scan report as text for a terminal: the OS, packages by ecosystem, vulnerabilities, secrets,
// warnings and what the scan fetched. Every string from the image is stripped of control characters first.
import type { ScanReport } from "../report.js";
import type { Severity } from "../vulnerability.js";
import { collectComponents, compareStrings, type SbomComponent } from "./components.js";
import { ANSI, columns, printable, truncate } from "./text-layout.js";
import { vulnerabilityLines } from "./vuln-table.js";

export { displayWidth, printable, truncate } from "./text-layout.js";

/** Options of `formatTable`. */
export interface TableOptions {
  /** Wrap headings and severities in ANSI colour codes. Default: false (plain text). */
  readonly color?: boolean;
  /** Terminal columns; no line is wider. Default: 100; values below 40 count as 40. */
  readonly width?: number;
  /**
   * Severities the vulnerability summaries list (`Total: N (HIGH: a, CRITICAL: b)`), normally
   * those `--severity` kept. Default: all five.
   */
  readonly severities?: readonly Severity[];
}

const DEFAULT_WIDTH = 100;
const MIN_WIDTH = 40;

/** `1.5 MiB`: binary units, one decimal above bytes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function sourceCell(component: SbomComponent): string {
  const [first] = component.sources;
  if (first === undefined) return "";
  const more = component.sources.length - 1;
  return more > 0 ? `${first} (+${more})` : first;
}

/**
 * The report as a human-readable table: image and OS lines, packages grouped by ecosystem with
 * name, version and source columns, vulnerabilities per target when the report has them (or why
 * matching did not run; `[sample data]` for the sample database), suppressed findings, secrets, notes, the warning count and the telemetry line
 * (`fetched X of Y (Z%) in N requests, T ms`). Ends with a newline.
 */
export function formatTable(report: ScanReport, options: TableOptions = {}): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const color = options.color === true;
  const paint = (code: string, text: string) => (color ? `${code}${text}${ANSI.reset}` : text);
  const heading = (text: string) => paint(ANSI.bold, truncate(text, width));
  const out: string[] = [];

  const { image, os, telemetry } = report;
  const digest = image.digest !== undefined ? ` ${image.digest}` : "";
  out.push(heading(printable(`Image: ${image.name} (${image.format})${digest}`)));
  if (os !== undefined) {
    const label = os.prettyName ?? `${os.name ?? os.family} ${os.version}`;
    out.push(truncate(printable(`OS: ${label} (from ${os.source})`), width));
  } else {
    out.push("OS: not detected");
  }

  const components = collectComponents(report.packages);
  const byEcosystem = new Map<string, SbomComponent[]>();
  for (const c of components) {
    const group = byEcosystem.get(c.ecosystem) ?? [];
    group.push(c);
    byEcosystem.set(c.ecosystem, group);
  }
  const ecosystems = [...byEcosystem.keys()].sort(compareStrings);
  const summary = ecosystems.map((e) => `${e} ${byEcosystem.get(e)?.length ?? 0}`).join(", ");
  out.push("", heading(`Packages: ${components.length}${summary !== "" ? ` (${summary})` : ""}`));
  for (const ecosystem of ecosystems) {
    const group = (byEcosystem.get(ecosystem) ?? []).sort(
      (a, b) => compareStrings(a.name, b.name) || compareStrings(a.version, b.version),
    );
    out.push("", paint(ANSI.bold, `${ecosystem} (${group.length})`));
    const rows = group.map((c) => [printable(c.name), printable(c.version), printable(sourceCell(c))]);
    const [header, ...body] = columns(["NAME", "VERSION", "SOURCE"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""), ...body);
  }

  out.push(
    ...vulnerabilityLines(report, {
      width,
      color,
      paint,
      ...(options.severities !== undefined ? { severities: options.severities } : {}),
    }),
  );

  out.push("", heading(`Secrets: ${report.secrets.length}`));
  if (report.secrets.length > 0) {
    const severityColor = {
      CRITICAL: ANSI.red + ANSI.bold,
      HIGH: ANSI.red,
      MEDIUM: ANSI.yellow,
      LOW: ANSI.cyan,
    };
    const rows = report.secrets.map((s) => [
      s.severity,
      printable(s.ruleId),
      printable(`${s.path}:${s.line}`),
      printable(s.match),
    ]);
    const [header, ...body] = columns(["SEVERITY", "RULE", "LOCATION", "MATCH"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""));
    body.forEach((line, i) => {
      const severity = report.secrets[i]?.severity;
      // Colour only the severity word, after layout, so escape codes never count as columns.
      out.push(
        severity !== undefined && color
          ? line.replace(severity, paint(severityColor[severity], severity))
          : line,
      );
    });
  }

  if (report.notes.length > 0) out.push("");
  for (const note of report.notes) out.push(truncate(printable(`Note: ${note}`), width));
  for (const analyzer of report.analyzers) {
    if (analyzer.error !== undefined) {
      out.push(
        paint(ANSI.red, truncate(printable(`Analyzer ${analyzer.id} failed: ${analyzer.error}`), width)),
      );
    }
  }
  // Files not read are listed one by one: a count alone hides that a package database is missing.
  const incomplete = report.incomplete ?? [];
  if (incomplete.length > 0) {
    const title =
      report.complete === false
        ? `INCOMPLETE: ${incomplete.length} file${incomplete.length === 1 ? "" : "s"} not read (package databases among them)`
        : `Not read: ${incomplete.length} file${incomplete.length === 1 ? "" : "s"}`;
    out.push("", paint(report.complete === false ? ANSI.red + ANSI.bold : ANSI.yellow, title));
    const rows = incomplete.map((f) => [
      printable(f.plugin),
      printable(f.path),
      printable(`${f.reason}${f.required ? " (package database)" : ""}`),
    ]);
    const [header, ...body] = columns(["ANALYZER", "PATH", "REASON"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""), ...body);
  }
  const warnings = report.warnings.length;
  out.push("", warnings > 0 ? paint(ANSI.yellow, `Warnings: ${warnings}`) : "Warnings: 0");
  for (const w of report.warnings) {
    const where = w.path === undefined ? "" : ` ${w.path}:`;
    out.push(truncate(printable(`  ${w.plugin}:${where} ${w.message}`), width));
  }
  for (const [codec, d] of Object.entries(telemetry.decoders ?? {})) {
    if (d.fallback) {
      out.push(
        truncate(
          printable(`Note: ${codec} decoded by ${d.implementation} (pure JS, slower): ${d.reason ?? ""}`),
          width,
        ),
      );
    }
  }

  const fetched = formatBytes(telemetry.bytesFetched);
  const of =
    telemetry.imageBytes !== undefined && telemetry.imageBytes > 0
      ? ` of ${formatBytes(telemetry.imageBytes)} (${((100 * telemetry.bytesFetched) / telemetry.imageBytes).toFixed(1)}%)`
      : " of an image of unknown size";
  const requests = `${telemetry.requests} request${telemetry.requests === 1 ? "" : "s"}`;
  out.push(truncate(`fetched ${fetched}${of} in ${requests}, ${Math.round(telemetry.durationMs)} ms`, width));
  return `${out.join("\n")}\n`;
}
