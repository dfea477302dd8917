// The vulnerability part of the terminal table: per target a `Total:` line and the Library,
// Vulnerability, Severity, Status, Installed, Fixed, Title columns, as Trivy users know them.
import type { ScanReport } from "../report.js";
import { SEVERITIES, type Severity, type VulnerabilityReport } from "../vulnerability.js";
import { ANSI, columns, printable, truncate } from "./text-layout.js";
import { countBySeverity, vulnTargets } from "./vuln-targets.js";

/** What the vulnerability section needs from the table's options. */
export interface VulnTableContext {
  readonly width: number;
  readonly color: boolean;
  readonly paint: (code: string, text: string) => string;
  /** Severities the summaries list (those `--severity` kept). Default: all five. */
  readonly severities?: readonly Severity[];
}

const SEVERITY_COLOR: Record<Severity, string> = {
  CRITICAL: ANSI.red + ANSI.bold,
  HIGH: ANSI.red,
  MEDIUM: ANSI.yellow,
  LOW: ANSI.cyan,
  UNKNOWN: ANSI.dim,
};

/** `Total: N (UNKNOWN: a, LOW: b, MEDIUM: c, HIGH: d, CRITICAL: e)`, listing only `severities`. */
export function totalLine(
  findings: VulnerabilityReport["findings"],
  severities: readonly Severity[] = SEVERITIES,
): string {
  const counts = countBySeverity(findings);
  const shown = SEVERITIES.filter((s) => severities.includes(s));
  return `Total: ${findings.length} (${shown.map((s) => `${s}: ${counts[s]}`).join(", ")})`;
}

function databaseLine(vulns: VulnerabilityReport): string | undefined {
  const db = vulns.database;
  if (db === undefined) return undefined;
  const built = db.builtAt.slice(0, 10);
  if (db.sample) return `Database: sample data, not real advisories (built ${built})`;
  const sources = db.sources.map((s) => `${s.id} ${s.records}`).join(", ");
  return `Database: built ${built}${sources !== "" ? ` (${sources})` : ""}`;
}

/** The section's lines (no trailing newline), starting with a blank line. */
export function vulnerabilityLines(report: ScanReport, ctx: VulnTableContext): string[] {
  const vulns = report.vulnerabilities;
  if (vulns === undefined) return [];
  const { width, paint } = ctx;
  const out: string[] = [""];
  if (vulns.error !== undefined) {
    // Never an empty list that reads as "no vulnerabilities": say matching did not run.
    out.push(
      paint(
        ANSI.red + ANSI.bold,
        truncate(
          printable(`Vulnerabilities: not checked: ${vulns.error.code}: ${vulns.error.message}`),
          width,
        ),
      ),
    );
    return out;
  }
  const sample = vulns.database?.sample === true ? " [sample data]" : "";
  out.push(
    paint(
      ANSI.bold,
      truncate(`Vulnerabilities: ${totalLine(vulns.findings, ctx.severities).slice(7)}${sample}`, width),
    ),
  );
  const db = databaseLine(vulns);
  if (db !== undefined)
    out.push(vulns.database?.sample === true ? paint(ANSI.yellow, truncate(db, width)) : truncate(db, width));
  const release = vulns.release;
  if (release?.status === "end_of_life") {
    const since = release.endOfLife !== undefined ? ` since ${release.endOfLife}` : "";
    out.push(
      paint(
        ANSI.yellow,
        truncate(
          printable(
            `Note: ${release.family} ${release.version} is end of life${since}; its advisories may be incomplete`,
          ),
          width,
        ),
      ),
    );
  } else if (release?.status === "unknown") {
    out.push(
      paint(
        ANSI.yellow,
        truncate(
          printable(
            `Note: no advisory data for ${release.family} ${release.version}; its OS packages were not checked`,
          ),
          width,
        ),
      ),
    );
  }
  if (vulns.unmatched.length > 0) {
    out.push(truncate(`Unmatched packages: ${vulns.unmatched.length} (listed in the JSON report)`, width));
  }

  for (const target of vulnTargets(report)) {
    const label = printable(target.label);
    out.push("", paint(ANSI.bold, truncate(label, width)), truncate("=".repeat(label.length), width));
    out.push(truncate(totalLine(target.findings, ctx.severities), width), "");
    const rows = target.findings.map((f) => [
      printable(f.packageName),
      printable(f.id),
      f.severity,
      f.status,
      printable(f.installedVersion),
      printable(f.fixedVersions.join(", ")),
      printable(f.title ?? f.description?.split("\n")[0] ?? ""),
    ]);
    const [header, ...body] = columns(
      ["Library", "Vulnerability", "Severity", "Status", "Installed", "Fixed", "Title"],
      rows,
      width,
    );
    out.push(paint(ANSI.dim, header ?? ""));
    body.forEach((line, i) => {
      const severity = target.findings[i]?.severity;
      // Colour the severity cell after layout, so escape codes never count as columns: it is the
      // first severity word standing alone after the library cell (ids hold no spaces).
      const at =
        severity !== undefined && ctx.color ? line.slice(2).search(new RegExp(`  ${severity}( |$)`)) : -1;
      if (severity === undefined || at < 0) out.push(line);
      else {
        const start = 2 + at + 2;
        out.push(
          line.slice(0, start) +
            paint(SEVERITY_COLOR[severity], severity) +
            line.slice(start + severity.length),
        );
      }
    });
  }

  if (vulns.suppressed.length > 0) {
    out.push("", paint(ANSI.bold, `Suppressed: ${vulns.suppressed.length}`));
    const rows = vulns.suppressed.map((s) => [
      printable(s.finding.packageName),
      printable(s.finding.id),
      s.by === "vex" ? "VEX" : "ignore file",
      printable(s.source),
      // Last, so it takes the width the others leave.
      printable(s.justification !== undefined ? `${s.statement} (${s.justification})` : s.statement),
    ]);
    const [header, ...body] = columns(["Library", "Vulnerability", "By", "Source", "Statement"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""), ...body);
  }
  return out;
}
