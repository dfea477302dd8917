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

/** `true` when a `targets` entry carries something loaded at run time. */
function hasRuntimeAssets(entry: unknown): boolean {
  if (!isRecord(entry)) return false;
  // Present and not null counts, even `{}`: the SDK writes the key only for assets it ships.
  return [entry.runtime, entry.runtimeTargets, entry.native].some((v) => v !== undefined && v !== null);
}

/** `Name/Version` split, or `undefined` when there is no slash. */
function splitKey(key: string): { name: string; version: string } | undefined {
  const slash = key.indexOf("/");
  return slash <= 0 ? undefined : { name: key.slice(0, slash), version: key.slice(slash + 1) };
}

/**
 * Adds the libraries of a deps.json to `out`: types `package`, `runtimepack` and `project`
 * (compared without case). When the runtime target's entry is present, a library is kept only if
 * that entry lists runtime, runtimeTargets or native assets; compile-time-only references (the
 * `Microsoft.NETCore.App` metapackage of old SDKs) are left out, since they are not shipped and
 * would match advisories for code that is not there. A library missing from the target is kept:
 * nothing says it is not loaded. Projects are the application itself: the one no other target
 * entry depends on is `relationship: "root"`, the others `workspace`; with several candidates
 * none is called the root (as Trivy does).
 */
export function parseDepsJson(text: string, out: PackageList): void {
  const doc = parseJson(text);
  if (!isRecord(doc) || !isRecord(doc.libraries)) throw new Error("no `libraries` object");
  const targetName = isRecord(doc.runtimeTarget) ? doc.runtimeTarget.name : undefined;
  const target =
    typeof targetName === "string" && isRecord(doc.targets) ? prop(doc.targets, targetName) : undefined;
  // Target keys, normalised like the library names (`runtimepack.` dropped, case kept).
  const runtime = new Map<string, unknown>();
  const referenced = new Set<string>();
  if (isRecord(target)) {
    for (const [key, entry] of Object.entries(target)) {
      runtime.set(stripRuntimePack(key), entry);
      if (isRecord(entry) && isRecord(entry.dependencies)) {
        for (const [dep, version] of Object.entries(entry.dependencies))
          if (typeof version === "string") referenced.add(`${stripRuntimePack(dep)}/${version}`);
      }
    }
  }
  const projects: { name: string; version: string; key: string }[] = [];
  for (const [rawKey, library] of Object.entries(doc.libraries)) {
    if (!isRecord(library) || typeof library.type !== "string") continue;
    const type = library.type.toLowerCase();
    if (type !== "package" && type !== "runtimepack" && type !== "project") continue;
    const key = stripRuntimePack(rawKey);
    if (isRecord(target) && runtime.has(key) && !hasRuntimeAssets(runtime.get(key))) continue;
    const parts = splitKey(key);
    if (parts === undefined) {
      out.add({ name: undefined, version: undefined });
      continue;
    }
    if (type === "project") projects.push({ ...parts, key });
    else out.add(parts);
  }
  const roots = projects.filter((p) => !referenced.has(p.key));
  const root = roots.length === 1 ? roots[0] : undefined;
  for (const p of projects)
    out.add({ name: p.name, version: p.version, relationship: p === root ? "root" : "workspace" });
}

function stripRuntimePack(key: string): string {
  return key.startsWith(RUNTIME_PACK_PREFIX) ? key.slice(RUNTIME_PACK_PREFIX.length) : key;
}

/** NuGet packages of published .NET apps. purl `pkg:nuget/Name@v`. */
export const dotnetPlugin: AnalyzerPlugin = {
  id: "dotnet",
  version: "1.0.0",
  description: ".NET (NuGet) packages from *.deps.json",
  database: true,
  needs: [isDepsJson],
  access: "whole",
  maxFileSize: 32 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "nuget", parseDepsJson),
};
