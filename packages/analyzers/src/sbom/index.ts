// Report writers over a ScanReport: SBOMs (CycloneDX 1.6 JSON with vulnerabilities, SPDX 2.3 JSON),
// SARIF 2.1.0, the JSON report with per-package findings, and the terminal table.
export type { SbomComponent } from "./components.js";
export { collectComponents } from "./components.js";
export type {
  CdxComponent,
  CdxLicenseEntry,
  CdxProperty,
  CycloneDxBom,
  CycloneDxOptions,
} from "./cyclonedx.js";
export { toCycloneDx } from "./cyclonedx.js";
export type { CdxRating, CdxVulnerability } from "./cyclonedx-vulns.js";
export type { JsonPackage, JsonScanReport } from "./json-report.js";
export { formatJsonReport, toJsonReport } from "./json-report.js";
export type { LicenseClass } from "./licenses.js";
export { classifyLicense } from "./licenses.js";
export type { SarifLevel, SarifLog, SarifOptions, SarifResult, SarifRule } from "./sarif.js";
export { SARIF_SCHEMA_URI, toSarif } from "./sarif.js";
export type {
  SpdxDocument,
  SpdxExtractedLicense,
  SpdxOptions,
  SpdxPackage,
  SpdxRelationship,
} from "./spdx.js";
export { toSpdx } from "./spdx.js";
export type { TableOptions } from "./table.js";
export { formatTable } from "./table.js";
export type { VulnTarget } from "./vuln-targets.js";
export { vulnTargets } from "./vuln-targets.js";
