// The Go module version scheme: SemVer 2 with an optional `v` (OSV data omits it), Go's
// shorthands `v1` and `v1.2`, pseudo-versions (pre-releases) and `+incompatible` (build
// metadata, ignored in ordering), as golang.org/x/mod/semver orders them.
import type { SemVer } from "semver";
import { checkLength } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";
import { compareSemver, parseSemver } from "./semver.js";

const NAME = "go";

function parse(text: string): SemVer {
  checkLength(NAME, text);
  // node-semver also accepts a leading '=' and surrounding blanks; Go does not.
  if (!/^v?[0-9]/.test(text) || /\s/.test(text))
    throw new VersionError(NAME, text, "not a Go module version");
  const bare = text.startsWith("v") ? text.slice(1) : text;
  // x/mod/semver: "v1" means v1.0.0 and "v1.2" means v1.2.0, without pre-release or build.
  const short = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$/.exec(bare);
  if (short && short[2] === undefined) return parseSemver(NAME, `${bare}.0.0`, text);
  if (short) return parseSemver(NAME, `${bare}.0`, text);
  return parseSemver(NAME, bare, text);
}

/** Go module versions, including pseudo-versions and `+incompatible`. */
export const goScheme: VersionScheme<SemVer> = { name: NAME, parse, compare: compareSemver };
