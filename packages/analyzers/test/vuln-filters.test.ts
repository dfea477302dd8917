// --severity, --ignore-unfixed, ignore files (.trivyignore text and YAML, expiry dates) and VEX
// (OpenVEX, CycloneDX) over a report built here: what each keeps, drops and suppresses, and why.
import { describe, expect, test } from "vitest";
import type { ScanReport } from "../src/report.js";
import {
  applyVulnerabilityFilters,
  type IgnoreFile,
  isVulnFilterError,
  MAX_IGNORE_FILE_BYTES,
  parseIgnoreFile,
  parsePurl,
  parseVex,
  purlMatches,
  type VexDocument,
} from "../src/vuln-filters/index.js";
import type { VulnerabilityReport } from "../src/vulnerability.js";
import { openIds, vulnerableReport, withoutVulnerabilities } from "./vuln-fixture.js";

const ALL = [
  "CVE-2019-10744",
  "CVE-2022-3715",
  "CVE-2023-45288",
  "CVE-2023-45853",
  "CVE-2023-5678",
  "CVE-2024-0727",
  "CVE-2024-35195",
  "GHSA-7g45-4rm6-3mm3",
];
const NOW = new Date("2025-06-15T12:00:00Z");

function without(...ids: string[]): string[] {
  return ALL.filter((id) => !ids.includes(id));
}

function suppressedOf(report: ScanReport) {
  return (report.vulnerabilities?.suppressed ?? []).map((s) => ({
    id: s.finding.id,
    by: s.by,
    source: s.source,
    statement: s.statement,
    ...(s.justification !== undefined ? { justification: s.justification } : {}),
  }));
}

function text(content: string, name = ".trivyignore"): IgnoreFile {
  return parseIgnoreFile(content, name);
}

function purlOf(report: ScanReport, name: string): string {
  const pkg = report.packages.find((p) => p.name === name);
  if (pkg === undefined) throw new Error(name);
  return pkg.purl;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

describe("severity and ignore-unfixed", () => {
  const report = vulnerableReport();

  test("no options: every finding is kept", () => {
    expect(openIds(applyVulnerabilityFilters(report))).toEqual(ALL);
  });

  test("severities keeps only those severities, and drops rather than suppresses", () => {
    const out = applyVulnerabilityFilters(report, { severities: ["HIGH", "CRITICAL"] });
    expect(openIds(out)).toEqual(["CVE-2019-10744", "CVE-2022-3715", "CVE-2023-45288", "CVE-2023-45853"]);
    expect(out.vulnerabilities?.suppressed).toEqual([]);
    expect(openIds(applyVulnerabilityFilters(report, { severities: ["UNKNOWN"] }))).toEqual([
      "GHSA-7g45-4rm6-3mm3",
    ]);
  });

  test("ignoreUnfixed drops affected, will_not_fix and other no-fix findings", () => {
    const out = applyVulnerabilityFilters(report, { ignoreUnfixed: true });
    expect(openIds(out)).toEqual(without("CVE-2023-5678", "CVE-2023-45853", "GHSA-7g45-4rm6-3mm3"));
  });

  test("both together", () => {
    const out = applyVulnerabilityFilters(report, { severities: ["CRITICAL"], ignoreUnfixed: true });
    expect(openIds(out)).toEqual(["CVE-2019-10744"]);
  });

  test("an unknown severity is a TypeError, not a silent empty report", () => {
    expect(() => applyVulnerabilityFilters(report, { severities: ["SEVERE" as "HIGH"] })).toThrow(TypeError);
  });

  test("the input report is not modified; other report fields are kept", () => {
    const before = JSON.stringify(report);
    const out = applyVulnerabilityFilters(report, {
      severities: ["LOW"],
      ignoreFiles: [text("CVE-2023-5678")],
    });
    expect(JSON.stringify(report)).toBe(before);
    expect(out.packages).toBe(report.packages);
    expect(out.vulnerabilities?.unmatched).toEqual(report.vulnerabilities?.unmatched);
  });

  test("a report whose matching failed, or without vulnerabilities, comes back as it is", () => {
    const failed: ScanReport = {
      ...report,
      vulnerabilities: {
        ...(report.vulnerabilities as VulnerabilityReport),
        error: { code: "VULN_DB_MISSING", message: "none" },
      },
    };
    expect(applyVulnerabilityFilters(failed, { severities: ["LOW"] })).toBe(failed);
    const none = withoutVulnerabilities(report);
    expect(applyVulnerabilityFilters(none, { severities: ["LOW"] })).toBe(none);
  });
});

describe(".trivyignore (text)", () => {
  const report = vulnerableReport();

  test("ids one a line, # comments and blank lines; suppressed with the file as source", () => {
    const file = text(
      "# accepted risks\n\nCVE-2023-45853\n  CVE-2022-3715   # fixed in the next base image\r\n",
    );
    expect(file.rules.map((r) => [r.id, r.where])).toEqual([
      ["CVE-2023-45853", "line 3"],
      ["CVE-2022-3715", "line 4"],
    ]);
    const out = applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW });
    expect(openIds(out)).toEqual(without("CVE-2023-45853", "CVE-2022-3715"));
    expect(suppressedOf(out)).toEqual([
      { id: "CVE-2023-45853", by: "ignorefile", source: ".trivyignore", statement: "ignored" },
      { id: "CVE-2022-3715", by: "ignorefile", source: ".trivyignore", statement: "ignored" },
    ]);
  });

  test("an alias in the ignore file matches (GHSA id of a CVE finding), case-insensitively", () => {
    const out = applyVulnerabilityFilters(report, {
      ignoreFiles: [text("ghsa-jf85-cpcp-j695\nDSA-5678-1")],
      now: NOW,
    });
    expect(openIds(out)).toEqual(without("CVE-2019-10744", "CVE-2024-0727"));
  });

  test("exp: a date in the future applies; a date in the past does not, and warns", () => {
    const file = text(
      "CVE-2023-45853 exp:2025-06-16\nCVE-2022-3715 exp:2025-06-15\nCVE-2024-0727 exp:2024-01-01\n",
    );
    expect(file.rules.map((r) => r.expiresAt)).toEqual([
      "2025-06-16T00:00:00.000Z",
      "2025-06-15T00:00:00.000Z",
      "2024-01-01T00:00:00.000Z",
    ]);
    const out = applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW });
    // Expiry is midnight UTC at the start of the day written: on 2025-06-15 at noon that rule is over.
    expect(openIds(out)).toEqual(without("CVE-2023-45853"));
    expect(out.warnings.slice(-2)).toEqual([
      {
        plugin: "ignorefile",
        message: "rule CVE-2022-3715 (line 2) expired 2025-06-15; not applied",
        path: ".trivyignore",
      },
      {
        plugin: "ignorefile",
        message: "rule CVE-2024-0727 (line 3) expired 2024-01-01; not applied",
        path: ".trivyignore",
      },
    ]);
    // The same file a day earlier: all three still apply.
    const earlier = applyVulnerabilityFilters(report, {
      ignoreFiles: [file],
      now: new Date("2023-12-31T23:59:59Z"),
    });
    expect(openIds(earlier)).toEqual(without("CVE-2023-45853", "CVE-2022-3715", "CVE-2024-0727"));
    expect(earlier.warnings).toEqual(report.warnings);
  });

  test("an exp: inside a comment is prose, not a date", () => {
    const file = text("CVE-2023-45853 # was exp:2020-01-01 until we rebuilt\n");
    expect(file.rules[0]?.expiresAt).toBeUndefined();
    expect(openIds(applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW }))).toEqual(
      without("CVE-2023-45853"),
    );
  });

  test("a malformed or impossible exp: date rejects the whole file, naming the line", () => {
    for (const bad of ["exp:2025-13-01", "exp:2025-02-30", "exp:tomorrow", "exp:2025-1-1", "exp:"]) {
      const err = thrown(() => text(`CVE-2023-45853\nCVE-2022-3715 ${bad}\n`));
      expect(isVulnFilterError(err, "VULN_IGNOREFILE"), bad).toBe(true);
      expect((err as Error).message).toBe(
        `.trivyignore (line 2): expiry date must be exp:YYYY-MM-DD, got '${bad}'`,
      );
    }
  });

  test("a file over the size limit is refused", () => {
    const err = thrown(() => text("#".repeat(MAX_IGNORE_FILE_BYTES + 1)));
    expect(isVulnFilterError(err, "VULN_IGNOREFILE")).toBe(true);
  });
});

describe(".trivyignore.yaml", () => {
  const report = vulnerableReport();
  const yaml = (content: string) => parseIgnoreFile(content, ".trivyignore.yaml");

  test("format follows the extension, and can be forced", () => {
    expect(yaml("").format).toBe("yaml");
    expect(parseIgnoreFile("", "ignores.yml").format).toBe("yaml");
    expect(
      parseIgnoreFile("vulnerabilities:\n  - id: CVE-1\n", "ignores", { format: "yaml" }).rules,
    ).toHaveLength(1);
    expect(yaml("").rules).toEqual([]);
    expect(yaml("# nothing yet\nsecrets:\n  - id: aws-access-key-id\n").rules).toEqual([]);
  });

  test("id, statement, paths (globs, with or without a leading /) and purls", () => {
    const file = yaml(`vulnerabilities:
  - id: CVE-2023-45853
    statement: zlib's minizip is not built
  - id: CVE-2024-35195
    paths:
      - "usr/lib/python3/dist-packages/**/METADATA"
  - id: CVE-2019-10744
    paths:
      - "/srv/**"
  - id: CVE-2023-45288
    purls:
      - "pkg:golang/golang.org/x/net"
  - id: CVE-2022-3715
    purls:
      - "pkg:deb/debian/bash@0.0.1"
`);
    const out = applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW });
    // lodash's path does not match /srv/**, bash's purl names another version: both stay.
    expect(openIds(out)).toEqual(without("CVE-2023-45853", "CVE-2024-35195", "CVE-2023-45288"));
    expect(suppressedOf(out)).toEqual([
      {
        id: "CVE-2023-45853",
        by: "ignorefile",
        source: ".trivyignore.yaml",
        statement: "zlib's minizip is not built",
      },
      { id: "CVE-2024-35195", by: "ignorefile", source: ".trivyignore.yaml", statement: "ignored" },
      { id: "CVE-2023-45288", by: "ignorefile", source: ".trivyignore.yaml", statement: "ignored" },
    ]);
  });

  test("entries without an id match every finding of their paths or purls", () => {
    const file = yaml(`vulnerabilities:
  - purls: ["pkg:deb/debian/libssl3"]
    statement: openssl is replaced at runtime
  - paths: ["app/node_modules/**"]
`);
    const out = applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW });
    expect(openIds(out)).toEqual(without("CVE-2024-0727", "CVE-2023-5678", "CVE-2019-10744"));
  });

  test("expired_at: a date or a time; past ones are not applied", () => {
    const file = yaml(`vulnerabilities:
  - id: CVE-2023-45853
    expired_at: 2025-07-01
  - id: CVE-2022-3715
    expired_at: 2025-06-15T11:59:59Z
  - id: CVE-2024-0727
    expired_at: "2025-06-15T13:00:00+00:00"
`);
    expect(file.rules.map((r) => r.expiresAt)).toEqual([
      "2025-07-01T00:00:00.000Z",
      "2025-06-15T11:59:59.000Z",
      "2025-06-15T13:00:00.000Z",
    ]);
    const out = applyVulnerabilityFilters(report, { ignoreFiles: [file], now: NOW });
    expect(openIds(out)).toEqual(without("CVE-2023-45853", "CVE-2024-0727"));
    expect(out.warnings.at(-1)).toEqual({
      plugin: "ignorefile",
      message: "rule CVE-2022-3715 (vulnerabilities[1]) expired 2025-06-15; not applied",
      path: ".trivyignore.yaml",
    });
  });

  test("malformed files are refused whole with VULN_IGNOREFILE and where", () => {
    const cases: [string, string][] = [
      ["vulnerabilities: [\n", ".trivyignore.yaml: not YAML"],
      ["- id: CVE-1\n", ".trivyignore.yaml: the top level must be a mapping"],
      ["vulnerabilities: CVE-1\n", ".trivyignore.yaml (vulnerabilities): vulnerabilities must be a list"],
      ["vulnerabilities:\n  - CVE-1\n", ".trivyignore.yaml (vulnerabilities[0]): an entry must be a mapping"],
      [
        "vulnerabilities:\n  - statement: everything\n",
        ".trivyignore.yaml (vulnerabilities[0]): an entry needs an id",
      ],
      ["vulnerabilities:\n  - id: 12\n", ".trivyignore.yaml (vulnerabilities[0]): id must be a string"],
      [
        "vulnerabilities:\n  - id: CVE-1\n    paths: a/b\n",
        ".trivyignore.yaml (vulnerabilities[0]): paths must be a list",
      ],
      [
        "vulnerabilities:\n  - id: CVE-1\n    purls: [libssl3]\n",
        ".trivyignore.yaml (vulnerabilities[0].purls): not a purl: 'libssl3'",
      ],
      [
        "vulnerabilities:\n  - id: CVE-1\n    expired_at: next week\n",
        ".trivyignore.yaml (vulnerabilities[0]): expired_at must be a date",
      ],
      [
        "vulnerabilities:\n  - id: CVE-1\n    expired_at: 2025-02-30\n",
        ".trivyignore.yaml (vulnerabilities[0]): expired_at must be a date",
      ],
    ];
    for (const [content, message] of cases) {
      const err = thrown(() => yaml(content));
      expect(isVulnFilterError(err, "VULN_IGNOREFILE"), content).toBe(true);
      expect((err as Error).message.startsWith(message), `${content}: ${(err as Error).message}`).toBe(true);
    }
  });

  test("YAML alias bombs are refused, not expanded", () => {
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
vulnerabilities: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
`;
    expect(
      isVulnFilterError(
        thrown(() => yaml(bomb)),
        "VULN_IGNOREFILE",
      ),
    ).toBe(true);
  });
});

describe("VEX", () => {
  const report = vulnerableReport();
  const libssl = purlOf(report, "libssl3");

  function openvex(statements: object[], extra: object = {}): VexDocument {
    return parseVex(
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        author: "Example Security",
        timestamp: "2024-05-01T00:00:00Z",
        version: 1,
        statements,
        ...extra,
      }),
      "app.openvex.json",
    );
  }

  test("OpenVEX not_affected on a package purl (no version) suppresses it with the justification", () => {
    const doc = openvex([
      {
        vulnerability: { name: "CVE-2024-0727" },
        products: [{ "@id": "pkg:deb/debian/libssl3" }],
        status: "not_affected",
        justification: "vulnerable_code_not_in_execute_path",
      },
    ]);
    expect(doc.format).toBe("openvex");
    const out = applyVulnerabilityFilters(report, { vex: [doc] });
    expect(openIds(out)).toEqual(without("CVE-2024-0727"));
    expect(suppressedOf(out)).toEqual([
      {
        id: "CVE-2024-0727",
        by: "vex",
        source: "app.openvex.json",
        statement: "not_affected",
        justification: "vulnerable_code_not_in_execute_path",
      },
    ]);
  });

  test("OpenVEX fixed suppresses; affected and under_investigation do not", () => {
    const doc = openvex([
      {
        vulnerability: { name: "CVE-2022-3715" },
        products: [{ "@id": "pkg:deb/debian/bash" }],
        status: "fixed",
      },
      {
        vulnerability: { name: "CVE-2023-45853" },
        products: [{ "@id": "pkg:deb/debian/zlib1g" }],
        status: "affected",
        action_statement: "upgrade",
      },
      {
        vulnerability: { name: "CVE-2023-5678" },
        products: [{ "@id": libssl }],
        status: "under_investigation",
      },
    ]);
    const out = applyVulnerabilityFilters(report, { vex: [doc] });
    expect(openIds(out)).toEqual(without("CVE-2022-3715"));
    expect(suppressedOf(out)).toEqual([
      { id: "CVE-2022-3715", by: "vex", source: "app.openvex.json", statement: "fixed" },
    ]);
  });

  test("the product must name the package: another version or another package does not match", () => {
    const doc = openvex([
      {
        vulnerability: { name: "CVE-2024-0727" },
        products: [{ "@id": "pkg:deb/debian/libssl3@3.0.0-1" }],
        status: "not_affected",
        justification: "component_not_present",
      },
      {
        vulnerability: { name: "CVE-2022-3715" },
        products: [{ "@id": "pkg:deb/debian/dash" }],
        status: "not_affected",
        justification: "component_not_present",
      },
      {
        vulnerability: { name: "CVE-2023-45853" },
        products: [{ "@id": "pkg:deb/debian/zlib1g?arch=arm64" }],
        status: "not_affected",
        justification: "component_not_present",
      },
    ]);
    expect(openIds(applyVulnerabilityFilters(report, { vex: [doc] }))).toEqual(ALL);
  });

  test("matched by alias either way: the statement's name or aliases against the finding's id and aliases", () => {
    const doc = openvex([
      {
        vulnerability: { name: "GHSA-jf85-cpcp-j695" },
        products: [{ "@id": "pkg:npm/lodash" }],
        status: "not_affected",
        justification: "vulnerable_code_not_present",
      },
      {
        vulnerability: { name: "GO-2024-9999", aliases: ["CVE-2023-45288"] },
        products: [{ "@id": "pkg:golang/golang.org/x/net" }],
        status: "not_affected",
        justification: "vulnerable_code_not_present",
      },
    ]);
    expect(openIds(applyVulnerabilityFilters(report, { vex: [doc] }))).toEqual(
      without("CVE-2019-10744", "CVE-2023-45288"),
    );
  });

  test("an image product with subcomponents: this image's digest matches, another's does not", () => {
    const digest = report.image.digest as string;
    const forImage = (version: string) =>
      openvex([
        {
          vulnerability: { name: "CVE-2023-45853" },
          products: [
            {
              "@id": `pkg:oci/app@${encodeURIComponent(version)}?repository_url=registry.example.com/team/app`,
              subcomponents: [{ "@id": "pkg:deb/debian/zlib1g" }],
            },
          ],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
      ]);
    expect(openIds(applyVulnerabilityFilters(report, { vex: [forImage(digest)] }))).toEqual(
      without("CVE-2023-45853"),
    );
    expect(
      openIds(applyVulnerabilityFilters(report, { vex: [forImage(`sha256:${"0".repeat(64)}`)] })),
    ).toEqual(ALL);
  });

  test("a statement whose product is this image and names no subcomponent covers every package", () => {
    const digest = report.image.digest as string;
    const whole = (product: string) =>
      openvex([
        {
          vulnerability: { name: "CVE-2023-45853" },
          products: [{ "@id": product }],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
      ]);
    const oci = `pkg:oci/app@${encodeURIComponent(digest)}`;
    expect(openIds(applyVulnerabilityFilters(report, { vex: [whole(oci)] }))).toEqual(
      without("CVE-2023-45853"),
    );
    expect(openIds(applyVulnerabilityFilters(report, { vex: [whole(digest)] }))).toEqual(
      without("CVE-2023-45853"),
    );
    expect(openIds(applyVulnerabilityFilters(report, { vex: [whole("pkg:oci/app")] }))).toEqual(
      without("CVE-2023-45853"),
    );
    // Another image, another repository, or a bare name: nothing.
    for (const other of [
      `pkg:oci/app@sha256%3A${"0".repeat(64)}`,
      "pkg:oci/web",
      "my-product",
      `sha256:${"1".repeat(64)}`,
    ]) {
      expect(openIds(applyVulnerabilityFilters(report, { vex: [whole(other)] })), other).toEqual(ALL);
    }
  });

  test("the latest statement wins: a later affected statement undoes an earlier not_affected", () => {
    const notAffected = {
      vulnerability: { name: "CVE-2024-0727" },
      products: [{ "@id": "pkg:deb/debian/libssl3" }],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
      timestamp: "2024-06-01T00:00:00Z",
    };
    const affected = { ...notAffected, status: "affected", timestamp: "2024-07-01T00:00:00Z" };
    delete (affected as { justification?: string }).justification;
    // Written in either order, the later timestamp decides.
    expect(openIds(applyVulnerabilityFilters(report, { vex: [openvex([affected, notAffected])] }))).toEqual(
      ALL,
    );
    expect(
      openIds(
        applyVulnerabilityFilters(report, {
          vex: [openvex([{ ...affected, timestamp: "2024-05-01T00:00:00Z" }, notAffected])],
        }),
      ),
    ).toEqual(without("CVE-2024-0727"));
  });

  test("OpenVEX v0.0.x strings for vulnerability, products and subcomponents", () => {
    const doc = parseVex(
      JSON.stringify({
        "@context": "https://openvex.dev/ns",
        "@id": "x",
        author: "a",
        timestamp: "2023-01-01T00:00:00Z",
        statements: [
          {
            vulnerability: "CVE-2024-35195",
            products: ["pkg:pypi/requests"],
            status: "not_affected",
            justification: "inline_mitigations_already_exist",
          },
        ],
      }),
      "old.vex.json",
    );
    expect(openIds(applyVulnerabilityFilters(report, { vex: [doc] }))).toEqual(without("CVE-2024-35195"));
  });

  test("CycloneDX VEX: BOM-Link and bom-ref affects, states mapped as Trivy maps them", () => {
    const doc = parseVex(
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        version: 1,
        components: [{ type: "library", "bom-ref": "zlib", name: "zlib1g", purl: "pkg:deb/debian/zlib1g" }],
        vulnerabilities: [
          {
            id: "CVE-2023-45853",
            analysis: {
              state: "not_affected",
              justification: "code_not_reachable",
              detail: "minizip not shipped",
            },
            affects: [{ ref: "zlib" }],
          },
          {
            id: "CVE-2024-0727",
            analysis: { state: "resolved" },
            affects: [
              { ref: `urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#${encodeURIComponent(libssl)}` },
            ],
          },
          {
            id: "CVE-2022-3715",
            analysis: { state: "exploitable" },
            affects: [{ ref: "pkg:deb/debian/bash" }],
          },
          {
            id: "CVE-2023-45288",
            analysis: { state: "in_triage" },
            affects: [{ ref: "pkg:golang/golang.org/x/net" }],
          },
          {
            id: "CVE-2019-10744",
            analysis: { state: "false_positive" },
            affects: [{ ref: "pkg:npm/lodash@3.10.1" }],
          },
          { id: "CVE-2024-35195", affects: [{ ref: "pkg:pypi/requests" }] },
        ],
      }),
      "vex.cdx.json",
    );
    expect(doc.format).toBe("cyclonedx");
    const out = applyVulnerabilityFilters(report, { vex: [doc] });
    expect(openIds(out)).toEqual(without("CVE-2023-45853", "CVE-2024-0727", "CVE-2019-10744"));
    expect(suppressedOf(out)).toEqual([
      { id: "CVE-2024-0727", by: "vex", source: "vex.cdx.json", statement: "fixed" },
      {
        id: "CVE-2023-45853",
        by: "vex",
        source: "vex.cdx.json",
        statement: "not_affected",
        justification: "code_not_reachable",
      },
      { id: "CVE-2019-10744", by: "vex", source: "vex.cdx.json", statement: "not_affected" },
    ]);
  });

  test("VEX applies before the ignore file, and only to findings the severity filter kept", () => {
    const doc = openvex([
      {
        vulnerability: { name: "CVE-2023-5678" },
        products: [{ "@id": "pkg:deb/debian/libssl3" }],
        status: "not_affected",
        justification: "component_not_present",
      },
      {
        vulnerability: { name: "CVE-2023-45853" },
        products: [{ "@id": "pkg:deb/debian/zlib1g" }],
        status: "not_affected",
        justification: "component_not_present",
      },
    ]);
    const out = applyVulnerabilityFilters(report, {
      severities: ["CRITICAL", "HIGH", "MEDIUM"],
      vex: [doc],
      ignoreFiles: [text("CVE-2023-45853\nCVE-2024-0727")],
      now: NOW,
    });
    expect(suppressedOf(out).map((s) => [s.id, s.by])).toEqual([
      ["CVE-2024-0727", "ignorefile"],
      ["CVE-2023-45853", "vex"],
    ]);
  });

  test("documents that are not OpenVEX or CycloneDX, or break their rules, are refused with VULN_VEX", () => {
    const cases: [string, string][] = [
      ["{", "x.json: not JSON"],
      ["[]", "x.json: not a VEX document"],
      ['{"document":{"category":"csaf_vex"}}', "x.json: CSAF VEX is not supported"],
      ['{"spdxVersion":"SPDX-2.3"}', "x.json: not a VEX document"],
      ['{"@context":"https://openvex.dev/ns/v0.2.0","statements":{}}', "x.json (statements): must be a list"],
      [
        '{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"products":[],"status":"fixed"}]}',
        "x.json (statements[0].vulnerability): vulnerability has no name",
      ],
      [
        '{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"gone"}]}',
        "x.json (statements[0]): status must be one of",
      ],
      [
        '{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{}]}]}',
        "x.json (statements[0].products[0]): a product needs an @id",
      ],
      [
        '{"bomFormat":"CycloneDX","vulnerabilities":[{"analysis":{"state":"resolved"}}]}',
        "x.json (vulnerabilities[0]): a vulnerability needs an id",
      ],
      [
        '{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{}]}]}',
        "x.json (vulnerabilities[0].affects[0]): an affects entry needs a ref",
      ],
    ];
    for (const [content, message] of cases) {
      const err = thrown(() => parseVex(content, "x.json"));
      expect(isVulnFilterError(err, "VULN_VEX"), content).toBe(true);
      expect((err as Error).message.startsWith(message), `${content}: ${(err as Error).message}`).toBe(true);
    }
  });

  test("deeply nested CycloneDX components are walked to a bound, not recursed without end", () => {
    // Built as text: JSON.stringify itself recurses too deep for this.
    const depth = 10_000;
    const inner = '{"type":"library","bom-ref":"deep","name":"x","purl":"pkg:deb/debian/zlib1g"}';
    const nested = '{"type":"library","name":"n","components":['.repeat(depth) + inner + "]}".repeat(depth);
    const doc = parseVex(
      `{"bomFormat":"CycloneDX","components":[${nested}],"vulnerabilities":[{"id":"CVE-2023-45853","analysis":{"state":"not_affected"},"affects":[{"ref":"deep"}]}]}`,
      "deep.json",
    );
    // Too deep to find: the ref is not a purl either, so nothing is suppressed.
    expect(openIds(applyVulnerabilityFilters(report, { vex: [doc] }))).toEqual(ALL);
  });
});

describe("purlMatches", () => {
  const target = parsePurl("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
  const matches = (pattern: string) => {
    const p = parsePurl(pattern);
    if (p === undefined || target === undefined) throw new Error(pattern);
    return purlMatches(p, target);
  };

  test("version, qualifiers and subpath only when the pattern gives them", () => {
    expect(matches("pkg:deb/debian/libssl3")).toBe(true);
    expect(matches("pkg:deb/debian/libssl3@3.0.11-1~deb12u2")).toBe(true);
    expect(matches("pkg:deb/debian/libssl3?arch=amd64")).toBe(true);
    expect(matches("pkg:deb/debian/libssl3@3.0.11-1~deb12u3")).toBe(false);
    expect(matches("pkg:deb/debian/libssl3?arch=arm64")).toBe(false);
    expect(matches("pkg:deb/ubuntu/libssl3")).toBe(false);
    expect(matches("pkg:rpm/debian/libssl3")).toBe(false);
    expect(matches("pkg:deb/debian/libssl")).toBe(false);
    expect(matches("pkg:deb/debian/libssl3#sub")).toBe(false);
  });
});
