// Vulnerability findings grouped the way Trivy users read them: the OS packages under the image
// (`app:1.0 (debian 12)`), installed language packages under their language (`Python (python-pkg)`),
// and packages from one lockfile or binary under that file (`app/package-lock.json (npm)`).
import type { ScanReport } from "../report.js";
import { SEVERITIES, type Severity, type VulnerabilityFinding } from "../vulnerability.js";
import { compareStrings } from "./components.js";

/** One group of findings. */
export interface VulnTarget {
  /** What the table prints as the heading: `name (type)`. */
  readonly label: string;
  /** `os` for OS packages, `lang` for language packages. */
  readonly class: "os" | "lang";
  /** The file the packages came from, when the target is one file (a lockfile, a binary). */
  readonly path?: string;
  readonly findings: readonly VulnerabilityFinding[];
}

const OS_ECOSYSTEMS: readonly string[] = ["deb", "apk", "rpm"];

/** Installed-package layouts: one metadata file per package, so one target per language. */
function installedTarget(ecosystem: string, path: string): string | undefined {
  if (ecosystem === "pypi" && /(\/METADATA|\/PKG-INFO|\.egg-info)$/.test(path)) return "Python (python-pkg)";
  if (ecosystem === "npm" && /node_modules\/.*package\.json$/.test(path)) return "Node.js (node-pkg)";
  if (ecosystem === "gem" && path.endsWith(".gemspec")) return "Ruby (gemspec)";
  if (ecosystem === "conda" && path.includes("conda-meta/")) return "Conda (conda-pkg)";
  if (ecosystem === "maven" && /\.(jar|war|ear|par)$/i.test(path)) return "Java (jar)";
  return undefined;
}

/** The file type Trivy shows in parentheses after a file target. */
const FILE_TYPES: readonly [RegExp, string][] = [
  [/(^|\/)package-lock\.json$/, "npm"],
  [/(^|\/)yarn\.lock$/, "yarn"],
  [/(^|\/)pnpm-lock\.yaml$/, "pnpm"],
  [/(^|\/)Cargo\.lock$/, "cargo"],
  [/(^|\/)composer\.lock$/, "composer"],
  [/(^|\/)installed\.json$/, "composer-vendor"],
  [/\.deps\.json$/, "dotnet-core"],
  [/(^|\/)packages\.lock\.json$/, "nuget"],
  [/(^|\/)Gemfile\.lock$/, "bundler"],
  [/(^|\/)Pipfile\.lock$/, "pipenv"],
  [/(^|\/)poetry\.lock$/, "poetry"],
  [/(^|\/)uv\.lock$/, "uv"],
  [/(^|\/)requirements[^/]*\.txt$/, "pip"],
  [/(^|\/)go\.mod$/, "gomod"],
];

function fileType(ecosystem: string, path: string): string {
  for (const [re, type] of FILE_TYPES) if (re.test(path)) return type;
  if (ecosystem === "golang") return "gobinary";
  if (ecosystem === "cargo") return "rustbinary";
  return ecosystem;
}

/** Severity rank, CRITICAL highest. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/**
 * Findings of `report` (or `findings`, default the report's) grouped into targets: the OS target
 * first, then the others by label. Inside a target, rows go by library, installed version,
 * severity (highest first) and id.
 */
export function vulnTargets(
  report: ScanReport,
  findings: readonly VulnerabilityFinding[] = report.vulnerabilities?.findings ?? [],
): VulnTarget[] {
  const groups = new Map<string, { class: "os" | "lang"; path?: string; findings: VulnerabilityFinding[] }>();
  const osLabel =
    report.os !== undefined ? `${report.image.name} (${report.os.family} ${report.os.version})` : undefined;
  for (const f of findings) {
    const pkg = report.packages[f.packageIndex];
    const ecosystem = pkg?.ecosystem ?? f.ecosystem;
    const source = pkg?.source ?? "";
    let key: string;
    let cls: "os" | "lang" = "lang";
    let path: string | undefined;
    if (OS_ECOSYSTEMS.includes(ecosystem)) {
      key = osLabel ?? `${report.image.name} (${ecosystem})`;
      cls = "os";
    } else {
      const installed = installedTarget(ecosystem, source);
      if (installed !== undefined) key = installed;
      else {
        // Trivy writes targets relative to the image root.
        path = source.replace(/^\/+/, "");
        key = path === "" ? `${ecosystem} packages` : `${path} (${fileType(ecosystem, path)})`;
      }
    }
    const group = groups.get(key) ?? {
      class: cls,
      ...(path !== undefined && path !== "" ? { path } : {}),
      findings: [],
    };
    group.findings.push(f);
    groups.set(key, group);
  }
  const targets = [...groups].map(
    ([label, g]): VulnTarget => ({
      label,
      class: g.class,
      ...(g.path !== undefined ? { path: g.path } : {}),
      findings: g.findings.sort(
        (a, b) =>
          compareStrings(a.packageName, b.packageName) ||
          compareStrings(a.installedVersion, b.installedVersion) ||
          severityRank(b.severity) - severityRank(a.severity) ||
          compareStrings(a.id, b.id),
      ),
    }),
  );
  return targets.sort((a, b) =>
    a.class !== b.class ? (a.class === "os" ? -1 : 1) : compareStrings(a.label, b.label),
  );
}

/** Findings per severity, every severity present (0 when none). */
export function countBySeverity(findings: readonly VulnerabilityFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
