// The Pub version scheme (Dart's pub_semver): SemVer-shaped, but numeric identifiers may have
// leading zeros and build metadata takes part in ordering (1.0.0 < 1.0.0+1 < 1.0.0+2).
import { checkLength, compareDigits, compareStrings } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A parsed Pub version. */
export interface PubVersion {
  readonly core: readonly [string, string, string];
  readonly pre: readonly string[];
  readonly build: readonly string[];
}

const NAME = "pub";
const PATTERN =
  /^([0-9]+)\.([0-9]+)\.([0-9]+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function parse(text: string): PubVersion {
  checkLength(NAME, text);
  const m = PATTERN.exec(text);
  if (m === null) throw new VersionError(NAME, text, "not MAJOR.MINOR.PATCH[-pre][+build]");
  return {
    core: [m[1] as string, m[2] as string, m[3] as string],
    pre: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] === undefined ? [] : m[5].split("."),
  };
}

// pub_semver: numeric parts before string parts, numbers numerically, strings ordinally; a
// longer list is greater when the shorter is its prefix.
function compareParts(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    const c = xn && yn ? compareDigits(x, y) : xn ? -1 : yn ? 1 : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

function compare(a: PubVersion, b: PubVersion): number {
  for (let i = 0; i < 3; i++) {
    const c = compareDigits(a.core[i] as string, b.core[i] as string);
    if (c !== 0) return c;
  }
  // A pre-release sorts before its release; build metadata sorts after it.
  if (a.pre.length === 0 || b.pre.length === 0) {
    if (a.pre.length !== b.pre.length) return a.pre.length === 0 ? 1 : -1;
  } else {
    const c = compareParts(a.pre, b.pre);
    if (c !== 0) return c;
  }
  if (a.build.length === 0 || b.build.length === 0) {
    return a.build.length === b.build.length ? 0 : a.build.length === 0 ? -1 : 1;
  }
  return compareParts(a.build, b.build);
}

/** Pub versions (pub_semver ordering). */
export const pubScheme: VersionScheme<PubVersion> = { name: NAME, parse, compare };
