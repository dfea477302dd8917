// The analyzers `scanImage` runs when the caller names none.
import { apkPlugin } from "./apk/apk-plugin.js";
import { dpkgPlugin } from "./dpkg/dpkg-plugin.js";
import { languageAnalyzers } from "./lang/index.js";
import { osPlugin } from "./os/os-plugin.js";
import type { AnalyzerPlugin } from "./plugin.js";
import { rpmAnalyzer } from "./rpm/index.js";

/** The built-in analyzers, in run order (`os` stage plugins first). A new array on every call. */
export function builtinAnalyzers(): AnalyzerPlugin[] {
  return [osPlugin, dpkgPlugin, apkPlugin, rpmAnalyzer, ...languageAnalyzers()];
}
