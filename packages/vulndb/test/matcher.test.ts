// The matcher against hand-written OSV records: every event kind, several ranges and affected
// entries, versions lists, withdrawn records, aliases merged into one finding, GIT ranges, unknown
// ecosystems, release scoping of OS advisories, the unmatched reasons and severity choices.
import type { OsInfo, Package, ScanReport } from "@rafscan/analyzers";
import { describe, expect, it } from "vitest";
import {
  createMatcher,
  type MatchStats,
  MemoryAdvisoryStore,
  matchVulnerabilities,
  type OsvAffected,
  type OsvRecord,
  openSampleStore,
  schemeFor,
} from "../src/index.js";

function report(packages: Package[], os?: OsInfo): ScanReport {
  return {
    schemaVersion: 1,
    image: { name: "test", format: "rafs-v6" },
    os,
    packages,
    secrets: [],
    notes: [],
    warnings: [],
    analyzers: [],
    telemetry: {
      imageBytes: undefined,
      bytesFetched: 0,
      requests: 0,
      cacheHits: 0,
      cacheMisses: 0,
      entriesWalked: 0,
      fileBytesRead: 0,
      networkMs: 0,
      durationMs: 0,
    },
    createdAt: "2026-12-01T00:00:00Z",
  };
}

const DEBIAN_12: OsInfo = { family: "debian", version: "12", source: "/etc/os-release" };

function npm(name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    name,
    version,
    ecosystem: "npm",
    purl: `pkg:npm/${name}@${version}`,
    source: "/app/package.json",
    ...extra,
  };
}

function deb(name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    name,
    version,
    ecosystem: "deb",
    purl: `pkg:deb/debian/${name}@${version}`,
    source: "/var/lib/dpkg/status",
    ...extra,
  };
}

function record(id: string, affected: OsvAffected[], extra: Partial<OsvRecord> = {}): OsvRecord {
  return { id, modified: "2026-01-01T00:00:00Z", affected, ...extra };
}

function range(...events: Record<string, string>[]): OsvAffected["ranges"] {
  return [{ type: "SEMVER", events: events as never }];
}

function npmEntry(
  name: string,
  ranges: OsvAffected["ranges"],
  extra: Partial<OsvAffected> = {},
): OsvAffected {
  return { package: { ecosystem: "npm", name }, ...(ranges ? { ranges } : {}), ...extra };
}

/** Ids of the findings for `version` of npm package `lib` against `records`. */
function idsFor(records: OsvRecord[], version: string): string[] {
  const r = matchVulnerabilities(report([npm("lib", version)]), new MemoryAdvisoryStore(records));
  return r.findings.map((f) => f.id);
}

describe("OSV range events", () => {
  const store = [
    record("A-introduced-fixed", [npmEntry("lib", range({ introduced: "1.0.0" }, { fixed: "1.2.0" }))]),
    record("B-last-affected", [npmEntry("lib", range({ introduced: "0" }, { last_affected: "1.1.0" }))]),
    record("C-limit", [npmEntry("lib", range({ introduced: "1.0.0" }, { limit: "1.1.5" }))]),
    // A limit holding "*" is infinity: no limit at all.
    record("E-star-limit", [npmEntry("lib", range({ introduced: "1.2.0" }, { limit: "*" }))]),
    record("D-open", [npmEntry("lib", range({ introduced: "1.1.0" }))]),
  ];

  it.each([
    ["0.9.0", ["B-last-affected"]],
    ["1.0.0", ["A-introduced-fixed", "B-last-affected", "C-limit"]],
    ["1.1.0", ["A-introduced-fixed", "B-last-affected", "C-limit", "D-open"]],
    ["1.1.1", ["A-introduced-fixed", "C-limit", "D-open"]],
    ["1.1.5", ["A-introduced-fixed", "D-open"]],
    ["1.2.0", ["D-open", "E-star-limit"]],
    ["1.2.0-rc.1", ["A-introduced-fixed", "D-open"]],
  ])("version %s is affected by %j", (version, expected) => {
    expect(idsFor(store, version).sort()).toEqual([...expected].sort());
  });

  it("reports the first fixed version above the installed one, and fixed/affected statuses", () => {
    const records = [
      record("MULTI", [
        npmEntry(
          "lib",
          range({ introduced: "1.0.0" }, { fixed: "1.0.5" }, { introduced: "1.1.0" }, { fixed: "1.1.3" }),
        ),
      ]),
      record("NOFIX", [npmEntry("lib", range({ introduced: "0" }))]),
      record("WONTFIX", [
        npmEntry("lib", range({ introduced: "0" }), {
          database_specific: { rafscan_status: "will_not_fix" },
        }),
      ]),
      record("DEFERRED", [npmEntry("lib", range({ introduced: "0" }))], {
        database_specific: { rafscan_status: "fix_deferred" },
      }),
      record("BOGUS-STATUS", [
        npmEntry("lib", range({ introduced: "0" }), { database_specific: { rafscan_status: "maybe" } }),
      ]),
    ];
    const r = matchVulnerabilities(report([npm("lib", "1.1.1")]), new MemoryAdvisoryStore(records));
    const by = Object.fromEntries(r.findings.map((f) => [f.id, f]));
    expect(by.MULTI?.fixedVersions).toEqual(["1.1.3"]);
    expect(by.MULTI?.status).toBe("fixed");
    expect(by.NOFIX?.fixedVersions).toEqual([]);
    expect(by.NOFIX?.status).toBe("affected");
    expect(by.WONTFIX?.status).toBe("will_not_fix");
    expect(by.DEFERRED?.status).toBe("fix_deferred");
    expect(by["BOGUS-STATUS"]?.status).toBe("affected");
    // In the first range's gap nothing applies.
    expect(idsFor(records.slice(0, 1), "1.0.7")).toEqual([]);
  });

  it("takes any of several ranges and several affected entries, and explicit versions lists", () => {
    const records = [
      record("TWO-RANGES", [
        {
          package: { ecosystem: "npm", name: "lib" },
          ranges: [
            { type: "SEMVER", events: [{ introduced: "1.0.0" }, { fixed: "1.0.2" }] },
            { type: "ECOSYSTEM", events: [{ introduced: "2.0.0" }, { fixed: "2.0.4" }] },
          ],
        },
      ]),
      record("TWO-ENTRIES", [
        npmEntry("lib", range({ introduced: "3.0.0" }, { fixed: "3.1.0" })),
        npmEntry("lib", range({ introduced: "2.0.1" }, { fixed: "2.0.2" })),
        npmEntry("other", range({ introduced: "0" })),
      ]),
      record("LISTED", [npmEntry("lib", undefined, { versions: ["2.0.3", "not a version", "4.0.0"] })]),
    ];
    expect(idsFor(records, "1.0.1")).toEqual(["TWO-RANGES"]);
    expect(idsFor(records, "2.0.1").sort()).toEqual(["TWO-ENTRIES", "TWO-RANGES"]);
    expect(idsFor(records, "2.0.3").sort()).toEqual(["LISTED", "TWO-RANGES"]);
    expect(idsFor(records, "3.0.5")).toEqual(["TWO-ENTRIES"]);
    expect(idsFor(records, "4.0.0")).toEqual(["LISTED"]);
    expect(idsFor(records, "4.0.1")).toEqual([]);
    const r = matchVulnerabilities(report([npm("lib", "4.0.0")]), new MemoryAdvisoryStore(records));
    expect(r.findings[0]?.status).toBe("affected");
  });

  it("skips GIT ranges without stopping at them, and ranges with versions the scheme refuses", () => {
    const records = [
      record("GIT-THEN-SEMVER", [
        {
          package: { ecosystem: "npm", name: "lib" },
          ranges: [
            {
              type: "GIT",
              repo: "https://example.com/lib.git",
              events: [{ introduced: "0" }, { fixed: "abc123" }],
            },
            { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.5.0" }] },
          ],
        },
      ]),
      record("GIT-ONLY", [
        {
          package: { ecosystem: "npm", name: "lib" },
          ranges: [{ type: "GIT", repo: "https://example.com/lib.git", events: [{ introduced: "0" }] }],
        },
      ]),
      record("BAD-RANGE", [npmEntry("lib", range({ introduced: "0" }, { fixed: "one.two" }))]),
    ];
    let stats: MatchStats | undefined;
    const r = matchVulnerabilities(report([npm("lib", "1.0.0")]), new MemoryAdvisoryStore(records), {
      onStats: (s) => {
        stats = s;
      },
    });
    expect(r.findings.map((f) => f.id)).toEqual(["GIT-THEN-SEMVER"]);
    expect(r.findings[0]?.fixedVersions).toEqual(["1.5.0"]);
    expect(stats?.badRanges).toBe(1);
  });

  it("skips withdrawn records", () => {
    const records = [
      record("LIVE", [npmEntry("lib", range({ introduced: "0" }))]),
      record("GONE", [npmEntry("lib", range({ introduced: "0" }))], { withdrawn: "2026-02-01T00:00:00Z" }),
    ];
    let stats: MatchStats | undefined;
    const r = matchVulnerabilities(report([npm("lib", "1.0.0")]), new MemoryAdvisoryStore(records), {
      onStats: (s) => {
        stats = s;
      },
    });
    expect(r.findings.map((f) => f.id)).toEqual(["LIVE"]);
    expect(stats?.withdrawn).toBe(1);
  });
});

describe("aliases", () => {
  it("merges records that alias each other into one finding named by the CVE", () => {
    const records = [
      record("GHSA-aaaa-bbbb-cccc", [npmEntry("lib", range({ introduced: "0" }, { fixed: "1.2.0" }))], {
        aliases: ["CVE-2024-1000"],
        summary: "from GHSA",
        database_specific: { severity: "MODERATE" },
        references: [{ type: "ADVISORY", url: "https://example.com/ghsa" }],
      }),
      record("CVE-2024-1000", [npmEntry("lib", range({ introduced: "0" }, { fixed: "1.1.5" }))], {
        summary: "from NVD",
        severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        references: [
          { type: "WEB", url: "https://example.com/nvd" },
          { type: "ADVISORY", url: "https://example.com/ghsa" },
        ],
      }),
      // Transitively the same: aliases the GHSA only.
      record("OSV-2024-7", [npmEntry("lib", range({ introduced: "0" }))], {
        aliases: ["GHSA-aaaa-bbbb-cccc"],
      }),
      record("GHSA-dddd-eeee-ffff", [npmEntry("lib", range({ introduced: "0" }))], {
        aliases: ["CVE-2024-2000"],
      }),
    ];
    const r = matchVulnerabilities(report([npm("lib", "1.0.0")]), new MemoryAdvisoryStore(records));
    expect(r.findings.map((f) => f.id).sort()).toEqual(["CVE-2024-1000", "CVE-2024-2000"]);
    const f = r.findings.find((x) => x.id === "CVE-2024-1000");
    expect(f?.aliases).toEqual(["GHSA-aaaa-bbbb-cccc", "OSV-2024-7"]);
    expect(f?.fixedVersions).toEqual(["1.1.5", "1.2.0"]);
    expect(f?.title).toBe("from NVD");
    expect(f?.references).toEqual(["https://example.com/nvd", "https://example.com/ghsa"]);
    // GHSA's own rating wins over the CVSS bands for a language package.
    expect(f?.severity).toBe("MEDIUM");
    expect(f?.severitySource).toBe("ghsa");
    expect(f?.cvss).toEqual([
      { type: "CVSS_V3", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score: 9.8, source: "nvd" },
    ]);
    expect(f?.dataSource).toEqual({
      id: "osv:npm",
      name: "OSV npm",
      url: "https://osv.dev/list?ecosystem=npm",
    });
  });

  it("a DSA and a DEBIAN-CVE record naming the same CVE are one finding", () => {
    const entry = (fixed: string): OsvAffected => ({
      package: { ecosystem: "Debian:12", name: "openssl" },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }],
    });
    const records = [
      record("DSA-5000-1", [entry("3.0.11-1~deb12u2")], { aliases: ["CVE-2023-5678"] }),
      record("DEBIAN-CVE-2023-5678", [entry("3.0.11-1~deb12u2")], { upstream: ["CVE-2023-5678"] }),
      // An advisory for several CVEs none of which has a record here: one finding, named by it.
      record("DSA-6000-1", [entry("3.0.11-1~deb12u3")], { upstream: ["CVE-2024-1", "CVE-2024-2"] }),
      // An advisory for several CVEs that have records: it joins each CVE's finding, and the two
      // CVEs stay two findings.
      record("DSA-7000-1", [entry("3.0.11-1~deb12u4")], { aliases: ["CVE-2024-10", "CVE-2024-11"] }),
      record("DEBIAN-CVE-2024-10", [entry("3.0.11-1~deb12u4")], { upstream: ["CVE-2024-10"] }),
      record("CVE-2024-11", [entry("3.0.11-1~deb12u5")]),
    ];
    const r = matchVulnerabilities(
      report([deb("libssl3", "3.0.11-1~deb12u1", { sourceName: "openssl" })], DEBIAN_12),
      new MemoryAdvisoryStore(records),
    );
    expect(r.findings.map((f) => [f.id, f.aliases, f.fixedVersions])).toEqual([
      ["CVE-2023-5678", ["DEBIAN-CVE-2023-5678", "DSA-5000-1"], ["3.0.11-1~deb12u2"]],
      ["CVE-2024-10", ["DEBIAN-CVE-2024-10", "DSA-7000-1"], ["3.0.11-1~deb12u4"]],
      ["CVE-2024-11", ["DSA-7000-1"], ["3.0.11-1~deb12u4", "3.0.11-1~deb12u5"]],
      ["DSA-6000-1", ["CVE-2024-1", "CVE-2024-2"], ["3.0.11-1~deb12u3"]],
    ]);
  });
});

describe("OS packages", () => {
  const debianEntry = (
    ecosystem: string,
    events: Record<string, string>[],
    extra: Partial<OsvAffected> = {},
  ): OsvAffected => ({
    package: { ecosystem, name: "glibc" },
    ranges: [{ type: "ECOSYSTEM", events: events as never }],
    ...extra,
  });
  const libc = deb("libc6", "2.36-9+deb12u4", { sourceName: "glibc" });

  it("matches by source package within the image's release only", () => {
    const records = [
      record("CVE-2024-0001", [debianEntry("Debian:12", [{ introduced: "0" }, { fixed: "2.36-9+deb12u5" }])]),
      record("CVE-2024-0002", [
        debianEntry("Debian:11", [{ introduced: "0" }, { fixed: "2.31-13+deb11u9" }]),
      ]),
      record("CVE-2024-0003", [debianEntry("Debian:12", [{ introduced: "0" }, { fixed: "2.36-9+deb12u4" }])]),
      // Debian's "not affected": fixed "0".
      record("CVE-2024-0004", [debianEntry("Debian:12", [{ introduced: "0" }, { fixed: "0" }])]),
      record("CVE-2024-0005", [debianEntry("Debian:12", [{ fixed: "0" }])]),
      record(
        "CVE-2024-0006",
        [debianEntry("Debian:12", [{ introduced: "0" }], { ecosystem_specific: { urgency: "low**" } })],
        {
          severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        },
      ),
    ];
    const r = matchVulnerabilities(
      report([libc, deb("libc6", "2.36-9+deb12u4")], DEBIAN_12),
      new MemoryAdvisoryStore(records),
    );
    // Only the package with Source: glibc matches; the binary name libc6 has no advisories.
    // Sorted by severity within a package: no rating at all (UNKNOWN) comes last.
    expect(r.findings.map((f) => [f.packageIndex, f.id, f.status, f.severity])).toEqual([
      [0, "CVE-2024-0006", "affected", "LOW"],
      [0, "CVE-2024-0001", "fixed", "UNKNOWN"],
    ]);
    // Debian's urgency is the vendor's severity and wins over the CVSS score (9.8).
    expect(r.findings[0]?.severitySource).toBe("debian");
    expect(r.findings[0]?.cvss[0]?.score).toBe(9.8);
    expect(r.findings[0]?.ecosystem).toBe("Debian:12");
    expect(r.findings[0]?.installedVersion).toBe("2.36-9+deb12u4");
    expect(r.release).toEqual({
      family: "debian",
      version: "12",
      ecosystem: "Debian:12",
      status: "supported",
      endOfLife: "2028-06-30",
    });
  });

  it("compares the source version when dpkg records one, and the binary version otherwise", () => {
    const records = [
      record("CVE-2024-0010", [debianEntry("Debian:12", [{ introduced: "0" }, { fixed: "2.36-9+deb12u5" }])]),
    ];
    const store = new MemoryAdvisoryStore(records);
    // A binNMU: binary version above the fix, source version below it.
    const binNmu = deb("libc6", "2.36-9+deb12u5+b1", {
      sourceName: "glibc",
      sourceVersion: "2.36-9+deb12u4",
    });
    expect(matchVulnerabilities(report([binNmu], DEBIAN_12), store).findings.map((f) => f.id)).toEqual([
      "CVE-2024-0010",
    ]);
    const newer = deb("libc6", "2.36-9+deb12u5", { sourceName: "glibc" });
    expect(matchVulnerabilities(report([newer], DEBIAN_12), store).findings).toEqual([]);
  });

  it("reports an unknown release and an end-of-life release", () => {
    const store = new MemoryAdvisoryStore([
      record("CVE-2024-0001", [
        debianEntry("Debian:10", [{ introduced: "0" }, { fixed: "2.28-10+deb10u9" }]),
      ]),
    ]);
    const unknown = matchVulnerabilities(report([libc], DEBIAN_12), store);
    expect(unknown.release).toMatchObject({
      family: "debian",
      version: "12",
      ecosystem: "Debian:12",
      status: "unknown",
    });
    expect(unknown.unmatched).toEqual([
      { packageIndex: 0, purl: libc.purl, reason: "no advisories for Debian:12 in the database" },
    ]);
    const old = deb("libc6", "2.28-10+deb10u2", { sourceName: "glibc" });
    const eol = matchVulnerabilities(report([old], { ...DEBIAN_12, version: "10" }), store);
    expect(eol.release).toMatchObject({
      ecosystem: "Debian:10",
      status: "end_of_life",
      endOfLife: "2024-06-30",
    });
    expect(eol.findings.map((f) => f.id)).toEqual(["CVE-2024-0001"]);
    const fedora = matchVulnerabilities(
      report([libc], { family: "fedora", version: "40", source: "/etc/os-release" }),
      store,
    );
    expect(fedora.release).toEqual({ family: "fedora", version: "40", status: "unknown" });
    expect(fedora.unmatched).toHaveLength(1);
  });

  it("uses Ubuntu's LTS ecosystem name and its priority as severity", () => {
    const store = new MemoryAdvisoryStore([
      record(
        "UBUNTU-CVE-2024-0100",
        [
          {
            package: { ecosystem: "Ubuntu:22.04:LTS", name: "glibc" },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2.35-0ubuntu3.8" }] }],
          },
        ],
        { upstream: ["CVE-2024-0100"], severity: [{ type: "Ubuntu", score: "medium" }] },
      ),
    ]);
    const p = deb("libc6", "2.35-0ubuntu3.6", {
      sourceName: "glibc",
      purl: "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6",
    });
    const r = matchVulnerabilities(
      report([p], { family: "ubuntu", version: "22.04", source: "/etc/os-release" }),
      store,
    );
    expect(r.findings.map((f) => [f.id, f.aliases, f.severity, f.severitySource, f.ecosystem])).toEqual([
      ["CVE-2024-0100", ["UBUNTU-CVE-2024-0100"], "MEDIUM", "ubuntu", "Ubuntu:22.04:LTS"],
    ]);
  });

  it("matches Alpine by origin and rpm distributions by name with epoch and module stream", () => {
    const store = new MemoryAdvisoryStore([
      record("CVE-2024-0200", [
        {
          package: { ecosystem: "Alpine:v3.20", name: "openssl" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.3.2-r0" }] }],
        },
      ]),
      record("RLSA-2024:1", [
        {
          package: { ecosystem: "Rocky Linux:9", name: "openssl" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1:3.0.7-27.el9" }] }],
        },
      ]),
      record("RLSA-2024:2", [
        {
          package: { ecosystem: "Rocky Linux:9", name: "nodejs" },
          ranges: [
            {
              type: "ECOSYSTEM",
              events: [{ introduced: "0" }, { fixed: "1:18.20.2-1.module+el9.4.0+1+abc" }],
            },
          ],
          ecosystem_specific: { module: "nodejs:18" },
        },
      ]),
    ]);
    const apk: Package = {
      name: "libcrypto3",
      version: "3.3.1-r0",
      ecosystem: "apk",
      purl: "pkg:apk/alpine/libcrypto3@3.3.1-r0",
      source: "/lib/apk/db/installed",
      sourceName: "openssl",
    };
    const alpine = matchVulnerabilities(
      report([apk], { family: "alpine", version: "3.20.2", source: "/etc/os-release" }),
      store,
    );
    expect(alpine.findings.map((f) => [f.id, f.ecosystem, f.fixedVersions])).toEqual([
      ["CVE-2024-0200", "Alpine:v3.20", ["3.3.2-r0"]],
    ]);

    const rpm = (name: string, version: string, extra: Partial<Package> = {}): Package => ({
      name,
      version,
      ecosystem: "rpm",
      purl: `pkg:rpm/rocky/${name}@${version}`,
      source: "/var/lib/rpm/rpmdb.sqlite",
      arch: "x86_64",
      ...extra,
    });
    const rocky: OsInfo = { family: "rocky", version: "9.4", source: "/etc/os-release" };
    const r = matchVulnerabilities(
      report(
        [
          rpm("openssl", "1:3.0.7-25.el9"),
          rpm("openssl", "3.0.7-28.el9"), // epoch 0 sorts below 1: still affected
          rpm("openssl", "1:3.0.7-27.el9"),
          // Rocky Linux names source RPMs: a binary RPM is found by its source.
          rpm("openssl-libs", "1:3.0.7-26.el9", { sourceName: "openssl", sourceVersion: "3.0.7-26.el9" }),
          rpm("nodejs", "1:18.19.0-1.module+el9.3.0+1+abc", {
            modularityLabel: "nodejs:18:9030020231120:abc",
          }),
          rpm("nodejs", "1:20.11.0-1.module+el9.3.0+1+abc", {
            modularityLabel: "nodejs:20:9030020231120:abc",
          }),
          rpm("nodejs", "1:16.0.0-1.el9"), // not from a module stream
        ],
        rocky,
      ),
      store,
    );
    expect(r.findings.map((f) => [f.packageIndex, f.id])).toEqual([
      [0, "RLSA-2024:1"],
      [1, "RLSA-2024:1"],
      [3, "RLSA-2024:1"],
      [4, "RLSA-2024:2"],
    ]);
    expect(r.release).toMatchObject({ ecosystem: "Rocky Linux:9", status: "supported" });
  });
});

describe("Red Hat product streams", () => {
  it("matches every enterprise_linux stream of the image's major release, and no other", () => {
    const rh = (id: string, ecosystem: string, fixed: string) =>
      record(id, [
        {
          package: { ecosystem, name: "openssl" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }],
        },
      ]);
    const store = new MemoryAdvisoryStore([
      rh("RHSA-2024:1", "Red Hat:enterprise_linux:9::appstream", "1:3.0.7-27.el9"),
      rh("RHSA-2024:1", "Red Hat:enterprise_linux:9::baseos", "1:3.0.7-27.el9"),
      rh("RHSA-2024:2", "Red Hat:enterprise_linux:8::baseos", "1:1.1.1k-12.el8_9"),
      rh("RHSA-2024:3", "Red Hat:rhel_eus:9.2::baseos", "1:3.0.7-28.el9_2"),
    ]);
    const p: Package = {
      name: "openssl",
      version: "1:3.0.7-25.el9",
      ecosystem: "rpm",
      purl: "pkg:rpm/redhat/openssl@1:3.0.7-25.el9",
      source: "/var/lib/rpm/rpmdb.sqlite",
      arch: "x86_64",
    };
    const r = matchVulnerabilities(
      report([p], { family: "rhel", version: "9.4", source: "/etc/os-release" }),
      store,
    );
    expect(r.findings.map((f) => [f.id, f.fixedVersions])).toEqual([["RHSA-2024:1", ["1:3.0.7-27.el9"]]]);
    expect(r.release).toMatchObject({
      ecosystem: "Red Hat:enterprise_linux:9::appstream",
      status: "supported",
    });
  });
});

describe("language packages", () => {
  it("lists what it cannot match with the reason, and counts unknown ecosystems", () => {
    const store = new MemoryAdvisoryStore([
      record("GHSA-1", [npmEntry("lib", range({ introduced: "0" }))]),
      record("PYSEC-1", [
        {
          package: { ecosystem: "PyPI", name: "PyYAML" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "5.4" }] }],
        },
      ]),
      record("WEIRD-1", [
        {
          package: { ecosystem: "Weird", name: "lib" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
        },
      ]),
    ]);
    const pkgs: Package[] = [
      npm("lib", "1.0.0", { installedBy: { manager: "dpkg", name: "node-lib" } }),
      npm("app", "", { relationship: "root" }),
      npm("lib", "not-a-version"),
      {
        name: "pyyaml",
        version: "5.3.1",
        ecosystem: "pypi",
        purl: "pkg:pypi/pyyaml@5.3.1",
        source: "/x/METADATA",
      },
      { name: "x", version: "1.0", ecosystem: "cargo", purl: "pkg:cargo/x@1.0", source: "/Cargo.lock" },
      npm("lib", "1.0.0"),
    ];
    let stats: MatchStats | undefined;
    const r = matchVulnerabilities(report(pkgs), store, {
      onStats: (s) => {
        stats = s;
      },
      // Pretend rafscan knew no scheme for PyPI: the package is unmatched, never compared as text.
      schemes: (e) => (e === "PyPI" ? undefined : schemeFor(e)),
    });
    expect(r.findings.map((f) => [f.packageIndex, f.id])).toEqual([[5, "GHSA-1"]]);
    expect(r.unmatched.map((u) => [u.packageIndex, u.reason])).toEqual([
      [0, "installed by the dpkg package node-lib: covered by its OS advisories"],
      [1, "root package without a version"],
      [2, expect.stringContaining("invalid semver version 'not-a-version'")],
      [3, "no version scheme for ecosystem PyPI"],
      [4, "no advisories for ecosystem crates.io in the database"],
    ]);
    expect(stats).toMatchObject({
      packages: 6,
      matched: 1,
      unmatched: 5,
      findings: 1,
      unknownEcosystems: { PyPI: 1 },
    });
    // With the real PEP 440 scheme the PyPI package matches, its name compared as PEP 503 says.
    const py = matchVulnerabilities(report([pkgs[3] as Package]), store);
    expect(py.findings.map((f) => [f.id, f.fixedVersions, f.dataSource.id])).toEqual([
      ["PYSEC-1", ["5.4"], "osv:PyPI"],
    ]);
    // No OS: OS packages are unmatched, language packages still matched.
    expect(matchVulnerabilities(report([deb("libc6", "2.36-9")]), store).unmatched[0]?.reason).toBe(
      "no advisories for deb packages of an image with no OS release",
    );
  });

  it("createMatcher plugs into scanImage's contract and honours the abort signal", async () => {
    const store = new MemoryAdvisoryStore([record("GHSA-1", [npmEntry("lib", range({ introduced: "0" }))])]);
    const matcher = createMatcher(store);
    const r = await matcher.match(report([npm("lib", "1.0.0")]));
    expect(r.findings).toHaveLength(1);
    expect(r.database?.sample).toBe(false);
    const ac = new AbortController();
    ac.abort();
    await expect(matcher.match(report([npm("lib", "1.0.0")]), { signal: ac.signal })).rejects.toThrow();
  });
});

describe("sample store", () => {
  it("says it is sample data and matches the sample image's glibc", () => {
    const store = openSampleStore();
    expect(store.info().sample).toBe(true);
    const libc = deb("libc6", "2.36-9+deb12u7", { sourceName: "glibc" });
    const r = matchVulnerabilities(report([libc], DEBIAN_12), store);
    expect(r.database?.sample).toBe(true);
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.every((f) => f.dataSource.id === "sample")).toBe(true);
    // The record fixed at the installed version and the Debian 11 record give no finding.
    expect(r.findings.map((f) => f.id)).not.toContain("CVE-2024-33599");
    expect(r.findings.map((f) => f.id)).not.toContain("CVE-2024-2961");
    // The DSA-style record and its CVE are one finding.
    expect(r.findings.find((f) => f.id === "CVE-2025-0395")?.aliases).toEqual(["DSA-0000-1"]);
  });
});

describe("malformed records", () => {
  it("skips what it cannot read and still matches the rest", () => {
    const hostile = [
      null,
      { id: 7, affected: [] },
      { id: "NO-AFFECTED", modified: "x", affected: "nope" },
      {
        id: "BAD-ENTRIES",
        modified: "x",
        affected: [null, { package: null }, { package: { ecosystem: "npm", name: 5 } }],
      },
      {
        id: "BAD-RANGES",
        modified: "x",
        aliases: [null, 3],
        references: "x",
        severity: [null, { type: "CVSS_V3", score: 42 }],
        affected: [
          {
            package: { ecosystem: "npm", name: "lib" },
            versions: "1.0.0",
            ranges: [
              null,
              { type: "SEMVER", events: null },
              { type: "SEMVER", events: [null, 5, { introduced: 3 }] },
            ],
          },
        ],
      },
      record("GOOD", [npmEntry("lib", range({ introduced: "0" }))]),
    ] as unknown as OsvRecord[];
    const store = {
      info: () => new MemoryAdvisoryStore([]).info(),
      lookup: () => hostile,
      ecosystems: () => ["npm"],
      close: () => {},
    };
    const r = matchVulnerabilities(report([npm("lib", "1.0.0")]), store);
    expect(r.findings.map((f) => f.id)).toEqual(["GOOD"]);
  });
});
