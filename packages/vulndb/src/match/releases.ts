// Which OSV ecosystems hold the advisories of an image's OS release, and when releases reach their
// end of life. OSV scopes OS advisories by release (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.20`,
// `Rocky Linux:9`), so a Debian 11 advisory can never match a Debian 12 image.
import type { Ecosystem, OsInfo } from "@rafscan/analyzers";

/** The OS family's advisories, as far as matching needs them. */
export interface OsRelease {
  readonly family: string;
  readonly version: string;
  /** The OSV ecosystem name without release (`Debian`), for `dataSource` and severity source. */
  readonly vendor: string;
  /** Package manager whose packages these advisories cover. */
  readonly manager: Ecosystem;
  /** Ecosystems (with release) holding this release's advisories in the store; may be empty. */
  readonly ecosystems: readonly string[];
  /** The ecosystem named in the report (the first of `ecosystems`, or the expected name). */
  readonly expected: string;
  /** ISO date the release's (LTS) security support ends, when known. */
  readonly endOfLife?: string;
}

/**
 * End of security support, including Debian LTS and Ubuntu standard support (not Ubuntu Pro or
 * Red Hat ELS, which need a subscription). Releases not listed are treated as supported while the
 * store has data for them. Update with each release.
 */
const END_OF_LIFE: Readonly<Record<string, string>> = {
  "Debian:8": "2020-06-30",
  "Debian:9": "2022-06-30",
  "Debian:10": "2024-06-30",
  "Debian:11": "2026-08-31",
  "Debian:12": "2028-06-30",
  "Debian:13": "2030-06-30",
  "Ubuntu:16.04": "2021-04-30",
  "Ubuntu:18.04": "2023-05-31",
  "Ubuntu:20.04": "2025-05-31",
  "Ubuntu:22.04": "2027-06-01",
  "Ubuntu:23.10": "2024-07-11",
  "Ubuntu:24.04": "2029-05-31",
  "Ubuntu:24.10": "2025-07-10",
  "Ubuntu:25.04": "2026-01-15",
  "Alpine:v3.15": "2023-11-01",
  "Alpine:v3.16": "2024-05-23",
  "Alpine:v3.17": "2024-11-22",
  "Alpine:v3.18": "2025-05-09",
  "Alpine:v3.19": "2025-11-01",
  "Alpine:v3.20": "2026-04-01",
  "Alpine:v3.21": "2026-11-01",
  "Alpine:v3.22": "2027-05-01",
  "Red Hat:7": "2024-06-30",
  "Red Hat:8": "2029-05-31",
  "Red Hat:9": "2032-05-31",
  "Rocky Linux:8": "2029-05-31",
  "Rocky Linux:9": "2032-05-31",
  "AlmaLinux:8": "2029-05-31",
  "AlmaLinux:9": "2032-05-31",
};

/**
 * The advisories for `os`, looked up in `known` (the store's ecosystems); `undefined` for a family
 * rafscan has no mapping for. Debian by major version; Ubuntu `X.Y`, under `Ubuntu:X.Y:LTS` for LTS
 * releases and `Ubuntu:X.Y` otherwise (both are tried); Alpine by branch `vX.Y`; Rocky Linux and
 * AlmaLinux by major; Red Hat by major in the CPE-shaped names OSV uses
 * (`Red Hat:enterprise_linux:9::appstream`, every repository of that major).
 */
export function osRelease(os: OsInfo, known: ReadonlySet<string>): OsRelease | undefined {
  const family = os.family.toLowerCase();
  const version = os.version;
  const major = /^(\d+)/.exec(version)?.[1];
  const minor = /^(\d+\.\d+)/.exec(version)?.[1];
  const make = (vendor: string, manager: Ecosystem, candidates: string[], eolKey: string): OsRelease => {
    const ecosystems = candidates.filter((e) => known.has(e));
    const eol = END_OF_LIFE[eolKey];
    return {
      family,
      version,
      vendor,
      manager,
      ecosystems,
      expected: ecosystems[0] ?? candidates[0] ?? vendor,
      ...(eol !== undefined ? { endOfLife: eol } : {}),
    };
  };
  switch (family) {
    case "debian":
      return make("Debian", "deb", major === undefined ? [] : [`Debian:${major}`], `Debian:${major}`);
    case "ubuntu":
      return make(
        "Ubuntu",
        "deb",
        minor === undefined ? [] : [`Ubuntu:${minor}:LTS`, `Ubuntu:${minor}`],
        `Ubuntu:${minor}`,
      );
    case "alpine":
      return make("Alpine", "apk", minor === undefined ? [] : [`Alpine:v${minor}`], `Alpine:v${minor}`);
    case "rocky":
      return make(
        "Rocky Linux",
        "rpm",
        major === undefined ? [] : [`Rocky Linux:${major}`],
        `Rocky Linux:${major}`,
      );
    case "almalinux":
      return make(
        "AlmaLinux",
        "rpm",
        major === undefined ? [] : [`AlmaLinux:${major}`],
        `AlmaLinux:${major}`,
      );
    case "rhel": {
      const pattern = new RegExp(`^Red Hat:enterprise_linux:${major}(?::|$)`);
      const candidates =
        major === undefined ? [] : [...[...known].filter((e) => pattern.test(e)).sort(), `Red Hat:${major}`];
      return make("Red Hat", "rpm", candidates, `Red Hat:${major}`);
    }
    default:
      return undefined;
  }
}
