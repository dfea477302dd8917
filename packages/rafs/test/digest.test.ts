// Tests of the chunk digesters and CRC-32C against published check values, node:crypto, the b3sum
// CLI and a bit-by-bit CRC written from the definition.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadCrc32c, loadHasher } from "../src/digest.js";

const HAVE_B3SUM = spawnSync("b3sum", ["--version"]).status === 0;
if (!HAVE_B3SUM) console.warn("blake3 differential test skipped: `b3sum` is not installed");

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** CRC-32C straight from its definition: reflected, one bit at a time (slow but obviously right). */
function crc32cReference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("blake3", () => {
  it('hashes "1.0" to the VERSION chunk digest of the blake3 v5 fixture', async () => {
    const h = await loadHasher("blake3");
    expect(h.name).toBe("blake3");
    expect(hex(h.digest(ascii("1.0")))).toBe(
      "ecf87622ea5c78b2b1f44016ea95d14feb3bd825f7544e7201862f3d12b4cd1b",
    );
  });

  it("matches the official empty-input test vector", async () => {
    const h = await loadHasher("blake3");
    expect(hex(h.digest(new Uint8Array(0)))).toBe(
      "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    );
  });

  it.skipIf(!HAVE_B3SUM)("agrees with the b3sum CLI on random data", async () => {
    const h = await loadHasher("blake3");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (data) => {
        const run = spawnSync("b3sum", ["--no-names"], { input: data });
        expect(run.status).toBe(0);
        expect(hex(h.digest(data))).toBe(run.stdout.toString().trim());
      }),
      { numRuns: 30 },
    );
  });

  it("returns one cached instance whose state never leaks between calls", async () => {
    const [a, b] = await Promise.all([loadHasher("blake3"), loadHasher("blake3")]);
    expect(a).toBe(b);
    const first = hex(a.digest(ascii("1.0")));
    a.digest(new Uint8Array(100_000).fill(7));
    expect(hex(a.digest(ascii("1.0")))).toBe(first);
  });
});

describe("sha256", () => {
  it('matches the FIPS 180-2 vector for "abc"', async () => {
    const h = await loadHasher("sha256");
    expect(h.name).toBe("sha256");
    expect(hex(h.digest(ascii("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("agrees with node:crypto on random data", async () => {
    const h = await loadHasher("sha256");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (data) => {
        expect(hex(h.digest(data))).toBe(createHash("sha256").update(data).digest("hex"));
      }),
    );
  });
});

describe("CRC-32C", () => {
  it('has the catalogue check value 0xE3069283 for "123456789"', async () => {
    const crc = await loadCrc32c();
    expect(crc(ascii("123456789"))).toBe(0xe3069283);
    expect(crc(new Uint8Array(0))).toBe(0);
  });

  it("agrees with a bitwise implementation from the definition", async () => {
    const crc = await loadCrc32c();
    expect(crc32cReference(ascii("123456789"))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        const v = crc(data);
        expect(v).toBe(crc32cReference(data));
        expect(v >>> 0).toBe(v);
      }),
    );
  });

  it("is cached", async () => {
    expect(await loadCrc32c()).toBe(await loadCrc32c());
  });
});
