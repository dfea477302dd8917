// Tests of the `rafscan db` subcommand functions (the CLI framework wires them): build from
// --osv inputs with its summary, status with the database's age, import, and usage errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { SCHEMA_VERSION } from "@rafscan/vulndb";
import { afterAll, describe, expect, it } from "vitest";
import { runDb } from "../src/commands/db.js";
import type { Io } from "../src/output.js";
import { UsageError } from "../src/usage-error.js";

const work = mkdtempSync(join(tmpdir(), "rafscan-cli-db-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function capture(): { io: Io; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = "";
  stdout.on("data", (c: Buffer) => {
    text += c.toString("utf8");
  });
  return { io: { stdout, stderr }, out: () => text };
}

const rec = (id: string, eco: string, name: string) =>
  JSON.stringify({
    id,
    modified: "2024-01-01T00:00:00Z",
    affected: [
      {
        package: { ecosystem: eco, name },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "2" }] }],
      },
    ],
  });

describe("rafscan db", () => {
  const osv = join(work, "osv.jsonl");
  writeFileSync(osv, `${rec("GHSA-1", "npm", "a")}\n${rec("GHSA-2", "Alpine:v3.20", "b")}\nbroken\n`);

  it("builds, reports what it skipped, and status says what is loaded and how old it is", async () => {
    const dbDir = join(work, "db");
    const b = capture();
    expect(await runDb("build", [], { dbDir, osv: [osv] }, false, b.io)).toBe(0);
    expect(b.out()).toMatch(/2 advisories \(0 withdrawn\), 2 package keys in 2 ecosystems/);
    expect(b.out()).toMatch(/skipped: 1 bad/);
    expect(b.out()).toMatch(/bad: .*osv\.jsonl:3: not JSON/);
    const s = capture();
    expect(await runDb("status", [], { dbDir }, false, s.io)).toBe(0);
    expect(s.out()).toMatch(new RegExp(`schema ${SCHEMA_VERSION}, built .* \\(0 seconds ago\\)`));
    const j = capture();
    expect(await runDb("status", [], { dbDir }, true, j.io)).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject({
      present: true,
      records: 2,
      ecosystems: ["Alpine:v3.20", "npm"],
    });
  });

  it("imports a database file into another directory", async () => {
    const other = join(work, "db2");
    const i = capture();
    expect(await runDb("import", [join(work, "db", "vulndb.sqlite")], { dbDir: other }, true, i.io)).toBe(0);
    expect(JSON.parse(i.out())).toMatchObject({ records: 2, schemaVersion: SCHEMA_VERSION });
  });

  it("status exits 1 with the reason when there is no database", async () => {
    const s = capture();
    expect(await runDb("status", [], { dbDir: join(work, "none") }, false, s.io)).toBe(1);
    expect(s.out()).toMatch(/VULNDB_NOT_FOUND/);
  });

  it("rejects bad calls as usage errors", async () => {
    const { io } = capture();
    await expect(runDb("build", [], { dbDir: work }, false, io)).rejects.toThrow(UsageError);
    await expect(runDb("frobnicate", [], {}, false, io)).rejects.toThrow(UsageError);
    await expect(runDb("pull", [], {}, false, io)).rejects.toThrow(UsageError);
  });
});
