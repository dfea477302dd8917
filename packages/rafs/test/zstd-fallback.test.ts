// Tests of the pure-JS zstd fallback (fzstd) that decodes when zstd-napi does not load: agreement
// with libzstd on random data and real Nydus chunks, exact-size checks, bombs, and the
// RAFSCAN_NO_NATIVE switch that makes `decompress` use it.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Compressor } from "zstd-napi";
import zstdBinding from "zstd-napi/binding.js";
import { decompressZstdJs, MAX_ZSTD_WINDOW } from "../src/codec/zstd-js.js";
import { RafsError, RafsErrorCode } from "../src/errors.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const NYDUS = join(REPO_ROOT, "../shared/fixtures/nydus");
const HAVE_FIXTURES = existsSync(NYDUS);
if (!HAVE_FIXTURES) console.warn(`zstd fallback fixture test skipped: ${NYDUS} not found`);

const compressor = new Compressor();
function encode(data: Uint8Array, level: number): Uint8Array {
  compressor.setParameters({ compressionLevel: level });
  return compressor.compress(data);
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RafsError);
    return (err as RafsError).code;
  }
  throw new Error("did not throw");
}

describe("decompressZstdJs (fzstd fallback)", () => {
  it("decodes what libzstd encodes, at every level, to the same bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300_000 }),
        fc.integer({ min: 1, max: 19 }),
        fc.boolean(),
        (data, level, repetitive) => {
          const input = repetitive ? Uint8Array.from(data, (b, i) => (i % 97 === 0 ? b : 7)) : data;
          const out = decompressZstdJs(encode(input, level), input.length, "prop");
          expect(Buffer.compare(out, input)).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses a frame that decodes to another size than recorded", () => {
    const data = Buffer.alloc(100_000, 3);
    const z = encode(data, 3);
    expect(codeOf(() => decompressZstdJs(z, 99_999, "short"))).toBe(RafsErrorCode.DECOMPRESS);
    expect(codeOf(() => decompressZstdJs(z, 100_001, "long"))).toBe(RafsErrorCode.DECOMPRESS);
    expect(codeOf(() => decompressZstdJs(z.subarray(0, z.length - 3), 100_000, "cut"))).toBe(
      RafsErrorCode.DECOMPRESS,
    );
  });

  it("stops a bomb without a content size after one block past the limit", () => {
    // Streamed: the header has no content size, so only the running count can stop it.
    const cctx = new zstdBinding.CCtx();
    cctx.setParameter(zstdBinding.CParameter.compressionLevel, 1);
    cctx.setParameter(zstdBinding.CParameter.contentSizeFlag, 0);
    const out = Buffer.alloc(1 << 20);
    const [, produced] = cctx.compressStream2(out, Buffer.alloc(64 << 20), zstdBinding.EndDirective.end);
    const bomb = out.subarray(0, produced);
    expect(zstdBinding.getFrameContentSize(bomb)).toBeNull();
    expect(codeOf(() => decompressZstdJs(bomb, 4096, "bomb"))).toBe(RafsErrorCode.DECOMPRESS);
  });

  it("refuses a window larger than MAX_ZSTD_WINDOW before allocating it", () => {
    // Magic, FHD 0 (no single segment, no content size), window descriptor 0xf8: 2^41 bytes.
    const header = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0, 0]);
    expect(() => decompressZstdJs(header, 10, "w")).toThrow(new RegExp(`exceeds ${MAX_ZSTD_WINDOW}`));
  });

  it.skipIf(!HAVE_FIXTURES)("decodes the real Nydus zstd TOC like libzstd", () => {
    const name = "2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca";
    const zst = readFileSync(join(NYDUS, "zstd", `${name}.zst`));
    const toc = readFileSync(join(NYDUS, "toc", name));
    expect(Buffer.compare(decompressZstdJs(zst, toc.length, "toc"), toc)).toBe(0);
  });
});

describe("RAFSCAN_NO_NATIVE", () => {
  it("makes decompress use the JS decoders and codecBackends say so", () => {
    const script = `
      import { decompress, codecBackends } from "@rafscan/rafs";
      import { Compressor } from "zstd-napi";
      const data = Buffer.alloc(5000, 9);
      const out = decompress("zstd", new Compressor().compress(data), 5000, "x");
      if (Buffer.compare(out, data) !== 0) throw new Error("mismatch");
      console.log(JSON.stringify(codecBackends()));`;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        cwd: join(REPO_ROOT, "packages/rafs"),
        env: { ...process.env, ...env },
        encoding: "utf8",
      });
    const off = run({ RAFSCAN_NO_NATIVE: "1" });
    expect(off.stderr).toBe("");
    expect(JSON.parse(off.stdout).zstd).toEqual({
      implementation: "fzstd",
      fallback: true,
      reason: "RAFSCAN_NO_NATIVE",
    });
    const on = run({ RAFSCAN_NO_NATIVE: "" });
    expect(JSON.parse(on.stdout).zstd).toEqual({ implementation: "zstd-napi", fallback: false });
  });
});
