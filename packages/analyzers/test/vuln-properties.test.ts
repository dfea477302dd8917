// Properties over random findings (hostile ids, titles, references, CVSS): the CycloneDX and SARIF
// writers always produce schema-valid documents, and the filters only ever drop or move findings.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import { formatTable, toCycloneDx, toSarif } from "../src/sbom/index.js";
import { displayWidth } from "../src/sbom/table.js";
import { applyVulnerabilityFilters, parseIgnoreFile } from "../src/vuln-filters/index.js";
import { SEVERITIES, type VulnerabilityFinding, type VulnerabilityStatus } from "../src/vulnerability.js";
import { sampleReport } from "./sbom-fixture.js";
import { cycloneDxSchema, sarifSchema } from "./sbom-schemas.js";
import { vulnReport } from "./vuln-fixture.js";

const cdx = cycloneDxSchema();
const sarif = sarifSchema();
const base = sampleReport();
const STATUSES: VulnerabilityStatus[] = ["fixed", "affected", "will_not_fix", "fix_deferred", "end_of_life"];

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("", " ", "\u001b[2J", "a\u0000b"),
);
const id = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((n) => `CVE-2024-${1000 + n}`),
  fc.constantFrom("GHSA-jf85-cpcp-j695", "GO-2024-2687", "DSA-5678-1"),
  text,
);

const finding: fc.Arbitrary<VulnerabilityFinding> = fc
  .record(
    {
      id,
      aliases: fc.array(id, { maxLength: 3 }),
      packageIndex: fc.integer({ min: 0, max: base.packages.length - 1 }),
      fixedVersions: fc.array(text, { maxLength: 2 }),
      status: fc.constantFrom(...STATUSES),
      severity: fc.constantFrom(...SEVERITIES),
      severitySource: text,
      cvss: fc.array(
        fc.record(
          {
            type: fc.constantFrom("CVSS_V2", "CVSS_V3", "CVSS_V4") as fc.Arbitrary<
              "CVSS_V2" | "CVSS_V3" | "CVSS_V4"
            >,
            vector: fc.oneof(text, fc.constant("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")),
            score: fc.double({ min: 0, max: 10, noNaN: true }),
            source: text,
          },
          { requiredKeys: ["type", "vector"] },
        ),
        { maxLength: 3 },
      ),
      title: text,
      description: text,
      references: fc.array(fc.oneof(fc.webUrl(), text), { maxLength: 3 }),
      published: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        text,
      ),
    },
    {
      requiredKeys: [
        "id",
        "aliases",
        "packageIndex",
        "fixedVersions",
        "status",
        "severity",
        "severitySource",
        "cvss",
        "references",
      ],
    },
  )
  .map((r) => {
    const pkg = base.packages[r.packageIndex];
    if (pkg === undefined) throw new Error("index");
    return {
      ...r,
      packageName: pkg.name,
      packagePurl: pkg.purl,
      ecosystem: pkg.ecosystem,
      installedVersion: pkg.version,
      dataSource: { id: "osv:Test", name: "Test feed" },
    } as VulnerabilityFinding;
  });

function reportOf(findings: VulnerabilityFinding[]): ScanReport {
  return { ...base, vulnerabilities: vulnReport(base, findings) };
}

describe("random findings", () => {
  test("CycloneDX and SARIF documents always validate; the table never overflows", () => {
    fc.assert(
      fc.property(
        fc.array(finding, { maxLength: 12 }),
        fc.integer({ min: 40, max: 160 }),
        (findings, width) => {
          const report = reportOf(findings);
          const bom = JSON.parse(
            JSON.stringify(toCycloneDx(report, { serialNumber: "3e671687-395b-41f5-a30f-a58921a69b79" })),
          );
          expect(cdx(bom)).toEqual([]);
          expect(sarif(JSON.parse(JSON.stringify(toSarif(report))))).toEqual([]);
          const table = formatTable(report, { width });
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting control characters are absent
          expect(table).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
          for (const line of table.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(width);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("filters keep, drop or suppress each finding exactly once, and say why", () => {
    fc.assert(
      fc.property(
        fc.array(finding, { maxLength: 12 }),
        fc.subarray([...SEVERITIES], { minLength: 1 }),
        fc.boolean(),
        fc.array(id, { maxLength: 4 }),
        (findings, severities, ignoreUnfixed, ignored) => {
          const report = reportOf(findings);
          const rules = ignored.filter(
            (x) => x.trim() !== "" && !x.trim().startsWith("#") && !/\s/.test(x.trim()),
          );
          const file = parseIgnoreFile(rules.join("\n"), ".trivyignore");
          const out = applyVulnerabilityFilters(report, { severities, ignoreUnfixed, ignoreFiles: [file] });
          const kept = out.vulnerabilities?.findings ?? [];
          const suppressed = (out.vulnerabilities?.suppressed ?? []).map((s) => s.finding);
          const wanted = findings.filter(
            (f) =>
              severities.includes(f.severity) &&
              (!ignoreUnfixed || (f.status === "fixed" && f.fixedVersions.length > 0)),
          );
          // Nothing invented, nothing lost: kept and suppressed partition what the filters let through.
          expect([...kept, ...suppressed].length).toBe(wanted.length);
          for (const f of kept) expect(wanted).toContain(f);
          for (const f of suppressed) expect(wanted).toContain(f);
          const upper = new Set(file.rules.map((r) => r.id?.toUpperCase()));
          for (const f of suppressed) {
            expect([f.id, ...f.aliases].some((x) => upper.has(x.toUpperCase()))).toBe(true);
          }
          for (const f of kept) {
            expect([f.id, ...f.aliases].some((x) => upper.has(x.toUpperCase()))).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
