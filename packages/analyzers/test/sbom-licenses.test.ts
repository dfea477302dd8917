// Sorting licence strings into SPDX ids, expressions and free text.
import { describe, expect, test } from "vitest";
import { classifyLicense, MAX_EXPRESSION_LENGTH, normalizeExpression } from "../src/sbom/licenses.js";
import { UniqueNames } from "../src/sbom/unique-names.js";

describe("classifyLicense", () => {
  test.each([
    ["MIT", { kind: "id", id: "MIT" }],
    ["  mit ", { kind: "id", id: "MIT" }],
    ["bsd-3-clause", { kind: "id", id: "BSD-3-Clause" }],
    // Deprecated ids are still ids.
    ["GPL-2.0", { kind: "id", id: "GPL-2.0" }],
    ["(Apache-2.0)", { kind: "id", id: "Apache-2.0" }],
    ["MIT OR Apache-2.0", { kind: "expression", expression: "MIT OR Apache-2.0", hasRefs: false }],
    ["mit  or  apache-2.0", { kind: "expression", expression: "MIT OR Apache-2.0", hasRefs: false }],
    ["GPL-2.0+", { kind: "expression", expression: "GPL-2.0+", hasRefs: false }],
    [
      "gpl-2.0-or-later with Classpath-exception-2.0",
      { kind: "expression", expression: "GPL-2.0-or-later WITH Classpath-exception-2.0", hasRefs: false },
    ],
    ["(MIT OR ISC) AND Zlib", { kind: "expression", expression: "(MIT OR ISC) AND Zlib", hasRefs: false }],
    ["MIT OR (ISC AND Zlib)", { kind: "expression", expression: "MIT OR (ISC AND Zlib)", hasRefs: false }],
    ["LicenseRef-Acme", { kind: "expression", expression: "LicenseRef-Acme", hasRefs: true }],
    ["GPLv2+", { kind: "name", name: "GPLv2+" }],
    ["MIT License", { kind: "name", name: "MIT License" }],
    ["MIT OR", { kind: "name", name: "MIT OR" }],
    ["Licence libre ✓", { kind: "name", name: "Licence libre ✓" }],
  ])("%j", (text, expected) => {
    expect(classifyLicense(text)).toEqual(expected);
  });

  test("blank strings are no licence", () => {
    expect(classifyLicense("")).toBeUndefined();
    expect(classifyLicense(" \t\n")).toBeUndefined();
  });

  test("hostile input: long expressions are free text, long names are capped", () => {
    const long = Array.from({ length: 200 }, () => "MIT").join(" AND ");
    expect(long.length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    expect(classifyLicense(long)?.kind).toBe("name");
    const huge = classifyLicense("x".repeat(100_000));
    expect(huge?.kind === "name" && huge.name.length).toBe(1025);
    // Deep nesting within the length limit parses without blowing the stack.
    const nested = `${"(".repeat(100)}MIT${")".repeat(100)}`;
    expect(classifyLicense(nested)).toEqual({ kind: "id", id: "MIT" });
    expect(normalizeExpression("MIT AND")).toBeUndefined();
  });
});

describe("UniqueNames", () => {
  test("suffixes taken names, skips reserved and verbatim-wanted suffixes", () => {
    const names = new UniqueNames("-", ["r"]);
    expect(["a", "a", "a-3", "a", "a", "r"].map((n) => names.take(n))).toEqual([
      "a",
      "a-2",
      "a-3",
      "a-4",
      "a-5",
      "r-2",
    ]);
  });

  test("many names that collide stay linear", () => {
    const names = new UniqueNames("#");
    const started = performance.now();
    const out = Array.from({ length: 50_000 }, () => names.take("x"));
    expect(new Set(out).size).toBe(50_000);
    expect(out[49_999]).toBe("x#50000");
    // Quadratic probing would take tens of seconds here.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
