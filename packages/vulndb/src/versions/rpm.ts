// The rpm version scheme (Red Hat, Rocky Linux, AlmaLinux, openSUSE, SUSE, Mageia, openEuler):
// [epoch:]version[-release] split as rpm's parseEVR, each part compared with rpmvercmp.
import { checkLength, compareDigits, compareStrings, isAlpha, isDigit } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A parsed rpm EVR. `epoch` is "0" when absent; `release` is undefined when there is no `-`. */
export interface RpmVersion {
  readonly epoch: string;
  readonly version: string;
  readonly release: string | undefined;
}

const NAME = "rpm";

function parse(text: string): RpmVersion {
  checkLength(NAME, text);
  // rpm itself compares almost any string; whitespace and control characters never come from a
  // package header or an advisory, so they mean a broken input and are refused.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new VersionError(NAME, text, "whitespace or control character");
  // As rpm's parseEVR: an epoch is the leading digits (possibly none) followed by ':'; the
  // release is after the last '-' of the rest.
  let d = 0;
  while (d < text.length && isDigit(text.charCodeAt(d))) d++;
  let epoch = "0";
  let rest = text;
  if (text[d] === ":") {
    epoch = d === 0 ? "0" : text.slice(0, d);
    rest = text.slice(d + 1);
  }
  const dash = rest.lastIndexOf("-");
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : undefined;
  return { epoch, version, release };
}

const TILDE = 126;
const CARET = 94;

function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** rpm's rpmvercmp on two bare version (or release) strings. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    // Separators (anything but alphanumerics, '~' and '^') only split segments.
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    // '~' sorts before everything, even the end of the string.
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // '^' sorts after the end of the string but before anything else.
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(ca);
    const same = numeric ? isDigit : isAlpha;
    let ei = i;
    while (ei < a.length && same(at(a, ei))) ei++;
    let ej = j;
    while (ej < b.length && same(at(b, ej))) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    const c = numeric
      ? compareDigits(a.slice(i, ei), b.slice(j, ej))
      : compareStrings(a.slice(i, ei), b.slice(j, ej));
    if (c !== 0) return c;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function compare(a: RpmVersion, b: RpmVersion): number {
  const c = rpmvercmp(a.epoch, b.epoch) || rpmvercmp(a.version, b.version);
  if (c !== 0) return c;
  // As rpm.vercmp: a missing release sorts before any release, even an empty one.
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

/** rpm EVR versions; a missing epoch is 0. */
export const rpmScheme: VersionScheme<RpmVersion> = { name: NAME, parse, compare };
