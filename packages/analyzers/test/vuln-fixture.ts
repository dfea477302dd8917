// The SBOM fixture report with vulnerability findings on OS packages, installed language packages,
// a Go binary and a Java archive, as a matcher would report them. Built here because the tests of
// the writers and filters must not depend on a database.
import type { ScanReport } from "../src/report.js";
import type {
  CvssScore,
  Severity,
  VulnerabilityFinding,
  VulnerabilityReport,
  VulnerabilityStatus,
} from "../src/vulnerability.js";
import { sampleReport } from "./sbom-fixture.js";

interface Spec {
  readonly id: string;
  readonly pkg: string;
  readonly version: string;
  readonly severity: Severity;
  readonly status: VulnerabilityStatus;
  readonly fixed?: string[];
  readonly aliases?: string[];
  readonly title?: string;
  readonly cvss?: CvssScore[];
}

const SPECS: readonly Spec[] = [
  {
    id: "CVE-2024-0727",
    pkg: "libssl3",
    version: "3.0.11-1~deb12u2",
    severity: "MEDIUM",
    status: "fixed",
    fixed: ["3.0.13-1~deb12u1"],
    aliases: ["DSA-5678-1"],
    title: "openssl: denial of service via null dereference",
    cvss: [
      { type: "CVSS_V3", vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", score: 5.5, source: "nvd" },
    ],
  },
  {
    id: "CVE-2023-5678",
    pkg: "libssl3",
    version: "3.0.11-1~deb12u2",
    severity: "LOW",
    status: "affected",
    title: "openssl: excessive time spent in DH check",
  },
  {
    id: "CVE-2023-45853",
    pkg: "zlib1g",
    version: "1:1.2.13.dfsg-1",
    severity: "CRITICAL",
    status: "will_not_fix",
    title: "zlib: integer overflow in zipOpenNewFileInZip4_6",
    cvss: [{ type: "CVSS_V3", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score: 9.8 }],
  },
  {
    id: "CVE-2022-3715",
    pkg: "bash",
    version: "5.2.15-2+b2",
    severity: "HIGH",
    status: "fixed",
    fixed: ["5.2.15-2+b3"],
    title: "bash: heap buffer overflow in valid_parameter_transform",
  },
  {
    id: "CVE-2019-10744",
    pkg: "lodash",
    version: "3.10.1",
    severity: "CRITICAL",
    status: "fixed",
    fixed: ["4.17.12"],
    aliases: ["GHSA-jf85-cpcp-j695"],
    title: "Prototype Pollution in lodash",
  },
  {
    id: "CVE-2024-35195",
    pkg: "requests",
    version: "2.31.0",
    severity: "MEDIUM",
    status: "fixed",
    fixed: ["2.32.0"],
    aliases: ["GHSA-9wx4-h78v-vm56"],
    title: "Requests Session object does not verify requests after making first request with verify=False",
  },
  {
    id: "CVE-2023-45288",
    pkg: "golang.org/x/net",
    version: "v0.21.0",
    severity: "HIGH",
    status: "fixed",
    fixed: ["0.23.0"],
    aliases: ["GO-2024-2687"],
    title: "net/http, x/net/http2: unlimited number of CONTINUATION frames causes DoS",
  },
  {
    id: "GHSA-7g45-4rm6-3mm3",
    pkg: "guava",
    version: "33.0.0-jre",
    severity: "UNKNOWN",
    status: "affected",
    title: "Guava vulnerable to insecure use of temporary directory",
  },
];

/** A finding for package `name@version` of `report`, built from a spec. */
function finding(report: ScanReport, spec: Spec): VulnerabilityFinding {
  const index = report.packages.findIndex((p) => p.name === spec.pkg && p.version === spec.version);
  const pkg = report.packages[index];
  if (pkg === undefined) throw new Error(`fixture has no package ${spec.pkg}@${spec.version}`);
  const os = pkg.ecosystem === "deb";
  return {
    id: spec.id,
    aliases: spec.aliases ?? [],
    packageIndex: index,
    packageName: pkg.name,
    packagePurl: pkg.purl,
    ecosystem: os ? "Debian:12" : pkg.ecosystem,
    installedVersion: pkg.version,
    fixedVersions: spec.fixed ?? [],
    status: spec.status,
    severity: spec.severity,
    severitySource: os ? "debian" : "ghsa",
    cvss: spec.cvss ?? [],
    ...(spec.title !== undefined ? { title: spec.title } : {}),
    description: `${spec.title ?? spec.id}.\nSecond line of the description.`,
    references: [`https://nvd.nist.gov/vuln/detail/${spec.id}`, "not a url"],
    dataSource: os
      ? {
          id: "osv:Debian",
          name: "Debian Security Tracker",
          url: "https://security-tracker.debian.org/tracker/",
        }
      : { id: "osv:GHSA", name: "GitHub Advisory Database", url: "https://github.com/advisories" },
    published: "2024-01-26T09:15:07Z",
    modified: "not a date",
  };
}

/** The vulnerability part alone, for reports that want other findings. */
export function vulnReport(report: ScanReport, findings: VulnerabilityFinding[]): VulnerabilityReport {
  return {
    database: {
      schemaVersion: 1,
      builtAt: "2024-03-01T00:00:00Z",
      sources: [
        { id: "osv:Debian", name: "Debian Security Tracker", records: 41234 },
        { id: "osv:GHSA", name: "GitHub Advisory Database", records: 20111 },
      ],
      sample: false,
    },
    findings,
    suppressed: [],
    unmatched: [
      {
        packageIndex: report.packages.findIndex((p) => p.name === "My Package"),
        purl: "pkg:pypi/my-package@1.0%2Blocal.build",
        reason: "invalid version",
      },
    ],
    release: { family: "debian", version: "12", ecosystem: "Debian:12", status: "supported" },
  };
}

/** The SBOM fixture with eight findings over five targets (Debian, Python, Node.js, a Go binary, Java). */
export function vulnerableReport(): ScanReport {
  const report = sampleReport();
  return {
    ...report,
    vulnerabilities: vulnReport(
      report,
      SPECS.map((s) => finding(report, s)),
    ),
  };
}

/** Ids of the report's open findings, sorted. */
export function openIds(report: ScanReport): string[] {
  return (report.vulnerabilities?.findings ?? []).map((f) => f.id).sort();
}

/** `report` without its vulnerability part, as a scan without a matcher returns it. */
export function withoutVulnerabilities(report: ScanReport): ScanReport {
  const { vulnerabilities: _, ...rest } = report;
  return rest;
}
