// Applies --severity, --ignore-unfixed, VEX documents and ignore files to a scan report's
// vulnerabilities: dropped findings vanish, suppressed ones move to `suppressed` with the reason.
import type { PackageURL } from "packageurl-js";
import picomatch from "picomatch";
import type { ScannedImage, ScanReport, ScanWarning } from "../report.js";
import {
  SEVERITIES,
  type Severity,
  type SuppressedFinding,
  type VulnerabilityFinding,
} from "../vulnerability.js";
import type { IgnoreFile, IgnoreRule } from "./ignore-file.js";
import { parsePurl, purlMatches } from "./purl-match.js";
import type { VexDocument, VexProduct, VexStatement } from "./vex.js";

/** Options of `applyVulnerabilityFilters`. */
export interface VulnerabilityFilterOptions {
  /** Severities kept; findings of others are dropped (not suppressed). Default: all five. */
  readonly severities?: readonly Severity[];
  /** Drop findings without a fixed version (status other than `fixed`). Default: false. */
  readonly ignoreUnfixed?: boolean;
  /** VEX documents: a finding whose latest matching statement is `not_affected` or `fixed` is suppressed. */
  readonly vex?: readonly VexDocument[];
  /** Ignore files: a finding an unexpired rule matches is suppressed. */
  readonly ignoreFiles?: readonly IgnoreFile[];
  /** The time `exp:`/`expired_at` dates are compared with. Default: now. */
  readonly now?: Date;
}

function fixed(f: VulnerabilityFinding): boolean {
  return f.status === "fixed" && f.fixedVersions.length > 0;
}

function ids(f: VulnerabilityFinding): Set<string> {
  return new Set([f.id, ...f.aliases].map((id) => id.toUpperCase()));
}

/** The package's file without a leading `/`, as Trivy's ignore paths are written (`usr/lib/...`). */
function relative(path: string): string {
  return path.replace(/^\/+/, "");
}

/** A VEX product with its purls parsed once. */
interface CompiledProduct {
  readonly product: VexProduct;
  readonly purl: PackageURL | undefined;
  readonly subcomponents: readonly PackageURL[];
}

/** A statement ready to test against findings, with its place in time order. */
interface CompiledStatement {
  readonly statement: VexStatement;
  readonly source: string;
  /** Position in time order: a higher one is later and overrides. */
  readonly order: number;
  readonly products: readonly CompiledProduct[];
}

/**
 * Whether a product is this image: an `oci` purl whose version is the image's digest (or, without
 * a version, whose name is the repository's last segment), or the digest itself.
 */
function isThisImage(p: CompiledProduct, image: ScannedImage): boolean {
  if (p.product.id.startsWith("sha256:")) return p.product.id === image.digest;
  if (p.purl?.type !== "oci") return false;
  if (p.purl.version !== undefined && p.purl.version !== "") return p.purl.version === image.digest;
  const repo =
    image.name
      .replace(/[@:][^/]*$/, "")
      .split("/")
      .pop() ?? "";
  return p.purl.name === repo;
}

/** Whether the product holding subcomponents may be this image (only a wrong digest or name rules it out). */
function mayBeThisImage(p: CompiledProduct, image: ScannedImage): boolean {
  // A product that is neither a digest nor an oci purl (a name, a cpe) cannot be checked: it is
  // taken to be what the user scanned, since they passed the document for this scan.
  const checkable = p.product.id.startsWith("sha256:") || p.purl?.type === "oci";
  return !checkable || isThisImage(p, image);
}

function covers(s: CompiledStatement, target: PackageURL, image: ScannedImage): boolean {
  return s.products.some((p) => {
    if (p.subcomponents.length > 0) {
      return mayBeThisImage(p, image) && p.subcomponents.some((sub) => purlMatches(sub, target));
    }
    // A product that is the package, or the whole image (every package in it).
    return (p.purl !== undefined && purlMatches(p.purl, target)) || isThisImage(p, image);
  });
}

/**
 * Statements of all documents in time order (later ones override earlier ones, the OpenVEX rule),
 * indexed by every id they name (upper case) so each finding meets only its own statements.
 */
function indexStatements(docs: readonly VexDocument[]): Map<string, CompiledStatement[]> {
  const all = docs.flatMap((doc) => doc.statements.map((statement) => ({ statement, source: doc.source })));
  const time = (t: string | undefined) => {
    const ms = t !== undefined ? Date.parse(t) : Number.NaN;
    return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
  };
  // Array.prototype.sort is stable: equal times keep file and document order.
  all.sort((a, b) => {
    const ta = time(a.statement.timestamp);
    const tb = time(b.statement.timestamp);
    return ta === tb ? 0 : ta < tb ? -1 : 1;
  });
  const index = new Map<string, CompiledStatement[]>();
  all.forEach(({ statement, source }, order) => {
    const compiled: CompiledStatement = {
      statement,
      source,
      order,
      products: statement.products.map((product) => ({
        product,
        purl: product.purl !== undefined ? parsePurl(product.purl) : undefined,
        subcomponents: product.subcomponents.flatMap((sub) => parsePurl(sub) ?? []),
      })),
    };
    for (const id of new Set([statement.vulnerability, ...statement.aliases].map((x) => x.toUpperCase()))) {
      const list = index.get(id) ?? [];
      list.push(compiled);
      index.set(id, list);
    }
  });
  return index;
}

/** The latest statement covering `finding`, if any. */
function latestStatement(
  index: ReadonlyMap<string, readonly CompiledStatement[]>,
  finding: VulnerabilityFinding,
  findingIds: ReadonlySet<string>,
  image: ScannedImage,
): CompiledStatement | undefined {
  if (index.size === 0) return undefined;
  const target = parsePurl(finding.packagePurl);
  if (target === undefined) return undefined;
  let latest: CompiledStatement | undefined;
  for (const id of findingIds) {
    for (const s of index.get(id) ?? []) {
      if ((latest === undefined || s.order > latest.order) && covers(s, target, image)) latest = s;
    }
  }
  return latest;
}

/** An ignore rule with its globs compiled and purls parsed once. */
interface CompiledRule {
  readonly rule: IgnoreRule;
  readonly source: string;
  readonly paths: readonly ((path: string) => boolean)[];
  readonly purls: readonly PackageURL[];
}

function compileRule(rule: IgnoreRule, source: string): CompiledRule {
  return {
    rule,
    source,
    paths: rule.paths.map((glob) => picomatch(relative(glob), { dot: true })),
    // The parser already refused unparsable purls.
    purls: rule.purls.flatMap((p) => parsePurl(p) ?? []),
  };
}

function ruleMatches(
  compiled: CompiledRule,
  finding: VulnerabilityFinding,
  findingIds: Set<string>,
  path: string | undefined,
): boolean {
  const { rule } = compiled;
  if (rule.id !== undefined && !findingIds.has(rule.id.toUpperCase())) return false;
  if (compiled.paths.length > 0) {
    if (path === undefined) return false;
    const file = relative(path);
    if (!compiled.paths.some((match) => match(file))) return false;
  }
  if (compiled.purls.length > 0) {
    const target = parsePurl(finding.packagePurl);
    if (target === undefined || !compiled.purls.some((pattern) => purlMatches(pattern, target))) return false;
  }
  return true;
}

/**
 * The report with its vulnerability findings filtered, in this order: `severities` and
 * `ignoreUnfixed` drop findings; then VEX statements, then ignore-file rules move findings to
 * `suppressed` (`by: "vex"` with the VEX status as `statement`, or `by: "ignorefile"` with the
 * rule's statement, `ignored` when it has none). Ignore rules past their expiry date are not
 * applied and each adds a warning (`plugin: "ignorefile"`). A report without vulnerabilities, or
 * whose matching failed (`error`), is returned as it is. The input is not modified.
 */
export function applyVulnerabilityFilters(
  report: ScanReport,
  options: VulnerabilityFilterOptions = {},
): ScanReport {
  const vulns = report.vulnerabilities;
  if (vulns === undefined || vulns.error !== undefined) return report;
  const severities = new Set<Severity>(options.severities ?? SEVERITIES);
  for (const s of severities) {
    if (!SEVERITIES.includes(s))
      throw new TypeError(`unknown severity '${String(s)}' (known: ${SEVERITIES.join(", ")})`);
  }
  const now = (options.now ?? new Date()).getTime();
  const warnings: ScanWarning[] = [];
  const rules: CompiledRule[] = [];
  for (const file of options.ignoreFiles ?? []) {
    for (const rule of file.rules) {
      if (rule.expiresAt !== undefined && Date.parse(rule.expiresAt) < now) {
        warnings.push({
          plugin: "ignorefile",
          message: `rule ${rule.id ?? "(no id)"} (${rule.where}) expired ${rule.expiresAt.slice(0, 10)}; not applied`,
          path: file.source,
        });
        continue;
      }
      rules.push(compileRule(rule, file.source));
    }
  }
  const statements = indexStatements(options.vex ?? []);

  const kept: VulnerabilityFinding[] = [];
  const suppressed: SuppressedFinding[] = [...vulns.suppressed];
  for (const finding of vulns.findings) {
    if (!severities.has(finding.severity)) continue;
    if (options.ignoreUnfixed === true && !fixed(finding)) continue;
    const findingIds = ids(finding);
    const latest = latestStatement(statements, finding, findingIds, report.image);
    if (
      latest !== undefined &&
      (latest.statement.status === "not_affected" || latest.statement.status === "fixed")
    ) {
      const why = latest.statement.justification ?? latest.statement.detail;
      suppressed.push({
        finding,
        by: "vex",
        source: latest.source,
        statement: latest.statement.status,
        ...(why !== undefined ? { justification: why } : {}),
      });
      continue;
    }
    const path = report.packages[finding.packageIndex]?.source;
    const hit = rules.find((rule) => ruleMatches(rule, finding, findingIds, path));
    if (hit !== undefined) {
      suppressed.push({
        finding,
        by: "ignorefile",
        source: hit.source,
        statement: hit.rule.statement ?? "ignored",
      });
      continue;
    }
    kept.push(finding);
  }
  return {
    ...report,
    warnings: warnings.length > 0 ? [...report.warnings, ...warnings] : report.warnings,
    vulnerabilities: { ...vulns, findings: kept, suppressed },
  };
}
