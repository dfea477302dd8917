// `rafscan scan` as users call it: report formats and their contracts (the JSON report with its
// telemetry, CycloneDX valid against the 1.6 schema), analyzer choice, --output, usage errors.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cycloneDxSchema } from "../packages/analyzers/test/sbom-schemas.js";
import { jsonLines, runCli } from "./support/run-cli.js";

interface Report {
  schemaVersion: number;
  image: { name: string; format: string };
  os: { family: string; version: string } | undefined;
  packages: { name: string; version: string; ecosystem: string; purl: string; source: string }[];
  analyzers: {
    id: string;
    filesMatched: number;
    filesRead: number;
    bytesRead: number;
    skipped: { path: string; reason: string }[];
  }[];
  telemetry: {
    imageBytes: number;
    bytesFetched: number;
    requests: number;
    fileBytesRead: number;
    durationMs: number;
  };
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "rafscan-cli-scan-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("rafscan scan", () => {
  it("reports the sample image's OS and dpkg packages as JSON, with what the scan cost", () => {
    const r = runCli(["scan", "--format", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    expect(report.image.format).toBe("rafs-v6");
    expect(report.os).toMatchObject({ family: "debian", version: "12" });
    const deb = report.packages.filter((p) => p.ecosystem === "deb").map((p) => `${p.name}@${p.version}`);
    expect(deb.sort()).toEqual(["base-files@12.4+deb12u5", "libc6@2.36-9+deb12u7"]);
    for (const p of report.packages) expect(p.purl).toMatch(/^pkg:deb\/debian\//);
    const dpkg = report.analyzers.find((a) => a.id === "dpkg");
    expect(dpkg?.filesRead).toBe(1);
    // Only the matched files are read: the OS file and the dpkg status, not the image.
    const t = report.telemetry;
    expect(t.fileBytesRead).toBeGreaterThan(0);
    expect(t.bytesFetched).toBeLessThanOrEqual(t.imageBytes);
    expect(t.requests).toBeGreaterThan(0);
  });

  it("writes a CycloneDX 1.6 SBOM that is valid against the published schema", async () => {
    const out = join(work, "bom.json");
    const r = runCli(["scan", "--format", "cyclonedx", "--output", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const bom = JSON.parse(await readFile(out, "utf8")) as {
      specVersion: string;
      components: { purl?: string }[];
    };
    expect(bom.specVersion).toBe("1.6");
    expect(cycloneDxSchema()(bom)).toEqual([]);
    expect(bom.components.map((c) => c.purl).filter((p) => p?.startsWith("pkg:deb/"))).toHaveLength(2);
  });

  it("writes SPDX 2.3 JSON naming every package by purl", () => {
    const r = runCli(["scan", "--format", "spdx"]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      spdxVersion: string;
      packages: { externalRefs?: { referenceLocator: string }[] }[];
    };
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    const purls = doc.packages.flatMap((p) => p.externalRefs ?? []).map((e) => e.referenceLocator);
    expect(purls.filter((p) => p.startsWith("pkg:deb/"))).toHaveLength(2);
  });

  it("runs only the analyzers asked for, and lists them", () => {
    const r = runCli(["scan", "--analyzers", "os", "--format", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.analyzers.map((a) => a.id)).toEqual(["os"]);
    expect(report.packages).toEqual([]);
    const list = jsonLines<{ id: string; default: boolean }>(
      runCli(["scan", "--list-analyzers", "--json"]).stdout,
    );
    expect(list.find((a) => a.id === "dpkg")?.default).toBe(true);
    expect(list.find((a) => a.id === "node-lockfile")?.default).toBe(false);
  });

  it("prints a table by default, and refuses unknown analyzers and formats as usage errors", () => {
    const table = runCli(["scan"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain("base-files");
    expect(table.stdout).toMatch(/OS: Debian/);
    const bad = runCli(["scan", "--analyzers", "nope"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown analyzer nope/);
    expect(runCli(["scan", "--format", "xml"]).status).toBe(2);
    expect(runCli(["scan", "--budget", "lots"]).status).toBe(2);
  });

  it("stops reading at --budget and says which files it skipped", () => {
    const r = runCli(["scan", "--budget", "1", "--format", "json", "--allow-incomplete"]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report & {
      analyzers: { skipped: { path: string; reason: string }[] }[];
    };
    const skipped = report.analyzers.flatMap((a) => a.skipped);
    expect(skipped.length).toBeGreaterThan(0);
    expect(report.packages).toEqual([]);
  });
});
