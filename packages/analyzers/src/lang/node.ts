// npm packages installed under node_modules: the `package.json` at each package's root. The
// fields are defined at https://docs.npmjs.com/cli/configuring-npm/package-json.
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { cleanString, isRecord, licensesFromJson } from "./values.js";

/**
 * `true` for `…/node_modules/<name>/package.json` and `…/node_modules/@scope/<name>/package.json`,
 * counted from the last `node_modules` (nested installs and pnpm's `.pnpm/<id>/node_modules/<name>`
 * store each have their own). Files deeper in a package (`rxjs/ajax/package.json` subpath hints,
 * `test/fixtures/package.json`) are not package roots and do not match.
 */
export function isNodeModulesPackageJson(entry: Pick<NeedEntry, "path">): boolean {
  if (!entry.path.endsWith("/package.json")) return false;
  const parts = entry.path.split("/");
  const anchor = parts.lastIndexOf("node_modules");
  if (anchor < 0) return false;
  const name = parts.slice(anchor + 1, -1);
  const [first, second] = name;
  if (first === undefined || first === "") return false;
  // npm names never start with `.` or `_` (`.bin`, `.cache` are tool directories).
  if (name.length === 1) return !/^[._@]/.test(first);
  return name.length === 2 && /^@[^.]/.test(first) && second !== undefined && !/^[._]/.test(second);
}

/** npm's name and purl parts: `@babel/core` is namespace `@babel`, name `core`. */
export function npmNameParts(name: string): { namespace?: string; purlName: string } | undefined {
  if (!name.startsWith("@")) return name.includes("/") ? undefined : { purlName: name };
  const slash = name.indexOf("/");
  if (slash <= 1 || slash === name.length - 1 || name.indexOf("/", slash + 1) >= 0) return undefined;
  return { namespace: name.slice(0, slash), purlName: name.slice(slash + 1) };
}

/** Adds an npm package to `out`; entries with a malformed name count as invalid. */
export function addNpmPackage(
  out: PackageList,
  name: unknown,
  version: unknown,
  licenses: string[] = [],
  relationship?: "root" | "workspace",
): void {
  const clean = cleanString(name);
  const parts = clean === undefined ? undefined : npmNameParts(clean);
  if (parts === undefined) {
    out.add({ name: undefined, version });
    return;
  }
  out.add({
    name: clean,
    version,
    ...parts,
    licenses,
    ...(relationship !== undefined ? { relationship } : {}),
  });
}

/** Licences from a package.json: `license` (string or `{type}`) and the older `licenses` array. */
export function npmLicenses(manifest: Record<string, unknown>): string[] {
  const out = licensesFromJson(manifest.license);
  return licensesFromJson(manifest.licenses, out);
}

/** Packages installed in node_modules. purl `pkg:npm/[%40scope/]name@v`. */
export const nodePlugin: AnalyzerPlugin = {
  id: "node",
  version: "1.0.0",
  description: "npm packages installed under node_modules (package.json of each package)",
  database: true,
  needs: [isNodeModulesPackageJson],
  access: "whole",
  maxFileSize: 4 * MiB,
  analyze: (files, ctx) =>
    analyzeEach(files, ctx, "npm", (text, out) => {
      const manifest = parseJson(text);
      if (!isRecord(manifest)) throw new Error("package.json is not an object");
      // A package root without name and version is a local helper, not a package: skip quietly.
      if (manifest.name === undefined || manifest.version === undefined) return;
      addNpmPackage(out, manifest.name, manifest.version, npmLicenses(manifest));
    }),
};
