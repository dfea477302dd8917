// Tests of the database lifecycle: build from a zip served over HTTP on 127.0.0.1, import, status
// and its age, refusal of a newer schema and of damaged files, and push/pull as an OCI artifact
// through a real docker-registry on 127.0.0.1.

import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { RegistryClient } from "@rafscan/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  REGISTRY_BIN,
  type RegistryServer,
  startRegistry,
} from "../../registry/test/helpers/registry-server.js";
import {
  buildDatabase,
  buildDatabaseFile,
  DB_ARTIFACT_TYPE,
  DB_LAYER_MEDIA_TYPE,
  databaseStatus,
  importDatabase,
  isVulndbError,
  openDatabase,
  openSqlite,
  pullDatabase,
  pushDatabase,
  SqliteAdvisoryStore,
  VulndbErrorCode,
} from "../src/index.js";
import { record, writeJsonLines, writeZip } from "./helpers/osv-records.js";

const work = mkdtempSync(join(tmpdir(), "rafscan-vulndb-life-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(work, `case-${n++}`);
const BUILT = new Date("2024-07-01T00:00:00Z");

/** 300 records: enough pages that damage in the middle of the file is not in the header pages. */
function manyRecords(prefix: string): unknown[] {
  return Array.from({ length: 300 }, (_, i) =>
    record(`${prefix}-${i}`, i % 2 === 0 ? "Debian:12" : "PyPI", `pkg-${i % 50}`, `1.${i}`, {
      details: `d${i} `.repeat(40),
    }),
  );
}

/** A built database file outside any database directory. */
async function builtFile(prefix = "GHSA"): Promise<string> {
  const src = join(fresh(), "..", `${prefix}-${n}.jsonl`);
  writeJsonLines(src, manyRecords(prefix));
  const out = join(work, `${prefix}-${n++}.sqlite`);
  await buildDatabaseFile({ sources: [src], output: out, builtAt: BUILT });
  return out;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e as { code?: string }).code,
  );
}

describe("db build from an http URL", () => {
  let server: Server;
  let base: string;
  const zipPath = join(work, "served.zip");
  beforeAll(async () => {
    writeZip(zipPath, [
      record("GHSA-url1", "npm", "lodash", "4.17.21"),
      record("GHSA-url2", "Go", "golang.org/x/net", "0.1.0"),
    ]);
    server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/osv/npm/all.zip") {
        const body = readFileSync(zipPath);
        res.writeHead(200, { "content-type": "application/zip", "content-length": body.length });
        res.end(body);
      } else if (path === "/moved.zip") {
        res.writeHead(302, { location: "/osv/npm/all.zip" });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("downloads the zip (following a redirect), builds, and records the URL as the source", async () => {
    const dbDir = fresh();
    const summary = await buildDatabase({ sources: [`${base}/moved.zip?token=secret`], dbDir });
    expect(summary.sources).toEqual([{ id: `${base}/moved.zip`, name: "OSV zip", records: 2 }]);
    const db = await openDatabase({ dbDir });
    expect(db.lookup("npm", "lodash").map((r) => r.id)).toEqual(["GHSA-url1"]);
    db.close();
  });

  it("fails with VULNDB_DOWNLOAD on a 404 and VULNDB_TOO_LARGE over the download limit", async () => {
    expect(await codeOf(buildDatabase({ sources: [`${base}/nothing.zip`], dbDir: fresh() }))).toBe(
      "VULNDB_DOWNLOAD",
    );
    expect(
      await codeOf(
        buildDatabase({
          sources: [`${base}/osv/npm/all.zip`],
          dbDir: fresh(),
          limits: { maxDownloadBytes: 100 },
        }),
      ),
    ).toBe("VULNDB_TOO_LARGE");
  });
});

describe("db import and status", () => {
  it("imports a database file and reports it with its age", async () => {
    const file = await builtFile();
    const dbDir = fresh();
    expect(await databaseStatus({ dbDir })).toMatchObject({
      present: false,
      error: { code: "VULNDB_NOT_FOUND" },
    });
    const imported = await importDatabase(file, { dbDir });
    expect(imported.meta.records).toBe(300);
    const status = await databaseStatus({ dbDir, now: new Date("2024-07-04T01:00:00Z") });
    expect(status).toMatchObject({
      present: true,
      schemaVersion: 2,
      builtAt: "2024-07-01T00:00:00.000Z",
      ageSeconds: 3 * 86400 + 3600,
      records: 300,
      ecosystems: ["Debian:12", "PyPI"],
      install: { kind: "import", from: file },
    });
    const db = await openDatabase({ dbDir });
    expect(db.lookup("PyPI", "pkg-1").length).toBe(6);
    db.close();
  });

  it("refuses a schema-1 file (no index summaries) with VULNDB_SCHEMA_TOO_OLD", async () => {
    const older = await builtFile("V1");
    const db = openSqlite(older);
    db.exec("PRAGMA user_version = 1");
    db.close();
    const err = await SqliteAdvisoryStore.open(older).catch((e: unknown) => e);
    expect(isVulndbError(err, VulndbErrorCode.SCHEMA_TOO_OLD)).toBe(true);
    expect((err as Error).message).toMatch(/schema 1.*reads schema 2.*build or pull/);
  });

  it("reports a damaged index summary as VULNDB_CORRUPT, not a crash or a silent miss", async () => {
    const file = await builtFile("SUM");
    const db = openSqlite(file);
    db.exec("UPDATE affected SET summary = '{\"e\":' WHERE name = 'pkg-1'");
    db.close();
    const store = await SqliteAdvisoryStore.open(file);
    try {
      expect(() => store.lookup("PyPI", "pkg-1", { affects: () => true })).toThrow(
        expect.objectContaining({ code: "VULNDB_CORRUPT" }),
      );
      // The plain lookup does not read summaries.
      expect(store.lookup("PyPI", "pkg-1").length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  it("refuses a database of a newer schema version, on open and on import, keeping the installed one", async () => {
    const dbDir = fresh();
    await importDatabase(await builtFile("OLD"), { dbDir });
    const newer = await builtFile("NEW");
    const db = openSqlite(newer);
    db.exec("PRAGMA user_version = 99");
    db.close();
    const err = await SqliteAdvisoryStore.open(newer).catch((e: unknown) => e);
    expect(isVulndbError(err, VulndbErrorCode.SCHEMA_TOO_NEW)).toBe(true);
    expect((err as Error).message).toMatch(/schema 99.*reads schema 2.*upgrade rafscan/);
    expect(await codeOf(importDatabase(newer, { dbDir }))).toBe("VULNDB_SCHEMA_TOO_NEW");
    const still = await openDatabase({ dbDir });
    expect(still.lookup("Debian:12", "pkg-0")[0]?.id).toMatch(/^OLD-/);
    still.close();
  });

  it("refuses corrupt files: not SQLite, another SQLite file, truncated, damaged pages", async () => {
    const garbage = join(work, "garbage.sqlite");
    writeFileSync(garbage, Buffer.alloc(8192, 0x41));
    expect(await codeOf(SqliteAdvisoryStore.open(garbage))).toBe("VULNDB_CORRUPT");

    const other = join(work, "other.sqlite");
    const o = openSqlite(other);
    o.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    o.close();
    expect(await codeOf(SqliteAdvisoryStore.open(other))).toBe("VULNDB_CORRUPT");

    const truncated = join(work, "truncated.sqlite");
    copyFileSync(await builtFile(), truncated);
    const size = readFileSync(truncated).length;
    truncateSync(truncated, size - 4096);
    expect(await codeOf(SqliteAdvisoryStore.open(truncated))).toBe("VULNDB_CORRUPT");

    // Damage in the middle: the quick open does not read those pages; import checks them all.
    const damaged = join(work, "damaged.sqlite");
    copyFileSync(await builtFile(), damaged);
    const bytes = readFileSync(damaged);
    bytes.fill(
      0xff,
      Math.floor(bytes.length / 2 / 4096) * 4096,
      Math.floor(bytes.length / 2 / 4096) * 4096 + 4096,
    );
    writeFileSync(damaged, bytes);
    const dbDir = fresh();
    expect(await codeOf(importDatabase(damaged, { dbDir }))).toBe("VULNDB_CORRUPT");
    expect((await databaseStatus({ dbDir })).present).toBe(false);
  });
});

describe.skipIf(REGISTRY_BIN === undefined)("db push and pull through docker-registry", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(() => registry?.stop());

  it("pushes an artifact with one gzip layer of the database and pulls it into another directory", async () => {
    const from = fresh();
    const src = join(work, "push.jsonl");
    writeJsonLines(src, manyRecords("PUSH"));
    await buildDatabase({ sources: [src], dbDir: from, builtAt: BUILT });
    const ref = `${registry.host}/rafscan/vulndb:1`;
    const pushed = await pushDatabase(ref, { dbDir: from, insecure: true, dockerConfig: false });
    expect(pushed.layerBytes).toBeLessThan(pushed.bytes);

    const client = new RegistryClient(registry.host, { insecure: true });
    const manifest = JSON.parse(
      Buffer.from(
        (
          await client.getManifest("rafscan/vulndb", "1", {
            accept: ["application/vnd.oci.image.manifest.v1+json"],
          })
        ).bytes,
      ).toString(),
    );
    expect(manifest.artifactType).toBe(DB_ARTIFACT_TYPE);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]).toMatchObject({ mediaType: DB_LAYER_MEDIA_TYPE, digest: pushed.layerDigest });

    const to = fresh();
    const pulled = await pullDatabase(ref, { dbDir: to, insecure: true, dockerConfig: false });
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(pulled.bytes).toBe(pushed.bytes);
    const status = await databaseStatus({ dbDir: to });
    expect(status).toMatchObject({
      present: true,
      records: 300,
      builtAt: BUILT.toISOString(),
      install: { kind: "pull", from: ref },
    });
    const a = await openDatabase({ dbDir: from });
    const b = await openDatabase({ dbDir: to });
    expect(b.lookup("PyPI", "pkg-3")).toEqual(a.lookup("PyPI", "pkg-3"));
    a.close();
    b.close();
  });

  it("refuses to pull an artifact that is not a rafscan database", async () => {
    const client = new RegistryClient(registry.host, { insecure: true });
    const blob = Buffer.from("{}");
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
    await client.uploadBlob("other/thing", digest, blob.length, () => Readable.from([blob]));
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: blob.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size: blob.length }],
    };
    await client.putManifest(
      "other/thing",
      "v1",
      "application/vnd.oci.image.manifest.v1+json",
      Buffer.from(JSON.stringify(manifest)),
    );
    const dbDir = fresh();
    expect(
      await codeOf(
        pullDatabase(`${registry.host}/other/thing:v1`, { dbDir, insecure: true, dockerConfig: false }),
      ),
    ).toBe("VULNDB_BAD_ARTIFACT");
    expect((await databaseStatus({ dbDir })).present).toBe(false);
  });
});

describe("regressions", () => {
  it("a directory given as the database file is VULNDB_CORRUPT, not a raw EISDIR", async () => {
    expect(await codeOf(SqliteAdvisoryStore.open(work))).toBe("VULNDB_CORRUPT");
  });
});

describe("regressions: build output", () => {
  it("buildDatabaseFile onto an existing file fails with EEXIST and leaves the file alone", async () => {
    const src = join(work, "exists.jsonl");
    writeJsonLines(src, [record("GHSA-e", "npm", "e", "1")]);
    const out = join(work, "precious.txt");
    writeFileSync(out, "keep me");
    const err = await buildDatabaseFile({ sources: [src], output: out }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("EEXIST");
    expect(readFileSync(out, "utf8")).toBe("keep me");
  });
});
