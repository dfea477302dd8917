// .NET packages an application was published with: `<app>.deps.json`, written by the .NET SDK.
// `libraries` maps `Name/Version` to `{type: "package" | "project" | "runtimepack" | …}`; the
// runtime target's `targets` entry lists what is loaded at run time. Format:
// https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";
import { isRecord, prop } from "./values.js";

/** `true` for `…/<name>.deps.json`. */
export function isDepsJson(entry: Pick<NeedEntry, "path">): boolean {
  const base = baseName(entry.path);
  return base.endsWith(".deps.json") && base.length > ".deps.json".length;
}

// Self-contained apps carry the runtime as `runtimepack.Microsoft.NETCore.App.Runtime.linux-x64`;
// its NuGet name has no prefix.
const RUNTIME_PACK_PREFIX = "runtimepack.";

/**
 * Adds the NuGet packages of a deps.json to `out`: libraries of type `package` and `runtimepack`
 * (projects are the app itself). When the runtime target's library list is present, libraries
 * missing from it (compile-time only) are left out.
 */
export function parseDepsJson(text: string, out: PackageList): void {
  const doc = parseJson(text);
  if (!isRecord(doc) || !isRecord(doc.libraries)) throw new Error("no `libraries` object");
  const targetName = isRecord(doc.runtimeTarget) ? doc.runtimeTarget.name : undefined;
  const target =
    typeof targetName === "string" && isRecord(doc.targets) ? prop(doc.targets, targetName) : undefined;
  const runtime = isRecord(target) ? target : undefined;
  for (const [key, library] of Object.entries(doc.libraries)) {
    if (!isRecord(library) || typeof library.type !== "string") continue;
    const type = library.type.toLowerCase();
    if (type !== "package" && type !== "runtimepack") continue;
    if (runtime !== undefined && !Object.hasOwn(runtime, key)) continue;
    const slash = key.indexOf("/");
    if (slash <= 0) {
      out.add({ name: undefined, version: undefined });
      continue;
    }
    let name = key.slice(0, slash);
    if (type === "runtimepack" && name.startsWith(RUNTIME_PACK_PREFIX))
      name = name.slice(RUNTIME_PACK_PREFIX.length);
    out.add({ name, version: key.slice(slash + 1) });
  }
}

/** NuGet packages of published .NET apps. purl `pkg:nuget/Name@v`. */
export const dotnetPlugin: AnalyzerPlugin = {
  id: "dotnet",
  version: "1",
  description: ".NET (NuGet) packages from *.deps.json",
  database: true,
  needs: [isDepsJson],
  access: "whole",
  maxFileSize: 32 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "nuget", parseDepsJson),
};
