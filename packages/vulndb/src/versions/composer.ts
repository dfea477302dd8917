// The Composer version scheme (Packagist): Composer compares version strings with PHP's
// version_compare (canonical form with '.' between digit and letter runs, special forms
// dev < alpha = a < beta = b < RC = rc < number < pl = p).
import { checkLength, compareDigits } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A version in PHP's canonical form, split at '.'. */
export interface ComposerVersion {
  readonly parts: readonly string[];
}

const NAME = "composer";

const isDigitChar = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isAlnumChar = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** PHP's php_canonicalize_version: '-', '_', '+' and other non-alphanumerics become '.', and
 * a '.' goes between a digit and a non-digit. The first character is kept as it is. */
export function canonicalize(v: string): string {
  if (v === "") return "";
  let out = v[0] as string;
  let prev = v[0] as string;
  for (let i = 1; i < v.length; i++) {
    const c = v[i] as string;
    const last = out[out.length - 1];
    const dig = (x: string): boolean => isDigitChar(x);
    const ndig = (x: string): boolean => !isDigitChar(x) && x !== ".";
    if (c === "-" || c === "_" || c === "+") {
      if (last !== ".") out += ".";
    } else if ((ndig(prev) && dig(c)) || (dig(prev) && ndig(c))) {
      if (last !== ".") out += ".";
      out += c;
    } else if (!isAlnumChar(c)) {
      if (last !== ".") out += ".";
    } else {
      out += c;
    }
    prev = c;
  }
  return out;
}

const FORMS: readonly [string, number][] = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5],
];

// PHP matches a form by prefix (strncmp); anything unknown sorts before "dev".
function formOrder(s: string): number {
  for (const [name, order] of FORMS) if (s.startsWith(name)) return order;
  return -1;
}

function compareForms(a: string, b: string): number {
  return Math.sign(formOrder(a) - formOrder(b));
}

const NUMBER_FORM = canonicalize("#N#").split(".");

function compareParts(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const p = a[i] as string;
    const q = b[i] as string;
    const pd = isDigitChar(p[0]);
    const qd = isDigitChar(q[0]);
    let c: number;
    if (pd && qd) c = compareDigits(leadingDigits(p), leadingDigits(q));
    else if (!pd && !qd) c = compareForms(p, q);
    else c = pd ? compareForms("#N#", q) : compareForms(p, "#N#");
    if (c !== 0) return c;
  }
  if (a.length > n) return isDigitChar(a[n]?.[0]) ? 1 : compareParts(a.slice(n), NUMBER_FORM);
  if (b.length > n) return isDigitChar(b[n]?.[0]) ? -1 : compareParts(NUMBER_FORM, b.slice(n));
  return 0;
}

// strtol reads the leading digits of the element.
function leadingDigits(s: string): string {
  const m = /^[0-9]*/.exec(s);
  return m ? m[0] : "";
}

function parse(text: string): ComposerVersion {
  checkLength(NAME, text);
  // version_compare takes any string; blanks and control characters mean broken input here.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new VersionError(NAME, text, "whitespace or control character");
  // Composer's VersionParser drops a leading "v" or "V" ("v1.2" is release 1.2).
  const bare = /^[vV][0-9]/.test(text) ? text.slice(1) : text;
  return { parts: canonicalize(bare).split(".") };
}

function compare(a: ComposerVersion, b: ComposerVersion): number {
  return compareParts(a.parts, b.parts);
}

/** Composer versions (Packagist), ordered as PHP's version_compare. */
export const composerScheme: VersionScheme<ComposerVersion> = { name: NAME, parse, compare };
