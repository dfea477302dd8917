// SBOM writers (CycloneDX 1.6 JSON, SPDX 2.3 JSON) and the terminal table, all over a ScanReport.
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
export type { LicenseClass } from "./licenses.js";
export { classifyLicense } from "./licenses.js";
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
