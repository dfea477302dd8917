// Python packages installed from wheels and eggs: core metadata headers in `*.dist-info/METADATA`,
// `*.egg-info/PKG-INFO`, `*.egg-info` (file form) and `EGG-INFO/PKG-INFO`. The format is defined
// at https://packaging.python.org/en/latest/specifications/core-metadata/ (RFC 822 headers).
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach } from "./analyze-each.js";
import { LANG_LIMITS, MiB } from "./limits.js";
import { baseName, parentName } from "./paths.js";
import { addLicense } from "./values.js";

/**
 * `true` for the metadata files of installed distributions (the same set Trivy reads):
 * `X.dist-info/METADATA`, `X.egg-info/PKG-INFO`, a file named `X.egg-info`, `EGG-INFO/PKG-INFO`.
 */
export function isPythonMetadata(entry: Pick<NeedEntry, "path">): boolean {
  const base = baseName(entry.path);
  if (base.endsWith(".egg-info")) return base.length > ".egg-info".length;
  const parent = parentName(entry.path);
  if (base === "METADATA") return parent.endsWith(".dist-info") && parent.length > ".dist-info".length;
  if (base === "PKG-INFO") {
    return parent === "EGG-INFO" || (parent.endsWith(".egg-info") && parent.length > ".egg-info".length);
  }
  return false;
}

/**
 * The header fields of a core metadata file, keys lower-cased, in order. Headers end at the first
 * empty line (the body is the long description). Continuation lines (leading space or tab) are
 * joined to the field they continue with `\n`. Lines that are not `Key: value` are ignored.
 */
export function parseCoreMetadata(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  // Only the header part is split into lines: a long description can be megabytes.
  const head = text.slice(0, LANG_LIMITS.maxHeaderBytes);
  const blank = /\r?\n\r?\n/.exec(head);
  const lines = (blank === null ? head : head.slice(0, blank.index)).split(/\r?\n/);
  let last: { values: string[]; index: number } | undefined;
  for (const line of lines) {
    if (line === "") break;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (last !== undefined) last.values[last.index] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    let values = fields.get(key);
    if (values === undefined) {
      values = [];
      fields.set(key, values);
    }
    values.push(value);
    last = { values, index: values.length - 1 };
  }
  return fields;
}

/**
 * The licences a core metadata file names. `License-Expression` (PEP 639) wins; otherwise the
 * `License ::` classifiers (the last segment, without the `OSI Approved` grouping); otherwise the
 * free-text `License` field when it is one short line (it often holds a whole licence text).
 */
export function pythonLicenses(fields: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  const expression = fields.get("license-expression")?.[0];
  if (expression !== undefined && expression !== "") {
    addLicense(out, expression);
    return out;
  }
  for (const classifier of fields.get("classifier") ?? []) {
    if (!classifier.startsWith("License ::")) continue;
    const parts = classifier.split("::");
    const last = parts[parts.length - 1]?.trim();
    // `License :: OSI Approved` alone is a grouping, not a licence.
    if (last !== undefined && last !== "OSI Approved" && parts.length > 2) addLicense(out, last);
  }
  if (out.length > 0) return out;
  const free = fields.get("license")?.[0];
  if (free !== undefined && !free.includes("\n")) addLicense(out, free);
  return out;
}

/** Installed Python distributions (wheel and egg metadata). purl `pkg:pypi/<normalised name>@v`. */
export const pythonPlugin: AnalyzerPlugin = {
  id: "python",
  version: "1",
  description: "Python packages from dist-info and egg-info metadata",
  database: true,
  needs: [isPythonMetadata],
  access: "whole",
  // Headers come first, but METADATA embeds the long description (READMEs of a few MiB exist).
  maxFileSize: 16 * MiB,
  analyze: (files, ctx) =>
    analyzeEach(files, ctx, "pypi", (text, out) => {
      const fields = parseCoreMetadata(text);
      const name = fields.get("name")?.[0];
      const version = fields.get("version")?.[0];
      if (name === undefined || version === undefined) throw new Error("no Name or Version header");
      // The purl is normalised by packageurl-js as the purl spec says for pypi (lower case, `_`
      // to `-`); the package keeps the name its author wrote.
      out.add({ name, version, purlName: normalizePypiName(name), licenses: pythonLicenses(fields) });
    }),
};

/** A PyPI name as the purl spec wants it: lower case, `_` replaced by `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}
