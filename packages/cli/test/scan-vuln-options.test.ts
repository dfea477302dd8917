// The scan command's vulnerability options: parsing, file reading, and the exit codes a filtered
// report earns with --exit-code, --severity, --ignore-unfixed, ignore files and VEX.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isVulnFilterError, type ScanReport } from "@rafscan/analyzers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { vulnerableReport, withoutVulnerabilities } from "../../analyzers/test/vuln-fixture.js";
import {
  finishScan,
  parseExitCode,
  parseScanners,
  parseSeverities,
  type RawVulnOptions,
  resolveScanVulnOptions,
} from "../src/commands/scan-vuln-options.js";
import { UsageError } from "../src/usage-error.js";

const NOW = new Date("2025-06-15T12:00:00Z");
let dir: string;
let empty: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rafscan-vuln-options-"));
  empty = join(dir, "empty");
  await mkdir(empty);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Resolves the raw options (in a directory without .trivyignore) and finishes the report with them. */
async function run(raw: RawVulnOptions, report: ScanReport = vulnerableReport()) {
  const options = await resolveScanVulnOptions(raw, { databaseAvailable: true, cwd: empty, now: NOW });
  return finishScan(report, options);
}

function ids(report: ScanReport): string[] {
  return (report.vulnerabilities?.findings ?? []).map((f) => f.id).sort();
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("did not reject");
}

describe("option parsing", () => {
  test("--severity: comma lists in any case, repeatable, returned in severity order", () => {
    expect(parseSeverities("critical,HIGH")).toEqual(["HIGH", "CRITICAL"]);
    expect(parseSeverities(["LOW", "high, low"])).toEqual(["LOW", "HIGH"]);
    expect(() => parseSeverities("HIGH,SEVERE")).toThrow(
      new UsageError("--severity: unknown severity SEVERE (known: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)"),
    );
    expect(() => parseSeverities(" , ")).toThrow(UsageError);
  });

  test("--exit-code: 0 to 255, decimal", () => {
    expect(parseExitCode("0")).toBe(0);
    expect(parseExitCode("1")).toBe(1);
    expect(parseExitCode(" 255 ")).toBe(255);
    expect(parseExitCode(7)).toBe(7);
    for (const bad of ["256", "-1", "1.5", "0x10", "", "one", "1e2"]) {
      expect(() => parseExitCode(bad), bad).toThrow(UsageError);
    }
  });

  test("--scanners: vuln and secret; without it vuln follows the database", () => {
    expect(parseScanners(undefined, true)).toEqual({ vuln: true, secret: false, explicit: false });
    expect(parseScanners(undefined, false)).toEqual({ vuln: false, secret: false, explicit: false });
    expect(parseScanners("vuln,secret", false)).toEqual({ vuln: true, secret: true, explicit: true });
    expect(parseScanners(["secret"], true)).toEqual({ vuln: false, secret: true, explicit: true });
    expect(() => parseScanners("vuln,misconfig", true)).toThrow(
      new UsageError("--scanners: unknown scanner misconfig (known: vuln, secret)"),
    );
    expect(() => parseScanners("", true)).toThrow(UsageError);
  });
});

describe("exit codes", () => {
  test("without --exit-code a scan exits 0 whatever it found", async () => {
    const out = await run({});
    expect(ids(out.report)).toHaveLength(8);
    expect(out.exitCode).toBe(0);
  });

  test("--exit-code N exits N when findings remain, 0 when the filters left none", async () => {
    expect((await run({ exitCode: "5" })).exitCode).toBe(5);
    const noSecrets = { ...vulnerableReport(), secrets: [] };
    // The UNKNOWN and LOW findings have no fix: --ignore-unfixed leaves none of them.
    const filtered = await run({ exitCode: "5", severity: "UNKNOWN,LOW", ignoreUnfixed: true }, noSecrets);
    expect(ids(filtered.report)).toEqual([]);
    expect(filtered.exitCode).toBe(0);
    const some = await run({ exitCode: "5", severity: "CRITICAL", ignoreUnfixed: true }, noSecrets);
    expect(ids(some.report)).toEqual(["CVE-2019-10744"]);
    expect(some.exitCode).toBe(5);
  });

  test("an ignore file that suppresses every remaining finding brings the exit code to 0", async () => {
    const noSecrets = { ...vulnerableReport(), secrets: [] };
    const ignore = await file(
      "critical.trivyignore",
      "# accepted until the base image moves\nCVE-2023-45853 exp:2025-07-01\nGHSA-jf85-cpcp-j695\n",
    );
    const out = await run({ exitCode: "3", severity: "CRITICAL", ignorefile: ignore }, noSecrets);
    expect(ids(out.report)).toEqual([]);
    expect(out.report.vulnerabilities?.suppressed.map((s) => [s.finding.id, s.by, s.source])).toEqual([
      ["CVE-2023-45853", "ignorefile", ignore],
      ["CVE-2019-10744", "ignorefile", ignore],
    ]);
    expect(out.exitCode).toBe(0);
    // Past its date the first rule no longer applies, and the gate fails again.
    const expired = await file("expired.trivyignore", "CVE-2023-45853 exp:2025-06-01\nGHSA-jf85-cpcp-j695\n");
    const again = await run({ exitCode: "3", severity: "CRITICAL", ignorefile: expired }, noSecrets);
    expect(ids(again.report)).toEqual(["CVE-2023-45853"]);
    expect(again.exitCode).toBe(3);
  });

  test("the YAML ignore file form works the same way", async () => {
    const noSecrets = { ...vulnerableReport(), secrets: [] };
    const ignore = await file(
      ".trivyignore.yaml",
      `vulnerabilities:
  - id: CVE-2023-45853
    statement: minizip is not shipped
    expired_at: 2026-01-01
  - purls: ["pkg:npm/lodash"]
`,
    );
    const out = await run({ exitCode: "1", severity: "CRITICAL", ignorefile: ignore }, noSecrets);
    expect(ids(out.report)).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  test("VEX documents (OpenVEX and CycloneDX) suppress and so change the exit code", async () => {
    const noSecrets = { ...vulnerableReport(), secrets: [] };
    const openvex = await file(
      "app.openvex.json",
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        statements: [
          {
            vulnerability: { name: "CVE-2023-45853" },
            products: [{ "@id": "pkg:deb/debian/zlib1g" }],
            status: "not_affected",
            justification: "vulnerable_code_not_in_execute_path",
          },
        ],
      }),
    );
    const cdx = await file(
      "app.cdx.json",
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        vulnerabilities: [
          {
            id: "CVE-2019-10744",
            analysis: { state: "resolved" },
            affects: [{ ref: "pkg:npm/lodash@3.10.1" }],
          },
        ],
      }),
    );
    const one = await run({ exitCode: "4", severity: "CRITICAL", vex: openvex }, noSecrets);
    expect(ids(one.report)).toEqual(["CVE-2019-10744"]);
    expect(one.exitCode).toBe(4);
    const both = await run({ exitCode: "4", severity: "CRITICAL", vex: [openvex, cdx] }, noSecrets);
    expect(ids(both.report)).toEqual([]);
    expect(both.report.vulnerabilities?.suppressed.map((s) => [s.finding.id, s.statement, s.source])).toEqual(
      [
        ["CVE-2023-45853", "not_affected", openvex],
        ["CVE-2019-10744", "fixed", cdx],
      ],
    );
    expect(both.exitCode).toBe(0);
  });

  test("secrets count as findings; --severity filters them too", async () => {
    const noVulns = withoutVulnerabilities(vulnerableReport());
    expect((await run({ exitCode: "2" }, noVulns)).exitCode).toBe(2);
    const low = await run({ exitCode: "2", severity: "LOW,MEDIUM" }, noVulns);
    expect(low.report.secrets).toEqual([]);
    expect(low.exitCode).toBe(0);
    const high = await run({ exitCode: "2", severity: "HIGH" }, noVulns);
    expect(high.report.secrets.map((s) => s.ruleId)).toEqual(["private-key"]);
    expect(high.exitCode).toBe(2);
  });

  test("matching that did not run fails a gate (exit 1) instead of passing it silently", async () => {
    const failed: ScanReport = {
      ...vulnerableReport(),
      secrets: [],
      vulnerabilities: {
        database: undefined,
        findings: [],
        suppressed: [],
        unmatched: [],
        error: { code: "VULN_DB_MISSING", message: "no advisory database" },
      },
    };
    const gated = await run({ exitCode: "9" }, failed);
    expect(gated).toMatchObject({
      exitCode: 1,
      message: "vulnerabilities were not checked: VULN_DB_MISSING: no advisory database",
    });
    expect((await run({ scanners: "vuln" }, failed)).exitCode).toBe(1);
    // Neither a gate nor an explicit request: the report (which says "not checked") and exit 0.
    expect(await run({}, failed)).toEqual({ report: failed, exitCode: 0 });
  });
});

describe("files", () => {
  test(".trivyignore in the working directory is read when --ignorefile is not given", async () => {
    const cwd = join(dir, "with-default");
    await mkdir(cwd);
    await writeFile(join(cwd, ".trivyignore"), "CVE-2023-45853\n");
    const options = await resolveScanVulnOptions({}, { databaseAvailable: true, cwd, now: NOW });
    expect(options.filters.ignoreFiles?.map((f) => [f.source, f.rules.length])).toEqual([
      [".trivyignore", 1],
    ]);
    const none = await resolveScanVulnOptions({}, { databaseAvailable: true, cwd: empty });
    expect(none.filters.ignoreFiles).toEqual([]);
  });

  test("a named file that is missing, malformed or too large is an error with its code", async () => {
    const missing = await rejection(run({ ignorefile: join(dir, "nope") }));
    expect(isVulnFilterError(missing, "VULN_IGNOREFILE")).toBe(true);
    expect((missing as Error).message).toContain("cannot read: ENOENT");
    const bad = await file("bad.trivyignore", "CVE-1 exp:someday\n");
    expect(isVulnFilterError(await rejection(run({ ignorefile: bad })), "VULN_IGNOREFILE")).toBe(true);
    const notVex = await file("not-vex.json", '{"spdxVersion":"SPDX-2.3"}');
    expect(isVulnFilterError(await rejection(run({ vex: notVex })), "VULN_VEX")).toBe(true);
    expect(isVulnFilterError(await rejection(run({ vex: join(dir, "gone.json") })), "VULN_VEX")).toBe(true);
    expect(isVulnFilterError(await rejection(run({ vex: dir })), "VULN_VEX")).toBe(true);
    const big = await file("big.trivyignore", `${"#".repeat(4 * 1024 * 1024)}\n`);
    const tooBig = await rejection(run({ ignorefile: big }));
    expect((tooBig as Error).message).toBe(`${big}: larger than 4194304 bytes`);
  });

  test("bad option values are usage errors", async () => {
    expect(await rejection(run({ exitCode: "x" }))).toBeInstanceOf(UsageError);
    expect(await rejection(run({ severity: "SEVERE" }))).toBeInstanceOf(UsageError);
    expect(await rejection(run({ scanners: "config" }))).toBeInstanceOf(UsageError);
    expect(await rejection(run({ ignorefile: "" }))).toBeInstanceOf(UsageError);
  });
});
