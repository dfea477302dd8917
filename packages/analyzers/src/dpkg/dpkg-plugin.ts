// The `dpkg` analyzer: installed Debian packages from `/var/lib/dpkg/status` and distroless
// `/var/lib/dpkg/status.d/*`, with owned files (`info/<name>.list`) and licences (`copyright`)
// read on request only. Field meanings: deb-control(5), dpkg-query(1) `Status`.
import { isFsError } from "@rafscan/vfs";
import type { OsInfo, Package } from "../findings.js";
import type { AnalyzerContext, AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { purl } from "../purl.js";
import { debVersionProblem } from "./deb-version.js";
import { parseDeb822, type Stanza } from "./deb822.js";
import { dpkgOwners } from "./owners.js";

/** The dpkg database of a regular Debian or Ubuntu image. */
export const DPKG_STATUS = "/var/lib/dpkg/status";
/** Distroless images keep one small status file per package here instead. */
export const DPKG_STATUS_DIR = "/var/lib/dpkg/status.d/";

/** Package names as Debian policy 5.6.7 allows them; anything else is not used to build paths. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*$/;
const ARCH_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** `Source: name` or `Source: name (version)`. */
const SOURCE_FIELD = /^(\S+)(?:\s+\(([^()\s]+)\))?$/;
/** Owned-file lists and copyright files read at once when asked for. */
const EXTRA_READS_AT_ONCE = 16;
/** Licence names kept per package: copyright files of big packages list dozens of file groups. */
const MAX_LICENSES = 32;

/** A regular file directly in status.d, except the `<name>.md5sums` lists stored beside them. */
function isStatusDirFile(entry: NeedEntry): boolean {
  if (!entry.path.startsWith(DPKG_STATUS_DIR) || entry.path.endsWith(".md5sums")) return false;
  return !entry.path.slice(DPKG_STATUS_DIR.length).includes("/");
}

/** True when a stanza describes an installed package (status.d stanzas may lack `Status`). */
function isInstalled(stanza: Stanza): boolean {
  const status = stanza.fields.get("status");
  // `want flag state`: only state `installed` counts; `half-installed`, `config-files` do not.
  return status === undefined || status.split(/\s+/)[2] === "installed";
}

/**
 * Packages from parsed dpkg stanzas of `source` (a file path). Installed stanzas without a valid
 * Package or Version are reported through `warn` and left out.
 */
export function dpkgPackages(
  stanzas: readonly Stanza[],
  source: string,
  os: OsInfo | undefined,
  warn: (message: string, path?: string) => void,
): Package[] {
  const out: Package[] = [];
  const namespace = os?.family || "debian";
  const distro = os !== undefined && os.version !== "" ? `${os.family}-${os.version}` : undefined;
  for (const stanza of stanzas) {
    if (!isInstalled(stanza)) continue;
    const name = stanza.fields.get("package") ?? "";
    const version = stanza.fields.get("version") ?? "";
    if (!PACKAGE_NAME.test(name) || version === "" || /\s/.test(version)) {
      warn(`paragraph at line ${stanza.line}: missing or malformed Package or Version`, source);
      continue;
    }
    // dpkg refuses such a version, so the stanza is damaged; it could not be matched either.
    const problem = debVersionProblem(version);
    if (problem !== undefined) {
      warn(
        `paragraph at line ${stanza.line}: package ${name} skipped: invalid version ${JSON.stringify(version)} (${problem})`,
        source,
      );
      continue;
    }
    const arch = stanza.fields.get("architecture") || undefined;
    const src = SOURCE_FIELD.exec(stanza.fields.get("source") ?? "");
    const sourceName = src?.[1];
    const sourceVersion = src?.[2];
    // As Syft does: `upstream` names the source package (and its version when dpkg recorded one,
    // which it does only when it differs from the binary's).
    const upstream = sourceName && (sourceVersion ? `${sourceName}@${sourceVersion}` : sourceName);
    out.push({
      name,
      version,
      ecosystem: "deb",
      purl: purl("deb", namespace, name, version, { arch, distro, upstream }),
      source,
      ...(arch !== undefined ? { arch } : {}),
      ...(sourceName !== undefined ? { sourceName } : {}),
      ...(sourceVersion !== undefined ? { sourceVersion } : {}),
    });
  }
  return out;
}

/** Licence names from `License:` lines of a machine-readable (DEP-5) copyright file. */
export function copyrightLicenses(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/^License:[ \t]*(\S[^\n]*?)[ \t]*$/gm)) {
    found.add(m[1] as string);
    if (found.size >= MAX_LICENSES) break;
  }
  return [...found];
}

/** Paths from an `info/<name>.list` file (dpkg writes `/.` for the root; it is dropped). */
export function listFilePaths(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.startsWith("/") && l !== "/.");
}

/** The first of `paths` that exists, as text; undefined when none does. */
async function readFirst(ctx: AnalyzerContext, paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) {
    try {
      return await ctx.image.readFile(path, { encoding: "utf8", signal: ctx.signal });
    } catch (err) {
      if (isFsError(err, "ENOENT") || isFsError(err, "ENOTDIR")) continue;
      ctx.signal?.throwIfAborted();
      ctx.warn(`cannot read: ${err instanceof Error ? err.message : String(err)}`, path);
      return undefined;
    }
  }
  return undefined;
}

/** Adds `files` and `licenses` to packages, as `ctx.options` asks, reading a few files at once. */
async function addExtras(packages: Package[], ctx: AnalyzerContext): Promise<Package[]> {
  const wantFiles = ctx.options.files === true;
  const wantLicenses = ctx.options.licenses === true;
  if (!wantFiles && !wantLicenses) return packages;
  const out: Package[] = [];
  for (let i = 0; i < packages.length; i += EXTRA_READS_AT_ONCE) {
    const batch = packages.slice(i, i + EXTRA_READS_AT_ONCE).map(async (p): Promise<Package> => {
      let extra: { files?: string[]; licenses?: string[] } = {};
      if (wantFiles) {
        const info = "/var/lib/dpkg/info/";
        const qualified =
          p.arch && p.arch !== "all" && ARCH_NAME.test(p.arch) ? [`${info}${p.name}:${p.arch}.list`] : [];
        const text = await readFirst(ctx, [...qualified, `${info}${p.name}.list`]);
        if (text !== undefined) extra = { ...extra, files: listFilePaths(text) };
      }
      if (wantLicenses) {
        const text = await readFirst(ctx, [`/usr/share/doc/${p.name}/copyright`]);
        const licenses = text === undefined ? [] : copyrightLicenses(text);
        if (licenses.length > 0) extra = { ...extra, licenses };
      }
      return { ...p, ...extra };
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/**
 * Installed dpkg packages. purl: `pkg:deb/<os family, else debian>/<name>@<version>?arch=&distro=
 * <family>-<version>&upstream=<source>[@<source version>]`. Options (`pluginOptions.dpkg`):
 * `files: true` adds each package's owned files from `/var/lib/dpkg/info/<name>[:<arch>].list`;
 * `licenses: true` adds licence names from `/usr/share/doc/<name>/copyright`. Both are read through
 * `ctx.image` (counted in this analyzer's bytes), so a scan that does not ask reads nothing more.
 */
export const dpkgPlugin: AnalyzerPlugin = {
  id: "dpkg",
  version: "1.0.0",
  description: "Debian packages from /var/lib/dpkg/status and status.d",
  database: true,
  needs: [DPKG_STATUS, isStatusDirFile],
  async analyze(files, ctx) {
    const packages: Package[] = [];
    const seen = new Set<string>();
    // The main database first, then status.d in name order (the walk's order).
    const ordered = [...files].sort(
      (a, b) => Number(b.path === DPKG_STATUS) - Number(a.path === DPKG_STATUS),
    );
    for (const file of ordered) {
      const stanzas = parseDeb822(await file.text(), (line, reason) =>
        ctx.warn(`line ${line}: ${reason}`, file.path),
      );
      for (const p of dpkgPackages(stanzas, file.path, ctx.os, ctx.warn)) {
        const key = `${p.name}:${p.arch ?? ""}`;
        if (seen.has(key)) continue;
        seen.add(key);
        packages.push(p);
      }
    }
    return { packages: await addExtras(packages, ctx) };
  },
  owners: dpkgOwners,
};
