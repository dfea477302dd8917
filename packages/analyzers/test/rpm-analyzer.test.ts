// Tests of the rpm analyzer plugin: packages and purls from each database kind, the choice between
// several databases, gpg-pubkey entries, and bad databases that must end as warnings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OsInfo } from "../src/findings.js";
import { RPM_DB_PATHS, rpmAnalyzer } from "../src/rpm/index.js";
import { parseSourceRpm, rpmNamespace, rpmVersion } from "../src/rpm/package.js";
import { RPMTAG } from "../src/rpm/tags.js";
import { memoryContext, memoryFile } from "./helpers/files.js";
import { buildBdb, buildNdb, buildSqliteDb } from "./helpers/rpm/databases.js";
import { packageHeaderBlob, type TestRpm } from "./helpers/rpm/header-blob.js";

const rhel: OsInfo = { family: "rhel", version: "9.4", source: "/etc/os-release" };

const bash: TestRpm = {
  name: "bash",
  version: "5.1.8",
  release: "9.el9",
  arch: "x86_64",
  license: "GPLv3+",
  sourceRpm: "bash-5.1.8-9.el9.src.rpm",
  vendor: "Red Hat, Inc.",
};
const perlLib: TestRpm = {
  name: "perl-libs",
  version: "5.32.1",
  release: "481.el9",
  epoch: 4,
  arch: "x86_64",
  license: "(GPL+ or Artistic) and BSD",
  sourceRpm: "perl-5.32.1-481.el9.src.rpm",
  vendor: "Red Hat, Inc.",
};
const pubkey: TestRpm = { name: "gpg-pubkey", version: "fd431d51", release: "4ae0493b", license: "pubkey" };

async function run(files: { path: string; bytes: Uint8Array }[], os?: OsInfo) {
  const ctx = memoryContext(os === undefined ? {} : { os });
  const findings = await rpmAnalyzer.analyze(
    files.map((f) => memoryFile(f.path, f.bytes)),
    ctx,
  );
  return { findings, packages: findings.packages ?? [], warnings: ctx.warnings };
}

describe("rpmAnalyzer", () => {
  it("declares its database paths and ranged access", () => {
    expect(rpmAnalyzer.id).toBe("rpm");
    expect(rpmAnalyzer.access).toBe("range");
    for (const p of RPM_DB_PATHS) expect(rpmAnalyzer.needs).toContain(p);
    expect(rpmAnalyzer.needs).toContain("/var/lib/rpm/rpmdb.sqlite-wal");
  });

  it("reports packages with versions, licences, source packages and purls", async () => {
    const db = await buildSqliteDb([bash, perlLib].map(packageHeaderBlob));
    const { packages, warnings, findings } = await run(
      [{ path: "/var/lib/rpm/rpmdb.sqlite", bytes: db }],
      rhel,
    );
    expect(warnings).toEqual([]);
    expect(findings.notes).toBeUndefined();
    expect(packages).toEqual([
      {
        name: "bash",
        version: "5.1.8-9.el9",
        ecosystem: "rpm",
        purl: "pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4",
        source: "/var/lib/rpm/rpmdb.sqlite",
        licenses: ["GPLv3+"],
        arch: "x86_64",
      },
      {
        name: "perl-libs",
        version: "4:5.32.1-481.el9",
        ecosystem: "rpm",
        purl: "pkg:rpm/redhat/perl-libs@5.32.1-481.el9?arch=x86_64&distro=rhel-9.4&epoch=4",
        source: "/var/lib/rpm/rpmdb.sqlite",
        licenses: ["(GPL+ or Artistic) and BSD"],
        arch: "x86_64",
        sourceName: "perl",
        sourceVersion: "4:5.32.1-481.el9",
      },
    ]);
  });

  it("reads the same packages from ndb and Berkeley DB files", async () => {
    const blobs = [bash, perlLib].map(packageHeaderBlob);
    const sqlite = await run(
      [{ path: "/var/lib/rpm/rpmdb.sqlite", bytes: await buildSqliteDb(blobs) }],
      rhel,
    );
    const ndb = await run(
      [{ path: "/usr/lib/sysimage/rpm/Packages.db", bytes: buildNdb(blobs).bytes }],
      rhel,
    );
    const bdb = await run([{ path: "/var/lib/rpm/Packages", bytes: buildBdb(blobs).bytes }], rhel);
    const strip = (ps: typeof sqlite.packages) => ps.map(({ source: _source, ...rest }) => rest);
    expect(strip(ndb.packages)).toEqual(strip(sqlite.packages));
    expect(strip(bdb.packages)).toEqual(strip(sqlite.packages));
    expect(ndb.packages[0]?.source).toBe("/usr/lib/sysimage/rpm/Packages.db");
    expect([...ndb.warnings, ...bdb.warnings]).toEqual([]);
  });

  it("leaves out gpg-pubkey entries and says how many", async () => {
    const db = await buildSqliteDb([pubkey, bash, pubkey].map(packageHeaderBlob));
    const { packages, findings } = await run([{ path: "/var/lib/rpm/rpmdb.sqlite", bytes: db }], rhel);
    expect(packages.map((p) => p.name)).toEqual(["bash"]);
    expect(findings.notes).toEqual([
      "/var/lib/rpm/rpmdb.sqlite: left out 2 gpg-pubkey entries (imported signing keys, not packages)",
    ]);
  });

  it("prefers sqlite over ndb over Berkeley DB, and sysimage over /var/lib", async () => {
    const one = await buildSqliteDb([packageHeaderBlob(bash)]);
    const two = buildBdb([packageHeaderBlob(perlLib)]).bytes;
    const { packages, findings } = await run(
      [
        { path: "/var/lib/rpm/Packages", bytes: two },
        { path: "/usr/lib/sysimage/rpm/rpmdb.sqlite", bytes: one },
        // The same file seen through a /var/lib/rpm -> /usr/lib/sysimage/rpm symlink: not noted.
        { path: "/var/lib/rpm/rpmdb.sqlite", bytes: one },
      ],
      rhel,
    );
    expect(packages.map((p) => [p.name, p.source])).toEqual([["bash", "/usr/lib/sysimage/rpm/rpmdb.sqlite"]]);
    expect(findings.notes).toEqual([
      "read the rpm database /usr/lib/sysimage/rpm/rpmdb.sqlite; not read: /var/lib/rpm/Packages",
    ]);
  });

  it("falls back to the next database when one cannot be opened", async () => {
    const good = buildNdb([packageHeaderBlob(bash)]).bytes;
    const { packages, warnings } = await run([
      { path: "/var/lib/rpm/rpmdb.sqlite", bytes: new TextEncoder().encode("not a database at all") },
      { path: "/var/lib/rpm/Packages.db", bytes: good },
    ]);
    expect(packages.map((p) => p.name)).toEqual(["bash"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.path).toBe("/var/lib/rpm/rpmdb.sqlite");
    expect(warnings[0]?.message).toMatch(/^cannot read rpm database: /);
  });

  it("warns when the sqlite write-ahead log holds unmerged changes", async () => {
    const db = await buildSqliteDb([packageHeaderBlob(bash)]);
    const { packages, warnings } = await run([
      { path: "/var/lib/rpm/rpmdb.sqlite", bytes: db },
      { path: "/var/lib/rpm/rpmdb.sqlite-wal", bytes: new Uint8Array(32) },
      { path: "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal", bytes: new Uint8Array(64) },
    ]);
    expect(packages).toHaveLength(1);
    expect(warnings).toEqual([
      {
        message: expect.stringMatching(/write-ahead log holds 32 bytes/),
        path: "/var/lib/rpm/rpmdb.sqlite-wal",
      },
    ]);
  });

  it("without an OS, takes the purl namespace from the vendor, and leaves it out for others", async () => {
    const other: TestRpm = {
      name: "docker-ce",
      version: "26.1.0",
      release: "1.el9",
      arch: "x86_64",
      vendor: "Docker",
    };
    const db = await buildSqliteDb([bash, other].map(packageHeaderBlob));
    const { packages } = await run([{ path: "/var/lib/rpm/rpmdb.sqlite", bytes: db }]);
    expect(packages.map((p) => p.purl)).toEqual([
      "pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64",
      "pkg:rpm/docker-ce@26.1.0-1.el9?arch=x86_64",
    ]);
  });

  it("turns bad records into warnings naming the file and keeps the good ones", async () => {
    const blobs = [
      packageHeaderBlob(bash),
      new Uint8Array([0, 0, 0, 1]),
      packageHeaderBlob({ name: "", version: "1" }),
      packageHeaderBlob({ name: "noversion", version: "" }),
      packageHeaderBlob({
        name: "badepoch",
        version: "1",
        extra: [{ tag: 1003, type: "string", value: "x" }],
      }),
    ];
    const { packages, warnings } = await run([
      { path: "/var/lib/rpm/rpmdb.sqlite", bytes: await buildSqliteDb(blobs) },
    ]);
    expect(packages.map((p) => [p.name, p.version])).toEqual([
      ["bash", "5.1.8-9.el9"],
      ["badepoch", "1"],
    ]);
    expect(warnings.map((w) => w.message)).toEqual([
      "package record 2: header blob too short (4 bytes)",
      "package record 3: header has no NAME",
      "package record 4: header has no VERSION",
      "package record 5: EPOCH dropped (tag 1003 has type 6, not int32)",
    ]);
    expect(warnings.every((w) => w.path === "/var/lib/rpm/rpmdb.sqlite")).toBe(true);
  });

  it("caps the warnings of a wrecked database", async () => {
    const blobs = Array.from({ length: 50 }, () => new Uint8Array(3));
    const { warnings } = await run([
      { path: "/var/lib/rpm/rpmdb.sqlite", bytes: await buildSqliteDb(blobs) },
    ]);
    expect(warnings).toHaveLength(21);
    expect(warnings.at(-1)?.message).toBe("30 more problems in this database");
  });

  it("never throws on damaged databases of any kind", async () => {
    const blobs = [bash, perlLib, pubkey].map(packageHeaderBlob);
    const sources = [
      { path: "/var/lib/rpm/rpmdb.sqlite", bytes: await buildSqliteDb(blobs) },
      { path: "/var/lib/rpm/Packages.db", bytes: buildNdb(blobs).bytes },
      { path: "/var/lib/rpm/Packages", bytes: buildBdb(blobs, { pageSize: 512 }).bytes },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        async (which, edits, cut) => {
          const source = sources[which] as (typeof sources)[number];
          const bytes = source.bytes.slice(0, source.bytes.length - (cut % 64));
          for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
          const { packages, warnings } = await run([{ path: source.path, bytes }]);
          expect(packages.length).toBeLessThanOrEqual(3);
          for (const w of warnings) expect(w.path).toBe(source.path);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("rpm package fields", () => {
  it("formats versions as rpm's EVR, leaving out epoch 0", () => {
    expect(rpmVersion(undefined, "1.0", "2")).toBe("1.0-2");
    expect(rpmVersion(0, "1.0", "2")).toBe("1.0-2");
    expect(rpmVersion(3, "1.0", undefined)).toBe("3:1.0");
  });

  it("splits source rpm names like yum's splitFilename", () => {
    expect(parseSourceRpm("glibc-2.34-100.el9_4.2.src.rpm")).toEqual({
      name: "glibc",
      version: "2.34",
      release: "100.el9_4.2",
    });
    expect(parseSourceRpm("python3.11-pip-22.3.1-4.el9.nosrc.rpm")).toEqual({
      name: "python3.11-pip",
      version: "22.3.1",
      release: "4.el9",
    });
    expect(parseSourceRpm("elasticsearch-8.17.0-1-src.rpm")).toBeUndefined();
    expect(parseSourceRpm("nodashes.src.rpm")).toBeUndefined();
    expect(parseSourceRpm("")).toBeUndefined();
  });

  it("maps OS families and vendors to purl namespaces", () => {
    const os = (family: string): OsInfo => ({ family, version: "1", source: "/etc/os-release" });
    expect(rpmNamespace(os("rhel"), "Fedora Project")).toBe("redhat");
    expect(rpmNamespace(os("opensuse-leap"), undefined)).toBe("opensuse");
    expect(rpmNamespace(os("sles"), undefined)).toBe("suse");
    expect(rpmNamespace(os("rocky"), undefined)).toBe("rocky");
    expect(rpmNamespace(undefined, "Fedora Project")).toBe("fedora");
    expect(rpmNamespace(undefined, "SUSE LLC <https://www.suse.com/>")).toBe("suse");
    expect(rpmNamespace(undefined, "openSUSE")).toBe("opensuse");
    expect(rpmNamespace(undefined, "Acme")).toBeUndefined();
    expect(rpmNamespace(undefined, undefined)).toBeUndefined();
  });
});

describe("rpm modularity", () => {
  it("rpm: MODULARITYLABEL fills modularityLabel (module-stream advisories need it)", async () => {
    const nodejs: TestRpm = {
      name: "nodejs",
      version: "18.20.2",
      release: "1.module+el8.9.0+21743+0b3f1be2",
      epoch: 1,
      arch: "x86_64",
      extra: [
        { tag: RPMTAG.MODULARITYLABEL, type: "string", value: "nodejs:18:8090020240422121155:a75119d5" },
      ],
    };
    const db = await buildSqliteDb([bash, nodejs].map(packageHeaderBlob));
    const { packages, warnings } = await run([{ path: "/var/lib/rpm/rpmdb.sqlite", bytes: db }], rhel);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.modularityLabel])).toEqual([
      ["bash", undefined],
      ["nodejs", "nodejs:18:8090020240422121155:a75119d5"],
    ]);
  });
});
