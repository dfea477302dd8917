// Unit tests of the three rpm database readers (sqlite, ndb, Berkeley DB hash) over files built by
// the test helpers, and over damaged copies of them: every problem must become a warning or an
// Error, never a crash, a hang or a huge allocation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readBdbRecords } from "../src/rpm/bdb.js";
import { adler32, readNdbRecords } from "../src/rpm/ndb.js";
import { readSqliteRecords } from "../src/rpm/sqlite.js";
import { buildBdb, buildNdb, buildSqliteDb } from "./helpers/rpm/databases.js";
import { packageHeaderBlob } from "./helpers/rpm/header-blob.js";

const small = packageHeaderBlob({ name: "small", version: "1", release: "1" });
// A 40 KiB string makes a header that needs ten 4 KiB overflow pages.
const big = packageHeaderBlob({
  name: "big",
  version: "2",
  release: "1",
  extra: [{ tag: 1027, type: "string_array", value: ["x".repeat(40_000)] }],
});
const blobs = [small, big, packageHeaderBlob({ name: "third", version: "3", release: "1" })];

function collect() {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => warnings.push(m) };
}

function setU32(bytes: Uint8Array, at: number, value: number, le = true): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(at, value >>> 0, le);
  return copy;
}

function setU16(bytes: Uint8Array, at: number, value: number, le = true): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(at, value, le);
  return copy;
}

describe("adler32", () => {
  it("matches the RFC 1950 check value and is chunk-independent", () => {
    expect(adler32(new TextEncoder().encode("Wikipedia"))).toBe(0x11e60398);
    expect(adler32(new Uint8Array(0))).toBe(1);
    const data = new Uint8Array(20_000).map((_, i) => (i * 131) % 256);
    expect(adler32(data.subarray(7000), adler32(data.subarray(0, 7000)))).toBe(adler32(data));
  });
});

describe("readSqliteRecords", () => {
  it("returns every row's blob in hnum order", async () => {
    const { warnings, warn } = collect();
    const records = await readSqliteRecords(await buildSqliteDb(blobs), warn);
    expect(records.map((r) => r.key)).toEqual([1, 2, 3]);
    expect(records.map((r) => r.blob)).toEqual(blobs);
    expect(warnings).toEqual([]);
  });

  it("throws on bytes that are not an sqlite database or lack the Packages table", async () => {
    const { warn } = collect();
    await expect(readSqliteRecords(new Uint8Array(4096).fill(7), warn)).rejects.toThrow();
    const db = await buildSqliteDb([]);
    // Rename the table in the schema text: same length, so the file stays well-formed.
    const text = new TextDecoder("latin1").decode(db).replaceAll("'Packages'", "'Pickages'");
    await expect(
      readSqliteRecords(
        Uint8Array.from(text, (c) => c.charCodeAt(0)),
        warn,
      ),
    ).rejects.toThrow(/Packages/);
  });

  it("warns about a row whose blob is not a blob", async () => {
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
    db.run("INSERT INTO Packages (blob) VALUES ('text, not a header')");
    db.run("INSERT INTO Packages (blob) VALUES (?)", [small]);
    const bytes = db.export();
    db.close();
    const { warnings, warn } = collect();
    const records = await readSqliteRecords(bytes, warn);
    expect(records.map((r) => r.key)).toEqual([2]);
    expect(warnings).toEqual(["Packages row 1 has no header blob"]);
  });
});

describe("readNdbRecords", () => {
  it("returns every blob, skipping free slots", () => {
    const { warnings, warn } = collect();
    const records = readNdbRecords(buildNdb(blobs).bytes, warn);
    expect(records.map((r) => r.key)).toEqual([1, 2, 3]);
    expect(records.map((r) => r.blob)).toEqual(blobs);
    expect(warnings).toEqual([]);
  });

  it("fills several slot pages", () => {
    const many = Array.from({ length: 300 }, (_, i) => packageHeaderBlob({ name: `p${i}`, version: "1" }));
    const { warnings, warn } = collect();
    expect(readNdbRecords(buildNdb(many).bytes, warn)).toHaveLength(300);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["a short file", new Uint8Array(16), /not an ndb/],
    ["a bad magic", setU32(buildNdb(blobs).bytes, 0, 0x12345678), /bad magic/],
    ["another version", setU32(buildNdb(blobs).bytes, 4, 1), /version 1/],
    ["no slot pages", setU32(buildNdb(blobs).bytes, 12, 0), /slot page count/],
    ["2^32-1 slot pages", setU32(buildNdb(blobs).bytes, 12, 0xffffffff), /slot page count/],
    ["slot pages past the file", setU32(buildNdb(blobs).bytes, 12, 200), /truncated/],
  ])("throws on %s", (_name, bytes, message) => {
    expect(() => readNdbRecords(bytes, collect().warn)).toThrow(message);
  });

  it("warns about and skips damaged blobs, keeping the good ones", () => {
    const layout = buildNdb(blobs);
    const [b1, b2, b3] = layout.blobOffsets as [number, number, number];
    const [s1, s2, s3] = layout.slotOffsets as [number, number, number];
    const cases: [Uint8Array, RegExp][] = [
      [setU32(layout.bytes, b2 + 40, 0xdeadbeef), /adler32/],
      [setU32(layout.bytes, b2, 0), /bad magic/],
      [setU32(layout.bytes, b2 + 4, 9), /belongs to package 9/],
      [setU32(layout.bytes, b2 + 12, 5), /does not fill/],
      [setU32(layout.bytes, s2 + 8, 0x7fffffff), /slot for package 2 is bad/],
      [setU32(layout.bytes, s2 + 8, 3), /slot for package 2 is bad/],
      [setU32(layout.bytes, s2 + 12, 0), /slot for package 2 is bad/],
    ];
    for (const [bytes, message] of cases) {
      const { warnings, warn } = collect();
      const records = readNdbRecords(bytes, warn);
      expect(records.map((r) => r.key)).toEqual([1, 3]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(message);
    }
    // The tail's length and magic are checked too.
    const tailOf3 = layout.bytes.length - 12;
    const { warnings, warn } = collect();
    expect(readNdbRecords(setU32(layout.bytes, tailOf3 + 8, 0), warn).map((r) => r.key)).toEqual([1, 2]);
    expect(warnings[0]).toMatch(/bad tail/);
    // A bad slot magic ends the slot scan; the slots before it still count.
    const stopped = collect();
    expect(readNdbRecords(setU32(layout.bytes, s3, 0), stopped.warn).map((r) => r.key)).toEqual([1, 2]);
    expect(stopped.warnings[0]).toMatch(/slot magic/);
    // Two slots for one package: the second is ignored.
    const twice = setU32(layout.bytes, s3 + 4, 1);
    const dup = collect();
    expect(readNdbRecords(twice, dup.warn).map((r) => r.key)).toEqual([1, 2]);
    expect(dup.warnings.join("\n")).toMatch(/two slots|belongs to/);
    expect(b1).toBeLessThan(b3);
    expect(s1).toBeLessThan(s3);
  });
});

describe("readBdbRecords", () => {
  it.each([
    [true, 512],
    [true, 4096],
    [true, 65536],
    [false, 512],
    [false, 4096],
  ])(
    "returns every blob (little-endian %s, %i-byte pages), skipping rpm's key-0 counter",
    (littleEndian, pageSize) => {
      const layout = buildBdb(blobs, { littleEndian, pageSize });
      const { warnings, warn } = collect();
      const records = readBdbRecords(layout.bytes, warn);
      expect(records.map((r) => r.key)).toEqual([1, 2, 3]);
      expect(records.map((r) => r.blob)).toEqual(blobs);
      expect(warnings).toEqual([]);
      // The big header really went to overflow pages; at 64 KiB the small ones are inline.
      expect(layout.overflowPages[1]).toHaveLength(Math.ceil(big.length / (pageSize - 26)));
      if (pageSize === 65536) expect(layout.overflowPages[0]).toEqual([]);
    },
  );

  it("follows a chain of hash pages", () => {
    const many = Array.from({ length: 200 }, (_, i) => packageHeaderBlob({ name: `p${i}`, version: "1" }));
    const layout = buildBdb(many, { pageSize: 4096 });
    expect(layout.hashPages.length).toBeGreaterThan(1);
    const { warnings, warn } = collect();
    expect(readBdbRecords(layout.bytes, warn)).toHaveLength(200);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["a short file", new Uint8Array(100), /not a Berkeley DB/],
    ["a bad magic", setU32(buildBdb(blobs).bytes, 12, 0x00053162), /not a Berkeley DB/],
    ["an unknown version", setU32(buildBdb(blobs).bytes, 16, 7), /version 7/],
    ["a bad page size", setU32(buildBdb(blobs).bytes, 20, 1000), /page size/],
    ["a zero page size", setU32(buildBdb(blobs).bytes, 20, 0), /page size/],
  ])("throws on %s", (_name, bytes, message) => {
    expect(() => readBdbRecords(bytes, collect().warn)).toThrow(message);
  });

  it("throws on an encrypted database and on a metadata page of another type", () => {
    const enc = buildBdb(blobs).bytes.slice();
    enc[24] = 1;
    expect(() => readBdbRecords(enc, collect().warn)).toThrow(/encrypted/);
    const btree = buildBdb(blobs).bytes.slice();
    btree[25] = 9;
    expect(() => readBdbRecords(btree, collect().warn)).toThrow(/type 9/);
  });

  it("reads what is there of a truncated file and says so", () => {
    const layout = buildBdb(blobs, { pageSize: 4096 });
    // Cut inside the big header's overflow chain: the inline small and third headers survive, the
    // big one is lost with a warning.
    const cut = layout.bytes.subarray(0, ((layout.overflowPages[1]?.[3] as number) + 1) * 4096 - 1);
    const { warnings, warn } = collect();
    const records = readBdbRecords(cut, warn);
    expect(records.map((r) => r.key)).toEqual([1, 3]);
    expect(warnings[0]).toMatch(/truncated/);
    expect(warnings.slice(1).join("\n")).toMatch(/impossible here/);
  });

  it("stops looping overflow chains and chains that leave the file", () => {
    const layout = buildBdb(blobs, { pageSize: 4096 });
    const chain = layout.overflowPages[1] as readonly number[];
    const last = chain.at(-1) as number;
    const cases: [Uint8Array, RegExp][] = [
      // The last page points back to the first, and claims a full page so the total is not met.
      [setU16(setU32(layout.bytes, last * 4096 + 16, chain[0] as number), last * 4096 + 22, 0), /loops/],
      [setU32(layout.bytes, (chain[2] as number) * 4096 + 16, chain[1] as number), /loops/],
      [setU32(layout.bytes, (chain[2] as number) * 4096 + 16, 1_000_000), /outside the file/],
      [setU32(layout.bytes, (chain[2] as number) * 4096 + 16, 0), /ends after/],
    ];
    for (const [bytes, message] of cases) {
      const { warnings, warn } = collect();
      const records = readBdbRecords(bytes, warn);
      expect(records.map((r) => r.key)).toEqual([1, 3]);
      expect(warnings.join("\n")).toMatch(message);
    }
  });

  it("refuses impossible overflow lengths before allocating", () => {
    const layout = buildBdb([big], { pageSize: 4096, counterRecord: false });
    // The only item pair on page 1: key then the 12-byte H_OFFPAGE value just below it.
    const voff = new DataView(layout.bytes.buffer).getUint16(4096 + 28, true);
    for (const total of [0xffffffff, 0x7fffffff, 0]) {
      const { warnings, warn } = collect();
      expect(readBdbRecords(setU32(layout.bytes, 4096 + voff + 8, total), warn)).toEqual([]);
      expect(warnings[0]).toMatch(/impossible/);
    }
  });

  it("warns about bad item offsets, odd item counts, unknown item types and misnumbered pages", () => {
    const layout = buildBdb(blobs, { pageSize: 4096 });
    const page1 = 4096;
    const view = (b: Uint8Array) => new DataView(b.buffer);
    const odd = layout.bytes.slice();
    view(odd).setUint16(page1 + 20, 7, true);
    expect(readBdbRecords(odd, collect().warn)).toEqual([]);
    const badOffset = layout.bytes.slice();
    // Pair 1's key starts above the end of pair 0's value, where it would have to end.
    view(badOffset).setUint16(page1 + 26 + 2 * 2, 4095, true);
    const r1 = collect();
    expect(readBdbRecords(badOffset, r1.warn).map((r) => r.key)).toEqual([2, 3]);
    expect(r1.warnings[0]).toMatch(/bad offsets/);
    const dupType = layout.bytes.slice();
    const voff = view(dupType).getUint16(page1 + 26 + 2 * 3, true);
    dupType[page1 + voff] = 2; // H_DUPLICATE
    const r2 = collect();
    expect(readBdbRecords(dupType, r2.warn).map((r) => r.key)).toEqual([2, 3]);
    expect(r2.warnings[0]).toMatch(/duplicate/);
    const misnumbered = setU32(layout.bytes, page1 + 8, 77);
    const r3 = collect();
    expect(readBdbRecords(misnumbered, r3.warn)).toEqual([]);
    expect(r3.warnings[0]).toMatch(/page number 77/);
  });

  it("never throws anything but its own errors, and ends, on random damage", () => {
    const le = buildBdb(blobs, { pageSize: 512 }).bytes;
    const ndb = buildNdb(blobs).bytes;
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 }),
        (useNdb, edits) => {
          const bytes = (useNdb ? ndb : le).slice();
          for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
          let records: readonly { blob: Uint8Array }[] = [];
          let error: unknown;
          try {
            records = useNdb ? readNdbRecords(bytes, () => {}) : readBdbRecords(bytes, () => {});
          } catch (err) {
            error = err;
          }
          if (error !== undefined) {
            expect(error).toBeInstanceOf(Error);
            expect(error).not.toBeInstanceOf(RangeError);
            expect(error).not.toBeInstanceOf(TypeError);
          }
          for (const r of records) expect(r.blob.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
