// The Composer version scheme (Packagist): Composer compares version strings with PHP's
// version_compare (canonical form with '.' between digit and letter runs, special forms
// dev < alpha = a < beta = b < RC = rc < number < pl = p).
import { checkLength, compareDigits } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A Composer version: the string PHP's version_compare is given (leading "v" dropped). */
export interface ComposerVersion {
  readonly text: string;
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

// PHP reads a numeric element with strtol: leading digits, saturated at LONG_MAX.
const LONG_MAX = "9223372036854775807";
function strtol(s: string): string {
  const m = /^[0-9]*/.exec(s);
  const d = m ? m[0] : "";
  return compareDigits(d, LONG_MAX) > 0 ? LONG_MAX : d;
}

function compareElements(p: string, q: string): number {
  const pd = isDigitChar(p[0]);
  const qd = isDigitChar(q[0]);
  if (pd && qd) return compareDigits(strtol(p), strtol(q));
  if (!pd && !qd) return compareForms(p, q);
  return pd ? compareForms("#N#", q) : compareForms(p, "#N#");
}

/**
 * PHP's php_version_compare, step for step: elements between '.' compared in turn; when one
 * side still has an element (even an empty one after a trailing '.') it decides, a number
 * winning and a name compared against "#N#". This is why PHP orders "1." before "1.".
 */
export function phpVersionCompare(v1: string, v2: string): number {
  if (v1 === "" || v2 === "") return v1 === v2 ? 0 : v1 !== "" ? 1 : -1;
  const s1 = v1.startsWith("#") ? v1 : canonicalize(v1);
  const s2 = v2.startsWith("#") ? v2 : canonicalize(v2);
  let p1 = 0;
  let p2 = 0;
  let n1: number | null = 0;
  let n2: number | null = 0;
  let compare = 0;
  while (p1 < s1.length && p2 < s2.length && n1 !== null && n2 !== null) {
    const d1 = s1.indexOf(".", p1);
    const d2 = s2.indexOf(".", p2);
    n1 = d1 >= 0 ? d1 : null;
    n2 = d2 >= 0 ? d2 : null;
    compare = compareElements(s1.slice(p1, n1 ?? s1.length), s2.slice(p2, n2 ?? s2.length));
    if (compare !== 0) break;
    if (n1 !== null) p1 = n1 + 1;
    if (n2 !== null) p2 = n2 + 1;
  }
  if (compare === 0) {
    if (n1 !== null) {
      const rest = s1.slice(p1);
      compare = isDigitChar(rest[0]) ? 1 : phpVersionCompare(rest, "#N#");
    } else if (n2 !== null) {
      const rest = s2.slice(p2);
      compare = isDigitChar(rest[0]) ? -1 : phpVersionCompare("#N#", rest);
    }
  }
  return compare;
}

function parse(text: string): ComposerVersion {
  checkLength(NAME, text);
  // version_compare takes any string, but Composer versions are printable ASCII (PHP works on
  // bytes, this code on UTF-16 units: outside ASCII the two could split differently).
  if (!/^[\x21-\x7e]+$/.test(text)) throw new VersionError(NAME, text, "not printable ASCII");
  // PHP orders a version whose canonical form ends in '.' (a trailing separator or symbol, as in
  // "1.0." or "1.2.3.#") before itself, so no ordering of it is PHP's: refused.
  if (canonicalize(text).endsWith(".")) throw new VersionError(NAME, text, "ends in a separator");
  // '#' is PHP's internal marker for "a number": an element starting with it equals every
  // number, which makes the order intransitive ("#" = "0" and "#" = "10").
  if (text.includes("#")) throw new VersionError(NAME, text, "contains '#'");
  // Composer's VersionParser drops a leading "v" or "V" ("v1.2" is release 1.2).
  return { text: /^[vV][0-9]/.test(text) ? text.slice(1) : text };
}

function compare(a: ComposerVersion, b: ComposerVersion): number {
  return phpVersionCompare(a.text, b.text);
}

/** Composer versions (Packagist), ordered as PHP's version_compare. */
export const composerScheme: VersionScheme<ComposerVersion> = { name: NAME, parse, compare };
