// Rust crates from `Cargo.lock` (one `[[package]]` table per crate: name, version, source,
// dependencies), narrowed by the `Cargo.toml` beside it. Formats:
// https://doc.rust-lang.org/cargo/reference/manifest.html, https://toml.io/en/v1.0.0. TOML is
// parsed with smol-toml: hand-written parsers miss multi-line strings and other legal forms.
import picomatch from "picomatch";
import { parse as parseToml } from "smol-toml";
import type { AnalyzerContext, AnalyzerPlugin, MatchedFile, NeedEntry } from "../plugin.js";
import { analyzeEach } from "./analyze-each.js";
import { LANG_LIMITS, MiB } from "./limits.js";
import { manifestSize, overManifestLimit } from "./manifest-file.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";
import { isRecord } from "./values.js";

/** `true` for a file named `Cargo.lock`. */
export function isCargoLock(entry: Pick<NeedEntry, "path">): boolean {
  return baseName(entry.path) === "Cargo.lock";
}

/** One `[[package]]` of a Cargo.lock. */
export interface LockedCrate {
  readonly name: unknown;
  readonly version: unknown;
  /** Absent for the workspace's own crates. */
  readonly source: string | undefined;
  /** `name`, `name version` or `name version (source)`, as Cargo writes them. */
  readonly dependencies: readonly string[];
}

function parseTomlText(text: string, what: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    // smol-toml's messages quote the input with a caret line: keep the first line.
    const msg = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    throw new Error(`invalid ${what}: ${msg}`);
  }
}

/** The `[[package]]` tables of a Cargo.lock (other tables, `[metadata]`, are ignored). */
export function readCargoLock(text: string): LockedCrate[] {
  const doc = parseTomlText(text, "Cargo.lock");
  const tables = doc.package;
  if (tables === undefined) {
    if (text.trim() !== "") throw new Error("no [[package]] tables");
    return [];
  }
  if (!Array.isArray(tables)) throw new Error("`package` is not an array of tables");
  return tables.filter(isRecord).map((t) => ({
    name: t.name,
    version: t.version,
    source: typeof t.source === "string" ? t.source : undefined,
    dependencies: Array.isArray(t.dependencies)
      ? t.dependencies.filter((d): d is string => typeof d === "string")
      : [],
  }));
}

/**
 * Adds every crate of a Cargo.lock to `out`, local workspace crates included (they have no
 * `source`): one local crate is the `root`, several are `workspace` members. Without the
 * Cargo.toml beside it nothing says which dependencies are for development only.
 */
export function parseCargoLock(text: string, out: PackageList): void {
  addCrates(readCargoLock(text), out, undefined);
}

/** What the Cargo.toml files of a project say. */
export interface CargoProject {
  /** The top `[package]` name, when the manifest is not a virtual workspace. */
  readonly root: string | undefined;
  /** `[package]` names of the workspace members. */
  readonly members: readonly string[];
  /** Crate name -> names of its normal (not dev) dependencies, as declared. */
  readonly runtimeDeps: ReadonlyMap<string, ReadonlySet<string>>;
}

function addCrates(
  crates: readonly LockedCrate[],
  out: PackageList,
  project: CargoProject | undefined,
): void {
  const keep = project === undefined ? undefined : reachable(crates, project);
  const local = crates.filter((c) => c.source === undefined);
  for (const c of crates) {
    if (keep !== undefined && !keep.has(c)) continue;
    let relationship: "root" | "workspace" | undefined;
    // Cargo always writes a version: a crate without one is malformed, not a versionless project.
    if (c.source === undefined && typeof c.version === "string") {
      if (project === undefined) relationship = local.length === 1 ? "root" : "workspace";
      else if (c.name === project.root) relationship = "root";
      else if (typeof c.name === "string" && project.members.includes(c.name)) relationship = "workspace";
    }
    out.add({ name: c.name, version: c.version, ...(relationship !== undefined ? { relationship } : {}) });
  }
}

/**
 * The crates reachable from the project's own crates through normal dependencies: a crate named
 * only in `[dev-dependencies]` is not shipped. Cargo.lock lists dev-dependencies among a crate's
 * `dependencies` without saying so, hence Cargo.toml. `undefined` when the project's crates are
 * not in the lock (a Cargo.toml that does not belong to it): then every crate is kept.
 */
function reachable(crates: readonly LockedCrate[], project: CargoProject): Set<LockedCrate> | undefined {
  const byName = new Map<string, LockedCrate[]>();
  for (const c of crates) {
    if (typeof c.name !== "string") continue;
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }
  const resolve = (dep: string): LockedCrate | undefined => {
    const [name, version] = dep.split(" ");
    const list = name === undefined ? undefined : byName.get(name);
    if (list === undefined) return undefined;
    return version === undefined ? list[0] : list.find((c) => c.version === version);
  };
  const starts = crates.filter((c) => c.source === undefined && project.runtimeDeps.has(c.name as string));
  if (starts.length === 0) return undefined;
  const keep = new Set<LockedCrate>(starts);
  const todo: LockedCrate[] = [];
  for (const s of starts) {
    const allowed = project.runtimeDeps.get(s.name as string);
    for (const dep of s.dependencies) {
      const c = resolve(dep);
      if (c !== undefined && allowed?.has(dep.split(" ")[0] ?? "") === true && !keep.has(c)) {
        keep.add(c);
        todo.push(c);
      }
    }
  }
  for (let c = todo.pop(); c !== undefined; c = todo.pop()) {
    for (const dep of c.dependencies) {
      const d = resolve(dep);
      if (d !== undefined && !keep.has(d)) {
        keep.add(d);
        todo.push(d);
      }
    }
  }
  return keep;
}

/** Names of the crates a manifest depends on at run time: `[dependencies]` and per-target ones. */
function runtimeDependencies(manifest: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  const addTable = (table: unknown): void => {
    if (!isRecord(table)) return;
    for (const [key, spec] of Object.entries(table)) {
      // `alias = { package = "real-name" }` renames a dependency: the lock names the real crate.
      names.add(isRecord(spec) && typeof spec.package === "string" ? spec.package : key);
    }
  };
  addTable(manifest.dependencies);
  if (isRecord(manifest.target))
    for (const target of Object.values(manifest.target)) if (isRecord(target)) addTable(target.dependencies);
  return names;
}

/** Reads and parses a Cargo.toml through the context; `undefined` when there is none. */
async function readManifest(
  ctx: AnalyzerContext,
  path: string,
): Promise<Record<string, unknown> | undefined> {
  const size = await manifestSize(ctx, path);
  if (size === undefined) return undefined;
  const tooLarge = overManifestLimit(size);
  if (tooLarge !== undefined) throw new Error(tooLarge);
  return parseTomlText(await ctx.image.readFile(path, { encoding: "utf8" }), "Cargo.toml");
}

function packageName(manifest: Record<string, unknown>): string | undefined {
  return isRecord(manifest.package) && typeof manifest.package.name === "string"
    ? manifest.package.name
    : undefined;
}

/**
 * Reads the Cargo.toml in `dir` and those of its workspace members (`[workspace] members`, globs
 * allowed, matched against the directories below `dir` that hold a Cargo.toml). `undefined` when
 * `dir` has no Cargo.toml.
 */
export async function readCargoProject(dir: string, ctx: AnalyzerContext): Promise<CargoProject | undefined> {
  const top = await readManifest(ctx, `${dir}/Cargo.toml`);
  if (top === undefined) return undefined;
  const runtimeDeps = new Map<string, Set<string>>();
  const root = packageName(top);
  if (root !== undefined) {
    const deps = runtimeDependencies(top);
    // Like Trivy, `[workspace.dependencies]` count as the root crate's own unless it names them
    // as development dependencies: Cargo.lock may list them among the root's dependencies.
    const dev = isRecord(top["dev-dependencies"]) ? top["dev-dependencies"] : {};
    const shared =
      isRecord(top.workspace) && isRecord(top.workspace.dependencies) ? top.workspace.dependencies : {};
    for (const name of Object.keys(shared)) if (!Object.hasOwn(dev, name)) deps.add(name);
    runtimeDeps.set(root, deps);
  }
  const members: string[] = [];
  const workspace = isRecord(top.workspace) ? top.workspace : undefined;
  const patterns = (Array.isArray(workspace?.members) ? workspace.members : [])
    .filter((m): m is string => typeof m === "string" && m !== "")
    .slice(0, LANG_LIMITS.maxWorkspacePatterns)
    .map((m) => m.replace(/^\.\//, "").replace(/\/+$/, ""));
  if (patterns.length === 0) return { root, members, runtimeDeps };
  const isMember = picomatch(patterns);
  const found: string[] = [];
  for (const entry of ctx.image.walkSync(dir, {
    descend: (e) => e.depth < LANG_LIMITS.maxWorkspaceDepth && !/\/(?:target|\.git)$/.test(e.path),
  })) {
    if (entry.depth < 2 || !entry.stats.isFile() || !entry.path.endsWith("/Cargo.toml")) continue;
    const rel = entry.path.slice(dir.length + 1, -"/Cargo.toml".length);
    if (isMember(rel)) found.push(entry.path);
    if (found.length >= LANG_LIMITS.maxWorkspaces) {
      ctx.warn(`more than ${LANG_LIMITS.maxWorkspaces} workspace members: the rest are not read`, dir);
      break;
    }
  }
  for (const path of found.sort()) {
    try {
      const manifest = await readManifest(ctx, path);
      const name = manifest === undefined ? undefined : packageName(manifest);
      if (manifest === undefined || name === undefined) continue;
      members.push(name);
      runtimeDeps.set(name, runtimeDependencies(manifest));
    } catch (err) {
      ctx.warn(`cannot read a workspace member: ${err instanceof Error ? err.message : String(err)}`, path);
    }
  }
  return { root, members, runtimeDeps };
}

async function analyzeCargoLock(text: string, out: PackageList, file: MatchedFile, ctx: AnalyzerContext) {
  const crates = readCargoLock(text);
  const dir = file.path.slice(0, file.path.lastIndexOf("/"));
  let project: CargoProject | undefined;
  try {
    project = await readCargoProject(dir, ctx);
  } catch (err) {
    ctx.warn(
      `cannot read Cargo.toml (development dependencies are kept): ${err instanceof Error ? err.message : String(err)}`,
      `${dir}/Cargo.toml`,
    );
  }
  addCrates(crates, out, project);
}

/** Rust crates from Cargo.lock, without those only development needs. purl `pkg:cargo/name@v`. */
export const cargoPlugin: AnalyzerPlugin = {
  id: "cargo",
  version: "2.0.0",
  description: "Rust crates from Cargo.lock (dev-dependencies left out using Cargo.toml)",
  database: true,
  needs: [isCargoLock],
  access: "whole",
  maxFileSize: 16 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "cargo", analyzeCargoLock),
};
