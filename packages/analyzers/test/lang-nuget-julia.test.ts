import { describe, expect, it } from "vitest";
import { juliaPlugin } from "../src/lang/julia.js";
import { nugetPlugin } from "../src/lang/nuget.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

describe("nuget plugin", () => {
  it("matches the three NuGet files only", () => {
    const needs = compileNeeds(nugetPlugin.needs);
    for (const p of ["/src/App/packages.lock.json", "/src/packages.config", "/src/Directory.Packages.props"])
      expect(needs.matches(entry(p))).toBe(true);
    expect(needs.matches(entry("/src/App.csproj"))).toBe(false);
  });

  it("reads packages.lock.json (projects skipped), packages.config (development skipped) and central versions", async () => {
    const ctx = memoryContext();
    const lock = {
      version: 1,
      dependencies: {
        "net8.0": {
          "Newtonsoft.Json": { type: "Direct", requested: "[13.0.3, )", resolved: "13.0.3" },
          "System.Memory": { type: "Transitive", resolved: "4.5.5" },
          Shared: { type: "Project" },
        },
      },
    };
    const config = `<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="jQuery" version="3.1.1" targetFramework="net46" />
  <package id="StyleCop" version="1.0.0" developmentDependency="true" />
</packages>`;
    const props = `<Project><ItemGroup>
  <PackageVersion Include="Serilog" Version="3.1.1" />
  <PackageVersion Include="Dynamic" Version="$(SerilogVersion)" />
</ItemGroup></Project>`;
    const found = await nugetPlugin.analyze(
      [
        memoryFile("/a/packages.lock.json", JSON.stringify(lock)),
        memoryFile("/b/packages.config", config),
        memoryFile("/c/Directory.Packages.props", props),
        memoryFile("/d/packages.config", "<packages><package"),
      ],
      ctx,
    );
    expect(found.packages?.map((p) => p.purl)).toEqual([
      "pkg:nuget/Newtonsoft.Json@13.0.3",
      "pkg:nuget/System.Memory@4.5.5",
      "pkg:nuget/jQuery@3.1.1",
      "pkg:nuget/Serilog@3.1.1",
    ]);
    expect(ctx.warnings.map((w) => w.path)).toEqual(["/d/packages.config"]);
  });
});

describe("julia plugin", () => {
  it("reads format 2.0 and 1.0 manifests; standard libraries (no version) are left out", async () => {
    const v2 = `julia_version = "1.10.0"
manifest_format = "2.0"

[[deps.JSON]]
deps = ["Dates"]
git-tree-sha1 = "abc"
uuid = "682c06a0-de6a-54ab-a142-c8b1cf79cde6"
version = "0.21.4"

[[deps.Dates]]
uuid = "ade2ca70-3891-5945-98fb-dc099432e06a"
`;
    const v1 = `[[Parsers]]
uuid = "69de0a69-1ddd-5017-9359-2bf0b02dc9f0"
version = "2.8.1"
`;
    const ctx = memoryContext();
    const found = await juliaPlugin.analyze(
      [memoryFile("/app/Manifest.toml", v2), memoryFile("/old/Manifest.toml", v1)],
      ctx,
    );
    expect(found.packages?.map((p) => p.purl)).toEqual(["pkg:julia/JSON@0.21.4", "pkg:julia/Parsers@2.8.1"]);
    expect(ctx.warnings).toEqual([]);
  });
});
