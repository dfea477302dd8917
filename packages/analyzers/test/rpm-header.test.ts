// Unit tests of the rpm header blob decoder: round trips through the test encoder, every bound
// check, and random damage that must only ever raise our own errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headerInt32, headerString, headerStrings, parseHeaderBlob } from "../src/rpm/header.js";
import { RPMTAG } from "../src/rpm/tags.js";
import { encodeHeaderBlob, packageHeaderBlob, type TagValue } from "./helpers/rpm/header-blob.js";

function u32(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint32(at, value >>> 0);
  return copy;
}

/** Byte offset of index entry `i` (entry 0 is the region tag). */
const entryAt = (i: number): number => 8 + 16 * i;

describe("parseHeaderBlob", () => {
  it("decodes strings, arrays, i18n strings and int32 values", () => {
    const blob = encodeHeaderBlob([
      { tag: RPMTAG.NAME, type: "string", value: "bash" },
      { tag: RPMTAG.EPOCH, type: "int32", value: [4294967295] },
      { tag: RPMTAG.SUMMARY, type: "i18n", value: ["The GNU shell", "Die GNU-Shell"] },
      { tag: 1047, type: "string_array", value: ["a", "", "ü-é"] },
    ]);
    const h = parseHeaderBlob(blob);
    expect(headerString(h, RPMTAG.NAME)).toBe("bash");
    expect(headerInt32(h, RPMTAG.EPOCH)).toBe(4294967295);
    expect(headerString(h, RPMTAG.SUMMARY)).toBe("The GNU shell");
    expect(headerStrings(h, 1047)).toEqual(["a", "", "ü-é"]);
    expect(headerString(h, RPMTAG.VENDOR)).toBeUndefined();
    expect(headerInt32(h, RPMTAG.VENDOR)).toBeUndefined();
  });

  it("refuses to read a tag as the wrong type", () => {
    const h = parseHeaderBlob(packageHeaderBlob({ name: "x", version: "1", epoch: 3 }));
    expect(() => headerString(h, RPMTAG.EPOCH)).toThrow(/not a string/);
    expect(() => headerInt32(h, RPMTAG.NAME)).toThrow(/not int32/);
  });

  it("lets a later entry for the same tag win, as rpm does with dribble entries", () => {
    const blob = encodeHeaderBlob([
      { tag: RPMTAG.NAME, type: "string", value: "first" },
      { tag: RPMTAG.VERSION, type: "string", value: "second" },
    ]);
    // Relabel the VERSION entry (index 2) as NAME: the last NAME entry is the one read.
    const h = parseHeaderBlob(u32(blob, entryAt(2), RPMTAG.NAME));
    expect(headerString(h, RPMTAG.NAME)).toBe("second");
  });

  it("round-trips random values", () => {
    const value = fc.oneof(
      fc.record({ type: fc.constant("string" as const), value: fc.string({ unit: "grapheme" }) }),
      fc.record({
        type: fc.constantFrom("string_array" as const, "i18n" as const),
        value: fc.array(fc.string({ unit: "grapheme" }), { minLength: 1, maxLength: 5 }),
      }),
      fc.record({
        type: fc.constant("int32" as const),
        value: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 1000, max: 5000 }), value), {
          selector: (t) => t[0],
          maxLength: 12,
        }),
        (tags) => {
          const hasNul = (v: string | readonly string[] | readonly number[]): boolean =>
            typeof v === "string"
              ? v.includes("\0")
              : v.some((s) => typeof s === "string" && s.includes("\0"));
          const values = tags
            .filter(([, v]) => !hasNul(v.value))
            .map(([tag, v]) => ({ tag, ...v }) as TagValue);
          const h = parseHeaderBlob(encodeHeaderBlob(values));
          for (const v of values) {
            if (v.type === "int32") expect(headerInt32(h, v.tag)).toBe(v.value[0]);
            else if (v.type === "string") expect(headerString(h, v.tag)).toBe(v.value);
            else if (v.type !== "bin") expect(headerStrings(h, v.tag)).toEqual(v.value);
          }
        },
      ),
    );
  });
});

describe("parseHeaderBlob on bad input", () => {
  const good = packageHeaderBlob({ name: "curl", version: "8.0", release: "1", epoch: 1, arch: "x86_64" });
  const dl = new DataView(good.buffer).getUint32(4);

  it.each([
    ["an empty blob", new Uint8Array(0), /too short/],
    ["seven bytes", good.subarray(0, 7), /too short/],
    ["no index entries", u32(good, 0, 0), /bad index count/],
    ["il above rpm's limit", u32(good, 0, 0x10000), /bad index count/],
    ["il near 2^32", u32(good, 0, 0xffffffff), /bad index count/],
    ["dl above 256 MiB", u32(good, 4, 0x10000000), /bad data length/],
    ["dl past the blob", u32(good, 4, dl + 1), /truncated/],
    ["a truncated blob", good.subarray(0, good.length - 1), /truncated/],
    ["an unknown type", u32(good, entryAt(1) + 4, 10), /bad type/],
    ["a negative offset", u32(good, entryAt(1) + 8, -4), /outside the data/],
    ["an offset at dl", u32(good, entryAt(1) + 8, dl), /outside the data/],
    ["a region trailer past the data", u32(good, entryAt(0) + 8, dl - 8), /region trailer/],
    ["a zero count", u32(good, entryAt(1) + 12, 0), /bad count/],
    ["a count above dl", u32(good, entryAt(1) + 12, dl + 1), /bad count/],
  ])("rejects %s", (_name, blob, message) => {
    expect(() => parseHeaderBlob(blob)).toThrow(message);
  });

  it("rejects an int32 that is misaligned or runs past the data", () => {
    const blob = encodeHeaderBlob([
      { tag: RPMTAG.NAME, type: "string", value: "abc" },
      { tag: RPMTAG.EPOCH, type: "int32", value: [7] },
    ]);
    const h = parseHeaderBlob(blob);
    const epochOffset = h.entries.get(RPMTAG.EPOCH)?.offset ?? -1;
    expect(() => parseHeaderBlob(u32(blob, entryAt(2) + 8, epochOffset + 1))).toThrow(/misaligned/);
    expect(() => parseHeaderBlob(u32(blob, entryAt(2) + 12, 1000))).toThrow(/bad count|runs past/);
  });

  it("rejects an unterminated string and a string with count > 1 when it is read", () => {
    const blob = encodeHeaderBlob([{ tag: RPMTAG.NAME, type: "string", value: "abc" }]);
    const dataStart = 8 + 2 * 16;
    // Overwrite the NUL and everything after it (the region trailer) with letters.
    const unterminated = blob.slice();
    unterminated.fill(0x41, dataStart + 3);
    expect(() => headerString(parseHeaderBlob(unterminated), RPMTAG.NAME)).toThrow(/NUL/);
    expect(() => headerString(parseHeaderBlob(u32(blob, entryAt(1) + 12, 2)), RPMTAG.NAME)).toThrow(
      /count 2/,
    );
  });

  it("throws only its own errors on random damage", () => {
    /** The error `f` throws, if any. */
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
        return undefined;
      } catch (err) {
        return err;
      }
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat({ max: good.length }),
        (edits, cut) => {
          const blob = good.slice(0, cut === 0 ? good.length : cut);
          for (const [at, byte] of edits) if (at < blob.length) blob[at] = byte;
          const errors: unknown[] = [];
          const parsed = thrown(() => {
            const h = parseHeaderBlob(blob);
            for (const tag of [RPMTAG.NAME, RPMTAG.VERSION, RPMTAG.RELEASE, RPMTAG.ARCH]) {
              errors.push(thrown(() => headerString(h, tag)));
            }
            errors.push(thrown(() => headerInt32(h, RPMTAG.EPOCH)));
          });
          errors.push(parsed);
          for (const err of errors) {
            if (err === undefined) continue;
            // A DataView RangeError or a TypeError would mean a read outside the checks.
            expect(err).toBeInstanceOf(Error);
            expect(err).not.toBeInstanceOf(RangeError);
            expect(err).not.toBeInstanceOf(TypeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
