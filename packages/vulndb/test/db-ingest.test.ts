// Tests of the OSV ingest: the three input forms (zip, directory, JSON Lines) with records the
// test writes; bad records and unknown ecosystems counted and skipped with reasons; withdrawn
// records kept and flagged; GIT ranges kept without stopping the ingest; fix statuses; zip limits.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AffectedSummary,
  type BuildSummary,
  buildDatabase,
  DEFAULT_LIMITS,
  fixStatus,
  isVulndbError,
  mapStatusWord,
  openDatabase,
  type SqliteAdvisoryStore,
  VulndbErrorCode,
  validateRecord,
} from "../src/index.js";
import { record, writeDirectory, writeJsonLines, writeZip } from "./helpers/osv-records.js";

const work = mkdtempSync(join(tmpdir(), "rafscan-vulndb-ingest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(work, `case-${n++}`);

/** The corpus every form carries: good records of several ecosystems, odd ones and bad ones. */
function corpus(): unknown[] {
  return [
    record("GHSA-aaaa", "PyPI", "Django", "4.2.1"),
    record("DSA-5000-1", "Debian:12", "openssl", "3.0.11-1~deb12u1"),
    record("ALPINE-CVE-2024-1", "Alpine:v3.20", "musl", "1.2.5-r1"),
    record("UBUNTU-CVE-2024-2", "Ubuntu:22.04:LTS", "bash", "5.1-6ubuntu1.1"),
    record("RHSA-2024:1", "Red Hat:enterprise_linux:9::baseos", "glibc", "2.34-100.el9"),
    // Withdrawn: kept, flagged, returned by lookup (the matcher skips it).
    record("GHSA-wwww", "npm", "left-pad", "1.3.0", { withdrawn: "2024-06-01T00:00:00Z" }),
    // A GIT range next to an ECOSYSTEM one: the ingest keeps both and goes on.
    {
      ...record("OSV-2024-git", "Go", "example.com/mod", "1.2.3"),
      affected: [
        {
          package: { ecosystem: "Go", name: "example.com/mod" },
          ranges: [
            {
              type: "GIT",
              repo: "https://example.com/mod.git",
              events: [{ introduced: "0" }, { fixed: "deadbeef" }],
            },
            { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.2.3" }] },
          ],
        },
      ],
    },
    // No fix yet, and one the feed says will not be fixed.
    record("DEBIAN-CVE-2024-3", "Debian:12", "zlib1g"),
    {
      ...record("DEBIAN-CVE-2024-4", "Debian:12", "curl"),
      affected: [
        {
          package: { ecosystem: "Debian:12", name: "curl" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
          database_specific: { status: "will not fix" },
        },
      ],
    },
    // Debian's "not affected": fixed in version 0. Kept as data; no fix status.
    record("DEBIAN-CVE-2024-5", "Debian:12", "tar", "0"),
    // Bad records: no `modified`; an event with two keys; a range type OSV does not have.
    { id: "BAD-1", affected: [] },
    {
      ...record("BAD-2", "PyPI", "x"),
      affected: [
        {
          package: { ecosystem: "PyPI", name: "x" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0", fixed: "1" }] }],
        },
      ],
    },
    {
      ...record("BAD-3", "PyPI", "y"),
      affected: [{ package: { ecosystem: "PyPI", name: "y" }, ranges: [{ type: "NUMERIC", events: [] }] }],
    },
    // Only an unknown ecosystem: counted and skipped.
    record("UNK-1", "Plan9Packages", "rc", "1"),
  ];
}

function expectCorpus(summary: BuildSummary, db: SqliteAdvisoryStore): void {
  expect(summary.read).toBe(14);
  expect(summary.records).toBe(10);
  expect(summary.withdrawn).toBe(1);
  expect(summary.badRecords).toBe(3);
  expect(summary.problems.map((p) => p.id).sort()).toEqual(["BAD-1", "BAD-2", "BAD-3"]);
  expect(summary.problems.find((p) => p.id === "BAD-1")?.reason).toMatch(/modified/);
  expect(summary.problems.find((p) => p.id === "BAD-3")?.reason).toMatch(/NUMERIC/);
  expect(summary.skippedUnknownEcosystem).toBe(1);
  expect(summary.unknownEcosystems).toEqual({ Plan9Packages: 1 });
  expect(db.ecosystems()).toEqual([
    "Alpine:v3.20",
    "Debian:12",
    "Go",
    "PyPI",
    "Red Hat:enterprise_linux:9::baseos",
    "Ubuntu:22.04:LTS",
    "npm",
  ]);
  // Exact (ecosystem with release, name) keys; a different release finds nothing.
  expect(db.lookup("Debian:12", "openssl").map((r) => r.id)).toEqual(["DSA-5000-1"]);
  expect(db.lookup("Debian:11", "openssl")).toEqual([]);
  expect(db.lookup("Ubuntu:22.04:LTS", "bash").map((r) => r.id)).toEqual(["UBUNTU-CVE-2024-2"]);
  expect(db.lookup("Red Hat:enterprise_linux:9::baseos", "glibc").map((r) => r.id)).toEqual(["RHSA-2024:1"]);
  expect(db.lookup("Alpine:v3.20", "musl")[0]?.affected?.[0]?.ranges?.[0]?.events).toEqual([
    { introduced: "0" },
    { fixed: "1.2.5-r1" },
  ]);
  // PyPI names compare PEP 503-normalized.
  expect(db.lookup("PyPI", "django").map((r) => r.id)).toEqual(["GHSA-aaaa"]);
  expect(db.lookup("PyPI", "Django").map((r) => r.id)).toEqual(["GHSA-aaaa"]);
  const withdrawn = db.lookup("npm", "left-pad");
  expect(withdrawn.map((r) => r.withdrawn)).toEqual(["2024-06-01T00:00:00Z"]);
  const git = db.lookup("Go", "example.com/mod")[0];
  expect(git?.affected?.[0]?.ranges?.map((r) => r.type)).toEqual(["GIT", "SEMVER"]);
  const status = (eco: string, name: string) =>
    db.lookup(eco, name)[0]?.affected?.[0]?.database_specific?.rafscan_status;
  expect(status("Debian:12", "zlib1g")).toBe("affected");
  expect(status("Debian:12", "curl")).toBe("will_not_fix");
  expect(status("Debian:12", "openssl")).toBeUndefined();
  expect(status("Debian:12", "tar")).toBeUndefined();
  expect(db.lookup("Debian:12", "tar")[0]?.affected?.[0]?.ranges?.[0]?.events).toEqual([
    { introduced: "0" },
    { fixed: "0" },
  ]);
  expect(db.lookup("Debian:12", "openssl")[0]?.aliases).toEqual(["CVE-2024-10"]);
  // The index summaries the matcher filters on: the entries of the looked-up package (no GIT
  // ranges), or only "withdrawn"; a refused record is not decoded, a kept one is the full record.
  const seen: AffectedSummary[] = [];
  const refuse = (s: AffectedSummary) => {
    seen.push(s);
    return false;
  };
  expect(db.lookup("Debian:12", "openssl", { affects: refuse })).toEqual([]);
  expect(db.lookup("npm", "left-pad", { affects: refuse })).toEqual([]);
  expect(db.lookup("Go", "example.com/mod", { affects: refuse })).toEqual([]);
  expect(seen.slice(0, 2)).toEqual([
    {
      withdrawn: false,
      entries: [
        { ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.0.11-1~deb12u1" }] }] },
      ],
    },
    { withdrawn: true, entries: [] },
  ]);
  expect(seen[2]?.entries.flatMap((e) => e.ranges?.map((r) => r.type))).toEqual(["SEMVER"]);
  expect(db.lookup("Debian:12", "openssl", { affects: () => true })).toEqual(
    db.lookup("Debian:12", "openssl"),
  );
}

async function buildAndCheck(source: string, name: string): Promise<void> {
  const dbDir = fresh();
  const summary = await buildDatabase({
    sources: [source],
    dbDir,
    builtAt: new Date("2024-07-01T00:00:00Z"),
  });
  expect(summary.sources).toEqual([{ id: source, name, records: 10 }]);
  const db = await openDatabase({ dbDir });
  try {
    expectCorpus(summary, db);
    expect(db.info()).toMatchObject({ schemaVersion: 2, builtAt: "2024-07-01T00:00:00.000Z", sample: false });
  } finally {
    db.close();
  }
}

describe("db build: input forms", () => {
  it("reads a zip of OSV JSON files (osv.dev's all.zip)", async () => {
    const zip = join(work, "all.zip");
    writeZip(zip, corpus(), { "README.txt": strToU8("not a record") });
    await buildAndCheck(zip, "OSV zip");
  });

  it("reads a directory tree of OSV JSON files", async () => {
    const dir = fresh();
    writeDirectory(dir, corpus());
    await buildAndCheck(dir, "OSV directory");
  });

  it("reads JSON Lines, counting a line that is not JSON as a bad record", async () => {
    const file = join(work, "osv.jsonl");
    writeJsonLines(file, [...corpus(), "{not json"]);
    const dbDir = fresh();
    const summary = await buildDatabase({ sources: [file], dbDir });
    expect(summary.badRecords).toBe(4);
    expect(summary.problems.find((p) => p.where === `${file}:15`)?.reason).toMatch(/not JSON/);
    expect(summary.records).toBe(10);
  });

  it("merges inputs: a record seen twice keeps the later `modified`", async () => {
    const a = join(work, "a.jsonl");
    const b = join(work, "b.jsonl");
    writeJsonLines(a, [record("GHSA-dup", "PyPI", "requests", "2.0")]);
    writeJsonLines(b, [
      { ...record("GHSA-dup", "PyPI", "requests", "2.1"), modified: "2025-01-01T00:00:00Z" },
    ]);
    const dbDir = fresh();
    const summary = await buildDatabase({ sources: [a, b], dbDir });
    expect(summary).toMatchObject({ records: 1, duplicates: 1 });
    const db = await openDatabase({ dbDir });
    expect(db.lookup("PyPI", "requests").map((r) => r.modified)).toEqual(["2025-01-01T00:00:00Z"]);
    db.close();
  });
});

describe("db build: untrusted input", () => {
  it("skips a record over the size limit with its reason, in every form", async () => {
    const big = record("GHSA-big", "PyPI", "big", "1", { details: "x".repeat(5000) });
    const small = record("GHSA-small", "PyPI", "small", "1");
    const zip = join(work, "sized.zip");
    writeZip(zip, [big, small]);
    const jsonl = join(work, "sized.jsonl");
    writeJsonLines(jsonl, [big, small]);
    for (const source of [zip, jsonl]) {
      const summary = await buildDatabase({
        sources: [source],
        dbDir: fresh(),
        limits: { maxRecordBytes: 4096 },
      });
      expect(summary.records).toBe(1);
      expect(summary.badRecords).toBe(1);
      expect(summary.problems[0]?.reason).toMatch(/over the 4096-byte record limit/);
    }
  });

  it("refuses a zip bomb (an entry inflating beyond the ratio limit) as a whole", async () => {
    const bomb = strToU8(`{"id":"BOMB","modified":"x"${" ".repeat(4 * 1024 * 1024)}}`);
    const zip = join(work, "bomb.zip");
    writeFileSync(zip, zipSync({ "BOMB.json": [bomb, { level: 9 }] }));
    const dbDir = fresh();
    const err = await buildDatabase({ sources: [zip], dbDir }).catch((e: unknown) => e);
    expect(isVulndbError(err, VulndbErrorCode.BAD_ZIP)).toBe(true);
    expect((err as Error).message).toMatch(/ratio limit/);
    expect(await openDatabase({ dbDir }).catch((e: unknown) => (e as { code: string }).code)).toBe(
      "VULNDB_NOT_FOUND",
    );
  });

  it("refuses a zip with more entries than the limit", async () => {
    const zip = join(work, "many.zip");
    writeZip(zip, [
      record("A-1", "npm", "a", "1"),
      record("A-2", "npm", "b", "1"),
      record("A-3", "npm", "c", "1"),
    ]);
    const err = await buildDatabase({ sources: [zip], dbDir: fresh(), limits: { maxZipEntries: 2 } }).catch(
      (e: unknown) => e,
    );
    expect(isVulndbError(err, VulndbErrorCode.BAD_ZIP)).toBe(true);
  });

  it("refuses a file that is not a zip, directory or JSON input", async () => {
    const file = join(work, "notes.txt");
    writeFileSync(file, "hello");
    const err = await buildDatabase({ sources: [file], dbDir: fresh() }).catch((e: unknown) => e);
    expect(isVulndbError(err, VulndbErrorCode.BAD_SOURCE)).toBe(true);
  });

  it("fails with VULNDB_EMPTY when nothing valid was read, and installs nothing", async () => {
    const file = join(work, "bad.jsonl");
    writeJsonLines(file, ["nope", { id: "X" }]);
    const dbDir = fresh();
    const err = await buildDatabase({ sources: [file], dbDir }).catch((e: unknown) => e);
    expect(isVulndbError(err, VulndbErrorCode.EMPTY)).toBe(true);
    expect(await openDatabase({ dbDir }).catch((e: unknown) => (e as { code: string }).code)).toBe(
      "VULNDB_NOT_FOUND",
    );
  });
});

describe("package name keys", () => {
  it("NuGet and Packagist names are found whatever their case, as the matcher compares them", async () => {
    const dir = fresh();
    const input = join(dir, "in.jsonl");
    mkdirSync(dir, { recursive: true });
    writeJsonLines(input, [
      record("GHSA-nuget", "NuGet", "Newtonsoft.Json", "13.0.1"),
      record("GHSA-php", "Packagist", "Symfony/Http-Kernel", "6.4.1"),
      record("GHSA-npm", "npm", "Lodash", "4.17.21"),
    ]);
    await buildDatabase({ sources: [input], dbDir: dir });
    const db = await openDatabase({ dbDir: dir });
    try {
      expect(db.lookup("NuGet", "newtonsoft.json").map((r) => r.id)).toEqual(["GHSA-nuget"]);
      expect(db.lookup("Packagist", "symfony/http-kernel").map((r) => r.id)).toEqual(["GHSA-php"]);
      // npm names are case-sensitive: `lodash` is another package than `Lodash`.
      expect(db.lookup("npm", "lodash")).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe("validation details", () => {
  it("maps feed status words to fix statuses, and leaves entries with a fix alone", () => {
    expect(mapStatusWord("Will not fix")).toBe("will_not_fix");
    expect(mapStatusWord("won't fix")).toBe("will_not_fix");
    expect(mapStatusWord("ignored")).toBe("will_not_fix");
    expect(mapStatusWord("postponed")).toBe("fix_deferred");
    expect(mapStatusWord("no-dsa")).toBe("fix_deferred");
    expect(mapStatusWord("end-of-life")).toBe("end_of_life");
    expect(mapStatusWord("needed")).toBe("affected");
    expect(mapStatusWord("not-affected")).toBeUndefined();
    expect(mapStatusWord("released")).toBeUndefined();
    const open = [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }] }];
    expect(fixStatus(open, undefined, undefined, { rafscan_status: "end_of_life" })).toBe("end_of_life");
    expect(fixStatus(open, undefined, { status: "deferred" }, undefined)).toBe("fix_deferred");
    expect(
      fixStatus([...open, { type: "GIT", events: [{ fixed: "abc" }] }], undefined, undefined, undefined),
    ).toBe("affected");
    expect(
      fixStatus(
        [{ type: "SEMVER", events: [{ introduced: "0" }, { limit: "2" }] }],
        undefined,
        undefined,
        undefined,
      ),
    ).toBe(undefined);
    expect(fixStatus([], ["1.0"], undefined, undefined)).toBeUndefined();
  });

  it("leaves out an affected entry without a package (GIT ranges only) instead of failing the record", () => {
    const v = validateRecord(
      {
        ...record("OSV-nopkg", "Go", "example.com/x", "1.0.0"),
        affected: [
          { ranges: [{ type: "GIT", repo: "https://x", events: [{ introduced: "0" }] }] },
          {
            package: { ecosystem: "Go", name: "example.com/x" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0" }] }],
          },
        ],
      },
      DEFAULT_LIMITS,
    );
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.record.affected?.map((a) => a.package.name)).toEqual(["example.com/x"]);
      expect(v.keys).toEqual([{ ecosystem: "Go", release: "", name: "example.com/x" }]);
    }
  });

  it("refuses over-long strings and lists with the field named", () => {
    const long = validateRecord(record("X-1", "npm", "a".repeat(2000), "1"), DEFAULT_LIMITS);
    expect(long).toMatchObject({
      ok: false,
      id: "X-1",
      reason: "affected[0].package.name is longer than 1024 characters",
    });
    const many = validateRecord(record("X-2", "npm", "a", "1", { aliases: ["A", "B", "C"] }), {
      ...DEFAULT_LIMITS,
      maxListLength: 2,
    });
    expect(many).toMatchObject({ ok: false, reason: "aliases has more than 2 entries" });
  });
});
