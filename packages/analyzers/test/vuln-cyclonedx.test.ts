// CycloneDX 1.6 vulnerabilities: schema validity, affects pointing at real components, ratings,
// VEX analysis, and a BOM that says so when matching did not run.
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import { type CdxVulnerability, toCycloneDx } from "../src/sbom/index.js";
import { applyVulnerabilityFilters, parseIgnoreFile, parseVex } from "../src/vuln-filters/index.js";
import type { VulnerabilityReport } from "../src/vulnerability.js";
import { cycloneDxSchema } from "./sbom-schemas.js";
import { vulnerableReport, withoutVulnerabilities } from "./vuln-fixture.js";

const validate = cycloneDxSchema();
const SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79";

function vuln(list: readonly CdxVulnerability[] | undefined, id: string): CdxVulnerability {
  const found = list?.find((v) => v.id === id && v.analysis === undefined);
  if (found === undefined) throw new Error(`no vulnerability ${id}`);
  return found;
}

describe("toCycloneDx with vulnerabilities", () => {
  const report = vulnerableReport();
  const bom = toCycloneDx(report, { serialNumber: SERIAL });

  test("validates against the CycloneDX 1.6 schema, and the validator catches a broken entry", () => {
    expect(validate(JSON.parse(JSON.stringify(bom)))).toEqual([]);
    const broken = JSON.parse(JSON.stringify(bom));
    broken.vulnerabilities[0].ratings[0].severity = "CRITICAL";
    expect(validate(broken).length).toBeGreaterThan(0);
    const dup = JSON.parse(JSON.stringify(bom));
    dup.vulnerabilities[0].affects.push(dup.vulnerabilities[0].affects[0]);
    expect(validate(dup).length).toBeGreaterThan(0);
  });

  test("one entry per advisory; every affects ref is a component's bom-ref", () => {
    expect(bom.vulnerabilities?.map((v) => v.id).sort()).toEqual([
      "CVE-2019-10744",
      "CVE-2022-3715",
      "CVE-2023-45288",
      "CVE-2023-45853",
      "CVE-2023-5678",
      "CVE-2024-0727",
      "CVE-2024-35195",
      "GHSA-7g45-4rm6-3mm3",
    ]);
    const refs = new Set(bom.components.map((c) => c["bom-ref"]));
    for (const v of bom.vulnerabilities ?? []) {
      for (const a of v.affects) expect(refs.has(a.ref), `${v.id} -> ${a.ref}`).toBe(true);
    }
    const bomRefs = [...(bom.vulnerabilities ?? []).map((v) => v["bom-ref"]), ...refs];
    expect(new Set(bomRefs).size).toBe(bomRefs.length);
  });

  test("fields of one entry: source, aliases as references, ratings, advisories, affects", () => {
    const libssl = report.packages.find((p) => p.name === "libssl3");
    expect(vuln(bom.vulnerabilities, "CVE-2024-0727")).toEqual({
      "bom-ref": "rafscan:vulnerability/CVE-2024-0727",
      id: "CVE-2024-0727",
      source: { name: "Debian Security Tracker", url: "https://security-tracker.debian.org/tracker/" },
      references: [{ id: "DSA-5678-1", source: { name: "DSA" } }],
      ratings: [
        { source: { name: "debian" }, severity: "medium" },
        {
          source: { name: "nvd" },
          score: 5.5,
          severity: "medium",
          method: "CVSSv31",
          vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
        },
      ],
      description: "openssl: denial of service via null dereference",
      detail: "openssl: denial of service via null dereference.\nSecond line of the description.",
      recommendation: "Upgrade libssl3 3.0.13-1~deb12u1",
      // "not a url" in the references is left out; `modified` did not parse, so no `updated`.
      advisories: [{ url: "https://nvd.nist.gov/vuln/detail/CVE-2024-0727" }],
      published: "2024-01-26T09:15:07Z",
      affects: [{ ref: libssl?.purl, versions: [{ version: "3.0.11-1~deb12u2", status: "affected" }] }],
      properties: [
        { name: "rafscan:status", value: "fixed" },
        { name: "rafscan:dataSource", value: "osv:Debian" },
      ],
    });
    const ghsa = vuln(bom.vulnerabilities, "CVE-2019-10744");
    expect(ghsa.references).toEqual([
      {
        id: "GHSA-jf85-cpcp-j695",
        source: { name: "GitHub", url: "https://github.com/advisories/GHSA-jf85-cpcp-j695" },
      },
    ]);
    expect(vuln(bom.vulnerabilities, "CVE-2023-45853").ratings?.[1]).toMatchObject({
      severity: "critical",
      score: 9.8,
    });
  });

  test("VEX-suppressed findings carry an analysis; ignore-file ones are left out", () => {
    const vex = parseVex(
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        statements: [
          {
            vulnerability: { name: "CVE-2023-45853" },
            products: [{ "@id": "pkg:deb/debian/zlib1g" }],
            status: "not_affected",
            justification: "vulnerable_code_not_in_execute_path",
          },
          {
            vulnerability: { name: "CVE-2022-3715" },
            products: [{ "@id": "pkg:deb/debian/bash" }],
            status: "fixed",
          },
        ],
      }),
      "vex.json",
    );
    const filtered = applyVulnerabilityFilters(report, {
      vex: [vex],
      ignoreFiles: [parseIgnoreFile("CVE-2024-35195\n", ".trivyignore")],
    });
    const out = toCycloneDx(filtered, { serialNumber: SERIAL });
    expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
    const zlib = out.vulnerabilities?.find((v) => v.id === "CVE-2023-45853");
    expect(zlib?.analysis).toEqual({
      state: "not_affected",
      justification: "code_not_reachable",
      detail: "(VEX: vex.json)",
    });
    expect(zlib?.affects[0]?.versions).toEqual([{ version: "1:1.2.13.dfsg-1", status: "unaffected" }]);
    expect(zlib?.recommendation).toBeUndefined();
    expect(out.vulnerabilities?.find((v) => v.id === "CVE-2022-3715")?.analysis?.state).toBe("resolved");
    expect(out.vulnerabilities?.some((v) => v.id === "CVE-2024-35195")).toBe(false);
  });

  test("matching that did not run: no vulnerabilities array, and a property saying why", () => {
    const failed: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        database: undefined,
        error: { code: "VULN_DB_MISSING", message: "no database" },
      },
    };
    const out = toCycloneDx(failed, { serialNumber: SERIAL });
    expect(out.vulnerabilities).toBeUndefined();
    expect(out.metadata.properties).toEqual([
      { name: "rafscan:vulnerabilities:error", value: "VULN_DB_MISSING: no database" },
    ]);
    expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
  });

  test("the sample database is named in the metadata", () => {
    const db = report.vulnerabilities?.database;
    const sample: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        database: { ...(db as NonNullable<typeof db>), sample: true },
      },
    };
    expect(toCycloneDx(sample, { serialNumber: SERIAL }).metadata.properties).toContainEqual({
      name: "rafscan:vulnerabilities:database",
      value: "sample data",
    });
  });

  test("a report without vulnerabilities gives the same BOM as before (no new fields)", () => {
    const plain = toCycloneDx(withoutVulnerabilities(report), {
      serialNumber: SERIAL,
    });
    expect(plain.vulnerabilities).toBeUndefined();
    expect(plain.metadata.properties).toBeUndefined();
    expect(Object.keys(plain)).toEqual([
      "bomFormat",
      "specVersion",
      "serialNumber",
      "version",
      "metadata",
      "components",
      "dependencies",
    ]);
  });
});
