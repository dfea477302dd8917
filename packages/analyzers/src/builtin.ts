// The analyzers `scanImage` runs when the caller names none.
import { apkPlugin } from "./apk/apk-plugin.js";
import { dpkgPlugin } from "./dpkg/dpkg-plugin.js";
import { javaArchiveAnalyzer } from "./java/plugin.js";
import { languageAnalyzers } from "./lang/index.js";
import { rpmManifestPlugin } from "./manifests/rpm-manifest.js";
import { sbomDocumentPlugin } from "./manifests/sbom-documents.js";
import { osPlugin } from "./os/os-plugin.js";
import type { AnalyzerPlugin } from "./plugin.js";
import { rpmAnalyzer } from "./rpm/index.js";

/**
 * The built-in analyzers, in run order (`os` stage plugins first). A new array on every call.
 * They read package databases and metadata files, plus the tail of Java archives. The Go and Rust
 * binary analyzers (`binaryAnalyzers()`) and secrets (`secretsAnalyzer()`) are opt-in: they read
 * the start of every executable or every file in scope, which for a remote image means fetching a
 * chunk of each, far more than a package scan needs.
 */
export function builtinAnalyzers(): AnalyzerPlugin[] {
  return [
    osPlugin,
    dpkgPlugin,
    apkPlugin,
    rpmAnalyzer,
    rpmManifestPlugin,
    ...languageAnalyzers(),
    javaArchiveAnalyzer,
    sbomDocumentPlugin,
  ];
}
