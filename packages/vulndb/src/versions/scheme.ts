// The contract every version scheme implements: parse (or refuse) a version string, and compare
// two parsed versions exactly as the ecosystem's own tool does.

/** A version scheme: dpkg, rpm, apk, PEP 440, SemVer, Maven, NuGet, RubyGems, Composer, ... */
export interface VersionScheme<V = unknown> {
  /** Scheme name as used in errors and docs: `dpkg`, `rpm`, `apk`, `pep440`, `semver`, ... */
  readonly name: string;
  /** Parses `text`; throws {@link VersionError} when it is not a valid version of this scheme. */
  parse(text: string): V;
  /** Negative, zero or positive as `a` sorts before, equal to or after `b`. */
  compare(a: V, b: V): number;
}

/** A version string this scheme refuses. The package is reported as not matchable. */
export class VersionError extends Error {
  readonly code = "VULNDB_BAD_VERSION";
  constructor(
    readonly scheme: string,
    readonly version: string,
    reason: string,
  ) {
    super(`invalid ${scheme} version '${version}': ${reason}`);
    this.name = "VersionError";
  }
}

/** Compares two version strings with `scheme`; throws {@link VersionError} for either invalid. */
export function compareVersions<V>(scheme: VersionScheme<V>, a: string, b: string): number {
  return scheme.compare(scheme.parse(a), scheme.parse(b));
}
