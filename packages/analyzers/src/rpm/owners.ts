// Which language packages rpm installed: Fedora, RHEL and SUSE put Python distributions under
// /usr/lib{,64}/pythonX.Y/site-packages (pip writes to /usr/local), Node packages under
// /usr/lib/node_modules, gems and jars under /usr/share. rpm keeps every package's file list in its
// header (BASENAMES, DIRNAMES, DIRINDEXES), so a language package found in such a tree is looked
// up there. The database is the one the analyzer already read: reading it again is served by the
// image's chunk cache, and nothing is read at all when no language package lies in those trees.
import type { Package, PackageOwner } from "../findings.js";
import type { AnalyzerContext } from "../plugin.js";
import { RPM_DB_PATHS, readRpmDbRecords, rpmDbKind } from "./db-files.js";
import { headerInt32s, headerStrings, parseHeaderBlob, type RpmHeader } from "./header.js";
import { RPM_LIMITS } from "./limits.js";
import { readPackageInfo, rpmPackage } from "./package.js";
import { RPMTAG } from "./tags.js";

// Where rpm-based distributions install language packages: Python's sitelib/sitearch (and
// dist-packages, which some packagers use), Node's global modules, everything under /usr/share
// (gems, jars, PHP, nodejs), and Ruby's arch-dependent gem and vendor trees.
const SYSTEM_TREES: readonly RegExp[] = [
  /^\/usr\/lib(?:64)?\/(?:python[23](?:\.\d+)?|pypy3?(?:\.\d+)?)\/(?:site|dist)-packages\//,
  /^\/usr\/lib(?:64)?\/node_modules\//,
  /^\/usr\/share\//,
  /^\/usr\/lib(?:64)?\/(?:ruby|gems)\//,
];

// A metadata file whose directory is the package's own (so a file list naming only that directory
// still says who installed it); any other parent may be shared (site-packages, specifications).
const OWN_DIR = /\/[^/]+\.(?:dist-info|egg-info)\/[^/]+$|\/node_modules\/(?:@[^/]+\/)?[^/]+\/package\.json$/;

/** One file list: path `dirnames[dirindexes[i]] + basenames[i]`. */
interface FileList {
  readonly basenames: readonly string[];
  readonly dirnames: readonly string[];
  readonly dirindexes: Uint32Array;
}

/**
 * Maps each of `paths` that lies in a system tree to the rpm whose file list holds it, or holds its
 * package's own metadata directory (`*.dist-info`, `*.egg-info`, a `node_modules` package). Reads
 * the database `packages` came from again (the analyzer's read left its chunks in the cache), and
 * only when some path lies in those trees.
 */
export async function rpmOwners(
  paths: readonly string[],
  packages: readonly Package[],
  ctx: AnalyzerContext,
): Promise<Map<string, PackageOwner>> {
  const out = new Map<string, PackageOwner>();
  const dbPath = packages[0]?.source;
  if (dbPath === undefined || !RPM_DB_PATHS.includes(dbPath)) return out;
  const kind = rpmDbKind(dbPath);
  if (kind === undefined) return out;
  // Each key (a path, or its package's own directory) and the language package paths it answers for.
  const wanted = new Map<string, string[]>();
  const bases = new Set<string>();
  let considered = 0;
  for (const path of paths) {
    if (!SYSTEM_TREES.some((t) => t.test(path))) continue;
    if (++considered > RPM_LIMITS.maxOwnerPaths) {
      ctx.warn(
        `more than ${RPM_LIMITS.maxOwnerPaths} language packages under system trees: only the first are linked`,
      );
      break;
    }
    const keys = OWN_DIR.test(path) ? [path, path.slice(0, path.lastIndexOf("/"))] : [path];
    for (const key of keys) {
      const list = wanted.get(key);
      if (list === undefined) wanted.set(key, [path]);
      else list.push(path);
      bases.add(key.slice(key.lastIndexOf("/") + 1));
    }
  }
  if (wanted.size === 0) return out;

  const size = (await ctx.image.stat(dbPath, { signal: ctx.signal })).size;
  if (size > RPM_LIMITS.maxFileSize) return out; // the analyzer did not read it either
  const bytes = new Uint8Array(await ctx.image.readFile(dbPath, { signal: ctx.signal }));
  let problems = 0;
  const warn = (message: string): void => {
    if (++problems <= 20) ctx.warn(message, dbPath);
  };
  // Bad records and pages were reported when the analyzer read the same bytes.
  const records = await readRpmDbRecords(kind, bytes, () => {});
  const byPurl = new Map(packages.map((p) => [p.purl, p]));
  const total = countPaths(wanted);
  let entries = 0;
  for (const record of records) {
    if (out.size === total) break;
    ctx.signal?.throwIfAborted();
    let header: RpmHeader;
    try {
      header = parseHeaderBlob(record.blob);
    } catch {
      continue; // reported by the analyzer
    }
    let files: FileList | undefined;
    try {
      files = fileList(header);
    } catch (err) {
      warn(`package record ${record.key}: file list not read (${errorMessage(err)})`);
      continue;
    }
    if (files === undefined) continue;
    entries += files.basenames.length;
    if (entries > RPM_LIMITS.maxOwnerFileEntries) {
      ctx.warn(
        `more than ${RPM_LIMITS.maxOwnerFileEntries} file list entries: the rest of the database is not searched for owners`,
        dbPath,
      );
      break;
    }
    const hits: string[] = [];
    for (let i = 0; i < files.basenames.length; i++) {
      const base = files.basenames[i] as string;
      if (!bases.has(base)) continue;
      const full = `${files.dirnames[files.dirindexes[i] as number]}${base}`;
      for (const path of wanted.get(full) ?? []) if (!out.has(path)) hits.push(path);
    }
    if (hits.length === 0) continue;
    let owner: PackageOwner | undefined;
    try {
      const pkg = byPurl.get(
        rpmPackage(
          readPackageInfo(header, () => {}),
          dbPath,
          ctx.os,
        ).purl,
      );
      if (pkg !== undefined) owner = { manager: "rpm", name: pkg.name, version: pkg.version, purl: pkg.purl };
    } catch {
      // A record the analyzer rejected has no package to name: its files stay unlinked.
    }
    if (owner !== undefined) for (const path of hits) out.set(path, owner);
  }
  if (problems > 20) ctx.warn(`${problems - 20} more problems reading file lists`, dbPath);
  return out;
}

function countPaths(wanted: ReadonlyMap<string, readonly string[]>): number {
  const all = new Set<string>();
  for (const list of wanted.values()) for (const p of list) all.add(p);
  return all.size;
}

/**
 * The file list of a header, or `undefined` for a package without files. The three arrays come
 * from untrusted bytes: BASENAMES and DIRINDEXES must be as long as each other and every index
 * must name a DIRNAMES entry.
 * @throws Error when they do not fit together
 */
export function fileList(header: RpmHeader): FileList | undefined {
  const basenames = headerStrings(header, RPMTAG.BASENAMES);
  const dirnames = headerStrings(header, RPMTAG.DIRNAMES);
  const dirindexes = headerInt32s(header, RPMTAG.DIRINDEXES);
  if (basenames === undefined && dirnames === undefined && dirindexes === undefined) return undefined;
  if (basenames === undefined || dirnames === undefined || dirindexes === undefined)
    throw new Error("BASENAMES, DIRNAMES and DIRINDEXES are not all present");
  if (basenames.length !== dirindexes.length) {
    throw new Error(`${basenames.length} BASENAMES but ${dirindexes.length} DIRINDEXES`);
  }
  for (const index of dirindexes) {
    if (index >= dirnames.length)
      throw new Error(`DIRINDEXES names directory ${index} of ${dirnames.length}`);
  }
  return { basenames, dirnames, dirindexes };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
