// Tests of entry path handling: normalizing archive names, checking normalized paths, and the
// UTF-8 byte order of names without encoding them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareUtf8, normalizeEntryPath, splitEntryPath } from "../src/input/entry-path.js";

describe("normalizeEntryPath", () => {
  it("drops leading / and ./, trailing /, and . components", () => {
    const cases: [string, string][] = [
      ["./", ""],
      [".", ""],
      ["/", ""],
      ["./a/b/", "a/b"],
      ["/abs/path", "abs/path"],
      [".//./x/./y//", "x/y"],
      ["a/./b", "a/b"],
      ["..a/b..", "..a/b.."],
      [".wh..wh..opq", ".wh..wh..opq"],
    ];
    for (const [raw, want] of cases) expect(normalizeEntryPath(raw)).toBe(want);
  });

  it("refuses .., empty components, NULs and names over 255 bytes", () => {
    for (const raw of ["..", "../a", "a/../b", "a//b", "a\0b", `a/${"\u00e9".repeat(128)}`]) {
      expect(typeof normalizeEntryPath(raw)).toBe("object");
    }
    // 255 bytes is still fine, counted in UTF-8 (127 two-byte chars + 1 byte).
    expect(normalizeEntryPath(`${"\u00e9".repeat(127)}x`)).toBe(`${"\u00e9".repeat(127)}x`);
  });

  it("its output is always a valid SourceEntry path, and normalizing is idempotent", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", ".", "..", "", "/", "./", "é", "\u{1f600}", ".wh.x"), {
          maxLength: 8,
        }),
        (parts) => {
          const out = normalizeEntryPath(parts.join(""));
          if (typeof out !== "string") return;
          expect(Array.isArray(splitEntryPath(out))).toBe(true);
          expect(normalizeEntryPath(out)).toBe(out);
        },
      ),
    );
  });
});

describe("splitEntryPath", () => {
  it("accepts normalized paths only", () => {
    expect(splitEntryPath("")).toEqual([]);
    expect(splitEntryPath("a/b")).toEqual(["a", "b"]);
    for (const p of ["/a", "a/", "a/./b", "a/../b", "a//b", "."])
      expect(Array.isArray(splitEntryPath(p))).toBe(false);
  });
});

describe("compareUtf8", () => {
  it("orders like Buffer.compare of the UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
    expect(compareUtf8("\uffee", "\u{1f600}")).toBeLessThan(0);
    expect("\uffee" < "\u{1f600}").toBe(false);
  });
});
