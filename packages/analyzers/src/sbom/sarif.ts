// A scan report as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one rule per
// advisory id or secret rule, one result per finding located at the package's file, and the
// findings an ignore file or VEX statement took out as results with `suppressions`.
import type { Secret } from "../findings.js";
import type { ScanReport } from "../report.js";
import type { Severity, SuppressedFinding, VulnerabilityFinding } from "../vulnerability.js";
import { severityRank } from "./vuln-targets.js";

/** Options of `toSarif`. */
export interface SarifOptions {
  /** rafscan's version, written on the tool driver. Default: none (the field is left out). */
  readonly toolVersion?: string;
}

/** SARIF `level`. */
export type SarifLevel = "error" | "warning" | "note" | "none";

/** A SARIF reporting descriptor (rule), with the fields this writer fills. */
export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly helpUri?: string;
  readonly help: { readonly text: string; readonly markdown: string };
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: {
    readonly "security-severity": string;
    readonly precision: "very-high";
    readonly tags: readonly string[];
  };
}

/** A SARIF result, with the fields this writer fills. */
export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly {
    readonly physicalLocation: {
      readonly artifactLocation: { readonly uri: string };
      readonly region: { readonly startLine: number };
    };
    readonly message?: { readonly text: string };
  }[];
  readonly suppressions?: readonly {
    readonly kind: "external";
    readonly status: "accepted";
    readonly justification: string;
  }[];
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** The SARIF log `toSarif` returns, ready for `JSON.stringify`. */
export interface SarifLog {
  readonly $schema: string;
  readonly version: "2.1.0";
  readonly runs: readonly {
    readonly tool: {
      readonly driver: {
        readonly name: "rafscan";
        readonly version?: string;
        readonly rules: readonly SarifRule[];
      };
    };
    readonly invocations: readonly {
      readonly executionSuccessful: boolean;
      readonly toolExecutionNotifications?: readonly {
        readonly level: SarifLevel;
        readonly message: { readonly text: string };
      }[];
    }[];
    readonly results: readonly SarifResult[];
    readonly properties: Readonly<Record<string, unknown>>;
  }[];
}

/** The SARIF schema URI tools such as GitHub code scanning recognise. */
export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

/** GitHub reads `security-severity` (0-10) to rank alerts; one score per severity keeps it in step with the table. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  CRITICAL: "9.5",
  HIGH: "8.0",
  MEDIUM: "5.5",
  LOW: "2.0",
  UNKNOWN: "0.0",
};

function level(s: Severity): SarifLevel {
  return s === "CRITICAL" || s === "HIGH" ? "error" : s === "MEDIUM" ? "warning" : "note";
}

/** An image path as a relative URI reference: no leading `/`, each segment percent-encoded. */
function pathUri(path: string): string {
  const rel = path.replace(/^\/+/, "");
  return rel === "" ? "." : rel.split("/").map(encodeURIComponent).join("/");
}

function httpUrl(text: string): string | undefined {
  try {
    const u = new URL(text);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function vulnMessage(f: VulnerabilityFinding): string {
  const fixed = f.fixedVersions.length > 0 ? `, fixed in ${f.fixedVersions.join(", ")}` : "";
  return `${f.id} in ${f.packageName} ${f.installedVersion} (${f.severity}, ${f.status}${fixed})`;
}

class Rules {
  readonly list: SarifRule[] = [];
  readonly #index = new Map<string, number>();

  indexOf(id: string, make: () => SarifRule): number {
    let i = this.#index.get(id);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(make());
      this.#index.set(id, i);
    }
    return i;
  }
}

function vulnRule(f: VulnerabilityFinding, severity: Severity): SarifRule {
  const helpUri = f.references.map(httpUrl).find((u) => u !== undefined);
  const title = f.title ?? f.id;
  const text = `${f.id}: ${title}\nSeverity: ${severity}${f.aliases.length > 0 ? `\nAliases: ${f.aliases.join(", ")}` : ""}${helpUri !== undefined ? `\n${helpUri}` : ""}`;
  const markdown = `**${f.id}**: ${title}\n\n| Severity | Aliases |\n| --- | --- |\n| ${severity} | ${f.aliases.join(", ")} |${helpUri !== undefined ? `\n\n[${f.id}](${helpUri})` : ""}`;
  return {
    id: f.id,
    name: "PackageVulnerability",
    shortDescription: { text: title },
    fullDescription: { text: f.description ?? title },
    ...(helpUri !== undefined ? { helpUri } : {}),
    help: { text, markdown },
    defaultConfiguration: { level: level(severity) },
    properties: {
      "security-severity": SECURITY_SEVERITY[severity],
      precision: "very-high",
      tags: ["vulnerability", "security", severity],
    },
  };
}

function secretRule(s: Secret): SarifRule {
  return {
    id: s.ruleId,
    name: "Secret",
    shortDescription: { text: s.title },
    fullDescription: { text: s.title },
    help: {
      text: `Secret: ${s.title}\nSeverity: ${s.severity}`,
      markdown: `**Secret**: ${s.title} (${s.severity})`,
    },
    defaultConfiguration: { level: level(s.severity) },
    properties: {
      "security-severity": SECURITY_SEVERITY[s.severity],
      precision: "very-high",
      tags: ["secret", "security", s.severity],
    },
  };
}

/**
 * The report as a SARIF 2.1.0 log with one run. Rules are the advisory ids (their level the
 * most severe finding's) and secret rule ids; results go in report order, each located at the
 * file its package came from (`var/lib/dpkg/status`, line 1) or the secret's file and line.
 * Levels: CRITICAL and HIGH `error`, MEDIUM `warning`, LOW and UNKNOWN `note`. Suppressed
 * findings are results with an `external` suppression giving the VEX status or ignore-file
 * statement. When matching did not run, the invocation is marked unsuccessful with the reason;
 * the sample database adds a warning notification.
 */
export function toSarif(report: ScanReport, options: SarifOptions = {}): SarifLog {
  const vulns = report.vulnerabilities;
  const open = vulns?.error === undefined ? (vulns?.findings ?? []) : [];
  const suppressed: readonly SuppressedFinding[] =
    vulns?.error === undefined ? (vulns?.suppressed ?? []) : [];
  // A rule's default level is that of its most severe finding.
  const worst = new Map<string, Severity>();
  for (const f of [...open, ...suppressed.map((s) => s.finding)]) {
    const w = worst.get(f.id);
    if (w === undefined || severityRank(f.severity) > severityRank(w)) worst.set(f.id, f.severity);
  }
  const rules = new Rules();
  const results: SarifResult[] = [];
  const vulnResult = (f: VulnerabilityFinding, suppression?: SuppressedFinding): SarifResult => {
    const source = report.packages[f.packageIndex]?.source ?? "";
    const ruleIndex = rules.indexOf(f.id, () => vulnRule(f, worst.get(f.id) ?? f.severity));
    return {
      ruleId: f.id,
      ruleIndex,
      level: level(f.severity),
      message: { text: vulnMessage(f) },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: pathUri(source) }, region: { startLine: 1 } },
          message: { text: `${source}: ${f.packageName}@${f.installedVersion}` },
        },
      ],
      ...(suppression !== undefined
        ? {
            suppressions: [
              {
                kind: "external" as const,
                status: "accepted" as const,
                justification: `${suppression.by === "vex" ? "VEX" : "ignore file"} ${suppression.source}: ${suppression.statement}${suppression.justification !== undefined ? ` (${suppression.justification})` : ""}`,
              },
            ],
          }
        : {}),
      properties: {
        purl: f.packagePurl,
        installedVersion: f.installedVersion,
        fixedVersions: f.fixedVersions,
        status: f.status,
        severity: f.severity,
      },
    };
  };
  for (const f of open) results.push(vulnResult(f));
  for (const s of suppressed) results.push(vulnResult(s.finding, s));
  for (const s of report.secrets) {
    const ruleIndex = rules.indexOf(`secret:${s.ruleId}`, () => secretRule(s));
    results.push({
      ruleId: s.ruleId,
      ruleIndex,
      level: level(s.severity),
      message: { text: `${s.title}: ${s.match}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: pathUri(s.path) },
            region: { startLine: Math.max(1, Math.floor(s.line)) },
          },
        },
      ],
    });
  }
  const notifications: { level: SarifLevel; message: { text: string } }[] = [];
  if (vulns?.error !== undefined) {
    notifications.push({
      level: "error",
      message: { text: `vulnerabilities not checked: ${vulns.error.code}: ${vulns.error.message}` },
    });
  } else if (vulns?.database?.sample === true) {
    notifications.push({
      level: "warning",
      message: { text: "vulnerabilities matched against sample data, not real advisories" },
    });
  }
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "rafscan",
            ...(options.toolVersion !== undefined ? { version: options.toolVersion } : {}),
            rules: rules.list,
          },
        },
        invocations: [
          {
            executionSuccessful: vulns?.error === undefined,
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        results,
        properties: {
          imageName: report.image.name,
          ...(report.image.digest !== undefined ? { imageDigest: report.image.digest } : {}),
          ...(report.os !== undefined ? { os: `${report.os.family} ${report.os.version}` } : {}),
        },
      },
    ],
  };
}
