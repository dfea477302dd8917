// The project a Node lockfile belongs to: the package.json beside the lockfile (the root) and the
// workspaces it declares (`workspaces: [globs]` or `{packages: [globs]}`, as npm and yarn read
// them). Reported with `relationship: "root" | "workspace"` so that SBOMs name the project, as for
// Cargo and .NET; vulnerability matching skips a root without a version.
import picomatch from "picomatch";
import type { AnalyzerContext } from "../plugin.js";
import { parseJson } from "./analyze-each.js";
import { LANG_LIMITS } from "./limits.js";
import { manifestSize, overManifestLimit } from "./manifest-file.js";
import { addNpmPackage, npmLicenses } from "./node.js";
import type { PackageList } from "./package-list.js";
import { isRecord } from "./values.js";

// Directories never holding workspaces: installed packages, yarn's cache, VCS metadata.
const SKIP_DIRS = new Set(["node_modules", ".yarn", ".git", ".pnpm-store"]);

/** The parent directory of an absolute image path (`/` for `/x`). */
function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Reads a small JSON file through the context (counted); `undefined` when it does not exist. */
async function readJson(ctx: AnalyzerContext, path: string): Promise<Record<string, unknown> | undefined> {
  const size = await manifestSize(ctx, path);
  if (size === undefined) return undefined;
  const tooLarge = overManifestLimit(size);
  if (tooLarge !== undefined) {
    ctx.warn(`${tooLarge}: not read`, path);
    return undefined;
  }
  const doc = parseJson(await ctx.image.readFile(path, { encoding: "utf8" }));
  return isRecord(doc) ? doc : undefined;
}

/** The workspace globs of a package.json, capped. */
function workspacePatterns(manifest: Record<string, unknown>): string[] {
  const ws = manifest.workspaces;
  const list = Array.isArray(ws) ? ws : isRecord(ws) && Array.isArray(ws.packages) ? ws.packages : [];
  return list
    .filter((p): p is string => typeof p === "string" && p !== "" && !p.startsWith("!"))
    .slice(0, LANG_LIMITS.maxWorkspacePatterns)
    .map((p) => p.replace(/^\.\//, "").replace(/\/+$/, ""));
}

/**
 * Adds the project of the lockfile at `lockPath` to `out`: the package.json beside it as `root`
 * (when it exists and has a name) and each workspace whose package.json has a name as `workspace`.
 * A missing package.json adds nothing; an unreadable one is a warning.
 */
export async function addNodeProject(
  lockPath: string,
  out: PackageList,
  ctx: AnalyzerContext,
): Promise<void> {
  const dir = dirName(lockPath);
  const manifestPath = `${dir === "/" ? "" : dir}/package.json`;
  let manifest: Record<string, unknown> | undefined;
  try {
    manifest = await readJson(ctx, manifestPath);
  } catch (err) {
    ctx.warn(
      `cannot read the project's package.json: ${err instanceof Error ? err.message : String(err)}`,
      manifestPath,
    );
    return;
  }
  if (manifest === undefined) return;
  if (typeof manifest.name === "string")
    addNpmPackage(out, manifest.name, manifest.version, npmLicenses(manifest), "root");
  const patterns = workspacePatterns(manifest);
  if (patterns.length === 0) return;
  const isMember = picomatch(patterns, { dot: false });
  const prefix = dir === "/" ? "/" : `${dir}/`;
  const members: string[] = [];
  try {
    // Metadata only: the walk reads no file data.
    for (const entry of ctx.image.walkSync(dir, {
      descend: (e) =>
        e.depth < LANG_LIMITS.maxWorkspaceDepth && !SKIP_DIRS.has(e.path.slice(e.path.lastIndexOf("/") + 1)),
    })) {
      if (entry.depth === 0 || !entry.stats.isFile() || !entry.path.endsWith("/package.json")) continue;
      const rel = dirName(entry.path).slice(prefix.length);
      if (rel !== "" && isMember(rel)) members.push(entry.path);
      if (members.length >= LANG_LIMITS.maxWorkspaces) {
        ctx.warn(`more than ${LANG_LIMITS.maxWorkspaces} workspaces: the rest are not listed`, manifestPath);
        break;
      }
    }
  } catch (err) {
    ctx.warn(`cannot list workspaces: ${err instanceof Error ? err.message : String(err)}`, dir);
  }
  for (const path of members.sort()) {
    try {
      const member = await readJson(ctx, path);
      if (member !== undefined && typeof member.name === "string")
        addNpmPackage(out, member.name, member.version, npmLicenses(member), "workspace");
    } catch (err) {
      ctx.warn(
        `cannot read a workspace package.json: ${err instanceof Error ? err.message : String(err)}`,
        path,
      );
    }
  }
}
