// The analyzers that read binaries and archives by range (Go, Rust, Java), the secrets analyzer,
// and image-config findings: one import for the runner and the CLI.
import { goBinaryAnalyzer } from "./golang/plugin.js";
import { javaArchiveAnalyzer } from "./java/plugin.js";
import type { AnalyzerPlugin } from "./plugin.js";
import { rustBinaryAnalyzer } from "./rust-binary/plugin.js";

export { analyzeImageConfig, type ImageConfigFindings, isRootUser } from "./config/image-config.js";
export { type GoBuildInfo, type GoModule, parseModInfo, readGoBuildInfo } from "./golang/build-info.js";
export { type ElfFile, type ElfSection, findSection, readElf } from "./golang/elf.js";
export { analyzeGoBinary, goBinaryAnalyzer, goPackages, goPurl, stdlibVersion } from "./golang/plugin.js";
export type { RangeReader } from "./golang/range-reader.js";
export {
  analyzeJavaArchive,
  DEFAULT_JAVA_LIMITS,
  type JavaLimits,
  javaArchiveAnalyzer,
} from "./java/plugin.js";
export { type AuditPackage, decodeAuditData } from "./rust-binary/audit-data.js";
export { analyzeRustBinary, rustBinaryAnalyzer, rustPackages } from "./rust-binary/plugin.js";
export {
  DEFAULT_SECRET_EXCLUDES,
  DEFAULT_SECRET_PATHS,
  DEFAULT_SECRETS_BUDGET,
  DEFAULT_SECRETS_MAX_FILE_SIZE,
  type SecretsOptions,
  secretsAnalyzer,
  secretsScope,
} from "./secrets/plugin.js";
export { BUILTIN_SECRET_RULES, type SecretRule } from "./secrets/rules.js";
export { scanText, type TextScan } from "./secrets/scan.js";

/**
 * The range-access binary analyzers: Go binaries, Rust (cargo-auditable) binaries and Java
 * archives. The secrets analyzer is separate (`secretsAnalyzer(options)`) since it takes options.
 */
export function binaryAnalyzers(): AnalyzerPlugin[] {
  return [goBinaryAnalyzer, rustBinaryAnalyzer, javaArchiveAnalyzer];
}
