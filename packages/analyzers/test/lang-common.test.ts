import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Package } from "../src/findings.js";
import { languageAnalyzers } from "../src/lang/index.js";
import { LANG_LIMITS } from "../src/lang/limits.js";
import { PackageList } from "../src/lang/package-list.js";
import { cleanString, hasControlChar, licensesFromJson } from "../src/lang/values.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

// One path per plugin that its needs accept, so fuzzed bytes reach every parser.
const PATHS: Record<string, string> = {
  python: "/p/x.dist-info/METADATA",
  node: "/n/node_modules/x/package.json",
  ruby: "/r/specifications/x.gemspec",
  php: "/v/vendor/composer/installed.json",
  dotnet: "/d/X.deps.json",
  conda: "/c/conda-meta/x-1-0.json",
  cargo: "/k/Cargo.lock",
  "node-lockfile": "/l/yarn.lock",
  nuget: "/s/packages.lock.json",
  julia: "/j/Manifest.toml",
};

describe("values", () => {
  it("cleanString refuses wrong types, control characters and overlong strings", () => {
    expect(cleanString("  a  ")).toBe("a");
    for (const bad of [
      1,
      null,
      {},
      ["a"],
      "",
      "   ",
      "a\nb",
      "a\u007f",
      "x".repeat(LANG_LIMITS.maxNameLength + 1),
    ]) {
      expect(cleanString(bad)).toBeUndefined();
    }
  });

  it("licensesFromJson takes strings and {type}, drops placeholders, caps the count", () => {
    expect(licensesFromJson(["MIT", { type: "ISC" }, "UNKNOWN", "MIT", 3, null])).toEqual(["MIT", "ISC"]);
    const many = Array.from({ length: 10_000 }, (_, i) => `L${i}`);
    expect(licensesFromJson(many)).toHaveLength(LANG_LIMITS.maxLicenses);
  });
});

describe("PackageList", () => {
  it("collapses the same package named twice and counts bad entries", () => {
    const list = new PackageList("pypi", "/f");
    expect(list.add({ name: "Foo_Bar", version: "1", purlName: "foo-bar" })).toBe(true);
    expect(list.add({ name: "foo-bar", version: "1" })).toBe(true);
    expect(list.add({ name: 5, version: "1" })).toBe(false);
    expect(list.packages()).toHaveLength(1);
    expect(list.invalid).toBe(1);
  });

  it("stops at maxPackagesPerFile and says how many it dropped", async () => {
    const n = LANG_LIMITS.maxPackagesPerFile + 5;
    let text = "";
    for (let i = 0; i < n; i++) text += `[[package]]\nname = "c${i}"\nversion = "1.0.0"\n`;
    const ctx = memoryContext();
    const cargo = languageAnalyzers().find((p) => p.id === "cargo");
    const found = await cargo?.analyze([memoryFile("/Cargo.lock", text)], ctx);
    expect(found?.packages).toHaveLength(LANG_LIMITS.maxPackagesPerFile);
    expect(ctx.warnings).toEqual([{ message: expect.stringMatching(/5 dropped/), path: "/Cargo.lock" }]);
  });
});

describe("every language plugin", () => {
  const plugins = languageAnalyzers({ lockfiles: true });

  it("has a path for every plugin, accepted by its needs, and whole access (python: range, for zipped eggs)", () => {
    expect(plugins.map((p) => p.id).sort()).toEqual(Object.keys(PATHS).sort());
    for (const p of plugins) {
      const path = PATHS[p.id] ?? "";
      expect(p.needs.some((n) => typeof n === "function" && n({ path, size: 1, mode: 0o100644 }))).toBe(true);
      expect(p.access).toBe(p.id === "python" ? "range" : "whole");
      expect(p.maxFileSize).toBeGreaterThan(0);
    }
  });

  it("turns random bytes into warnings or packages, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...plugins),
        fc.uint8Array({ maxLength: 2048 }),
        async (plugin, bytes) => {
          const ctx = memoryContext();
          const found = await plugin.analyze([memoryFile(PATHS[plugin.id] ?? "/x", bytes)], ctx);
          for (const pkg of found.packages ?? []) expectWellFormed(pkg);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("survives random text built from each format's own tokens", async () => {
    const tokens = fc.constantFrom(
      "{",
      "}",
      "[",
      "]",
      '"',
      ":",
      ",",
      "\n",
      "  ",
      "name",
      "version",
      "Name: ",
      "Version: ",
      "[[package]]",
      'name = "',
      's.name = "',
      "packages",
      "node_modules/",
      "@",
      "/",
      "npm:",
      "license",
      "1.0.0",
      "\\",
      "'",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...plugins),
        fc.array(tokens, { maxLength: 200 }),
        async (plugin, parts) => {
          const ctx = memoryContext();
          const found = await plugin.analyze([memoryFile(PATHS[plugin.id] ?? "/x", parts.join(""))], ctx);
          for (const pkg of found.packages ?? []) expectWellFormed(pkg);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("stops between files when the scan is aborted", async () => {
    // Assigned, not spread: spreading would call the context's throwing `image` getter.
    const ctx = Object.assign(memoryContext(), { signal: AbortSignal.abort(new Error("stop")) });
    const python = plugins.find((p) => p.id === "python");
    await expect(
      python?.analyze([memoryFile(PATHS.python ?? "", "Name: a\nVersion: 1\n")], ctx),
    ).rejects.toThrow("stop");
  });
});

function expectWellFormed(pkg: Package): void {
  expect(pkg.name.length).toBeGreaterThan(0);
  expect(pkg.version.length).toBeGreaterThan(0);
  expect(pkg.purl.startsWith(`pkg:${pkg.ecosystem}/`)).toBe(true);
  expect(hasControlChar(pkg.name + pkg.version)).toBe(false);
}
