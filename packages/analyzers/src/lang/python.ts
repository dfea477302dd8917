// Python packages installed from wheels and eggs: core metadata headers in `*.dist-info/METADATA`,
// `*.egg-info/PKG-INFO`, `*.egg-info` (file form) and `EGG-INFO/PKG-INFO`. The format is defined
// at https://packaging.python.org/en/latest/specifications/core-metadata/ (RFC 822 headers). A
// zipped `.egg` holds the same headers in its `EGG-INFO/PKG-INFO` entry.
import { readCentralDirectory, readEntry } from "../java/zip.js";
import type { AnalyzerPlugin, MatchedFile, NeedEntry } from "../plugin.js";
import { analyzeEach } from "./analyze-each.js";
import { LANG_LIMITS, MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
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

/** `true` for a zipped egg (`kitchen-1.2.6-py2.7.egg`), whose metadata is `EGG-INFO/PKG-INFO` inside. */
export function isZippedEgg(entry: Pick<NeedEntry, "path">): boolean {
  const base = baseName(entry.path);
  return base.endsWith(".egg") && base.length > ".egg".length;
}

function addDistribution(text: string, out: PackageList): void {
  const fields = parseCoreMetadata(text);
  const name = fields.get("name")?.[0];
  const version = fields.get("version")?.[0];
  if (name === undefined || version === undefined) throw new Error("no Name or Version header");
  // The purl is normalised by packageurl-js as the purl spec says for pypi (lower case, `_`
  // to `-`); the package keeps the name its author wrote.
  out.add({ name, version, purlName: normalizePypiName(name), licenses: pythonLicenses(fields) });
}

/**
 * The `EGG-INFO/PKG-INFO` of a zipped egg, read by range: the zip's end record, its central
 * directory and that one entry, whatever the egg's size.
 */
async function zippedEggMetadata(file: MatchedFile): Promise<string> {
  const entries = await readCentralDirectory(file);
  const entry = entries.find((e) => e.name === "EGG-INFO/PKG-INFO");
  if (entry === undefined) throw new Error("no EGG-INFO/PKG-INFO in the egg");
  return new TextDecoder().decode(await readEntry(file, entry, LANG_LIMITS.maxHeaderBytes * 16));
}

/**
 * Installed Python distributions (wheel and egg metadata, zipped eggs). purl
 * `pkg:pypi/<normalised name>@v`. Range access so that a zipped egg costs its directory and one
 * entry; the metadata files are still read whole, 16 at a time, so that their chunk reads reach
 * the blob source together.
 */
export const pythonPlugin: AnalyzerPlugin = {
  id: "python",
  version: "2.0.0",
  description: "Python packages from dist-info and egg-info metadata, and zipped eggs",
  database: true,
  needs: [isPythonMetadata, isZippedEgg],
  access: "range",
  // Headers come first, but METADATA embeds the long description (READMEs of a few MiB exist).
  maxFileSize: 16 * MiB,
  analyze: async (files, ctx) => {
    const texts = new Map<MatchedFile, Promise<string>>();
    const textOf = (file: MatchedFile): Promise<string> =>
      isZippedEgg(file) && !isPythonMetadata(file) ? zippedEggMetadata(file) : file.text();
    // Start up to 16 reads ahead of the parser, in file order.
    let next = 0;
    const fill = (): void => {
      while (next < files.length && texts.size < 16) {
        const f = files[next++] as MatchedFile;
        const p = textOf(f);
        p.catch(() => {}); // awaited below; this only keeps an early rejection from being unhandled
        texts.set(f, p);
      }
    };
    return analyzeEach(
      files,
      ctx,
      "pypi",
      async (_text, out, file) => {
        fill();
        const text = texts.get(file) ?? textOf(file);
        texts.delete(file);
        fill();
        addDistribution(await text, out);
      },
      { readText: false },
    );
  },
};

/** A PyPI name as the purl spec wants it: lower case, `_` replaced by `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}
