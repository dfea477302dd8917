// The JSON report `--format json` prints: the ScanReport as it is, plus, when vulnerabilities were
// matched, each package's finding ids on the package itself (`packages[i].vulnerabilities`).
import type { Package } from "../findings.js";
import type { ScanReport } from "../report.js";
import { SEVERITIES } from "../vulnerability.js";
import { compareStrings } from "./components.js";

/** A package of the JSON report. */
export type JsonPackage = Package & {
  /**
   * Ids of the findings left after filters for this package, most severe first (details in
   * `vulnerabilities.findings`, where `packageIndex` is this package's index). `[]`: matched, none
   * found. Absent: not matched (no database, matching failed, or listed in
   * `vulnerabilities.unmatched`).
   */
  readonly vulnerabilities?: readonly string[];
};

/** The JSON report: a ScanReport whose packages may carry their finding ids. */
export type JsonScanReport = Omit<ScanReport, "packages"> & { readonly packages: readonly JsonPackage[] };

/**
 * The report with the per-package view added (additive: every ScanReport field is kept as is).
 * A report without vulnerabilities, or whose matching failed, comes back unchanged.
 */
export function toJsonReport(report: ScanReport): JsonScanReport {
  const vulns = report.vulnerabilities;
  if (vulns === undefined || vulns.error !== undefined) return report;
  const byPackage = new Map<number, { id: string; rank: number }[]>();
  for (const f of vulns.findings) {
    const list = byPackage.get(f.packageIndex) ?? [];
    list.push({ id: f.id, rank: SEVERITIES.indexOf(f.severity) });
    byPackage.set(f.packageIndex, list);
  }
  const unmatched = new Set(vulns.unmatched.map((u) => u.packageIndex));
  return {
    ...report,
    packages: report.packages.map((pkg, i): JsonPackage => {
      if (unmatched.has(i)) return pkg;
      const ids = (byPackage.get(i) ?? [])
        .sort((a, b) => b.rank - a.rank || compareStrings(a.id, b.id))
        .map((x) => x.id);
      return { ...pkg, vulnerabilities: [...new Set(ids)] };
    }),
  };
}

/** `toJsonReport` as the indented text the CLI prints, ending with a newline. */
export function formatJsonReport(report: ScanReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
