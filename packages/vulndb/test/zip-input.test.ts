// Tests of reading OSV zips: Zip64 exports with more than 65,535 entries (as osv.dev's npm and
// Debian exports are), and zips that lie about themselves (declared sizes, CRCs, truncation,
// offsets), which fail the zip or skip the entry with a reason, never crash or over-allocate.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ZipFileWriter } from "../../../benchmarks/vulns/zip-writer.mjs";
import { buildDatabase, VulndbErrorCode } from "../src/index.js";
import { record, writeZip } from "./helpers/osv-records.js";

const work = mkdtempSync(join(tmpdir(), "rafscan-vulndb-zip-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(work, `case-${n++}`);

/** Offset of the first central directory header. */
function centralAt(zip: Buffer): number {
  const at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  if (at === -1) throw new Error("no central directory");
  return at;
}

function twoRecordZip(): Buffer {
  const path = join(work, `two-${n++}.zip`);
  writeZip(path, [record("GHSA-one", "npm", "one", "1"), record("GHSA-two", "npm", "two", "1")]);
  return readFileSync(path);
}

async function codeAndMessage(zip: Buffer): Promise<[string | undefined, string]> {
  const path = join(work, `bad-${n++}.zip`);
  writeFileSync(path, zip);
  return buildDatabase({ sources: [path], dbDir: fresh() }).then(
    () => [undefined, ""],
    (e: unknown) => [(e as { code?: string }).code, (e as Error).message],
  );
}

describe("OSV zip input", () => {
  it("reads a Zip64 export of more than 65,535 entries", async () => {
    // Mostly non-JSON entries (skipped unread), so the test exercises the Zip64 directory, not
    // the speed of 70,000 inserts.
    const path = join(work, "zip64.zip");
    const zip = new ZipFileWriter(path);
    const empty = Buffer.alloc(0);
    for (let i = 0; i < 70_000; i++) {
      if (i % 7000 === 0)
        zip.add(`MAL-${i}.json`, Buffer.from(JSON.stringify(record(`MAL-${i}`, "npm", `p${i}`, "1.0.0"))));
      else zip.add(`notes/${i}.txt`, empty);
    }
    zip.close();
    const summary = await buildDatabase({ sources: [path], dbDir: fresh() });
    expect(summary).toMatchObject({ read: 10, records: 10, badRecords: 0 });
  });

  it("fails the zip when an entry inflates beyond its declared size", async () => {
    const zip = twoRecordZip();
    const cd = centralAt(zip);
    zip.writeUInt32LE(zip.readUInt32LE(cd + 24) - 10, cd + 24);
    const [code, message] = await codeAndMessage(zip);
    expect(code).toBe(VulndbErrorCode.BAD_ZIP);
    expect(message).toMatch(/inflates beyond its declared/);
  });

  it("skips an entry whose CRC-32 does not match, with the reason", async () => {
    const zip = twoRecordZip();
    const cd = centralAt(zip);
    zip.writeUInt32LE(zip.readUInt32LE(cd + 16) ^ 1, cd + 16);
    const path = join(work, "crc.zip");
    writeFileSync(path, zip);
    const summary = await buildDatabase({ sources: [path], dbDir: fresh() });
    expect(summary.records).toBe(1);
    expect(summary.problems).toEqual([{ where: "crc.zip!GHSA-one.json", reason: "CRC-32 mismatch" }]);
  });

  it("fails a truncated zip and one whose entry offsets point outside it", async () => {
    const zip = twoRecordZip();
    const [code, message] = await codeAndMessage(zip.subarray(0, zip.length - 30));
    expect(code).toBe(VulndbErrorCode.BAD_ZIP);
    expect(message).toMatch(/end of central directory/);
    const cd = centralAt(zip);
    zip.writeUInt32LE(0x7fffffff, cd + 42);
    const [code2, message2] = await codeAndMessage(zip);
    expect(code2).toBe(VulndbErrorCode.BAD_ZIP);
    expect(message2).toMatch(/offset out of range/);
  });

  it("fails a zip whose central directory claims more bytes than the file has", async () => {
    const zip = twoRecordZip();
    const eocd = zip.length - 22;
    zip.writeUInt32LE(0x7fff0000, eocd + 12);
    const [code] = await codeAndMessage(zip);
    expect(code).toBe(VulndbErrorCode.BAD_ZIP);
  });
});
