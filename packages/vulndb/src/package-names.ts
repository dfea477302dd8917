// How package names compare within an OSV ecosystem: PyPI names are equal under PEP 503
// normalisation (`PyYAML`, `pyyaml`), NuGet and Packagist names case-insensitively; every other
// ecosystem compares names exactly. Stores key their index by this form and the matcher compares
// `affected[].package.name` with it, so `Charset_Normalizer` finds advisories for `charset-normalizer`.

/** The form of `name` that compares equal within `ecosystem` (release suffix ignored). */
export function normalizePackageName(ecosystem: string, name: string): string {
  const base = ecosystem.split(":")[0] ?? ecosystem;
  switch (base) {
    case "PyPI":
      return name.toLowerCase().replace(/[-_.]+/g, "-");
    case "NuGet":
    case "Packagist":
      return name.toLowerCase();
    default:
      return name;
  }
}
