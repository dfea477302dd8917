// Which language packages dpkg installed: Debian ships Python distributions under
// /usr/lib/python3/dist-packages (pip installs to /usr/local), Node packages under /usr/share/nodejs,
// Ruby gems under /usr/lib/ruby/vendor_ruby and /usr/share/rubygems-integration, and so on. A
// language package found there is checked against the `info/<name>.list` file of only those dpkg
// packages whose name says they hold that language's content (python3-*, node-*, ruby-*), so the
// cost is a few small list files, and none at all in images without such packages.
import { isFsError } from "@rafscan/vfs";
import type { Package, PackageOwner } from "../findings.js";
import type { AnalyzerContext } from "../plugin.js";

/** A directory dpkg packages install one language's packages into, and the names of those packages. */
interface LanguageTree {
  readonly dir: RegExp;
  readonly owner: RegExp;
}

// Debian Python Policy puts modules in /usr/lib/python3/dist-packages (and pythonX.Y for some);
// Debian JavaScript Policy uses /usr/share/nodejs and /usr/lib/<triplet>/nodejs; the Ruby team
// /usr/lib/ruby/vendor_ruby and /usr/share/rubygems-integration; PHP PEAR /usr/share/php.
const TREES: readonly LanguageTree[] = [
  { dir: /^\/usr\/lib\/(?:python[23](?:\.\d+)?|pypy3?)\/dist-packages\//, owner: /^(?:python[23]?|pypy3?)-/ },
  { dir: /^\/usr\/(?:share|lib(?:\/[^/]+)?)\/nodejs\//, owner: /^node-/ },
  { dir: /^\/usr\/(?:lib\/ruby\/vendor_ruby|share\/rubygems-integration)\//, owner: /^ruby-/ },
  { dir: /^\/usr\/share\/php\//, owner: /^php-/ },
];

/** Most list files read for one scan; past it the rest stay unlinked, with a warning. */
export const MAX_OWNER_LISTS = 2000;

const ARCH_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Maps each of `paths` that lies in a Debian language tree to the dpkg package whose
 * `info/<name>[:<arch>].list` names it. Only packages whose names fit that tree are read.
 */
export async function dpkgOwners(
  paths: readonly string[],
  packages: readonly Package[],
  ctx: AnalyzerContext,
): Promise<Map<string, PackageOwner>> {
  const out = new Map<string, PackageOwner>();
  const wanted = new Set<string>();
  const trees = new Set<LanguageTree>();
  for (const path of paths) {
    const tree = TREES.find((t) => t.dir.test(path));
    if (tree === undefined) continue;
    wanted.add(path);
    trees.add(tree);
  }
  if (wanted.size === 0) return out;
  const candidates = packages.filter((p) => [...trees].some((t) => t.owner.test(p.name)));
  if (candidates.length > MAX_OWNER_LISTS)
    ctx.warn(`more than ${MAX_OWNER_LISTS} candidate owners: only the first are read`);
  const info = "/var/lib/dpkg/info/";
  for (let i = 0; i < Math.min(candidates.length, MAX_OWNER_LISTS) && out.size < wanted.size; i += 16) {
    const batch = candidates.slice(i, Math.min(i + 16, MAX_OWNER_LISTS));
    const lists = await Promise.all(
      batch.map(async (p) => {
        const names =
          p.arch && p.arch !== "all" && ARCH_NAME.test(p.arch)
            ? [`${p.name}:${p.arch}.list`, `${p.name}.list`]
            : [`${p.name}.list`];
        for (const name of names) {
          try {
            return {
              p,
              text: await ctx.image.readFile(`${info}${name}`, { encoding: "utf8", signal: ctx.signal }),
            };
          } catch (err) {
            if (isFsError(err, "ENOENT") || isFsError(err, "ENOTDIR")) continue;
            ctx.signal?.throwIfAborted();
            ctx.warn(`cannot read: ${err instanceof Error ? err.message : String(err)}`, `${info}${name}`);
            return undefined;
          }
        }
        return undefined;
      }),
    );
    for (const list of lists) {
      if (list === undefined) continue;
      const owner: PackageOwner = {
        manager: "dpkg",
        name: list.p.name,
        version: list.p.version,
        purl: list.p.purl,
      };
      for (const line of list.text.split("\n")) {
        const path = line.trimEnd();
        if (wanted.has(path) && !out.has(path)) out.set(path, owner);
      }
    }
  }
  return out;
}
