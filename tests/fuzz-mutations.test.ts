// Hostile input: random byte mutations and truncations of every real fixture (and of the data
// blobs) only ever give a typed error or a valid result, never another exception or a hang.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sampleImage } from "@rafscan/cli";
import { isRafsError } from "@rafscan/rafs";
import { type BlobSource, isFsError, MemoryBlobSource, openImage } from "@rafscan/vfs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HAVE_FIXTURES,
  TOC_BLOB,
  V5_BLOBS,
  V5_LEGACY,
  V5_SHA256,
  V6_BLOB_ID,
  V6_BLOBS,
  V6_BOOT,
} from "./support/fixtures.js";

const SAMPLE = await sampleImage();
const SAMPLE_BLOB = readdirSync(join(SAMPLE, "blobs"))[0] as string;
const V5_BLOB_ID = "7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00";

/** Opens, walks and reads everything; returns normally or throws whatever the reader threw. */
async function exercise(bootstrap: Uint8Array, blobs: Record<string, BlobSource>): Promise<void> {
  const image = await openImage({ bootstrap, blobs });
  let n = 0;
  for await (const e of image.walk("/")) {
    if (++n > 5000) break; // the fixtures have fewer entries; a mutation must not make it loop
    await image.listxattr(e.path, { noFollow: true });
    if (e.stats.isSymbolicLink()) await image.readlink(e.path);
    if (e.stats.isFile()) await image.readFile(e.path).catch(rethrowUntyped);
  }
}

function rethrowUntyped(err: unknown): void {
  if (!isRafsError(err) && !isFsError(err)) throw err;
}

function typedOnly(err: unknown): void {
  if (isRafsError(err) || isFsError(err)) return;
  throw new Error(`untyped error escaped: ${String((err as Error)?.stack ?? err)}`);
}

/** A mutation: overwrite some bytes, then maybe truncate. */
const mutation = (size: number) =>
  fc.record({
    writes: fc.array(fc.record({ at: fc.nat(size - 1), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    truncate: fc.option(fc.nat(size), { nil: undefined }),
  });

function apply(
  bytes: Uint8Array,
  m: { writes: { at: number; value: number }[]; truncate: number | undefined },
) {
  const out = Uint8Array.from(bytes);
  for (const w of m.writes) out[w.at] = w.value;
  return m.truncate === undefined ? out : out.subarray(0, m.truncate);
}

/** Mutations aimed at the metadata: most bytes of a bootstrap are in its first 64 KiB. */
function metadataCases(): [string, Uint8Array, Record<string, BlobSource>][] {
  const cases: [string, Uint8Array, Record<string, BlobSource>][] = [
    [
      "sample RAFS v6 (built)",
      readFileSync(join(SAMPLE, "bootstrap")),
      { [SAMPLE_BLOB]: new MemoryBlobSource(readFileSync(join(SAMPLE, "blobs", SAMPLE_BLOB))) },
    ],
  ];
  if (HAVE_FIXTURES) {
    cases.push(
      [
        "v5 sha256",
        readFileSync(V5_SHA256),
        { [V5_BLOB_ID]: new MemoryBlobSource(readFileSync(join(V5_BLOBS, V5_BLOB_ID))) },
      ],
      [
        "v6 2.2",
        readFileSync(V6_BOOT),
        { [V6_BLOB_ID]: new MemoryBlobSource(readFileSync(join(V6_BLOBS, V6_BLOB_ID))) },
      ],
      ["v6 TOC blob", readFileSync(TOC_BLOB), {}],
      ["v5 legacy (first 128 KiB)", readFileSync(V5_LEGACY).subarray(0, 128 * 1024), {}],
    );
  }
  return cases;
}

describe("random mutations of images give typed errors only", () => {
  for (const [name, bytes, blobs] of metadataCases()) {
    it(`${name}: bootstrap mutations`, async () => {
      await fc.assert(
        fc.asyncProperty(mutation(Math.min(bytes.length, 64 * 1024)), async (m) => {
          await exercise(apply(bytes, m), blobs).catch(typedOnly);
        }),
        { numRuns: 400, interruptAfterTimeLimit: 20_000 },
      );
    });
  }

  it.skipIf(!HAVE_FIXTURES)("v6 blob mutations never return wrong bytes silently", async () => {
    const boot = readFileSync(V6_BOOT);
    const blob = readFileSync(join(V6_BLOBS, V6_BLOB_ID));
    const good = await openImage({ bootstrap: boot, blobs: { [V6_BLOB_ID]: new MemoryBlobSource(blob) } });
    const want = await good.readFile("/lib.rs");
    await fc.assert(
      fc.asyncProperty(mutation(7802), async (m) => {
        const bad = apply(blob, { ...m, truncate: undefined });
        const image = await openImage({
          bootstrap: boot,
          blobs: { [V6_BLOB_ID]: new MemoryBlobSource(bad) },
        });
        try {
          const got = await image.readFile("/lib.rs");
          // Success is only allowed when the bytes are right (the mutation missed this chunk).
          expect(Buffer.compare(got, want)).toBe(0);
        } catch (err) {
          typedOnly(err);
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 20_000 },
    );
  });
});

describe.skipIf(!HAVE_FIXTURES)("regressions found by the mutation tests", () => {
  it("a v5 i_size of 4 GiB with one chunk is refused before readFile allocates", async () => {
    // Counterexample: byte 9396 is the top byte of the low word of /hardlink-test/test.sh's i_size (a hardlink with its own record).
    const bytes = apply(readFileSync(V5_SHA256), { writes: [{ at: 9396, value: 1 }], truncate: undefined });
    const image = await openImage({ bootstrap: bytes });
    const st = await image.stat("/hardlink-test/test.sh");
    expect(st.size).toBe(2 ** 32 + 944);
    await expect(image.readFile("/hardlink-test/test.sh")).rejects.toMatchObject({ code: "RAFS_CORRUPT" });
  });
});
