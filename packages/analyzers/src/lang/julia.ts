// Julia packages from `Manifest.toml` (Pkg's resolved environment). Format 2.0 (Julia 1.7+) keeps
// them under `[[deps.<Name>]]`; format 1.0 has `[[<Name>]]` at the top level. Each entry has `uuid`
// and, for registered packages, `version`; standard libraries have none and are not reported.
// https://pkgdocs.julialang.org/v1/toml-files/#Manifest.toml
import { parse as parseToml } from "smol-toml";
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";
import { isRecord } from "./values.js";

/** `true` for `Manifest.toml` and versioned `Manifest-v1.11.toml`. */
export function isJuliaManifest(entry: Pick<NeedEntry, "path">): boolean {
  return /^(?:Julia)?Manifest(?:-v\d+\.\d+)?\.toml$/.test(baseName(entry.path));
}

/** Adds every versioned package of a Manifest.toml to `out`. */
export function parseJuliaManifest(text: string, out: PackageList): void {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `invalid TOML: ${err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)}`,
    );
  }
  const v2 = typeof doc.manifest_format === "string" && isRecord(doc.deps);
  const deps = v2 ? (doc.deps as Record<string, unknown>) : doc;
  for (const [name, entries] of Object.entries(deps)) {
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (!isRecord(e) || typeof e.uuid !== "string") continue;
      // No version: a standard library (it goes with the Julia version) or a path-tracked package.
      if (e.version === undefined) continue;
      out.add({ name, version: e.version });
    }
  }
}

/** Julia packages from Manifest.toml. purl `pkg:julia/Name@v`. */
export const juliaPlugin: AnalyzerPlugin = {
  id: "julia",
  version: "1.0.0",
  description: "Julia packages from Manifest.toml",
  needs: [isJuliaManifest],
  access: "whole",
  maxFileSize: 16 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "julia", parseJuliaManifest),
};
