// Public API of @rafscan/analyzers.
export type { Ecosystem, Findings, OsInfo, Package, Secret } from "./findings.js";
export type { AnalyzerContext, AnalyzerPlugin, MatchedFile, Need, NeedEntry } from "./plugin.js";
export { purl } from "./purl.js";
export type {
  AnalyzerReport,
  ScannedImage,
  ScanReport,
  ScanTelemetry,
  ScanWarning,
  SkippedFile,
} from "./report.js";
