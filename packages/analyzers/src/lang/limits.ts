// Named limits for the language analyzers: every size or count they take from an image is checked
// against one of these before it is trusted.

/** Limits shared by the language package analyzers. */
export const LANG_LIMITS = {
  /** Longest package name kept, in UTF-16 units (npm caps names at 214; others are shorter). */
  maxNameLength: 512,
  /** Longest version string kept. */
  maxVersionLength: 256,
  /** Longest single licence string kept (longer ones are licence texts, not names). */
  maxLicenseLength: 256,
  /** Licences kept per package. */
  maxLicenses: 32,
  /** Packages taken from one file; the rest are dropped with a warning. */
  maxPackagesPerFile: 100_000,
  /** Nesting depth followed in package-lock.json v1 `dependencies`. */
  maxLockDepth: 256,
  /** Header bytes read from a Python METADATA/PKG-INFO file (the body is the long description). */
  maxHeaderBytes: 1024 * 1024,
  /** Largest project manifest read beside a lockfile (package.json, Cargo.toml). */
  maxManifestBytes: 4 * 1024 * 1024,
  /** Workspace globs taken from one package.json. */
  maxWorkspacePatterns: 256,
  /** Workspace members listed for one project. */
  maxWorkspaces: 1000,
  /** Directory depth below a lockfile searched for workspace members. */
  maxWorkspaceDepth: 8,
} as const;

/** One MiB, for `maxFileSize` values. */
export const MiB = 1024 * 1024;
