// PHP packages installed by Composer: `vendor/composer/installed.json`, a JSON array of packages
// (Composer 1) or `{"packages": [...]}` (Composer 2). Schema: https://getcomposer.org/doc/04-schema.md
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { cleanString, isRecord, licensesFromJson } from "./values.js";

/** `true` for `…/vendor/composer/installed.json`. */
export function isComposerInstalled(entry: Pick<NeedEntry, "path">): boolean {
  return entry.path.endsWith("/vendor/composer/installed.json");
}

/** Adds the packages of an installed.json (either Composer version) to `out`. */
export function parseComposerInstalled(text: string, out: PackageList): void {
  const doc = parseJson(text);
  const list = Array.isArray(doc) ? doc : isRecord(doc) ? doc.packages : undefined;
  if (!Array.isArray(list)) throw new Error("neither a package array nor an object with `packages`");
  for (const entry of list) {
    if (!isRecord(entry)) {
      out.add({ name: undefined, version: undefined });
      continue;
    }
    // Composer names are `vendor/name`: the vendor is the purl namespace.
    const name = cleanString(entry.name);
    const slash = name?.indexOf("/") ?? -1;
    if (name === undefined || slash <= 0 || slash === name.length - 1) {
      out.add({ name: undefined, version: entry.version });
      continue;
    }
    out.add({
      name,
      version: entry.version,
      namespace: name.slice(0, slash),
      purlName: name.slice(slash + 1),
      licenses: licensesFromJson(entry.license),
    });
  }
}

/** PHP packages installed by Composer. purl `pkg:composer/vendor/name@v`. */
export const phpPlugin: AnalyzerPlugin = {
  id: "php",
  version: "1.0.0",
  description: "PHP packages from Composer's vendor/composer/installed.json",
  database: true,
  needs: [isComposerInstalled],
  access: "whole",
  maxFileSize: 32 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "composer", parseComposerInstalled),
};
