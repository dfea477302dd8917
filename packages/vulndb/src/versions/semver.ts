// The SemVer 2.0.0 version scheme (npm, crates.io), through the `semver` package (npm's own).
import { SemVer } from "semver";
import { checkLength } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

const NAME = "semver";

/**
 * Parses strict SemVer 2 (a leading `v` or `=` allowed, as npm allows); throws VersionError
 * naming `shown` (defaults to `text`; Go passes the string as the user wrote it).
 */
export function parseSemver(scheme: string, text: string, shown: string = text): SemVer {
  checkLength(scheme, text);
  try {
    // Not loose: loose mode accepts strings npm itself would not publish.
    return new SemVer(text, { loose: false });
  } catch (e) {
    throw new VersionError(scheme, shown, e instanceof Error ? e.message : "not a SemVer version");
  }
}

/** SemVer precedence: build metadata is ignored, as SemVer 2 §10 and npm say. */
export function compareSemver(a: SemVer, b: SemVer): number {
  return a.compare(b);
}

/** SemVer 2 versions (npm, crates.io). */
export const semverScheme: VersionScheme<SemVer> = {
  name: NAME,
  parse: (text) => parseSemver(NAME, text),
  compare: compareSemver,
};
