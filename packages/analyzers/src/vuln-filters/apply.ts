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

/** Whether an OpenVEX/CycloneDX product that holds subcomponents is this image. */
function isThisImage(product: VexProduct, image: ScannedImage): boolean {
  if (product.id.startsWith("sha256:")) return product.id === image.digest;
  const p = product.purl !== undefined ? parsePurl(product.purl) : undefined;
  // A product that is neither a digest nor an oci purl (a name, a cpe) cannot be checked: it is
  // taken to be what the user scanned, since they passed the document for this scan.
  if (p === undefined || p.type !== "oci") return true;
  if (p.version !== undefined && p.version !== "") return p.version === image.digest;
  const repo =
    image.name
      .replace(/[@:][^/]*$/, "")
      .split("/")
      .pop() ?? "";
  return p.name === repo;
}

function statementCovers(
  s: VexStatement,
  finding: VulnerabilityFinding,
  findingIds: Set<string>,
  image: ScannedImage,
): boolean {
  if (
    !findingIds.has(s.vulnerability.toUpperCase()) &&
    !s.aliases.some((a) => findingIds.has(a.toUpperCase()))
  )
    return false;
  const target = parsePurl(finding.packagePurl);
  if (target === undefined) return false;
  const names = (purl: string | undefined) => {
    const p = purl !== undefined ? parsePurl(purl) : undefined;
    return p !== undefined && purlMatches(p, target);
  };
  return s.products.some((product) =>
    product.subcomponents.length > 0
      ? isThisImage(product, image) && product.subcomponents.some(names)
      : names(product.purl) ||
        (product.purl !== undefined &&
          parsePurl(product.purl)?.type === "oci" &&
          isThisImage(product, image)),
  );
}

interface Ordered {
  readonly statement: VexStatement;
  readonly source: string;
}

/** Statements of all documents, oldest first: later ones override earlier ones (OpenVEX rule). */
function orderStatements(docs: readonly VexDocument[]): Ordered[] {
  const all = docs.flatMap((doc) => doc.statements.map((statement) => ({ statement, source: doc.source })));
  const time = (o: Ordered) => {
    const ms = o.statement.timestamp !== undefined ? Date.parse(o.statement.timestamp) : Number.NaN;
    return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
  };
  // Array.prototype.sort is stable: equal times keep file and document order.
  return all.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    return ta === tb ? 0 : ta < tb ? -1 : 1;
  });
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
  const statements = orderStatements(options.vex ?? []);

  const kept: VulnerabilityFinding[] = [];
  const suppressed: SuppressedFinding[] = [...vulns.suppressed];
  for (const finding of vulns.findings) {
    if (!severities.has(finding.severity)) continue;
    if (options.ignoreUnfixed === true && !fixed(finding)) continue;
    const findingIds = ids(finding);
    let latest: Ordered | undefined;
    for (const o of statements)
      if (statementCovers(o.statement, finding, findingIds, report.image)) latest = o;
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
