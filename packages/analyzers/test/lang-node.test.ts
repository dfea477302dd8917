import { describe, expect, it } from "vitest";
import { nodePlugin, npmNameParts } from "../src/lang/node.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

describe("node needs", () => {
  const needs = compileNeeds(nodePlugin.needs);
  it.each([
    "/app/node_modules/express/package.json",
    "/app/node_modules/@babel/core/package.json",
    "/app/node_modules/a/node_modules/b/package.json",
    "/app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
    "/usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json",
  ])("matches %s", (path) => expect(needs.matches(entry(path))).toBe(true));
  it.each([
    "/app/package.json",
    "/app/node_modules/package.json",
    "/app/node_modules/express/test/fixtures/package.json",
    "/app/node_modules/rxjs/ajax/package.json",
    "/app/node_modules/@angular/core/testing/package.json",
    "/app/node_modules/@babel/package.json",
    "/app/node_modules/.bin/package.json",
    "/app/node_modules/express/package.json.orig",
    "/app/node_modules/express/xpackage.json",
  ])("does not match %s", (path) => expect(needs.matches(entry(path))).toBe(false));
});

describe("npmNameParts", () => {
  it("splits scoped names and refuses malformed ones", () => {
    expect(npmNameParts("@babel/core")).toEqual({ namespace: "@babel", purlName: "core" });
    expect(npmNameParts("lodash")).toEqual({ purlName: "lodash" });
    for (const bad of ["@/x", "@babel", "@babel/", "a/b", "@a/b/c"])
      expect(npmNameParts(bad)).toBeUndefined();
  });
});

describe("node plugin", () => {
  it("reads name, version and each licence form", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile(
        "/app/node_modules/@babel/core/package.json",
        JSON.stringify({ name: "@babel/core", version: "7.24.0", license: "MIT", main: "./lib/index.js" }),
      ),
      memoryFile(
        "/app/node_modules/old/package.json",
        JSON.stringify({ name: "old", version: "0.1.0", license: { type: "BSD-3-Clause", url: "x" } }),
      ),
      memoryFile(
        "/app/node_modules/older/package.json",
        JSON.stringify({ name: "older", version: "1.0.0", licenses: [{ type: "MIT" }, "Apache-2.0", 7] }),
      ),
    ];
    const found = await nodePlugin.analyze(files, ctx);
    expect(found.packages).toEqual([
      {
        name: "@babel/core",
        version: "7.24.0",
        ecosystem: "npm",
        purl: "pkg:npm/%40babel/core@7.24.0",
        source: "/app/node_modules/@babel/core/package.json",
        licenses: ["MIT"],
      },
      {
        name: "old",
        version: "0.1.0",
        ecosystem: "npm",
        purl: "pkg:npm/old@0.1.0",
        source: "/app/node_modules/old/package.json",
        licenses: ["BSD-3-Clause"],
      },
      {
        name: "older",
        version: "1.0.0",
        ecosystem: "npm",
        purl: "pkg:npm/older@1.0.0",
        source: "/app/node_modules/older/package.json",
        licenses: ["MIT", "Apache-2.0"],
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("skips manifests without name or version quietly", async () => {
    const ctx = memoryContext();
    const found = await nodePlugin.analyze(
      [memoryFile("/n/node_modules/x/package.json", '{"type":"module","sideEffects":false}')],
      ctx,
    );
    expect(found.packages).toEqual([]);
    expect(ctx.warnings).toEqual([]);
  });

  it("turns hostile manifests into warnings and keeps the good ones", async () => {
    const ctx = memoryContext();
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const files = [
      memoryFile("/n/node_modules/a/package.json", '{"name":"a","version":"1.0.'),
      memoryFile("/n/node_modules/b/package.json", '{"name":"b","version":1e999}'),
      memoryFile("/n/node_modules/c/package.json", '{"name":["c"],"version":"1.0.0"}'),
      memoryFile("/n/node_modules/d/package.json", deep),
      memoryFile("/n/node_modules/e/package.json", `{"name":"${"e".repeat(10_000)}","version":"1"}`),
      memoryFile("/n/node_modules/f/package.json", '{"name":"a/b/c","version":"1"}'),
      memoryFile("/n/node_modules/g/package.json", '{"name":"g","version":"2.0.0","license":{"type":null}}'),
    ];
    const found = await nodePlugin.analyze(files, ctx);
    expect(found.packages?.map((p) => [p.purl, p.licenses])).toEqual([["pkg:npm/g@2.0.0", undefined]]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      "/n/node_modules/a/package.json",
      "/n/node_modules/b/package.json",
      "/n/node_modules/c/package.json",
      "/n/node_modules/d/package.json",
      "/n/node_modules/e/package.json",
      "/n/node_modules/f/package.json",
    ]);
    expect(ctx.warnings[0]?.message).toMatch(/invalid JSON/);
  });
});
