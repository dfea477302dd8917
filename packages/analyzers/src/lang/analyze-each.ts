// The loop every language analyzer shares: parse each matched file on its own, turn a bad file
// into a warning, and gather the packages of the good ones.
import type { Ecosystem, Findings, Package } from "../findings.js";
import type { AnalyzerContext, MatchedFile } from "../plugin.js";
import { LANG_LIMITS } from "./limits.js";
import { PackageList } from "./package-list.js";
import { hasControlChar } from "./values.js";

/** Parses one file's text into `out`; throws (or calls `ctx.warn`) on bad input. */
export type FileParser = (
  text: string,
  out: PackageList,
  file: MatchedFile,
  ctx: AnalyzerContext,
) => void | Promise<void>;

/** Options for {@link analyzeEach}. */
export interface AnalyzeEachOptions {
  /**
   * Warn when a file gave entries without a usable name or version. Default `true`; off for
   * ecosystems where such files are normal (npm subpath helpers).
   */
  readonly warnInvalid?: boolean;
  /**
   * Read each file's text before calling the parser. Default `true`; `false` hands the parser
   * `""` and leaves reading to it (range plugins that read part of a file).
   */
  readonly readText?: boolean;
}

/**
 * Runs `parse` on every file, each with its own {@link PackageList}. An error thrown for one file
 * becomes `ctx.warn(message, path)` and the other files are still read.
 */
export async function analyzeEach(
  files: readonly MatchedFile[],
  ctx: AnalyzerContext,
  ecosystem: Ecosystem,
  parse: FileParser,
  options: AnalyzeEachOptions = {},
): Promise<Findings> {
  const packages: Package[] = [];
  for (const file of files) {
    ctx.signal?.throwIfAborted();
    const out = new PackageList(ecosystem, file.path);
    try {
      await parse(options.readText === false ? "" : await file.text(), out, file, ctx);
    } catch (err) {
      ctx.warn(`cannot parse ${ecosystem} metadata: ${errorMessage(err)}`, file.path);
    }
    if (out.invalid > 0 && options.warnInvalid !== false) {
      ctx.warn(`skipped ${out.invalid} entries without a usable name and version`, file.path);
    }
    if (out.dropped > 0) {
      ctx.warn(`more than ${LANG_LIMITS.maxPackagesPerFile} packages: ${out.dropped} dropped`, file.path);
    }
    // Packages parsed before an error are kept: a truncated file still tells what it listed.
    for (const pkg of out.packages()) packages.push(pkg);
  }
  return { packages };
}

/** Parses JSON text, with a message that says what was wrong (V8's own, shortened). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON: ${errorMessage(err)}`);
  }
}

function errorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // V8 quotes a slice of the input in its messages; keep warnings one short line.
  let clean = "";
  for (const ch of msg.slice(0, 200)) clean += hasControlChar(ch) ? " " : ch;
  return clean;
}
