// Ignore files in Trivy's two syntaxes: `.trivyignore` (one id a line, `#` comments, `exp:DATE`)
// and `.trivyignore.yaml` (`vulnerabilities:` entries with id, paths, purls, statement, expired_at).
import { parse as parseYaml } from "yaml";
import { VulnFilterError } from "./errors.js";
import { MAX_IGNORE_FILE_BYTES } from "./limits.js";
import { parsePurl } from "./purl-match.js";

/** One rule of an ignore file. A finding is ignored when every field the rule sets matches it. */
export interface IgnoreRule {
  /** The vulnerability id, matched against a finding's id and its aliases; absent = any id (YAML only). */
  readonly id?: string;
  /** Globs (`**` allowed) one of which must match the package's file; empty = any file. */
  readonly paths: readonly string[];
  /** Purls one of which must name the package (version and qualifiers only when given); empty = any. */
  readonly purls: readonly string[];
  /** Why it is ignored, as the file says. */
  readonly statement?: string;
  /** ISO 8601 time after which the rule no longer applies (`exp:2025-01-31` = 2025-01-31T00:00:00Z). */
  readonly expiresAt?: string;
  /** Where the rule is: `line 4` or `vulnerabilities[2]`. */
  readonly where: string;
}

/** A parsed ignore file. */
export interface IgnoreFile {
  /** The file name the caller gave, shown in `suppressed[].source` and in errors. */
  readonly source: string;
  readonly format: "text" | "yaml";
  readonly rules: readonly IgnoreRule[];
}

/** Options of `parseIgnoreFile`. */
export interface ParseIgnoreFileOptions {
  /** Which syntax. Default: `yaml` when `source` ends in `.yaml` or `.yml` (as Trivy decides), else `text`. */
  readonly format?: "text" | "yaml";
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// RFC 3339 date-time, as YAML users write `expired_at: 2024-05-01T12:00:00Z`.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time as ISO 8601, or undefined when not a real date. */
function expiry(text: string): string | undefined {
  const day = DATE.exec(text);
  if (day !== null) {
    const ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const iso = new Date(ms).toISOString();
    // Date.UTC rolls 2024-02-30 over to March: a date that does not round-trip is not a date.
    return iso.startsWith(text) ? iso : undefined;
  }
  if (!DATE_TIME.test(text)) return undefined;
  const ms = Date.parse(text.replace(" ", "T"));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function parseText(text: string, source: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `line ${i + 1}`;
    const fields = line.split(/\s+/);
    const id = fields[0] as string;
    let expiresAt: string | undefined;
    for (const field of fields.slice(1)) {
      // A `#` starts a comment: an `exp:` inside one is prose, not a date.
      if (field.startsWith("#")) break;
      if (!field.startsWith("exp:")) continue;
      const date = field.slice(4);
      expiresAt = expiry(date);
      // Trivy drops such a line with a warning; a typo would then un-ignore the finding silently.
      if (expiresAt === undefined || !DATE.test(date)) {
        throw new VulnFilterError(
          "VULN_IGNOREFILE",
          source,
          `expiry date must be exp:YYYY-MM-DD, got '${field}'`,
          where,
        );
      }
    }
    rules.push({ id, paths: [], purls: [], ...(expiresAt !== undefined ? { expiresAt } : {}), where });
  });
  return rules;
}

function strings(value: unknown, field: string, source: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    throw new VulnFilterError("VULN_IGNOREFILE", source, `${field} must be a list of strings`, where);
  }
  return value as string[];
}

function parseYamlRules(text: string, source: string): IgnoreRule[] {
  let doc: unknown;
  try {
    // Aliases are capped so a billion-laughs file cannot blow up memory.
    doc = parseYaml(text, { maxAliasCount: 100, prettyErrors: false });
  } catch (err) {
    throw new VulnFilterError("VULN_IGNOREFILE", source, `not YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new VulnFilterError(
      "VULN_IGNOREFILE",
      source,
      "the top level must be a mapping (vulnerabilities: ...)",
    );
  }
  // misconfigurations, secrets and licenses sections are Trivy's; rafscan has no such findings.
  const list = (doc as Record<string, unknown>).vulnerabilities;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    throw new VulnFilterError("VULN_IGNOREFILE", source, "vulnerabilities must be a list", "vulnerabilities");
  }
  return list.map((entry: unknown, i): IgnoreRule => {
    const where = `vulnerabilities[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new VulnFilterError("VULN_IGNOREFILE", source, "an entry must be a mapping", where);
    }
    const e = entry as Record<string, unknown>;
    if (e.id !== undefined && e.id !== null && (typeof e.id !== "string" || e.id === "")) {
      throw new VulnFilterError("VULN_IGNOREFILE", source, "id must be a string", where);
    }
    const id = typeof e.id === "string" ? e.id : undefined;
    const paths = strings(e.paths, "paths", source, where);
    const purls = strings(e.purls, "purls", source, where);
    for (const p of purls) {
      if (parsePurl(p) === undefined)
        throw new VulnFilterError("VULN_IGNOREFILE", source, `not a purl: '${p}'`, `${where}.purls`);
    }
    if (id === undefined && paths.length === 0 && purls.length === 0) {
      // An entry with nothing to match on would ignore every finding.
      throw new VulnFilterError("VULN_IGNOREFILE", source, "an entry needs an id, paths or purls", where);
    }
    if (e.statement !== undefined && e.statement !== null && typeof e.statement !== "string") {
      throw new VulnFilterError("VULN_IGNOREFILE", source, "statement must be a string", where);
    }
    let expiresAt: string | undefined;
    if (e.expired_at !== undefined && e.expired_at !== null) {
      const raw = e.expired_at instanceof Date ? e.expired_at.toISOString() : e.expired_at;
      expiresAt = typeof raw === "string" ? expiry(raw) : undefined;
      if (expiresAt === undefined) {
        throw new VulnFilterError(
          "VULN_IGNOREFILE",
          source,
          `expired_at must be a date (YYYY-MM-DD) or an RFC 3339 time, got '${String(raw)}'`,
          where,
        );
      }
    }
    return {
      ...(id !== undefined ? { id } : {}),
      paths,
      purls,
      ...(typeof e.statement === "string" && e.statement !== "" ? { statement: e.statement } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      where,
    };
  });
}

/**
 * Parses an ignore file's text. Throws `VulnFilterError` (`VULN_IGNOREFILE`) for a file over
 * `MAX_IGNORE_FILE_BYTES`, a malformed `exp:` date, YAML that does not parse or has the wrong
 * shape, or an unparsable purl: the whole file or nothing.
 */
export function parseIgnoreFile(
  text: string,
  source: string,
  options: ParseIgnoreFileOptions = {},
): IgnoreFile {
  if (Buffer.byteLength(text, "utf8") > MAX_IGNORE_FILE_BYTES) {
    throw new VulnFilterError("VULN_IGNOREFILE", source, `larger than ${MAX_IGNORE_FILE_BYTES} bytes`);
  }
  const format = options.format ?? (/\.ya?ml$/i.test(source) ? "yaml" : "text");
  const rules = format === "yaml" ? parseYamlRules(text, source) : parseText(text, source);
  return { source, format, rules };
}
