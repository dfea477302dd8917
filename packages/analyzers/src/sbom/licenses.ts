// Sorting licence strings from package metadata into SPDX licence ids, SPDX expressions and free
// text, because CycloneDX and SPDX accept each in different fields. Ids come from the
// `spdx-license-ids` list; expressions are checked with `spdx-expression-parse` (SPDX 2.3 Annex D).
import { createRequire } from "node:module";
import parse from "spdx-expression-parse";

/** One licence string from a package, sorted by what SBOM formats can do with it. */
export type LicenseClass =
  /** A single id from the SPDX licence list, in its canonical case: `MIT`, `GPL-2.0-only`. */
  | { readonly kind: "id"; readonly id: string }
  /**
   * A valid SPDX expression, re-rendered canonically (upper-case operators, single spaces):
   * `MIT OR Apache-2.0`, `GPL-2.0+`. `hasRefs` is set when it names `LicenseRef-`/`DocumentRef-`
   * licences, which an SPDX document must define before it may use them.
   */
  | { readonly kind: "expression"; readonly expression: string; readonly hasRefs: boolean }
  /** Anything else (`GPLv2+`, `MIT License`): the text the metadata gave, trimmed (and capped). */
  | { readonly kind: "name"; readonly name: string };

/**
 * Licence strings longer than this are not parsed as expressions (they are free text). Real
 * expressions are short; this bounds the parser's work on hostile metadata.
 */
export const MAX_EXPRESSION_LENGTH = 512;

/** Free-text licence names are cut to this many characters (with `…`); metadata can hold anything. */
export const MAX_LICENSE_NAME_LENGTH = 1024;

const require = createRequire(import.meta.url);

function loadIds(): Map<string, string> {
  const byLower = new Map<string, string>();
  for (const file of ["spdx-license-ids/index.json", "spdx-license-ids/deprecated.json"]) {
    const list: unknown = require(file);
    if (!Array.isArray(list)) continue;
    for (const id of list) if (typeof id === "string") byLower.set(id.toLowerCase(), id);
  }
  return byLower;
}

// Loaded on first use: importing the analyzers package should not read two JSON files.
let idsByLower: Map<string, string> | undefined;

/** The canonical spelling of an SPDX licence id, matched case-insensitively; undefined if not one. */
export function canonicalLicenseId(text: string): string | undefined {
  idsByLower ??= loadIds();
  return idsByLower.get(text.toLowerCase());
}

const OPERATORS = new Set(["AND", "OR", "WITH"]);

/**
 * Fixes the case of operators and licence ids token by token, since metadata often writes
 * `mit or apache-2.0` and SPDX matches ids case-insensitively while the parser does not.
 */
function canonicalTokens(text: string): string {
  return text
    .split(/(\s+|\(|\))/)
    .map((token) => {
      const upper = token.toUpperCase();
      if (OPERATORS.has(upper)) return upper;
      const id = canonicalLicenseId(token);
      if (id !== undefined) return id;
      if (token.endsWith("+")) {
        const base = canonicalLicenseId(token.slice(0, -1));
        if (base !== undefined) return `${base}+`;
      }
      return token;
    })
    .join("");
}

type Info = parse.Info;

function isConjunction(info: Info): info is parse.ConjunctionInfo {
  return "conjunction" in info;
}

/** Renders a parsed expression back to text; a sub-expression joined differently gets parentheses. */
function render(info: Info, parent: "and" | "or" | undefined, depth: number): string {
  // The parser nests one level per operator, and MAX_EXPRESSION_LENGTH bounds the operators.
  if (depth > MAX_EXPRESSION_LENGTH) throw new Error("expression nested too deeply");
  if (!isConjunction(info)) {
    let text = info.license;
    if (info.plus === true) text += "+";
    if (info.exception !== undefined) text += ` WITH ${info.exception}`;
    return text;
  }
  const own = info.conjunction;
  const text = `${render(info.left, own, depth + 1)} ${own.toUpperCase()} ${render(info.right, own, depth + 1)}`;
  return parent !== undefined && parent !== own ? `(${text})` : text;
}

/** Parses `text` as an SPDX expression and renders it canonically; undefined when it is not one. */
export function normalizeExpression(text: string): string | undefined {
  if (text.length === 0 || text.length > MAX_EXPRESSION_LENGTH) return undefined;
  try {
    return render(parse(canonicalTokens(text)), undefined, 0);
  } catch {
    return undefined;
  }
}

/**
 * Sorts one licence string. Returns undefined for an empty (or all-blank) string.
 * Examples: `mit` → id `MIT`; `MIT or Apache-2.0` → expression `MIT OR Apache-2.0`;
 * `GPLv2+` → name `GPLv2+`.
 */
export function classifyLicense(text: string): LicenseClass | undefined {
  // The same few strings repeat across thousands of packages; parsing is the costly part.
  // Long strings are rare and would make the cache large: they are not kept.
  if (text.length > MAX_EXPRESSION_LENGTH) return classifyUncached(text);
  if (classified.has(text)) return classified.get(text);
  const result = classifyUncached(text);
  if (classified.size >= CLASSIFY_CACHE_SIZE) classified.clear();
  classified.set(text, result);
  return result;
}

const CLASSIFY_CACHE_SIZE = 4096;
const classified = new Map<string, LicenseClass | undefined>();

function classifyUncached(text: string): LicenseClass | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const id = canonicalLicenseId(trimmed);
  if (id !== undefined) return { kind: "id", id };
  const expression = normalizeExpression(trimmed);
  if (expression !== undefined) {
    // `(MIT)` renders as `MIT`: a plain id after all.
    const single = canonicalLicenseId(expression);
    if (single !== undefined) return { kind: "id", id: single };
    return { kind: "expression", expression, hasRefs: /(?:LicenseRef|DocumentRef)-/.test(expression) };
  }
  const name =
    trimmed.length > MAX_LICENSE_NAME_LENGTH ? `${trimmed.slice(0, MAX_LICENSE_NAME_LENGTH)}…` : trimmed;
  return { kind: "name", name };
}
