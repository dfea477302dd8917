import { describe, expect, it } from "vitest";
import { condaPlugin } from "../src/lang/conda.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

const RECORD = {
  build: "pyhd8ed1ab_0",
  build_number: 0,
  channel: "https://conda.anaconda.org/conda-forge/noarch",
  depends: ["python >=3.7", "six >=1.5"],
  license: "Apache-2.0",
  name: "python-dateutil",
  subdir: "noarch",
  version: "2.8.2",
  files: ["lib/python3.11/site-packages/dateutil/__init__.py"],
};

describe("conda needs", () => {
  const needs = compileNeeds(condaPlugin.needs);
  it.each([
    "/opt/conda/conda-meta/python-dateutil-2.8.2-pyhd8ed1ab_0.json",
    "/opt/conda/envs/app/conda-meta/zlib-1.2.13-h5eee18b_0.json",
  ])("matches %s", (path) => expect(needs.matches(entry(path))).toBe(true));
  it.each([
    "/opt/conda/conda-meta/history",
    "/opt/conda/conda-meta/pinned.json",
    "/opt/conda/pkgs/x-1-0.json",
  ])("does not match %s", (path) => expect(needs.matches(entry(path))).toBe(false));
});

describe("conda plugin", () => {
  it("reads name, version and licence", async () => {
    const ctx = memoryContext();
    const path = "/opt/conda/conda-meta/python-dateutil-2.8.2-pyhd8ed1ab_0.json";
    const found = await condaPlugin.analyze([memoryFile(path, JSON.stringify(RECORD))], ctx);
    expect(found.packages).toEqual([
      {
        name: "python-dateutil",
        version: "2.8.2",
        ecosystem: "conda",
        purl: "pkg:conda/python-dateutil@2.8.2",
        source: path,
        licenses: ["Apache-2.0"],
      },
    ]);
  });

  it("warns for truncated, wrong-typed and non-object records", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile("/c/conda-meta/a-1-0.json", JSON.stringify(RECORD).slice(0, 40)),
      memoryFile("/c/conda-meta/b-1-0.json", '{"name":"b","version":1.0}'),
      memoryFile("/c/conda-meta/c-1-0.json", '"just a string"'),
      memoryFile("/c/conda-meta/d-1-0.json", '{"name":"d","version":"1","license":{"x":1}}'),
    ];
    const found = await condaPlugin.analyze(files, ctx);
    expect(found.packages?.map((p) => [p.purl, p.licenses])).toEqual([["pkg:conda/d@1", undefined]]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      "/c/conda-meta/a-1-0.json",
      "/c/conda-meta/b-1-0.json",
      "/c/conda-meta/c-1-0.json",
    ]);
  });
});
