// The CycloneDX 1.6 `vulnerabilities` array (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
// one entry per advisory id, `affects` pointing at the components' bom-refs, ratings from the
// severity and the CVSS vectors, and `analysis` for findings a VEX statement suppressed.
import type { ScanReport } from "../report.js";
import type { CvssScore, Severity, SuppressedFinding, VulnerabilityFinding } from "../vulnerability.js";
import { compareStrings } from "./components.js";
import { severityRank } from "./vuln-targets.js";

/** A CycloneDX rating. */
export interface CdxRating {
  readonly source?: { readonly name?: string; readonly url?: string };
  readonly score?: number;
  readonly severity?: "critical" | "high" | "medium" | "low" | "info" | "none" | "unknown";
  readonly method?: "CVSSv2" | "CVSSv3" | "CVSSv31" | "CVSSv4" | "other";
  readonly vector?: string;
}

/** A CycloneDX vulnerability, with the fields this writer fills. */
export interface CdxVulnerability {
  readonly "bom-ref": string;
  readonly id: string;
  readonly source?: { readonly name?: string; readonly url?: string };
  readonly references?: readonly {
    readonly id: string;
    readonly source: { readonly name?: string; readonly url?: string };
  }[];
  readonly ratings?: readonly CdxRating[];
  readonly description?: string;
  readonly detail?: string;
  readonly recommendation?: string;
  readonly advisories?: readonly { readonly url: string }[];
  readonly published?: string;
  readonly updated?: string;
  readonly analysis?: {
    readonly state: "not_affected" | "resolved";
    readonly justification?: string;
    readonly detail?: string;
  };
  readonly affects: readonly {
    readonly ref: string;
    readonly versions?: readonly { readonly version: string; readonly status: "affected" | "unaffected" }[];
  }[];
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
}

/** OpenVEX justifications in CycloneDX's words; CycloneDX ones pass through. */
const JUSTIFICATIONS: Readonly<Record<string, string>> = {
  component_not_present: "code_not_present",
  vulnerable_code_not_present: "code_not_present",
  vulnerable_code_not_in_execute_path: "code_not_reachable",
  vulnerable_code_cannot_be_controlled_by_adversary: "requires_environment",
  inline_mitigations_already_exist: "protected_by_mitigating_control",
  code_not_present: "code_not_present",
  code_not_reachable: "code_not_reachable",
  requires_configuration: "requires_configuration",
  requires_dependency: "requires_dependency",
  requires_environment: "requires_environment",
  protected_by_compiler: "protected_by_compiler",
  protected_at_runtime: "protected_at_runtime",
  protected_at_perimeter: "protected_at_perimeter",
  protected_by_mitigating_control: "protected_by_mitigating_control",
};

type CdxSeverity = NonNullable<CdxRating["severity"]>;
type CdxMethod = NonNullable<CdxRating["method"]>;

function lower(s: Severity): CdxSeverity {
  return s.toLowerCase() as CdxSeverity;
}

/** The qualitative rating of a CVSS base score (v2 has no CRITICAL band). */
function scoreSeverity(c: CvssScore): CdxSeverity | undefined {
  if (c.score === undefined) return undefined;
  if (c.score === 0) return "none";
  if (c.score >= 9 && c.type !== "CVSS_V2") return "critical";
  return c.score >= 7 ? "high" : c.score >= 4 ? "medium" : "low";
}

function method(c: CvssScore): CdxMethod {
  if (c.type === "CVSS_V2") return "CVSSv2";
  if (c.type === "CVSS_V4") return "CVSSv4";
  return c.vector.startsWith("CVSS:3.0/") ? "CVSSv3" : "CVSSv31";
}

/** Who publishes an id, from its prefix, for `references[].source`. */
function idSource(id: string): { name: string; url?: string } {
  if (/^CVE-\d+-\d+$/i.test(id)) return { name: "NVD", url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (/^GHSA-/i.test(id)) return { name: "GitHub", url: `https://github.com/advisories/${id}` };
  if (/^GO-\d+-\d+$/.test(id)) return { name: "Go", url: `https://pkg.go.dev/vuln/${id}` };
  const prefix = /^([A-Za-z]+)-/.exec(id)?.[1];
  return { name: prefix ?? "unknown" };
}

/** An ISO 8601 time as CycloneDX `date-time`, or undefined when it does not parse (untrusted data). */
function dateTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso.replace(/\.\d{3}Z$/, "Z") : undefined;
}

function isUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

interface Group {
  readonly findings: VulnerabilityFinding[];
  readonly vex?: SuppressedFinding;
}

/**
 * CycloneDX vulnerabilities for the report's findings and VEX-suppressed findings. `bomRefOf`
 * gives the bom-ref of the component holding a report package (by index); findings whose
 * package has none are left out. Ignore-file suppressions are not written: an ignore file is a
 * decision to look away, not an analysis CycloneDX could state. `nextRef` makes bom-refs unique.
 */
export function cdxVulnerabilities(
  report: ScanReport,
  bomRefOf: (packageIndex: number) => string | undefined,
  nextRef: (wanted: string) => string,
): CdxVulnerability[] {
  const vulns = report.vulnerabilities;
  if (vulns === undefined || vulns.error !== undefined) return [];
  // Open findings group by id; suppressed ones also by their analysis, which is per entry.
  const groups = new Map<string, Group>();
  for (const f of vulns.findings) {
    const g = groups.get(`open\u0000${f.id}`) ?? { findings: [] };
    g.findings.push(f);
    groups.set(`open\u0000${f.id}`, g);
  }
  for (const s of vulns.suppressed) {
    if (s.by !== "vex") continue;
    const key = `vex\u0000${s.finding.id}\u0000${s.statement}\u0000${s.justification ?? ""}`;
    const g = groups.get(key) ?? { findings: [], vex: s };
    g.findings.push(s.finding);
    groups.set(key, g);
  }
  const out: CdxVulnerability[] = [];
  const keys = [...groups.keys()].sort(compareStrings);
  for (const key of keys) {
    const g = groups.get(key) as Group;
    const affects = new Map<
      string,
      { ref: string; versions: { version: string; status: "affected" | "unaffected" }[] }
    >();
    for (const f of g.findings) {
      const ref = bomRefOf(f.packageIndex);
      if (ref === undefined) continue;
      const entry = affects.get(ref) ?? { ref, versions: [] };
      const status = g.vex !== undefined ? "unaffected" : "affected";
      if (!entry.versions.some((v) => v.version === f.installedVersion))
        entry.versions.push({ version: f.installedVersion, status });
      affects.set(ref, entry);
    }
    if (affects.size === 0) continue;
    // The most severe finding speaks for the entry (the same id can carry an OS vendor's rating).
    const lead = [...g.findings].sort(
      (a, b) => severityRank(b.severity) - severityRank(a.severity),
    )[0] as VulnerabilityFinding;
    const ratings: CdxRating[] = [{ source: { name: lead.severitySource }, severity: lower(lead.severity) }];
    const seenVectors = new Set<string>();
    for (const c of lead.cvss) {
      if (seenVectors.has(c.vector)) continue;
      seenVectors.add(c.vector);
      const sev = scoreSeverity(c);
      ratings.push({
        ...(c.source !== undefined ? { source: { name: c.source } } : {}),
        ...(c.score !== undefined ? { score: c.score } : {}),
        ...(sev !== undefined ? { severity: sev } : {}),
        method: method(c),
        vector: c.vector,
      });
    }
    const aliases = [...new Set(g.findings.flatMap((f) => f.aliases))]
      .filter((a) => a !== lead.id)
      .sort(compareStrings);
    const advisories = [...new Set(g.findings.flatMap((f) => f.references))]
      .filter(isUrl)
      .map((url) => ({ url }));
    const fixes = g.findings
      .filter((f) => f.fixedVersions.length > 0)
      .map((f) => `${f.packageName} ${f.fixedVersions.join(" or ")}`);
    const description = lead.title ?? lead.description;
    const published = dateTime(lead.published);
    const updated = dateTime(lead.modified);
    const justification =
      g.vex?.justification !== undefined ? JUSTIFICATIONS[g.vex.justification] : undefined;
    // A free-text justification (an impact statement) has no CycloneDX value: it goes in detail.
    const analysisDetail =
      g.vex?.justification !== undefined && justification === undefined ? g.vex.justification : undefined;
    out.push({
      "bom-ref": nextRef(`rafscan:vulnerability/${lead.id}`),
      id: lead.id,
      source: {
        name: lead.dataSource.name,
        ...(lead.dataSource.url !== undefined && isUrl(lead.dataSource.url)
          ? { url: lead.dataSource.url }
          : {}),
      },
      ...(aliases.length > 0 ? { references: aliases.map((id) => ({ id, source: idSource(id) })) } : {}),
      ratings,
      ...(description !== undefined ? { description } : {}),
      ...(lead.title !== undefined && lead.description !== undefined ? { detail: lead.description } : {}),
      ...(fixes.length > 0 && g.vex === undefined
        ? { recommendation: `Upgrade ${[...new Set(fixes)].join("; ")}` }
        : {}),
      ...(advisories.length > 0 ? { advisories } : {}),
      ...(published !== undefined ? { published } : {}),
      ...(updated !== undefined ? { updated } : {}),
      ...(g.vex !== undefined
        ? {
            analysis: {
              state: g.vex.statement === "fixed" ? "resolved" : "not_affected",
              ...(justification !== undefined ? { justification } : {}),
              detail: `${analysisDetail !== undefined ? `${analysisDetail} ` : ""}(VEX: ${g.vex.source})`,
            },
          }
        : {}),
      affects: [...affects.values()],
      properties: [
        {
          name: "rafscan:status",
          value: [...new Set(g.findings.map((f) => f.status))].sort(compareStrings).join(","),
        },
        { name: "rafscan:dataSource", value: lead.dataSource.id },
      ],
    });
  }
  return out;
}
