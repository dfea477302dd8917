// The Hex version scheme (Elixir's Version): strict SemVer 2 with no `v` or `=` prefix; build
// metadata is ignored in ordering, pre-releases compare as SemVer says.
import type { SemVer } from "semver";
import { checkLength } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";
import { compareSemver, parseSemver } from "./semver.js";

const NAME = "hex";

function parse(text: string): SemVer {
  checkLength(NAME, text);
  // node-semver also takes "v1.2.3", "=1.2.3" and blanks around; Elixir's Version.parse does not.
  if (!/^[0-9]/.test(text) || /\s/.test(text)) throw new VersionError(NAME, text, "not a SemVer version");
  return parseSemver(NAME, text);
}

/** Hex versions (Elixir's Version ordering). */
export const hexScheme: VersionScheme<SemVer> = { name: NAME, parse, compare: compareSemver };
