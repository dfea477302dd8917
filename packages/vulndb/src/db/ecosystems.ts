// The OSV ecosystems the database indexes (https://ossf.github.io/osv-schema/#affectedpackage-field,
// `ecosystems.txt` of the OSV schema), and how an ecosystem string splits into its base and release.
import { normalizePackageName } from "../package-names.js";

/** OSV ecosystem names (without release suffix) the ingest accepts; others are counted and skipped. */
export const KNOWN_ECOSYSTEMS: ReadonlySet<string> = new Set([
  "AlmaLinux",
  "Alpaquita",
  "Alpine",
  "Android",
  "Azure Linux",
  "BellSoft Hardened Containers",
  "Bioconductor",
  "Bitnami",
  "CRAN",
  "Chainguard",
  "CleanStart",
  "ConanCenter",
  "Debian",
  "Echo",
  "GHC",
  "GitHub Actions",
  "Go",
  "Hackage",
  "Hex",
  "Julia",
  "Linux",
  "Mageia",
  "Maven",
  "MinimOS",
  "NuGet",
  "OSS-Fuzz",
  "Packagist",
  "Photon OS",
  "Pub",
  "PyPI",
  "Red Hat",
  "Rocky Linux",
  "RubyGems",
  "SUSE",
  "SwiftURL",
  "Ubuntu",
  "VSCode",
  "Wolfi",
  "crates.io",
  "npm",
  "openEuler",
  "openSUSE",
]);

/** An ecosystem string split at its first `:`: `Ubuntu:22.04:LTS` is `Ubuntu` + `22.04:LTS`. */
export interface EcosystemKey {
  readonly base: string;
  /** `""` for ecosystems without releases (`PyPI`, `npm`). */
  readonly release: string;
}

/** Splits `Debian:12` into `Debian` and `12`. */
export function splitEcosystem(ecosystem: string): EcosystemKey {
  const colon = ecosystem.indexOf(":");
  return colon === -1
    ? { base: ecosystem, release: "" }
    : { base: ecosystem.slice(0, colon), release: ecosystem.slice(colon + 1) };
}

/**
 * The key a package name is stored and looked up under. PyPI names compare after PEP 503
 * normalization (`Django`, `django`, `zope.interface` and `zope-interface` are one project), so
 * both the feed's spelling and the installed package's spelling find the same row; NuGet and
 * Packagist names compare case-insensitively; every other ecosystem compares names exactly.
 */
export function nameKey(base: string, name: string): string {
  // One rule for the index and the matcher: PEP 503 for PyPI, case-insensitive NuGet/Packagist.
  return normalizePackageName(base, name);
}
