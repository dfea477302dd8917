// Vulnerability matching end to end on a real debootstrapped Debian bookworm (support/debian-rootfs.ts)
// built into a RAFS v6 image: advisories naming source packages really installed, with fixed versions
// above, equal to and below the installed ones, unfixed ones, Debian 11 ones and binary-name ones.
// Expected findings are derived from `dpkg-query --admindir` and `dpkg --compare-versions` on the host.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ScanReport, scanImage } from "@rafscan/analyzers";
import { buildImage, readDirectory } from "@rafscan/builder";
import { openImage } from "@rafscan/registry";
import { createMatcher, MemoryAdvisoryStore, matchVulnerabilities, type OsvRecord } from "@rafscan/vulndb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { debianRootfs, debianRootfsUnavailable } from "./support/debian-rootfs.js";

const UNAVAILABLE =
  (await debianRootfsUnavailable()) ??
  (spawnSync("dpkg", ["--version"]).status === 0 ? undefined : "dpkg is not installed on this host");
if (UNAVAILABLE !== undefined)
  console.warn(`[rafscan tests] Debian vulnerability tests skipped: ${UNAVAILABLE}`);

/** Source packages the advisories name: several binaries each (glibc, krb5), binNMUs (bash). */
const SOURCES = ["glibc", "krb5", "util-linux", "bash", "python3.11", "e2fsprogs"];

interface Row {
  readonly status: string;
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly sourceVersion: string;
}

function dpkgRows(root: string): Row[] {
  const r = spawnSync(
    "dpkg-query",
    [
      `--admindir=${join(root, "var/lib/dpkg")}`,
      "-W",
      "-f",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own `${Field}` syntax, not a template.
      "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n",
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`dpkg-query failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [status, name, version, source, sourceVersion] = l.split("\t") as [
        string,
        string,
        string,
        string,
        string,
      ];
      return { status: status.trim(), name, version, source, sourceVersion };
    });
}

/** dpkg's own comparison: is `a` < `b`? */
function dpkgLess(a: string, b: string): boolean {
  return spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
}

function entry(ecosystem: string, name: string, events: Record<string, string>[], extra = {}) {
  return {
    package: { ecosystem, name },
    ranges: [{ type: "ECOSYSTEM" as const, events: events as never }],
    ...extra,
  };
}

describe.skipIf(UNAVAILABLE !== undefined)(
  "vulnerability matching on a debootstrapped Debian bookworm",
  () => {
    let outDir: string;
    let report: ScanReport;
    let rows: Row[];
    let records: OsvRecord[];
    /** `binary id status fixed...` lines the findings must be, from dpkg. */
    let expected: string[];
    let matchMs: number;

    beforeAll(async () => {
      const deb = await debianRootfs({ log: (m) => console.info(`[debian-rootfs] ${m}`) });
      rows = dpkgRows(deb.root).filter((r) => r.status === "ii");
      records = [];
      expected = [];
      SOURCES.forEach((source, i) => {
        const installed = rows.filter((r) => r.source === source);
        if (installed.length === 0) throw new Error(`source package ${source} is not installed in the tree`);
        const v = (installed[0] as Row).sourceVersion;
        const above = `${v}+rafscan1`;
        const below = "0.1-1";
        if (!dpkgLess(v, above) || !dpkgLess(below, v)) throw new Error(`cannot bracket ${source} ${v}`);
        const n = 1000 + i * 10;
        const binaryOnly = installed.find((r) => r.name !== source);
        records.push(
          {
            id: `CVE-2099-${n + 1}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:12", source, [{ introduced: "0" }, { fixed: above }])],
          },
          {
            id: `DSA-9${n}-1`,
            modified: "2026-01-01T00:00:00Z",
            aliases: [`CVE-2099-${n + 1}`],
            affected: [entry("Debian:12", source, [{ introduced: "0" }, { fixed: above }])],
          },
          {
            id: `CVE-2099-${n + 2}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:12", source, [{ introduced: "0" }, { fixed: v }])],
          },
          {
            id: `CVE-2099-${n + 3}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:12", source, [{ introduced: "0" }, { fixed: below }])],
          },
          {
            id: `CVE-2099-${n + 4}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [
              entry("Debian:12", source, [{ introduced: "0" }], {
                database_specific: { rafscan_status: "fix_deferred" },
              }),
            ],
          },
          {
            id: `CVE-2099-${n + 5}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:11", source, [{ introduced: "0" }])],
          },
          {
            id: `CVE-2099-${n + 6}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:12", source, [{ introduced: "0" }, { fixed: "0" }])],
          },
        );
        // Advisories name source packages: one naming a binary package that is not its own source
        // matches nothing.
        if (binaryOnly !== undefined && !rows.some((r) => r.source === binaryOnly.name)) {
          records.push({
            id: `CVE-2099-${n + 7}`,
            modified: "2026-01-01T00:00:00Z",
            affected: [entry("Debian:12", binaryOnly.name, [{ introduced: "0" }])],
          });
        }
        // Truth: for each installed binary of this source, the records dpkg says it is below.
        for (const r of installed) {
          for (const [id, fixed] of [
            [`CVE-2099-${n + 1}`, above],
            [`CVE-2099-${n + 2}`, v],
            [`CVE-2099-${n + 3}`, below],
          ] as const) {
            if (dpkgLess(r.sourceVersion, fixed)) {
              const aliases = id === `CVE-2099-${n + 1}` ? `DSA-9${n}-1` : "";
              expected.push(`${r.name} ${id} fixed ${fixed} ${aliases}`);
            }
          }
          expected.push(`${r.name} CVE-2099-${n + 4} fix_deferred  `);
        }
      });
      expected.sort();

      outDir = mkdtempSync(join(tmpdir(), "rafscan-vuln-debian-"));
      await buildImage([readDirectory(deb.root)], { outDir, fsVersion: 6, compressor: "zstd" });
      const image = await openImage(outDir);
      try {
        report = await scanImage(image, {
          name: outDir,
          vulnerabilities: createMatcher(new MemoryAdvisoryStore(records)),
        });
      } finally {
        await image.close();
      }
      // A figure for docs/matching.md, not an assertion: the median of 7 runs (the first warms up).
      const store = new MemoryAdvisoryStore(records);
      const times: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        const startCpu = process.cpuUsage();
        matchVulnerabilities(report, store);
        const used = process.cpuUsage(startCpu);
        cpu.push((used.user + used.system) / 1000);
        times.push(performance.now() - start);
      }
      matchMs = times.sort((a, b) => a - b)[3] as number;
      const cpuMs = cpu.sort((a, b) => a - b)[3] as number;
      console.info(
        `[vuln-debian] matched ${report.packages.length} packages against ${records.length} records in ${matchMs.toFixed(1)} ms wall, ${cpuMs.toFixed(1)} ms CPU (medians of 7): ${report.vulnerabilities?.findings.length} findings`,
      );
    }, 20 * 60_000);

    afterAll(() => {
      if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
    });

    it("finds exactly the advisories dpkg's version order says apply, by source package and release", () => {
      const v = report.vulnerabilities;
      expect(v?.error).toBeUndefined();
      const got = (v?.findings ?? [])
        .map(
          (f) => `${f.packageName} ${f.id} ${f.status} ${f.fixedVersions.join(",")} ${f.aliases.join(",")}`,
        )
        .sort();
      expect(got).toEqual(expected);
      // Each source's unfixed advisory is reported on every binary it built.
      const glibcBinaries = rows.filter((r) => r.source === "glibc").map((r) => r.name);
      expect(glibcBinaries.length).toBeGreaterThan(1);
    });

    it("reports findings at the installed binary version, compared at the source version (binNMUs)", () => {
      const bash = report.packages.findIndex((p) => p.name === "bash");
      const row = rows.find((r) => r.name === "bash") as Row;
      const f = report.vulnerabilities?.findings.find((x) => x.packageIndex === bash);
      expect(f?.installedVersion).toBe(row.version);
      expect(f?.ecosystem).toBe("Debian:12");
    });

    it("reports the release and the packages it could not match", () => {
      const v = report.vulnerabilities;
      expect(v?.release).toEqual({
        family: "debian",
        version: "12",
        ecosystem: "Debian:12",
        status: "supported",
        endOfLife: "2028-06-30",
      });
      expect(v?.database?.sample).toBe(false);
      // Every dpkg package was compared; the Python and Node packages have no advisory data here.
      const unmatched = new Set(v?.unmatched.map((u) => u.packageIndex));
      report.packages.forEach((p, i) => {
        expect(unmatched.has(i), `${p.purl} ${unmatched.has(i) ? "unmatched" : "matched"}`).toBe(
          p.ecosystem !== "deb",
        );
      });
      for (const u of v?.unmatched ?? [])
        expect(u.reason).toMatch(/^(no advisories for ecosystem|installed by the dpkg package)/);
    });
  },
);
