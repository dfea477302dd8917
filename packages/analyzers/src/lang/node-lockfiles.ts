// npm packages named by application lockfiles: package-lock.json (lockfileVersion 1, 2, 3),
// yarn.lock (classic v1 and berry), pnpm-lock.yaml (lockfileVersion 5.x, 6, 9). Formats:
// https://docs.npmjs.com/cli/configuring-npm/package-lock-json, https://classic.yarnpkg.com/lang/en/docs/yarn-lock/,
// https://github.com/pnpm/spec/tree/master/lockfile. Dev-only entries (`dev: true`) are left out.
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach, parseJson } from "./analyze-each.js";
import { LANG_LIMITS, MiB } from "./limits.js";
import { addNpmPackage } from "./node.js";
import { addNodeProject } from "./node-project.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";
import { isRecord } from "./values.js";

const LOCKFILES = new Set(["package-lock.json", "yarn.lock", "pnpm-lock.yaml"]);

/**
 * `true` for an application's lockfile: not one inside `node_modules` (copies shipped in packages
 * would duplicate and mislead) nor in yarn's `.yarn` cache.
 */
export function isNodeLockfile(entry: Pick<NeedEntry, "path">): boolean {
  if (!LOCKFILES.has(baseName(entry.path))) return false;
  const dirs = entry.path.split("/");
  return !dirs.includes("node_modules") && !dirs.includes(".yarn");
}

/**
 * The version when it is a registry version; `undefined` for git, tarball, file and link
 * sources, whose "version" is a URL or path with no registry meaning.
 */
function registryVersion(version: unknown): string | undefined {
  if (typeof version !== "string" || /[:/#\s]/.test(version)) return undefined;
  return version;
}

/**
 * `npm:real-name@1.2.3` (an alias) split into the real name and version. The version may be
 * absent (`npm:ms`, `npm:@types/uuid`): the lockfile entry then gives it.
 */
function npmAlias(spec: string): { name: string; version: string | undefined } | undefined {
  if (!spec.startsWith("npm:")) return undefined;
  const rest = spec.slice(4);
  const at = rest.lastIndexOf("@");
  // Without an `@`, berry's `ms@npm:^2.1.3` is a range of the same package, not an alias: only
  // something shaped like a package name (and not a dist-tag) is one.
  if (at <= 0) return looksLikeAliasTarget(rest) ? { name: rest, version: undefined } : undefined;
  return { name: rest.slice(0, at), version: rest.slice(at + 1) };
}

const DIST_TAGS = new Set(["latest", "next", "beta", "alpha", "canary", "rc"]);

function looksLikeAliasTarget(s: string): boolean {
  return /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z~-][a-z0-9._~-]*$/i.test(s) && !DIST_TAGS.has(s);
}

/** package-lock.json: `packages` (v2, v3) when present, else the nested `dependencies` (v1). */
export function parsePackageLock(text: string, out: PackageList): void {
  const lock = parseJson(text);
  if (!isRecord(lock)) throw new Error("package-lock.json is not an object");
  if (isRecord(lock.packages)) {
    for (const [key, entry] of Object.entries(lock.packages)) {
      // `""` is the project itself; keys without node_modules are workspace folders.
      const at = key.lastIndexOf("node_modules/");
      if (at < 0 && isRecord(entry) && typeof entry.name === "string") {
        addNpmPackage(out, entry.name, entry.version, [], key === "" ? "root" : "workspace");
        continue;
      }
      if (at < 0 || !isRecord(entry) || entry.link === true || entry.dev === true) continue;
      const version = registryVersion(entry.version);
      if (version === undefined) continue;
      // `name` is only written for aliases (`"node_modules/foo": {"name": "real"}`).
      addNpmPackage(out, typeof entry.name === "string" ? entry.name : key.slice(at + 13), version);
    }
    return;
  }
  // v1 names the project at the top level.
  if (typeof lock.name === "string") addNpmPackage(out, lock.name, lock.version, [], "root");
  if (!isRecord(lock.dependencies)) return;
  // v1 nests dependencies of dependencies: walk with an explicit stack so a deep file cannot
  // overflow the call stack, and stop at a depth no real tree reaches.
  const stack: { deps: Record<string, unknown>; depth: number }[] = [{ deps: lock.dependencies, depth: 0 }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { deps, depth } = stack.pop() as { deps: Record<string, unknown>; depth: number };
    for (const [name, entry] of Object.entries(deps)) {
      if (!isRecord(entry)) continue;
      if (isRecord(entry.dependencies)) {
        if (depth + 1 < LANG_LIMITS.maxLockDepth) stack.push({ deps: entry.dependencies, depth: depth + 1 });
        else tooDeep = true;
      }
      if (entry.dev === true || typeof entry.version !== "string") continue;
      const alias = npmAlias(entry.version);
      if (alias !== undefined) addNpmPackage(out, alias.name, registryVersion(alias.version));
      else {
        const version = registryVersion(entry.version);
        if (version !== undefined) addNpmPackage(out, name, version);
      }
    }
  }
  if (tooDeep) throw new Error(`dependencies nested deeper than ${LANG_LIMITS.maxLockDepth}: rest skipped`);
}

/** The package name of a yarn descriptor (`@babel/core@^7.0.0`, `lodash@npm:^4.17.21`). */
function yarnDescriptor(descriptor: string): { name: string; range: string } | undefined {
  const at = descriptor.indexOf("@", 1);
  if (at <= 0) return undefined;
  return { name: descriptor.slice(0, at), range: descriptor.slice(at + 1) };
}

/**
 * yarn.lock, classic (`version "1.2.3"`) and berry (`version: 1.2.3`): each entry starts with an
 * unindented line of comma-separated descriptors ending in `:`; its version is an indented line.
 */
export function parseYarnLock(text: string, out: PackageList): void {
  let current: { name: string; range: string } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw === "" || raw.startsWith("#")) continue;
    if (!raw.startsWith(" ")) {
      current = undefined;
      if (!raw.endsWith(":")) continue;
      const first = raw.slice(0, -1).split(",")[0]?.trim().replace(/^"|"$/g, "");
      if (first === undefined || first === "__metadata") continue;
      current = yarnDescriptor(first);
      continue;
    }
    if (current === undefined) continue;
    const m = /^ {2}version:? +"?([^"\s]+)"?\s*$/.exec(raw);
    if (m === null) continue;
    const { name, range } = current;
    current = undefined;
    const alias = npmAlias(range);
    // An alias resolves to another package (`string-width-cjs@npm:string-width@^4`).
    if (alias !== undefined) {
      addNpmPackage(out, alias.name, registryVersion(m[1]));
      continue;
    }
    // Workspaces, links, portals, local files and git sources are not registry packages.
    if (/^(workspace|link|portal|file|patch|exec|git|github|https?):/.test(range)) continue;
    const version = registryVersion(m[1]);
    if (version !== undefined) addNpmPackage(out, name, version);
  }
}

/**
 * pnpm-lock.yaml: the keys of the top-level `packages:` map. Version 5.x writes
 * `/name/1.2.3_peer@1`; 6 writes `/name@1.2.3(peer@1)`; 9 writes `name@1.2.3`.
 */
export function parsePnpmLock(text: string, out: PackageList): void {
  const lines = text.split(/\r?\n/);
  const versionLine = lines.find((l) => l.startsWith("lockfileVersion:"));
  const lockVersion = Number.parseFloat(
    versionLine
      ?.slice(16)
      .trim()
      .replace(/^['"]|['"]$/g, "") ?? "",
  );
  if (!Number.isFinite(lockVersion)) throw new Error("no lockfileVersion");
  let inPackages = false;
  let pending: { name: string; version: string } | undefined;
  let dev = false;
  const flush = (): void => {
    if (pending !== undefined && !dev) addNpmPackage(out, pending.name, pending.version);
    pending = undefined;
    dev = false;
  };
  for (const line of lines) {
    if (line === "" || line.trimStart().startsWith("#")) continue;
    if (!line.startsWith(" ")) {
      flush();
      inPackages = line.trimEnd() === "packages:";
      continue;
    }
    if (!inPackages) continue;
    if (!line.startsWith("   ")) {
      // A key of `packages:` (two-space indent).
      flush();
      const key = line
        .trim()
        .replace(/:$/, "")
        .replace(/^['"]|['"]$/g, "");
      pending = pnpmKey(key, lockVersion);
    } else if (/^ {4}dev: true\s*$/.test(line)) dev = true;
  }
  flush();
}

function pnpmKey(rawKey: string, lockVersion: number): { name: string; version: string } | undefined {
  // Before 9, registry packages are the keys that start with `/`; others are git or tarballs.
  if (lockVersion < 9 && !rawKey.startsWith("/")) return undefined;
  const slashForm = lockVersion < 6;
  // Peer suffixes: `(react@18.2.0)` in 6+, `_react@18.2.0` in 5.x.
  const key = rawKey.replace(/^\//, "").replace(/\(.*$/, "");
  let name: string;
  let version: string;
  if (slashForm) {
    const slash = key.lastIndexOf("/");
    if (slash <= 0) return undefined;
    name = key.slice(0, slash);
    version = key.slice(slash + 1).replace(/_.*$/, "");
  } else {
    const at = key.lastIndexOf("@");
    if (at <= 0) return undefined;
    name = key.slice(0, at);
    version = key.slice(at + 1);
  }
  const clean = registryVersion(version);
  return clean === undefined ? undefined : { name, version: clean };
}

/**
 * Packages named by application lockfiles. Not in the default set (see `languageAnalyzers`): a
 * lockfile says what an app was built with, which may differ from what is installed, and lockfiles
 * can be large.
 */
export const nodeLockfilePlugin: AnalyzerPlugin = {
  id: "node-lockfile",
  version: "1.0.0",
  description: "npm packages from package-lock.json, yarn.lock and pnpm-lock.yaml (opt-in)",
  database: true,
  needs: [isNodeLockfile],
  access: "whole",
  maxFileSize: 64 * MiB,
  analyze: (files, ctx) =>
    analyzeEach(files, ctx, "npm", async (text, out, file) => {
      const base = baseName(file.path);
      // package-lock.json names the project and its workspaces itself; the others do not.
      if (base === "package-lock.json") return parsePackageLock(text, out);
      if (base === "yarn.lock") parseYarnLock(text, out);
      else parsePnpmLock(text, out);
      await addNodeProject(file.path, out, ctx);
    }),
};
