// NuGet packages a .NET project restored, from the files beside its sources: `packages.lock.json`
// (NuGet lock file: https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files#locking-dependencies),
// `packages.config` (the pre-PackageReference list: https://learn.microsoft.com/nuget/reference/packages-config)
// and `Directory.Packages.props` (central package management: `<PackageVersion Include= Version=>`).
// XML is parsed with fast-xml-parser, entities off (no expansion to blow up).
import { XMLParser } from "fast-xml-parser";
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";
import { isRecord } from "./values.js";

const FILES = new Set(["packages.lock.json", "packages.config", "directory.packages.props"]);

/** `true` for `packages.lock.json`, `packages.config` and `Directory.Packages.props` (any case). */
export function isNugetFile(entry: Pick<NeedEntry, "path">): boolean {
  return FILES.has(baseName(entry.path).toLowerCase());
}

/**
 * packages.lock.json: `dependencies` per target framework, each `Name: {type, resolved}`. Entries
 * of type `Project` are other projects of the solution (no registry version) and are skipped.
 */
export function parsePackagesLock(text: string, out: PackageList): void {
  const doc = parseJson(text);
  if (!isRecord(doc) || !isRecord(doc.dependencies)) throw new Error("no `dependencies` object");
  for (const framework of Object.values(doc.dependencies)) {
    if (!isRecord(framework)) continue;
    for (const [name, dep] of Object.entries(framework)) {
      if (!isRecord(dep) || (typeof dep.type === "string" && dep.type.toLowerCase() === "project")) continue;
      out.add({ name, version: dep.resolved });
    }
  }
}

function xml(text: string): Record<string, unknown> {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    processEntities: false,
    // Every element may repeat: always arrays, so one package and many look alike.
    isArray: (_name, _path, _leaf, isAttribute) => isAttribute !== true,
  });
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch (err) {
    throw new Error(
      `invalid XML: ${err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)}`,
    );
  }
  if (!isRecord(doc)) throw new Error("invalid XML");
  return doc;
}

/** Every element named `name` (case-insensitive) anywhere under `node`, depth-limited. */
function elements(
  node: unknown,
  name: string,
  depth = 0,
  out: Record<string, unknown>[] = [],
): Record<string, unknown>[] {
  if (depth > 32 || out.length > 100_000) return out;
  if (Array.isArray(node)) {
    for (const n of node) elements(n, name, depth + 1, out);
    return out;
  }
  if (!isRecord(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@")) continue;
    if (key.toLowerCase() === name) {
      for (const v of Array.isArray(value) ? value : [value]) if (isRecord(v)) out.push(v);
    }
    elements(value, name, depth + 1, out);
  }
  return out;
}

/** packages.config: `<package id version [developmentDependency]/>`; development ones are skipped. */
export function parsePackagesConfig(text: string, out: PackageList): void {
  for (const p of elements(xml(text), "package")) {
    if (String(p["@developmentDependency"]).toLowerCase() === "true") continue;
    out.add({ name: p["@id"], version: p["@version"] });
  }
}

/** Directory.Packages.props: `<PackageVersion Include Version/>` (versions pinned centrally). */
export function parsePackagesProps(text: string, out: PackageList): void {
  for (const p of elements(xml(text), "packageversion")) {
    const version = p["@Version"] ?? p["@version"];
    // `$(Property)` versions are resolved by MSBuild; we cannot know them.
    if (typeof version === "string" && version.includes("$(")) continue;
    out.add({ name: p["@Include"] ?? p["@include"], version });
  }
}

/** NuGet packages from lock files, packages.config and central package versions. purl `pkg:nuget/Name@v`. */
export const nugetPlugin: AnalyzerPlugin = {
  id: "nuget",
  version: "1.0.0",
  description: "NuGet packages from packages.lock.json, packages.config and Directory.Packages.props",
  needs: [isNugetFile],
  access: "whole",
  maxFileSize: 32 * MiB,
  analyze: (files, ctx) =>
    analyzeEach(files, ctx, "nuget", (text, out, file) => {
      const base = baseName(file.path).toLowerCase();
      if (base === "packages.lock.json") parsePackagesLock(text, out);
      else if (base === "packages.config") parsePackagesConfig(text, out);
      else parsePackagesProps(text, out);
    }),
};
