// SARIF 2.1.0: schema validity, one rule per advisory, levels, locations at the package's file,
// suppressions for filtered findings, secrets, and an unsuccessful invocation when matching failed.
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import { toSarif } from "../src/sbom/index.js";
import { applyVulnerabilityFilters, parseIgnoreFile, parseVex } from "../src/vuln-filters/index.js";
import type { VulnerabilityReport } from "../src/vulnerability.js";
import { sarifSchema } from "./sbom-schemas.js";
import { vulnerableReport } from "./vuln-fixture.js";

const validate = sarifSchema();

describe("toSarif", () => {
  const report = vulnerableReport();
  const log = toSarif(report, { toolVersion: "0.1.0" });
  const run = log.runs[0];
  if (run === undefined) throw new Error("no run");

  test("validates against the SARIF 2.1.0 schema, and the validator catches a broken log", () => {
    expect(validate(JSON.parse(JSON.stringify(log)))).toEqual([]);
    const broken = JSON.parse(JSON.stringify(log));
    broken.runs[0].results[0].level = "fatal";
    expect(validate(broken).length).toBeGreaterThan(0);
    expect(validate({ ...log, version: "2.0.0" }).length).toBeGreaterThan(0);
  });

  test("one rule per advisory id; ruleIndex points at it; secrets get rules too", () => {
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(run.tool.driver).toMatchObject({ name: "rafscan", version: "0.1.0" });
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(["CVE-2024-0727", "GHSA-7g45-4rm6-3mm3", "aws-access-key-id"]),
    );
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
    // 8 findings and 2 secrets.
    expect(run.results).toHaveLength(10);
  });

  test("a result: level by severity, message, location at the package's file", () => {
    const zlib = run.results.find((r) => r.ruleId === "CVE-2023-45853");
    expect(zlib).toEqual({
      ruleId: "CVE-2023-45853",
      ruleIndex: expect.any(Number),
      level: "error",
      message: { text: "CVE-2023-45853 in zlib1g 1:1.2.13.dfsg-1 (CRITICAL, will_not_fix)" },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: "var/lib/dpkg/status" }, region: { startLine: 1 } },
          message: { text: "/var/lib/dpkg/status: zlib1g@1:1.2.13.dfsg-1" },
        },
      ],
      properties: {
        purl: report.packages.find((p) => p.name === "zlib1g")?.purl,
        installedVersion: "1:1.2.13.dfsg-1",
        fixedVersions: [],
        status: "will_not_fix",
        severity: "CRITICAL",
      },
    });
    const level = (id: string) => run.results.find((r) => r.ruleId === id)?.level;
    expect([
      level("CVE-2022-3715"),
      level("CVE-2024-0727"),
      level("CVE-2023-5678"),
      level("GHSA-7g45-4rm6-3mm3"),
    ]).toEqual(["error", "warning", "note", "note"]);
    const rule = run.tool.driver.rules.find((r) => r.id === "CVE-2024-0727");
    expect(rule).toMatchObject({
      shortDescription: { text: "openssl: denial of service via null dereference" },
      helpUri: "https://nvd.nist.gov/vuln/detail/CVE-2024-0727",
      defaultConfiguration: { level: "warning" },
      properties: { "security-severity": "5.5", tags: ["vulnerability", "security", "MEDIUM"] },
    });
  });

  test("paths with spaces and non-ASCII are percent-encoded URI references", () => {
    const secret = run.results.find((r) => r.ruleId === "private-key");
    expect(secret?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "root/.ssh/id_rsa" },
      region: { startLine: 1 },
    });
    const odd: ScanReport = {
      ...report,
      secrets: [
        { ...(report.secrets[0] as ScanReport["secrets"][number]), path: "/app/my dir/café.env", line: 7 },
      ],
    };
    const out = toSarif(odd);
    expect(out.runs[0]?.results.at(-1)?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      "app/my%20dir/caf%C3%A9.env",
    );
    expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
  });

  test("suppressed findings are results with an external, accepted suppression", () => {
    const filtered = applyVulnerabilityFilters(report, {
      vex: [
        parseVex(
          JSON.stringify({
            "@context": "https://openvex.dev/ns/v0.2.0",
            statements: [
              {
                vulnerability: { name: "CVE-2023-45853" },
                products: [{ "@id": "pkg:deb/debian/zlib1g" }],
                status: "not_affected",
                justification: "vulnerable_code_not_present",
              },
            ],
          }),
          "vex.json",
        ),
      ],
      ignoreFiles: [
        parseIgnoreFile("vulnerabilities:\n  - id: CVE-2024-35195\n    statement: accepted\n", "i.yaml"),
      ],
    });
    const out = toSarif(filtered);
    expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
    const results = out.runs[0]?.results ?? [];
    expect(
      results.filter((r) => r.suppressions !== undefined).map((r) => [r.ruleId, r.suppressions]),
    ).toEqual([
      [
        "CVE-2023-45853",
        [
          {
            kind: "external",
            status: "accepted",
            justification: "VEX vex.json: not_affected (vulnerable_code_not_present)",
          },
        ],
      ],
      [
        "CVE-2024-35195",
        [{ kind: "external", status: "accepted", justification: "ignore file i.yaml: accepted" }],
      ],
    ]);
    expect(results).toHaveLength(10);
  });

  test("matching that did not run: the invocation is unsuccessful and says why", () => {
    const failed: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        error: { code: "VULN_DB_MISSING", message: "no database" },
      },
    };
    const out = toSarif(failed);
    expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
    expect(out.runs[0]?.invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          { level: "error", message: { text: "vulnerabilities not checked: VULN_DB_MISSING: no database" } },
        ],
      },
    ]);
    expect(out.runs[0]?.results.map((r) => r.ruleId)).toEqual(["aws-access-key-id", "private-key"]);
  });

  test("the sample database adds a warning notification", () => {
    const db = report.vulnerabilities?.database;
    const sample: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        database: { ...(db as NonNullable<typeof db>), sample: true },
      },
    };
    expect(toSarif(sample).runs[0]?.invocations[0]?.toolExecutionNotifications).toEqual([
      {
        level: "warning",
        message: { text: "vulnerabilities matched against sample data, not real advisories" },
      },
    ]);
  });
});
