// The language package analyzers, for the runner and the public API to pick up in one import.
import type { AnalyzerPlugin } from "../plugin.js";
import { cargoPlugin } from "./cargo.js";
import { condaPlugin } from "./conda.js";
import { dotnetPlugin } from "./dotnet.js";
import { juliaPlugin } from "./julia.js";
import { nodePlugin } from "./node.js";
import { nodeLockfilePlugin } from "./node-lockfiles.js";
import { nugetPlugin } from "./nuget.js";
import { phpPlugin } from "./php.js";
import { pythonPlugin } from "./python.js";
import { rubyPlugin } from "./ruby.js";

export { cargoPlugin, parseCargoLock } from "./cargo.js";
export { condaPlugin, parseCondaMeta } from "./conda.js";
export { dotnetPlugin, parseDepsJson } from "./dotnet.js";
export { juliaPlugin, parseJuliaManifest } from "./julia.js";
export { LANG_LIMITS } from "./limits.js";
export { nodePlugin } from "./node.js";
export { nodeLockfilePlugin, parsePackageLock, parsePnpmLock, parseYarnLock } from "./node-lockfiles.js";
export { nugetPlugin, parsePackagesConfig, parsePackagesLock, parsePackagesProps } from "./nuget.js";
export { parseComposerInstalled, phpPlugin } from "./php.js";
export { parseCoreMetadata, pythonPlugin } from "./python.js";
export { parseGemspec, rubyPlugin } from "./ruby.js";

/** Options for {@link languageAnalyzers}. */
export interface LanguageAnalyzersOptions {
  /**
   * Also read application lockfiles (package-lock.json, yarn.lock, pnpm-lock.yaml) with
   * {@link nodeLockfilePlugin}. Default `false`: they say what an app was built against, not what
   * is installed, and can be large.
   */
  readonly lockfiles?: boolean;
}

/**
 * The language analyzers: python, node, ruby, php, dotnet, nuget, conda, cargo, julia, and node-lockfile when
 * `lockfiles` is set. A new array each call.
 */
export function languageAnalyzers(options: LanguageAnalyzersOptions = {}): AnalyzerPlugin[] {
  const plugins = [
    pythonPlugin,
    nodePlugin,
    rubyPlugin,
    phpPlugin,
    dotnetPlugin,
    nugetPlugin,
    condaPlugin,
    cargoPlugin,
    juliaPlugin,
  ];
  if (options.lockfiles === true) plugins.push(nodeLockfilePlugin);
  return plugins;
}
