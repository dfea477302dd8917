// The JSON report's per-package view: each matched package lists its finding ids, additively.
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import { formatJsonReport, toJsonReport } from "../src/sbom/index.js";
import type { VulnerabilityReport } from "../src/vulnerability.js";
import { vulnerableReport, withoutVulnerabilities } from "./vuln-fixture.js";

describe("toJsonReport", () => {
  const report = vulnerableReport();
  const json = toJsonReport(report);

  test("every ScanReport field is kept as it is; packages only gain `vulnerabilities`", () => {
    const { packages, ...rest } = json;
    const { packages: original, ...originalRest } = report;
    expect(rest).toEqual(originalRest);
    expect(packages.map(({ vulnerabilities: _, ...p }) => p)).toEqual(original);
  });

  test("finding ids per package, most severe first; [] for a matched package with none", () => {
    const byName = (name: string, version?: string) =>
      json.packages.find((p) => p.name === name && (version === undefined || p.version === version))
        ?.vulnerabilities;
    expect(byName("libssl3")).toEqual(["CVE-2024-0727", "CVE-2023-5678"]);
    expect(byName("lodash", "3.10.1")).toEqual(["CVE-2019-10744"]);
    expect(byName("lodash", "4.17.21")).toEqual([]);
    expect(byName("coreutils")).toEqual([]);
    // Listed in `unmatched`: not checked, so no list at all.
    expect(byName("My Package")).toBeUndefined();
    // The ids point at findings whose packageIndex is the package's own index.
    json.packages.forEach((p, i) => {
      for (const id of p.vulnerabilities ?? []) {
        expect(report.vulnerabilities?.findings.some((f) => f.id === id && f.packageIndex === i)).toBe(true);
      }
    });
  });

  test("no vulnerabilities, or matching that failed: the report comes back unchanged", () => {
    const none = withoutVulnerabilities(report);
    expect(toJsonReport(none)).toBe(none);
    const failed: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        error: { code: "VULN_DB_MISSING", message: "none" },
      },
    };
    expect(toJsonReport(failed)).toBe(failed);
    expect(formatJsonReport(failed)).toBe(`${JSON.stringify(failed, null, 2)}\n`);
  });
});
