// The OSV record model (https://ossf.github.io/osv-schema/), as far as rafscan reads it, plus the
// fix-status extension rafscan adds for advisories with no fix yet. Records from disk or the wire
// are untrusted: the ingest validates them into these shapes before storing.

/** A range event: exactly one key is set. `last_affected` is inclusive, `limit` exclusive. */
export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

/** A version range. GIT ranges are kept in the record but never evaluated. */
export interface OsvRange {
  readonly type: "ECOSYSTEM" | "SEMVER" | "GIT";
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

/** The package an `affected` entry is about. */
export interface OsvPackage {
  /** With the release suffix: `Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`, `PyPI`. */
  readonly ecosystem: string;
  readonly name: string;
  readonly purl?: string;
}

/**
 * rafscan's status for an affected entry with no fix (in `database_specific.rafscan_status` of
 * the stored entry, filled in from the feed's own fields where it has them).
 */
export type FixStatus = "affected" | "will_not_fix" | "fix_deferred" | "end_of_life";

export interface OsvAffected {
  readonly package: OsvPackage;
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly severity?: readonly OsvSeverity[];
  readonly ecosystem_specific?: Readonly<Record<string, unknown>>;
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

export interface OsvSeverity {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ... */
  readonly type: string;
  readonly score: string;
}

export interface OsvReference {
  readonly type: string;
  readonly url: string;
}

/** One OSV record. */
export interface OsvRecord {
  readonly schema_version?: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly related?: readonly string[];
  readonly upstream?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: readonly OsvReference[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}
