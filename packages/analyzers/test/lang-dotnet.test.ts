import { describe, expect, it } from "vitest";
import { dotnetPlugin } from "../src/lang/dotnet.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });
const PATH = "/app/MyApp.deps.json";

const DEPS = {
  runtimeTarget: { name: ".NETCoreApp,Version=v8.0/linux-x64", signature: "" },
  compilationOptions: {},
  targets: {
    ".NETCoreApp,Version=v8.0": {},
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "MyApp/1.0.0": { dependencies: { "Newtonsoft.Json": "13.0.3" }, runtime: { "MyApp.dll": {} } },
      "Newtonsoft.Json/13.0.3": { runtime: { "lib/net6.0/Newtonsoft.Json.dll": {} } },
      "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.2": { runtime: {} },
      // A compile-time metapackage: listed under the runtime target, but nothing loaded.
      "Microsoft.NETCore.App/1.1.2": { dependencies: { "Newtonsoft.Json": "13.0.3" } },
    },
  },
  libraries: {
    "MyApp/1.0.0": { type: "project", serviceable: false, sha512: "" },
    "Newtonsoft.Json/13.0.3": {
      type: "package",
      serviceable: true,
      sha512: "sha512-x",
      path: "newtonsoft.json/13.0.3",
    },
    "Microsoft.SourceLink.GitHub/8.0.0": { type: "package", serviceable: true },
    "Microsoft.NETCore.App/1.1.2": { type: "package", serviceable: true },
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.2": { type: "runtimepack", serviceable: false },
  },
};

describe("dotnet needs", () => {
  const needs = compileNeeds(dotnetPlugin.needs);
  it("matches *.deps.json only", () => {
    expect(needs.matches(entry(PATH))).toBe(true);
    expect(needs.matches(entry("/app/.deps.json"))).toBe(false);
    expect(needs.matches(entry("/app/MyApp.runtimeconfig.json"))).toBe(false);
    expect(needs.matches(entry("/app/MyApp.deps.json.bak"))).toBe(false);
  });
});

describe("dotnet plugin", () => {
  it("keeps runtime packages, the runtime pack and the project (as root); drops compile-only packages", async () => {
    const ctx = memoryContext();
    const found = await dotnetPlugin.analyze([memoryFile(PATH, JSON.stringify(DEPS))], ctx);
    expect(found.packages).toEqual([
      {
        name: "Newtonsoft.Json",
        version: "13.0.3",
        ecosystem: "nuget",
        purl: "pkg:nuget/Newtonsoft.Json@13.0.3",
        source: PATH,
      },
      // Missing from the runtime target: nothing says it is not loaded, so it is kept (as Trivy).
      {
        name: "Microsoft.SourceLink.GitHub",
        version: "8.0.0",
        ecosystem: "nuget",
        purl: "pkg:nuget/Microsoft.SourceLink.GitHub@8.0.0",
        source: PATH,
      },
      {
        name: "Microsoft.NETCore.App.Runtime.linux-x64",
        version: "8.0.2",
        ecosystem: "nuget",
        purl: "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.2",
        source: PATH,
      },
      {
        name: "MyApp",
        version: "1.0.0",
        ecosystem: "nuget",
        purl: "pkg:nuget/MyApp@1.0.0",
        source: PATH,
        relationship: "root",
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("without the runtime target's list, takes every package", async () => {
    const ctx = memoryContext();
    const { targets: _, ...noTargets } = DEPS;
    const found = await dotnetPlugin.analyze([memoryFile(PATH, JSON.stringify(noTargets))], ctx);
    expect(found.packages?.map((p) => p.name)).toContain("Microsoft.SourceLink.GitHub");
  });

  it("ignores inherited keys such as a runtime target named `constructor`", async () => {
    const ctx = memoryContext();
    const doc = { runtimeTarget: { name: "constructor" }, targets: {}, libraries: DEPS.libraries };
    const found = await dotnetPlugin.analyze([memoryFile(PATH, JSON.stringify(doc))], ctx);
    expect(found.packages).toHaveLength(5);
  });

  it("several projects none depends on: no root, all workspace (ambiguous, as Trivy)", async () => {
    const ctx = memoryContext();
    const doc = {
      libraries: { "Web/1.0.0": { type: "project" }, "Worker/1.0.0": { type: "Project" } },
    };
    const found = await dotnetPlugin.analyze([memoryFile(PATH, JSON.stringify(doc))], ctx);
    expect(found.packages?.map((p) => [p.name, p.relationship])).toEqual([
      ["Web", "workspace"],
      ["Worker", "workspace"],
    ]);
  });

  it("warns for bad shapes and keys", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile("/a/A.deps.json", '{"libraries": []}'),
      memoryFile(
        "/b/B.deps.json",
        '{"libraries": {"NoVersion": {"type": "package"}, "X/": {"type": "package"}}}',
      ),
      memoryFile("/c/C.deps.json", "\u0000\u0001"),
    ];
    const found = await dotnetPlugin.analyze(files, ctx);
    expect(found.packages).toEqual([]);
    expect(ctx.warnings.map((w) => w.path)).toEqual(["/a/A.deps.json", "/b/B.deps.json", "/c/C.deps.json"]);
  });
});
