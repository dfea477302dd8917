// What analyzers report: packages, the OS, secrets and notes. Plain objects, serialised as is
// into the JSON report and turned into CycloneDX/SPDX by the SBOM writers.

/** Package ecosystems, named as purl types (https://github.com/package-url/purl-spec). */
export type Ecosystem =
  | "deb"
  | "apk"
  | "rpm"
  | "pypi"
  | "npm"
  | "gem"
  | "composer"
  | "nuget"
  | "conda"
  | "cargo"
  | "golang"
  | "maven"
  | "julia";

/** One installed package. */
export interface Package {
  readonly name: string;
  /** The version as the ecosystem writes it (dpkg `1:2.3-4`, rpm `[epoch:]version-release`). */
  readonly version: string;
  readonly ecosystem: Ecosystem;
  /** Package URL, built with packageurl-js (see purl.ts). */
  readonly purl: string;
  /** The file the package was found in: `/var/lib/dpkg/status`, `/usr/bin/app` (a Go binary). */
  readonly source: string;
  /** SPDX expressions or free-text licence names, when the metadata names them. */
  readonly licenses?: readonly string[];
  /** Architecture when the ecosystem records one (`amd64`, `x86_64`, `noarch`). */
  readonly arch?: string;
  /** The source package (dpkg `Source:`, rpm source RPM, apk origin), when it differs. */
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  /** Files the package owns, when asked for (dpkg `info/*.list`). */
  readonly files?: readonly string[];
  /** The plugin that found it (filled in by the runner). */
  readonly foundBy?: string;
  /**
   * The OS package that installed this language package (Debian's python3-* under
   * /usr/lib/python3/dist-packages, node-* under /usr/share/nodejs, rpm-owned files). Such packages
   * are covered by the OS advisories, and vulnerability matching skips them as language packages.
   */
  readonly installedBy?: PackageOwner;
  /** rpm MODULARITYLABEL (`name:stream:version:context`), for module-stream advisories. */
  readonly modularityLabel?: string;
  /**
   * How the package relates to the scanned thing: `root` is the project itself (a package.json,
   * a .csproj, a Cargo workspace member), `workspace` a member of it. Absent for ordinary
   * installed or locked dependencies. Roots without a version are never matched.
   */
  readonly relationship?: "root" | "workspace";
}

/** An OS package manager's claim on a file or language package. */
export interface PackageOwner {
  readonly manager: "dpkg" | "rpm" | "apk";
  /** The OS package's name (binary package for dpkg). */
  readonly name: string;
  readonly version?: string;
  /** The purl of that OS package, so SBOMs can link the two. */
  readonly purl?: string;
}

/** The operating system, from os-release and release files. */
export interface OsInfo {
  /** `ID` of os-release, lower case: `debian`, `alpine`, `rhel`, `ubuntu`. */
  readonly family: string;
  /** `VERSION_ID`, or the release file's version: `12`, `3.20.1`. */
  readonly version: string;
  readonly name?: string;
  readonly prettyName?: string;
  /** `VERSION_CODENAME`, when given. */
  readonly codename?: string;
  /** The file it was read from. */
  readonly source: string;
}

/** A secret found in a file or in the image config. */
export interface Secret {
  /** The rule id: `aws-access-key-id`, `private-key`, ... */
  readonly ruleId: string;
  readonly title: string;
  readonly severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  /** The file (or `config:Env` for the image config). */
  readonly path: string;
  /** 1-based line of the match. */
  readonly line: number;
  /** The matching text with the secret itself masked (never the secret in clear). */
  readonly match: string;
}

/** What one plugin returns. */
export interface Findings {
  readonly packages?: readonly Package[];
  readonly os?: OsInfo;
  readonly secrets?: readonly Secret[];
  /** Anything worth telling the user that is neither a package nor a secret. */
  readonly notes?: readonly string[];
}
