// Version schemes by OSV ecosystem name. Each scheme lives in a module of its own.
import { apkScheme } from "./apk.js";
import { composerScheme } from "./composer.js";
import { dpkgScheme } from "./dpkg.js";
import { goScheme } from "./go.js";
import { hackageScheme } from "./hackage.js";
import { hexScheme } from "./hex.js";
import { mavenScheme } from "./maven.js";
import { nugetScheme } from "./nuget.js";
import { pep440Scheme } from "./pep440.js";
import { pubScheme } from "./pub.js";
import { rpmScheme } from "./rpm.js";
import { rubygemsScheme } from "./rubygems.js";
import type { VersionScheme } from "./scheme.js";
import { semverScheme } from "./semver.js";

export { MAX_VERSION_LENGTH } from "./limits.js";
export { compareVersions, VersionError, type VersionScheme } from "./scheme.js";

const SCHEMES = new Map<string, VersionScheme>();

/** Registers `scheme` for the OSV ecosystems (without release suffix) named. */
function register(scheme: VersionScheme, ...ecosystems: string[]): void {
  for (const e of ecosystems) SCHEMES.set(e, scheme);
}

/**
 * The version scheme of an OSV ecosystem (`Debian`, `Debian:12`, `PyPI`, `npm`, `Go`, `Maven`,
 * ...); the release suffix after `:` is ignored. `undefined` when rafscan has no scheme for it.
 */
export function schemeFor(ecosystem: string): VersionScheme | undefined {
  const base = ecosystem.split(":")[0] ?? ecosystem;
  return SCHEMES.get(base);
}

// The ecosystems of each scheme; docs/versions.md explains each choice.
register(dpkgScheme, "Debian", "Ubuntu");
register(apkScheme, "Alpine", "Wolfi", "Chainguard");
register(rpmScheme, "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler");
register(pep440Scheme, "PyPI");
register(semverScheme, "npm", "crates.io");
register(goScheme, "Go");
register(mavenScheme, "Maven");
register(nugetScheme, "NuGet");
register(rubygemsScheme, "RubyGems");
register(composerScheme, "Packagist");
register(hexScheme, "Hex");
register(pubScheme, "Pub");
register(hackageScheme, "Hackage");

/** Every scheme by its name (`dpkg`, `rpm`, `apk`, `pep440`, `semver`, `go`, `maven`, ...). */
export const SCHEMES_BY_NAME: ReadonlyMap<string, VersionScheme> = new Map(
  [
    dpkgScheme,
    apkScheme,
    rpmScheme,
    pep440Scheme,
    semverScheme,
    goScheme,
    mavenScheme,
    nugetScheme,
    rubygemsScheme,
    composerScheme,
    hexScheme,
    pubScheme,
    hackageScheme,
  ].map((s) => [s.name, s as VersionScheme]),
);
