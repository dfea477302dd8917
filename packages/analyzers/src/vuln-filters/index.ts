// Vulnerability filters: --severity, --ignore-unfixed, ignore files and VEX documents.
export { applyVulnerabilityFilters, type VulnerabilityFilterOptions } from "./apply.js";
export { isVulnFilterError, VulnFilterError, type VulnFilterErrorCode } from "./errors.js";
export {
  type IgnoreFile,
  type IgnoreRule,
  type ParseIgnoreFileOptions,
  parseIgnoreFile,
} from "./ignore-file.js";
export { MAX_IGNORE_FILE_BYTES, MAX_VEX_FILE_BYTES } from "./limits.js";
export { parsePurl, purlMatches } from "./purl-match.js";
export { parseVex, type VexDocument, type VexProduct, type VexStatement, type VexStatus } from "./vex.js";
