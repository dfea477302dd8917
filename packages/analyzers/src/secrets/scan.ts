// Runs secret rules over text and reports each hit with its line and a masked excerpt: the secret
// itself never leaves this module in clear.
import type { Secret } from "../findings.js";
import { BUILTIN_SECRET_RULES, type SecretRule } from "./rules.js";

/** Hits reported per text (one file, or one config string); the rest are counted in a note. */
export const MAX_SECRETS_PER_FILE = 100;
/** Longest `match` excerpt reported. */
const MAX_EXCERPT = 200;
/** Asterisks that stand for a secret, however long it is. */
const MAX_MASK = 16;

/**
 * `text` with its `secret` part replaced by asterisks (as many as the secret has characters, at
 * most 16), cut to 200 characters and to one line.
 */
export function maskMatch(whole: string, secretStart: number, secretEnd: number): string {
  const masked =
    whole.slice(0, secretStart) +
    "*".repeat(Math.min(MAX_MASK, secretEnd - secretStart)) +
    whole.slice(secretEnd);
  const oneLine = masked.replace(/\s+/g, " ");
  return oneLine.length > MAX_EXCERPT ? `${oneLine.slice(0, MAX_EXCERPT - 3)}...` : oneLine;
}

/** Finds the 1-based line of a string index; the newline index is built on first use. */
function lineFinder(text: string): (index: number) => number {
  let starts: number[] | undefined;
  return (index) => {
    if (starts === undefined) {
      starts = [];
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i);
    }
    // Count newlines before `index` by binary search.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] ?? 0) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/** What {@link scanText} found. */
export interface TextScan {
  readonly secrets: Secret[];
  /** Hits beyond {@link MAX_SECRETS_PER_FILE}, not reported. */
  readonly dropped: number;
}

/**
 * Runs `rules` (default: the built-in set) over `text` and reports hits against `path`, sorted by
 * line. `lineBase` is added to every line (for texts that are one line of something larger).
 */
export function scanText(
  text: string,
  path: string,
  rules: readonly SecretRule[] = BUILTIN_SECRET_RULES,
  lineBase = 0,
): TextScan {
  const lower = text.toLowerCase();
  const lineOf = lineFinder(text);
  const secrets: Secret[] = [];
  let dropped = 0;
  for (const r of rules) {
    if (!r.keywords.some((k) => lower.includes(k))) continue;
    for (const m of text.matchAll(r.regex)) {
      const span = m.indices?.groups?.secret;
      if (span === undefined) continue;
      if (secrets.length >= MAX_SECRETS_PER_FILE) {
        dropped++;
        continue;
      }
      const start = m.index;
      secrets.push({
        ruleId: r.id,
        title: r.title,
        severity: r.severity,
        path,
        line: lineOf(span[0]) + lineBase,
        match: maskMatch(m[0], span[0] - start, span[1] - start),
      });
    }
  }
  secrets.sort((a, b) => a.line - b.line);
  return { secrets, dropped };
}
