// Version schemes by OSV ecosystem name. Each scheme lives in a module of its own.
import type { VersionScheme } from "./scheme.js";

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

// Filled in by each scheme module as it lands; the list of ecosystems per scheme is in
// docs/vulnerabilities.md.
void register;
