// Differential tests against Debian's rpm (apt package `rpm`): a database made by real rpm read by
// our analyzer, real header blobs moved into our ndb and Berkeley DB writers, and rpm's own bdb_ro
// reader run over the Berkeley DB files we write. Skipped when rpm/rpmbuild are not installed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Package } from "../src/findings.js";
import { rpmAnalyzer } from "../src/rpm/index.js";
import { memoryContext, memoryFile } from "./helpers/files.js";
import { buildBdb, buildNdb, insertIntoSqliteDb, sqliteBlobs } from "./helpers/rpm/databases.js";
import { packageHeaderBlob } from "./helpers/rpm/header-blob.js";
import { buildRpms, installIntoDb, rpmAvailable, rpmQueryAll } from "./helpers/rpm/rpm-tool.js";

const QF = "%{NAME} %{EVR} %{ARCH} %{LICENSE}";

/** Our packages in the form of {@link QF}. */
function lines(packages: readonly Package[]): string[] {
  return packages
    .map((p) => `${p.name} ${p.version} ${p.arch ?? "(none)"} ${p.licenses?.[0] ?? "(none)"}`)
    .sort();
}

async function analyzeFile(path: string, bytes: Uint8Array) {
  const ctx = memoryContext();
  const findings = await rpmAnalyzer.analyze([memoryFile(path, bytes)], ctx);
  return { packages: findings.packages ?? [], warnings: ctx.warnings };
}

describe.skipIf(!rpmAvailable)("rpm analyzer against Debian's rpm", () => {
  let dir: string;
  let realDb: Uint8Array;
  let expected: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rafscan-rpm-"));
    const rpms = buildRpms(dir, [
      {
        name: "rafscan-hello",
        version: "1.2.3",
        release: "4.fc40",
        epoch: 2,
        license: "MIT AND Apache-2.0",
        vendor: "Rafscan",
      },
      { name: "rafscan-plain", version: "0.1", release: "1", license: "BSD-3-Clause" },
      // ~400 file names make a header of ~60 KiB: many overflow pages in the Berkeley DB copy.
      { name: "rafscan-big", version: "9.9", release: "7.el9", license: "GPL-2.0-or-later", files: 400 },
    ]);
    installIntoDb(join(dir, "real"), rpms);
    realDb = new Uint8Array(readFileSync(join(dir, "real", "rpmdb.sqlite")));
    expected = rpmQueryAll(join(dir, "real"), QF);
  }, 120_000);

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("reads a database made by rpm exactly as rpm -qa lists it", async () => {
    expect(expected).toHaveLength(3);
    const { packages, warnings } = await analyzeFile("/var/lib/rpm/rpmdb.sqlite", realDb);
    expect(warnings).toEqual([]);
    expect(lines(packages)).toEqual(expected);
    // Each SOURCERPM names the package itself, so no separate source package is reported.
    expect(packages.every((p) => p.sourceName === undefined)).toBe(true);
    expect(packages.find((p) => p.name === "rafscan-hello")?.purl).toBe(
      "pkg:rpm/rafscan-hello@1.2.3-4.fc40?arch=noarch&epoch=2",
    );
  });

  it("reads rpm's own header blobs from our ndb and Berkeley DB files", async () => {
    const blobs = await sqliteBlobs(realDb);
    const ndb = await analyzeFile("/usr/lib/sysimage/rpm/Packages.db", buildNdb(blobs).bytes);
    expect(ndb.warnings).toEqual([]);
    expect(lines(ndb.packages)).toEqual(expected);
    for (const littleEndian of [true, false]) {
      for (const pageSize of [512, 4096, 65536]) {
        const bdb = await analyzeFile(
          "/var/lib/rpm/Packages",
          buildBdb(blobs, { littleEndian, pageSize }).bytes,
        );
        expect(bdb.warnings).toEqual([]);
        expect(lines(bdb.packages)).toEqual(expected);
      }
    }
  });

  // At 64 KiB pages the small header is stored inline (H_KEYDATA), the big one off-page.
  it("rpm's bdb_ro reads the Berkeley DB files our test helper writes", async () => {
    const blobs = await sqliteBlobs(realDb);
    for (const littleEndian of [true, false]) {
      for (const pageSize of [512, 4096, 65536]) {
        const bdbDir = join(dir, `bdb-${littleEndian ? "le" : "be"}-${pageSize}`);
        mkdirSync(bdbDir, { recursive: true });
        writeFileSync(join(bdbDir, "Packages"), buildBdb(blobs, { littleEndian, pageSize }).bytes);
        expect(rpmQueryAll(bdbDir, QF, "bdb_ro")).toEqual(expected);
      }
    }
  });

  it("rpm reads the header blobs our test helper encodes", async () => {
    const synthDir = join(dir, "synthetic");
    installIntoDb(synthDir, []);
    const blob = packageHeaderBlob({
      name: "synthetic-pkg",
      version: "3.0",
      release: "2.el8",
      epoch: 1,
      arch: "x86_64",
      license: "ISC",
      sourceRpm: "synthetic-3.0-2.el8.src.rpm",
      vendor: "Red Hat, Inc.",
    });
    const file = join(synthDir, "rpmdb.sqlite");
    const db = await insertIntoSqliteDb(new Uint8Array(readFileSync(file)), [blob]);
    for (const f of ["rpmdb.sqlite-wal", "rpmdb.sqlite-shm"]) rmSync(join(synthDir, f), { force: true });
    writeFileSync(file, db);
    expect(rpmQueryAll(synthDir, `${QF} %{SOURCERPM} %{VENDOR}`)).toEqual([
      "synthetic-pkg 1:3.0-2.el8 x86_64 ISC synthetic-3.0-2.el8.src.rpm Red Hat, Inc.",
    ]);
    const ours = await analyzeFile("/var/lib/rpm/rpmdb.sqlite", db);
    expect(ours.packages.map((p) => [p.name, p.version, p.arch, p.sourceName])).toEqual([
      ["synthetic-pkg", "1:3.0-2.el8", "x86_64", "synthetic"],
    ]);
  });
});
