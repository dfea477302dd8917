// `rafscan db` and `rafscan scan` with vulnerabilities, as CI pipelines call them: a database built
// from OSV records the test writes, findings scoped to the image's release, the filters and exit
// codes of docs/vuln-reports.md, SARIF output, and a scan with no database that says so.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

interface Finding {
  id: string;
  aliases: string[];
  packageName: string;
  installedVersion: string;
  fixedVersions: string[];
  status: string;
  severity: string;
}
interface Report {
  vulnerabilities?: {
    database?: { sample: boolean };
    findings: Finding[];
    suppressed: { finding: Finding; by: string }[];
    error?: { code: string; message: string };
  };
}

let work: string;
let image: string;
let db: string;
let emptyDb: string;

const CRITICAL_V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
const HIGH_V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5

/** OSV records naming what the test image holds, and some that must not match. */
function records(): object[] {
  const rec = (id: string, ecosystem: string, name: string, events: object[], extra: object = {}) => ({
    id,
    modified: "2026-01-01T00:00:00Z",
    summary: `${id} summary`,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: "ECOSYSTEM", events }] }],
    ...extra,
  });
  return [
    // Fixed above the installed source version: a finding, status fixed.
    rec("DSA-9001-1", "Debian:12", "openssl", [{ introduced: "0" }, { fixed: "3.0.15-1~deb12u1" }], {
      aliases: ["CVE-2026-9001"],
      severity: [{ type: "CVSS_V3", score: HIGH_V3 }],
    }),
    // Fixed at or below the installed version: no finding.
    rec("CVE-2026-9002", "Debian:12", "openssl", [{ introduced: "0" }, { fixed: "3.0.11-1~deb12u2" }]),
    // Debian 11 data never matches a Debian 12 image.
    rec("CVE-2026-9003", "Debian:11", "openssl", [{ introduced: "0" }, { fixed: "9.9" }]),
    // No fix yet: a finding with status affected.
    rec("CVE-2026-9004", "Debian:12", "openssl", [{ introduced: "0" }]),
    // A language package: PyPI requests below its fix.
    rec("GHSA-aaaa-bbbb-cccc", "PyPI", "requests", [{ introduced: "0" }, { fixed: "2.32.0" }], {
      aliases: ["CVE-2026-9005"],
      severity: [{ type: "CVSS_V3", score: CRITICAL_V3 }],
    }),
  ];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "rafscan-cli-vulns-"));
  const root = join(work, "root");
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(
    join(root, "etc/os-release"),
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  );
  await mkdir(join(root, "var/lib/dpkg"), { recursive: true });
  await writeFile(
    join(root, "var/lib/dpkg/status"),
    [
      "Package: libssl3",
      "Status: install ok installed",
      "Architecture: amd64",
      "Source: openssl",
      "Version: 3.0.11-1~deb12u2",
      "",
      "Package: openssl",
      "Status: install ok installed",
      "Architecture: amd64",
      "Version: 3.0.11-1~deb12u2",
      "",
    ].join("\n"),
  );
  const dist = join(root, "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info");
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, "METADATA"), "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n");
  image = join(work, "image");
  const built = runCli(["build", root, "-o", image]);
  expect(built.status, built.stderr).toBe(0);

  const osv = join(work, "advisories.jsonl");
  await writeFile(
    osv,
    `${records()
      .map((r) => JSON.stringify(r))
      .join("\n")}\n`,
  );
  db = join(work, "db");
  emptyDb = join(work, "no-db");
  const r = runCli(["db", "build", "--osv", osv, "--db-dir", db, "--json"]);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function scan(args: string[]) {
  const r = runCli(["scan", image, "--db-dir", db, ...args]);
  return { ...r, report: r.stdout.startsWith("{") ? (JSON.parse(r.stdout) as Report) : undefined };
}

describe("rafscan db", () => {
  it("says what database is installed, from which sources, and how old it is", () => {
    const r = runCli(["db", "status", "--db-dir", db, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { present: boolean; records: number; ageSeconds: number };
    expect(status.present).toBe(true);
    expect(status.records).toBe(records().length);
    expect(status.ageSeconds).toBeGreaterThanOrEqual(0);
  });

  it("exits 1 from status when no database is installed", () => {
    const r = runCli(["db", "status", "--db-dir", emptyDb]);
    expect(r.status).toBe(1);
  });

  it("refuses an unknown subcommand and an option db build does not take as usage errors", () => {
    expect(runCli(["db", "bogus"]).status).toBe(2);
    expect(runCli(["db", "build", "--osv", "x", "--platform", "linux/amd64"]).status).toBe(2);
  });
});

describe("rafscan scan with an advisory database", () => {
  it("reports the advisories of the image's release, by source package, and of its language packages", () => {
    const r = scan(["-f", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const v = r.report?.vulnerabilities;
    expect(v?.error).toBeUndefined();
    expect(v?.database?.sample).toBe(false);
    const got = (v?.findings ?? []).map((f) => `${f.id} ${f.packageName} ${f.status}`).sort();
    // libssl3 and openssl both come from source openssl: each is affected.
    expect(got).toEqual([
      "CVE-2026-9001 libssl3 fixed",
      "CVE-2026-9001 openssl fixed",
      "CVE-2026-9004 libssl3 affected",
      "CVE-2026-9004 openssl affected",
      "CVE-2026-9005 requests fixed",
    ]);
    const dsa = v?.findings.find((f) => f.id === "CVE-2026-9001");
    expect(dsa?.aliases).toContain("DSA-9001-1");
    expect(dsa?.fixedVersions).toEqual(["3.0.15-1~deb12u1"]);
    expect(dsa?.installedVersion).toBe("3.0.11-1~deb12u2");
  });

  it("--exit-code N exits N while findings remain, and 0 once the filters leave none", () => {
    expect(scan(["--exit-code", "7"]).status).toBe(7);
    const critical = scan(["-f", "json", "--exit-code", "7", "--severity", "CRITICAL"]);
    expect(critical.status).toBe(7);
    expect(critical.report?.vulnerabilities?.findings.map((f) => f.id)).toEqual(["CVE-2026-9005"]);
    expect(scan(["--exit-code", "7", "--severity", "LOW"]).status).toBe(0);
  });

  it("--ignore-unfixed drops findings without a fixed version", () => {
    const r = scan(["-f", "json", "--ignore-unfixed"]);
    expect(r.report?.vulnerabilities?.findings.some((f) => f.status !== "fixed")).toBe(false);
    expect(r.report?.vulnerabilities?.findings.length).toBe(3);
  });

  it("--ignorefile suppresses the ids it lists, by id or alias, and the report says so", async () => {
    const file = join(work, "ignore");
    await writeFile(file, "# accepted risk\nGHSA-aaaa-bbbb-cccc\nCVE-2026-9004 exp:2999-01-01\n");
    const r = scan(["-f", "json", "--ignorefile", file, "--exit-code", "4"]);
    expect(r.status).toBe(4);
    const v = r.report?.vulnerabilities;
    expect(v?.findings.map((f) => f.id).sort()).toEqual(["CVE-2026-9001", "CVE-2026-9001"]);
    expect(v?.suppressed.map((s) => `${s.finding.id} ${s.by}`).sort()).toEqual([
      "CVE-2026-9004 ignorefile",
      "CVE-2026-9004 ignorefile",
      "CVE-2026-9005 ignorefile",
    ]);
  });

  it("writes SARIF 2.1.0 with one result per finding", () => {
    const r = scan(["-f", "sarif"]);
    expect(r.status, r.stderr).toBe(0);
    const log = JSON.parse(r.stdout) as { version: string; runs: { results: unknown[] }[] };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]?.results.length).toBe(5);
  });

  it("several outputs in one run: table to stdout, JSON and SARIF to files", async () => {
    const json = join(work, "r.json");
    const sarif = join(work, "r.sarif");
    const r = scan(["-o", "table", "-o", `json=${json}`, "-o", `sarif=${sarif}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Total: \d+ \(UNKNOWN: \d+, LOW: \d+, MEDIUM: \d+, HIGH: \d+, CRITICAL: 1\)/);
    expect(r.stdout).toContain("CVE-2026-9005");
    const fromFile = JSON.parse(await readFile(json, "utf8")) as Report;
    expect(fromFile.vulnerabilities?.findings.length).toBe(5);
    expect((JSON.parse(await readFile(sarif, "utf8")) as { version: string }).version).toBe("2.1.0");
  });
});

describe("rafscan scan without an advisory database", () => {
  it("says so on stderr and in the report instead of an empty list", () => {
    const r = runCli(["scan", image, "--db-dir", emptyDb, "-f", "json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/vulnerabilities not checked/);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.vulnerabilities?.error?.code).toBe("VULNDB_NO_DATABASE");
    expect(report.vulnerabilities?.findings).toEqual([]);
  });

  it("fails (exit 1) when --exit-code asks for a verdict that cannot be given", () => {
    const r = runCli(["scan", image, "--db-dir", emptyDb, "--exit-code", "3"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/VULNDB_NO_DATABASE/);
  });

  it("matches the sample image against the labelled sample data", () => {
    const r = runCli(["scan", "--db-dir", emptyDb, "-f", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.vulnerabilities?.database?.sample).toBe(true);
    expect(report.vulnerabilities?.findings.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/SAMPLE data/);
  });
});
