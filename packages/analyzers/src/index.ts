// Public API of @rafscan/analyzers.

export { type ApkRecord, parseApkInstalled } from "./apk/apk-db.js";
export { APK_INSTALLED, apkPlugin } from "./apk/apk-plugin.js";
export {
  analyzeImageConfig,
  BUILTIN_SECRET_RULES,
  binaryAnalyzers,
  DEFAULT_SECRET_PATHS,
  goBinaryAnalyzer,
  type ImageConfigFindings,
  javaArchiveAnalyzer,
  readElf,
  readGoBuildInfo,
  rustBinaryAnalyzer,
  type SecretRule,
  type SecretsOptions,
  scanText,
  secretsAnalyzer,
} from "./binary-analyzers.js";
export { builtinAnalyzers } from "./builtin.js";
export { parseDeb822, type Stanza } from "./dpkg/deb822.js";
export {
  copyrightLicenses,
  DPKG_STATUS,
  DPKG_STATUS_DIR,
  dpkgPackages,
  dpkgPlugin,
} from "./dpkg/dpkg-plugin.js";
export type { Ecosystem, Findings, OsInfo, Package, PackageOwner, Secret } from "./findings.js";
export {
  cargoPlugin,
  condaPlugin,
  dotnetPlugin,
  juliaPlugin,
  LANG_LIMITS,
  type LanguageAnalyzersOptions,
  languageAnalyzers,
  nodeLockfilePlugin,
  nodePlugin,
  nugetPlugin,
  parseCargoLock,
  parseComposerInstalled,
  parseCondaMeta,
  parseCoreMetadata,
  parseDepsJson,
  parseGemspec,
  parseJuliaManifest,
  parsePackageLock,
  parsePackagesConfig,
  parsePackagesLock,
  parsePackagesProps,
  parsePnpmLock,
  parseYarnLock,
  phpPlugin,
  pythonPlugin,
  rubyPlugin,
} from "./lang/index.js";
export {
  parseBottlerocketInventory,
  parseContentManifest,
  parseRpmManifest,
  rpmManifestPlugin,
} from "./manifests/rpm-manifest.js";
export { isSbomDocument, sbomDocumentPlugin, sbomPurls } from "./manifests/sbom-documents.js";
export { DEFAULT_MAX_FILE_SIZE } from "./matched-file.js";
export { type CompiledNeeds, compileNeeds } from "./needs.js";
export { osPlugin } from "./os/os-plugin.js";
export { parseOsRelease } from "./os/os-release.js";
export { parseReleaseFile, RELEASE_FILES, type ReleaseInfo } from "./os/release-files.js";
export type { AnalyzerContext, AnalyzerPlugin, MatchedFile, Need, NeedEntry } from "./plugin.js";
export { purl } from "./purl.js";
export type {
  AnalyzerReport,
  DecoderUse,
  IncompleteFile,
  ScannedImage,
  ScanReport,
  ScanTelemetry,
  ScanWarning,
  SkippedFile,
} from "./report.js";
export {
  RPM_DB_PATHS,
  readRpmDbRecords,
  rpmAnalyzer,
  rpmDbKind,
} from "./rpm/index.js";
export {
  DEFAULT_CONCURRENCY,
  type RunOptions,
  type RunProgress,
  type RunResult,
  runAnalyzers,
} from "./runner.js";
export {
  type CdxRating,
  type CdxVulnerability,
  type CycloneDxBom,
  type CycloneDxOptions,
  classifyLicense,
  collectComponents,
  formatJsonReport,
  formatTable,
  type JsonPackage,
  type JsonScanReport,
  type LicenseClass,
  SARIF_SCHEMA_URI,
  type SarifLevel,
  type SarifLog,
  type SarifOptions,
  type SarifResult,
  type SarifRule,
  type SbomComponent,
  type SpdxDocument,
  type SpdxOptions,
  type TableOptions,
  toCycloneDx,
  toJsonReport,
  toSarif,
  toSpdx,
  type VulnTarget,
  vulnTargets,
} from "./sbom/index.js";
export { type ScanOptions, scanImage } from "./scan.js";
export {
  applyVulnerabilityFilters,
  type IgnoreFile,
  type IgnoreRule,
  isVulnFilterError,
  MAX_IGNORE_FILE_BYTES,
  MAX_VEX_FILE_BYTES,
  type ParseIgnoreFileOptions,
  parseIgnoreFile,
  parseVex,
  type VexDocument,
  type VexProduct,
  type VexStatement,
  type VexStatus,
  type VulnerabilityFilterOptions,
  VulnFilterError,
  type VulnFilterErrorCode,
} from "./vuln-filters/index.js";
export {
  type CvssScore,
  type DatabaseInfo,
  type DataSource,
  type ReleaseSupport,
  SEVERITIES,
  type Severity,
  type SuppressedFinding,
  type UnmatchedPackage,
  unmatchableReason,
  type VulnerabilityFinding,
  type VulnerabilityMatcher,
  type VulnerabilityReport,
  type VulnerabilityStatus,
} from "./vulnerability.js";
