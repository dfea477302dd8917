// Conda packages: one `conda-meta/<name>-<version>-<build>.json` per package installed in an
// environment (the base one and each of `envs/*`), with `name`, `version` and `license` fields.
// Format: https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/environments.html
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { baseName, parentName } from "./paths.js";
import { isRecord, licensesFromJson } from "./values.js";

/**
 * `true` for `…/conda-meta/<name>-<version>-<build>.json`. Unlike Trivy (which takes only
 * `envs/*`), the base environment's `conda-meta` counts too: many images install there.
 */
export function isCondaMeta(entry: Pick<NeedEntry, "path">): boolean {
  const base = baseName(entry.path);
  if (parentName(entry.path) !== "conda-meta" || !base.endsWith(".json")) return false;
  // Name, version and build, each non-empty (names may hold `-` themselves).
  return (
    base
      .slice(0, -5)
      .split("-")
      .filter((part) => part !== "").length >= 3
  );
}

/** Adds the package a conda-meta record describes to `out`. */
export function parseCondaMeta(text: string, out: PackageList): void {
  const doc = parseJson(text);
  if (!isRecord(doc)) throw new Error("conda-meta record is not an object");
  out.add({ name: doc.name, version: doc.version, licenses: licensesFromJson(doc.license) });
}

/** Conda packages. purl `pkg:conda/name@v`. */
export const condaPlugin: AnalyzerPlugin = {
  id: "conda",
  version: "1.0.0",
  description: "Conda packages from conda-meta/*.json",
  database: true,
  needs: [isCondaMeta],
  access: "whole",
  // A record lists every file of its package: large for big packages (CUDA, MKL, PyTorch).
  maxFileSize: 64 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "conda", parseCondaMeta),
};
