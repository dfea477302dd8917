// The matcher: turns a scan report's packages into vulnerability findings from an advisory store.
// OS packages are matched in their release's ecosystem by source package; language packages in
// their purl type's OSV ecosystem. Records that alias each other become one finding.
import type {
  DataSource,
  Ecosystem,
  Package,
  ReleaseSupport,
  ScanReport,
  Severity,
  UnmatchedPackage,
  VulnerabilityFinding,
  VulnerabilityMatcher,
  VulnerabilityReport,
  VulnerabilityStatus,
} from "@rafscan/analyzers";
import type { AffectedSummary } from "../affected-summary.js";
import type { FixStatus, OsvAffected, OsvRecord } from "../osv.js";
import { normalizePackageName } from "../package-names.js";
import type { AdvisoryStore } from "../store.js";
import { schemeFor, VersionError, type VersionScheme } from "../versions/index.js";
import { evaluateAffected } from "./affected.js";
import { type OsRelease, osRelease } from "./releases.js";
import { cvssScores, recordSource, severityFromCvss, severityWord, vendorSeverity } from "./severity.js";
import { isObject, list } from "./untrusted.js";

/** Options of {@link matchVulnerabilities}. */
export interface MatchOptions {
  /** Checked between packages. Default: none. */
  readonly signal?: AbortSignal | undefined;
  /** Version scheme of an OSV ecosystem (release suffix included). Default {@link schemeFor}. */
  readonly schemes?: ((ecosystem: string) => VersionScheme | undefined) | undefined;
  /** The time end-of-life dates compare with. Default the report's `createdAt`, else now. */
  readonly now?: Date | undefined;
  /** Called once with what the matching did. Default: none. */
  readonly onStats?: ((stats: MatchStats) => void) | undefined;
}

/** Figures of one matching run. */
export interface MatchStats {
  readonly packages: number;
  /** Packages compared with advisories (the others are in `unmatched`). */
  readonly matched: number;
  readonly unmatched: number;
  readonly findings: number;
  /** Distinct (ecosystem, name, installed version) lookups made in the store. */
  readonly lookups: number;
  /**
   * Records those lookups' index rows named (only those covering the version are decoded), and
   * how many of them were withdrawn (skipped).
   */
  readonly records: number;
  readonly withdrawn: number;
  /** Ranges skipped because a version in them is invalid for the ecosystem's scheme. */
  readonly badRanges: number;
  /**
   * Packages skipped because their ecosystem has no OSV name or no version scheme, by ecosystem
   * (the purl type, or the OSV name when the scheme is missing).
   */
  readonly unknownEcosystems: Readonly<Record<string, number>>;
}

/** OSV ecosystem of each language purl type (OS types are matched by release, see releases.ts). */
const LANGUAGE_ECOSYSTEMS: Readonly<Partial<Record<Ecosystem, string>>> = {
  pypi: "PyPI",
  npm: "npm",
  golang: "Go",
  cargo: "crates.io",
  maven: "Maven",
  nuget: "NuGet",
  gem: "RubyGems",
  composer: "Packagist",
  conda: "conda",
};

const OS_MANAGERS: ReadonlySet<Ecosystem> = new Set(["deb", "apk", "rpm"]);

/** Where and under which name and version a package is looked up, or why it is not. */
type Target =
  | {
      readonly ecosystems: readonly string[];
      /** Names to look up: one, or for rpm the source and the binary name. */
      readonly names: readonly string[];
      readonly version: string;
      /** OSV ecosystem without release: `Debian`, `PyPI`. */
      readonly base: string;
      readonly os: boolean;
    }
  | { readonly reason: string; readonly unknownEcosystem?: string };

function targetFor(
  p: Package,
  release: OsRelease | undefined,
  known: ReadonlySet<string>,
  os: string,
): Target {
  if (OS_MANAGERS.has(p.ecosystem)) {
    if (release === undefined) return { reason: `no advisories for ${p.ecosystem} packages of ${os}` };
    if (release.manager !== p.ecosystem) {
      return { reason: `${p.ecosystem} package in a ${release.family} image: its advisories do not apply` };
    }
    if (release.ecosystems.length === 0)
      return { reason: `no advisories for ${release.expected} in the database` };
    // Debian and Ubuntu publish by source package at the source version; Alpine by origin; Rocky
    // Linux and AlmaLinux by source RPM, Red Hat by source or binary RPM, both at the package's own
    // `[epoch:]version-release` (a source RPM shares it).
    const source = p.sourceName ?? p.name;
    const names = p.ecosystem === "rpm" && source !== p.name ? [source, p.name] : [source];
    const version = p.ecosystem === "deb" ? (p.sourceVersion ?? p.version) : p.version;
    if (version === "") return { reason: "no version" };
    return { ecosystems: release.ecosystems, names, version, base: release.vendor, os: true };
  }
  if (p.installedBy !== undefined) {
    return {
      reason: `installed by the ${p.installedBy.manager} package ${p.installedBy.name}: covered by its OS advisories`,
    };
  }
  if (p.version === "") {
    return {
      reason: p.relationship !== undefined ? `${p.relationship} package without a version` : "no version",
    };
  }
  const base = LANGUAGE_ECOSYSTEMS[p.ecosystem];
  if (base === undefined)
    return { reason: `no OSV ecosystem for ${p.ecosystem}`, unknownEcosystem: p.ecosystem };
  if (!known.has(base)) return { reason: `no advisories for ecosystem ${base} in the database` };
  return { ecosystems: [base], names: [p.name], version: p.version, base, os: false };
}

/** One record's verdict on one package. */
interface Candidate {
  readonly record: OsvRecord;
  readonly ecosystem: string;
  readonly entry: OsvAffected;
  readonly fixed: readonly string[];
  readonly status: FixStatus;
  readonly ids: readonly string[];
  /** The CVEs of an advisory that bundles several (see idsOf). */
  readonly bundle?: readonly string[] | undefined;
}

/**
 * Ids that name the same issue as `record` (its own, its aliases, a single `upstream` id), and for
 * an advisory that bundles several CVEs (a DSA, an RHSA: two or more CVE ids among its aliases
 * and upstream ids) those CVEs as `bundle`: such a record joins each CVE's finding instead of
 * merging distinct CVEs into one. DEBIAN-CVE-* and UBUNTU-CVE-* records name their CVE in
 * `upstream`.
 */
function idsOf(record: OsvRecord): { ids: string[]; bundle?: string[] } {
  const own = (xs: readonly unknown[]) =>
    xs.filter((id): id is string => typeof id === "string" && id !== "");
  const aliases = own(list(record.aliases));
  const upstream = own(list(record.upstream));
  const cves = [...new Set([...aliases, ...upstream].filter((id) => CVE.test(id)))];
  if (cves.length >= 2 && !CVE.test(record.id)) return { ids: [record.id], bundle: cves };
  return { ids: [record.id, ...aliases, ...(upstream.length === 1 ? upstream : [])] };
}

const CVE = /^CVE-(\d{4})-(\d+)$/;

function compareIds(a: string, b: string): number {
  const ma = CVE.exec(a);
  const mb = CVE.exec(b);
  if (ma && mb) return Number(ma[1]) - Number(mb[1]) || Number(ma[2]) - Number(mb[2]);
  if (ma) return -1;
  if (mb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups candidates whose ids overlap (transitively): a DSA and the CVE records it aliases. A
 * bundling advisory then joins every group holding one of its CVEs, or stands alone when none does.
 */
function groupCandidates(candidates: readonly Candidate[]): Candidate[][] {
  const single = candidates.filter((c) => c.bundle === undefined);
  const parent = single.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] as number;
    // Path compression: point every node on the way at the root.
    for (let j = i; parent[j] !== root; ) {
      const next = parent[j] as number;
      parent[j] = root;
      j = next;
    }
    return root;
  };
  const owner = new Map<string, number>();
  single.forEach((c, i) => {
    for (const id of c.ids) {
      const o = owner.get(id);
      if (o === undefined) owner.set(id, i);
      else parent[find(i)] = find(o);
    }
  });
  const byRoot = new Map<number, Candidate[]>();
  single.forEach((c, i) => {
    const root = find(i);
    const g = byRoot.get(root);
    if (g === undefined) byRoot.set(root, [c]);
    else g.push(c);
  });
  const groups = [...byRoot.values()];
  for (const b of candidates) {
    if (b.bundle === undefined) continue;
    const targets = groups.filter((g) => g.some((c) => c.ids.some((id) => b.bundle?.includes(id))));
    if (targets.length === 0) groups.push([b]);
    for (const g of targets) g.push(b);
  }
  return groups;
}

const STATUS_PRIORITY: Readonly<Record<FixStatus, number>> = {
  affected: 0,
  fix_deferred: 1,
  will_not_fix: 2,
  end_of_life: 3,
};

function buildFinding(
  group: readonly Candidate[],
  p: Package,
  packageIndex: number,
  target: Extract<Target, { ecosystems: readonly string[] }>,
  scheme: VersionScheme,
  dataSource: DataSource,
): VulnerabilityFinding {
  // A bundling advisory none of whose CVEs has a record of its own keeps its id and lists them.
  const alone = group.length === 1 ? group[0]?.bundle : undefined;
  const ids =
    alone !== undefined
      ? [(group[0] as Candidate).record.id, ...[...alone].sort(compareIds)]
      : [...new Set(group.flatMap((c) => c.ids))].sort(compareIds);
  const id = ids[0] as string;
  // The record the finding is named after gives the title and dates; else the first with a summary.
  const sorted = [...group].sort((a, b) => compareIds(a.record.id, b.record.id));
  const primary = sorted.find((c) => c.record.id === id) ?? sorted.find((c) => c.record.summary) ?? sorted[0];
  const record = (primary as Candidate).record;

  const fixedSet = new Map<string, unknown>();
  for (const c of group) {
    for (const f of c.fixed) if (!fixedSet.has(f)) fixedSet.set(f, scheme.parse(f));
  }
  const fixedVersions = [...fixedSet.keys()].sort((a, b) => scheme.compare(fixedSet.get(a), fixedSet.get(b)));
  let status: VulnerabilityStatus = "fixed";
  if (fixedVersions.length === 0) {
    status = group
      .map((c) => c.status)
      .reduce((a, b) => (STATUS_PRIORITY[b] > STATUS_PRIORITY[a] ? b : a), "affected" as FixStatus);
  }

  const cvss = [];
  const seenVectors = new Set<string>();
  for (const c of sorted) {
    for (const s of cvssScores(c.record, c.entry)) {
      if (seenVectors.has(s.vector)) continue;
      seenVectors.add(s.vector);
      cvss.push(s);
    }
  }

  let severity: Severity | undefined;
  let severitySource = "";
  if (target.os) {
    for (const c of sorted) {
      severity = vendorSeverity(c.record, c.entry);
      if (severity !== undefined) {
        severitySource = target.base.toLowerCase();
        break;
      }
    }
  } else {
    for (const c of sorted) {
      severity = severityWord(c.record.database_specific?.severity);
      if (severity !== undefined) {
        severitySource = recordSource(c.record.id);
        break;
      }
    }
  }
  if (severity === undefined) {
    const best = severityFromCvss(cvss);
    severity = best?.severity ?? "UNKNOWN";
    severitySource = best?.source ?? dataSource.id;
  }

  const references: string[] = [];
  for (const c of sorted) {
    for (const r of list(c.record.references)) {
      if (typeof r.url === "string" && !references.includes(r.url)) references.push(r.url);
    }
  }
  return {
    id,
    aliases: ids.slice(1),
    packageIndex,
    packageName: p.name,
    packagePurl: p.purl,
    ecosystem: (primary as Candidate).ecosystem,
    // The version the package manager shows; Debian advisories compare the source version.
    installedVersion: p.version,
    fixedVersions,
    status,
    severity,
    severitySource,
    cvss,
    ...(record.summary !== undefined ? { title: record.summary } : {}),
    ...(record.details !== undefined ? { description: record.details } : {}),
    references,
    dataSource,
    ...(record.published !== undefined ? { published: record.published } : {}),
    ...(record.modified !== undefined ? { modified: record.modified } : {}),
  };
}

/**
 * rpm advisories for module streams (`nodejs:18`) name the stream in
 * `ecosystem_specific.module` or `database_specific.module`, or build with a `.module` release;
 * they apply only to packages installed from that stream (MODULARITYLABEL `name:stream:...`), and
 * stream-less advisories only to packages outside any module. An entry listing architectures
 * (`ecosystem_specific.arch`) applies only to those, `noarch` packages excepted.
 */
function rpmEntryApplies(entry: OsvAffected, p: Package): boolean {
  const module = entry.ecosystem_specific?.module ?? entry.database_specific?.module;
  const label = p.modularityLabel;
  if (typeof module === "string" && module !== "") {
    if (label === undefined) return false;
    const [name, stream] = label.split(":");
    if (module !== `${name}:${stream}`) return false;
  } else {
    const versions = list(entry.ranges).flatMap((r) =>
      list(r?.events).map((e) => (isObject(e) ? Object.values(e)[0] : undefined)),
    );
    const moduleBuild = versions.some((v) => typeof v === "string" && /\.module[+_]/.test(v));
    if (moduleBuild !== (label !== undefined && label !== "")) return false;
  }
  const arches = entry.ecosystem_specific?.arch ?? entry.database_specific?.arch;
  if (Array.isArray(arches) && p.arch !== undefined && p.arch !== "noarch" && !arches.includes(p.arch))
    return false;
  return true;
}

function releaseSupport(
  release: OsRelease | undefined,
  report: ScanReport,
  now: Date,
): ReleaseSupport | undefined {
  if (report.os === undefined) return undefined;
  const { family, version } = report.os;
  if (release === undefined) return { family, version, status: "unknown" };
  const status =
    release.ecosystems.length === 0
      ? "unknown"
      : release.endOfLife !== undefined && now.toISOString().slice(0, 10) > release.endOfLife
        ? "end_of_life"
        : "supported";
  return {
    family,
    version,
    ecosystem: release.expected,
    status,
    ...(release.endOfLife !== undefined ? { endOfLife: release.endOfLife } : {}),
  };
}

/**
 * Matches the packages of `report` against `store`. OS packages (deb, apk, rpm) are matched in the
 * ecosystem of the image's release (`report.os`); language packages in their purl type's OSV
 * ecosystem. Packages that cannot be matched (no release data, a version the scheme refuses, a
 * language package an OS package installed, a versionless project root) are listed in `unmatched`
 * with the reason. Withdrawn records and GIT ranges are skipped. Throws only when `signal` aborts.
 */
export function matchVulnerabilities(
  report: ScanReport,
  store: AdvisoryStore,
  options: MatchOptions = {},
): VulnerabilityReport {
  const schemes = options.schemes ?? schemeFor;
  const now = options.now ?? (report.createdAt !== undefined ? new Date(report.createdAt) : new Date());
  const info = store.info();
  const known = new Set(store.ecosystems());
  const release = report.os === undefined ? undefined : osRelease(report.os, known);
  const osName =
    report.os === undefined ? "an image with no OS release" : `${report.os.family} ${report.os.version}`;

  const findings: VulnerabilityFinding[] = [];
  const unmatched: UnmatchedPackage[] = [];
  const cache = new Map<string, readonly OsvRecord[]>();
  const unknownEcosystems: Record<string, number> = {};
  let matched = 0;
  let records = 0;
  let withdrawn = 0;
  let badRanges = 0;
  const dataSources = new Map<string, DataSource>();
  const dataSourceOf = (base: string): DataSource => {
    let d = dataSources.get(base);
    if (d === undefined) {
      d = info.sample
        ? { id: "sample", name: `rafscan sample data for ${base} (not real advisory data)` }
        : {
            id: `osv:${base}`,
            name: `OSV ${base}`,
            url: `https://osv.dev/list?ecosystem=${encodeURIComponent(base)}`,
          };
      dataSources.set(base, d);
    }
    return d;
  };

  report.packages.forEach((p, packageIndex) => {
    options.signal?.throwIfAborted();
    const target = targetFor(p, release, known, osName);
    const unmatch = (reason: string) => unmatched.push({ packageIndex, purl: p.purl, reason });
    if ("reason" in target) {
      if (target.unknownEcosystem !== undefined) {
        unknownEcosystems[target.unknownEcosystem] = (unknownEcosystems[target.unknownEcosystem] ?? 0) + 1;
      }
      unmatch(target.reason);
      return;
    }
    const scheme = schemes(target.ecosystems[0] as string);
    if (scheme === undefined) {
      unknownEcosystems[target.base] = (unknownEcosystems[target.base] ?? 0) + 1;
      unmatch(`no version scheme for ecosystem ${target.base}`);
      return;
    }
    let installed: unknown;
    try {
      installed = scheme.parse(target.version);
    } catch (e) {
      if (!(e instanceof VersionError)) throw e;
      unmatch(e.message);
      return;
    }
    matched++;
    const wanted = new Set(target.names.map((n) => normalizePackageName(target.base, n)));
    const candidates: Candidate[] = [];
    const seen = new Set<string>();
    for (const [ecosystem, name] of target.ecosystems.flatMap((e) =>
      target.names.map((n) => [e, n] as const),
    )) {
      // The version is part of the key: the store returns only records covering it.
      const key = `${ecosystem}\u0000${name}\u0000${target.version}`;
      let found = cache.get(key);
      if (found === undefined) {
        // Records whose entries for this package cannot cover the installed version are
        // filtered on the index's summaries, never decoded; the full evaluation below decides.
        const affects = (summary: AffectedSummary): boolean => {
          records++;
          if (summary.withdrawn) {
            withdrawn++;
            return false;
          }
          const specific = summary.status === undefined ? undefined : { rafscan_status: summary.status };
          let hit = false;
          for (const entry of list(summary.entries)) {
            if (!isObject(entry)) continue;
            const verdict = evaluateAffected(entry, installed, scheme, specific);
            badRanges += verdict.badRanges;
            if (verdict.affected) hit = true;
          }
          return hit;
        };
        found = list(store.lookup(ecosystem, name, { affects }));
        cache.set(key, found);
      }
      for (const record of found) {
        if (!isObject(record) || typeof record.id !== "string" || record.withdrawn !== undefined) continue;
        // A record naming both the source and the binary RPM is one candidate.
        const once = `${ecosystem}\u0000${record.id}`;
        if (seen.has(once)) continue;
        seen.add(once);
        let affectedEntry: OsvAffected | undefined;
        const fixed: string[] = [];
        let status: FixStatus = "affected";
        for (const entry of list(record.affected)) {
          if (!isObject(entry) || !isObject(entry.package) || typeof entry.package.name !== "string")
            continue;
          if (entry.package.ecosystem !== ecosystem) continue;
          if (!wanted.has(normalizePackageName(ecosystem, entry.package.name))) continue;
          if (p.ecosystem === "rpm" && !rpmEntryApplies(entry, p)) continue;
          // Bad ranges were counted when the summary was evaluated.
          const verdict = evaluateAffected(entry, installed, scheme, record.database_specific);
          if (!verdict.affected) continue;
          affectedEntry ??= entry;
          for (const f of verdict.fixed) if (!fixed.includes(f)) fixed.push(f);
          if (STATUS_PRIORITY[verdict.status] > STATUS_PRIORITY[status]) status = verdict.status;
        }
        if (affectedEntry === undefined) continue;
        candidates.push({ record, ecosystem, entry: affectedEntry, fixed, status, ...idsOf(record) });
      }
    }
    for (const group of groupCandidates(candidates)) {
      findings.push(buildFinding(group, p, packageIndex, target, scheme, dataSourceOf(target.base)));
    }
  });

  const rank = (s: Severity) => ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"].indexOf(s);
  findings.sort(
    (a, b) =>
      a.packageIndex - b.packageIndex || rank(b.severity) - rank(a.severity) || compareIds(a.id, b.id),
  );
  const releaseInfo = releaseSupport(release, report, now);
  options.onStats?.({
    packages: report.packages.length,
    matched,
    unmatched: unmatched.length,
    findings: findings.length,
    lookups: cache.size,
    records,
    withdrawn,
    badRanges,
    unknownEcosystems,
  });
  return {
    database: info,
    findings,
    suppressed: [],
    unmatched,
    ...(releaseInfo !== undefined ? { release: releaseInfo } : {}),
  };
}

/**
 * A {@link VulnerabilityMatcher} over `store`, for `scanImage(image, { vulnerabilities })`. The
 * store stays open: close it when done.
 */
export function createMatcher(
  store: AdvisoryStore,
  options: Omit<MatchOptions, "signal" | "onStats"> = {},
): VulnerabilityMatcher {
  return {
    async match(report, { signal } = {}) {
      return matchVulnerabilities(report, store, { ...options, signal });
    },
  };
}
