// Limits and small helpers every version scheme shares: the longest version string accepted, and
// exact comparison of digit runs of any length (versions carry dates and hashes longer than 2^53).
import { VersionError } from "./scheme.js";

/** Longest version string any scheme accepts (characters); longer ones are refused, not truncated. */
export const MAX_VERSION_LENGTH = 1024;

/** Throws {@link VersionError} when `text` is empty or longer than {@link MAX_VERSION_LENGTH}. */
export function checkLength(scheme: string, text: string): void {
  if (text.length === 0) throw new VersionError(scheme, text, "empty");
  if (text.length > MAX_VERSION_LENGTH) {
    throw new VersionError(scheme, text.slice(0, 64), `longer than ${MAX_VERSION_LENGTH} characters`);
  }
}

/** Compares two runs of ASCII digits as numbers of any size (leading zeros ignored). */
export function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

/** -1, 0 or 1 as `a` sorts before, equal to or after `b` by UTF-16 code units (ASCII: bytes). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for an ASCII digit `0`-`9`. */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True for an ASCII letter. */
export function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
