// The vulnerability part of the terminal table: targets, Total lines, the seven columns, the
// sample-data label, a visible "not checked" when matching failed, suppressed findings, colour.
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import { formatTable } from "../src/sbom/index.js";
import { displayWidth } from "../src/sbom/table.js";
import type { VulnerabilityReport } from "../src/vulnerability.js";
import { vulnerableReport, withoutVulnerabilities } from "./vuln-fixture.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI sequences
const ANSI = /\u001b\[[0-9;]*m/g;

/** The table's vulnerability section: from its heading to the Secrets heading. */
function section(text: string): string {
  const start = text.indexOf("\nVulnerabilities");
  const end = text.indexOf("\nSecrets:");
  if (start < 0 || end < 0) throw new Error("no vulnerability section");
  return text.slice(start + 1, end);
}

function withVulns(report: ScanReport, patch: Partial<VulnerabilityReport>): ScanReport {
  return { ...report, vulnerabilities: { ...(report.vulnerabilities as VulnerabilityReport), ...patch } };
}

describe("formatTable with vulnerabilities", () => {
  const report = vulnerableReport();

  test("pinned: summary, database, then each target with its Total line and the seven columns", () => {
    expect(section(formatTable(report, { width: 120 }))).toBe(
      `Vulnerabilities: 8 (UNKNOWN: 1, LOW: 1, MEDIUM: 2, HIGH: 2, CRITICAL: 2)
Database: built 2024-03-01 (osv:Debian 41234, osv:GHSA 20111)
Unmatched packages: 1 (listed in the JSON report)

registry.example.com/team/app:1.2.3 (debian 12)
===============================================
Total: 4 (UNKNOWN: 0, LOW: 1, MEDIUM: 1, HIGH: 1, CRITICAL: 1)

  Library  Vulnerability   Severity  Status        Installed         Fixed             Title
  bash     CVE-2022-3715   HIGH      fixed         5.2.15-2+b2       5.2.15-2+b3       bash: heap buffer overflow in va…
  libssl3  CVE-2024-0727   MEDIUM    fixed         3.0.11-1~deb12u2  3.0.13-1~deb12u1  openssl: denial of service via n…
  libssl3  CVE-2023-5678   LOW       affected      3.0.11-1~deb12u2                    openssl: excessive time spent in…
  zlib1g   CVE-2023-45853  CRITICAL  will_not_fix  1:1.2.13.dfsg-1                     zlib: integer overflow in zipOpe…

Java (jar)
==========
Total: 1 (UNKNOWN: 1, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)

  Library  Vulnerability        Severity  Status    Installed   Fixed  Title
  guava    GHSA-7g45-4rm6-3mm3  UNKNOWN   affected  33.0.0-jre         Guava vulnerable to insecure use of temporary di…

Node.js (node-pkg)
==================
Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)

  Library  Vulnerability   Severity  Status  Installed  Fixed    Title
  lodash   CVE-2019-10744  CRITICAL  fixed   3.10.1     4.17.12  Prototype Pollution in lodash

Python (python-pkg)
===================
Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 0, CRITICAL: 0)

  Library   Vulnerability   Severity  Status  Installed  Fixed   Title
  requests  CVE-2024-35195  MEDIUM    fixed   2.31.0     2.32.0  Requests Session object does not verify requests after…

usr/local/bin/app (gobinary)
============================
Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0)

  Library           Vulnerability   Severity  Status  Installed  Fixed   Title
  golang.org/x/net  CVE-2023-45288  HIGH      fixed   v0.21.0    0.23.0  net/http, x/net/http2: unlimited number of CON…
`,
    );
  });

  test("the section sits between the packages and the secrets; nothing else changes", () => {
    const withoutVulns = formatTable(withoutVulnerabilities(report), { width: 120 });
    const text = formatTable(report, { width: 120 });
    expect(withoutVulns).not.toContain("Vulnerabilities");
    expect(text.replace(`\n${section(text)}`, "")).toBe(withoutVulns);
  });

  test("no line is wider than the width asked for", () => {
    for (const width of [40, 60, 80, 100, 160]) {
      for (const line of formatTable(report, { width }).split("\n")) {
        expect(displayWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
      }
    }
  });

  test("severities: the Total lines list only the severities asked for", () => {
    const text = section(formatTable(report, { width: 120, severities: ["HIGH", "CRITICAL"] }));
    expect(text.split("\n")[0]).toBe("Vulnerabilities: 8 (HIGH: 2, CRITICAL: 2)");
    expect(text).toContain("\nTotal: 4 (HIGH: 1, CRITICAL: 1)\n");
    expect(text).not.toContain("UNKNOWN:");
  });

  test("matching that could not run says so, and shows no Total line", () => {
    const failed = withVulns(report, {
      database: undefined,
      findings: [],
      error: { code: "VULN_DB_MISSING", message: "no advisory database; run rafscan db update" },
    });
    const text = section(formatTable(failed, { width: 120 }));
    expect(text).toBe(
      "Vulnerabilities: not checked: VULN_DB_MISSING: no advisory database; run rafscan db update\n",
    );
    expect(formatTable(failed, { color: true })).toContain("\u001b[31m\u001b[1mVulnerabilities: not checked");
  });

  test("the sample database is labelled sample data", () => {
    const db = report.vulnerabilities?.database;
    const sample = withVulns(report, { database: { ...(db as NonNullable<typeof db>), sample: true } });
    const lines = section(formatTable(sample, { width: 120 })).split("\n");
    expect(lines[0]).toBe(
      "Vulnerabilities: 8 (UNKNOWN: 1, LOW: 1, MEDIUM: 2, HIGH: 2, CRITICAL: 2) [sample data]",
    );
    expect(lines[1]).toBe("Database: sample data, not real advisories (built 2024-03-01)");
  });

  test("no findings: the summary says 0 and no target is listed", () => {
    const none = withVulns(report, { findings: [], unmatched: [] });
    expect(section(formatTable(none, { width: 120 }))).toBe(
      "Vulnerabilities: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\nDatabase: built 2024-03-01 (osv:Debian 41234, osv:GHSA 20111)\n",
    );
  });

  test("an end-of-life or unknown release gets a note", () => {
    const eol = withVulns(report, {
      release: { family: "debian", version: "9", status: "end_of_life", endOfLife: "2022-06-30" },
    });
    expect(section(formatTable(eol, { width: 120 }))).toContain(
      "\nNote: debian 9 is end of life since 2022-06-30; its advisories may be incomplete\n",
    );
    const unknown = withVulns(report, { release: { family: "debian", version: "14", status: "unknown" } });
    expect(section(formatTable(unknown, { width: 120 }))).toContain(
      "\nNote: no advisory data for debian 14; its OS packages were not checked\n",
    );
  });

  test("suppressed findings are listed with who suppressed them and why", () => {
    const vulns = report.vulnerabilities as VulnerabilityReport;
    const [a, b, ...rest] = vulns.findings;
    const suppressed = withVulns(report, {
      findings: rest,
      suppressed: [
        {
          finding: a as (typeof rest)[number],
          by: "vex",
          source: "vex.json",
          statement: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
        {
          finding: b as (typeof rest)[number],
          by: "ignorefile",
          source: ".trivyignore",
          statement: "ignored",
        },
      ],
    });
    const text = section(formatTable(suppressed, { width: 140 }));
    expect(text.split("\n")[0]).toBe(
      "Vulnerabilities: 6 (UNKNOWN: 1, LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 2)",
    );
    expect(text).toContain(
      `
Suppressed: 2
  Library  Vulnerability  By           Source        Statement
  libssl3  CVE-2024-0727  VEX          vex.json      not_affected (vulnerable_code_not_in_execute_path)
  libssl3  CVE-2023-5678  ignore file  .trivyignore  ignored
`,
    );
  });

  test("colour paints the severity word only; without the codes the text is the plain table", () => {
    const coloured = formatTable(report, { width: 120, color: true });
    expect(coloured).toContain("  \u001b[31m\u001b[1mCRITICAL\u001b[0m  will_not_fix");
    expect(coloured).toContain("  \u001b[33mMEDIUM\u001b[0m    fixed");
    expect(coloured).toContain("  \u001b[2mUNKNOWN\u001b[0m   affected");
    expect(coloured.replace(ANSI, "")).toBe(formatTable(report, { width: 120 }));
  });

  test("hostile strings from advisories cannot reach the terminal as control codes", () => {
    const vulns = report.vulnerabilities as VulnerabilityReport;
    const [first, ...rest] = vulns.findings;
    const evil = withVulns(report, {
      findings: [
        {
          ...(first as (typeof rest)[number]),
          id: "CVE-1\u001b[2J",
          title: "x\u001b]8;;http://evil\u0007y\u202e",
        },
        ...rest,
      ],
    });
    const text = formatTable(evil, { width: 200 });
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u202e");
    expect(text).toContain("CVE-1?[2J");
  });
});
