// The severity of a finding and its CVSS scores. For OS packages the distribution's own rating
// wins (it judges the issue in its build of the package); for language packages the record's
// source rating (GHSA's `database_specific.severity`), else the bands of the best CVSS score.
import type { CvssScore, Severity } from "@rafscan/analyzers";
import { cvssBaseScore, cvssSeverity, cvssType } from "../cvss.js";
import type { OsvAffected, OsvRecord } from "../osv.js";
import { isObject, list } from "./untrusted.js";

/**
 * Words distributions and GHSA use, lower-cased: Debian urgencies (`unimportant`, `low`, `medium`,
 * `high`), Ubuntu priorities (`negligible` .. `critical`), Red Hat impacts (`Low`, `Moderate`,
 * `Important`, `Critical`), GHSA (`MODERATE`). `not yet assigned`, `untriaged` and unknown words
 * give no severity, so the next source is tried.
 */
const WORDS: Readonly<Record<string, Severity>> = {
  unimportant: "LOW",
  negligible: "LOW",
  low: "LOW",
  medium: "MEDIUM",
  moderate: "MEDIUM",
  high: "HIGH",
  important: "HIGH",
  critical: "CRITICAL",
};

/** The Severity a vendor word names, or `undefined`. */
export function severityWord(word: unknown): Severity | undefined {
  // Debian marks unsure urgencies with trailing stars (`low**`).
  return typeof word === "string" ? WORDS[word.trim().replace(/\*+$/, "").toLowerCase()] : undefined;
}

/** Who issued a record, from its id prefix: `GHSA-...` → `ghsa`, `CVE-...` → `nvd`, `DSA-...` → `dsa`. */
export function recordSource(id: string): string {
  const prefix = (/^([A-Za-z]+)-/.exec(id)?.[1] ?? id).toLowerCase();
  return prefix === "cve" ? "nvd" : prefix;
}

/**
 * The vendor's rating of an OS advisory: an OSV severity entry of type `Ubuntu`, else
 * `ecosystem_specific` / `database_specific` `urgency` (Debian's word) or `severity`, on the
 * affected entry first, then on the record.
 */
export function vendorSeverity(record: OsvRecord, entry: OsvAffected | undefined): Severity | undefined {
  for (const s of [...list(entry?.severity), ...list(record.severity)]) {
    if (isObject(s) && s.type === "Ubuntu") {
      const word = severityWord(s.score);
      if (word !== undefined) return word;
    }
  }
  for (const bag of [entry?.ecosystem_specific, entry?.database_specific, record.database_specific]) {
    const word = severityWord(bag?.urgency) ?? severityWord(bag?.severity);
    if (word !== undefined) return word;
  }
  return undefined;
}

/** CVSS vectors of a record and of the entry, with computed base scores, one per vector. */
export function cvssScores(record: OsvRecord, entry: OsvAffected | undefined): CvssScore[] {
  const out: CvssScore[] = [];
  const source = recordSource(record.id);
  for (const s of [...list(record.severity), ...list(entry?.severity)]) {
    if (!isObject(s)) continue;
    if (s.type !== "CVSS_V2" && s.type !== "CVSS_V3" && s.type !== "CVSS_V4") continue;
    if (typeof s.score !== "string" || out.some((c) => c.vector === s.score)) continue;
    // A vector whose prefix disagrees with its declared type is kept as given, without a score.
    const score = cvssType(s.score) === s.type ? cvssBaseScore(s.score) : undefined;
    out.push({ type: s.type, vector: s.score, ...(score !== undefined ? { score } : {}), source });
  }
  return out;
}

/** Preference among scored vectors: v3 (what most feeds rate with), then v4, then v2. */
const CVSS_PREFERENCE: readonly CvssScore["type"][] = ["CVSS_V3", "CVSS_V4", "CVSS_V2"];

/** The severity of the best-preferred scored vector (highest score within a version). */
export function severityFromCvss(
  scores: readonly CvssScore[],
): { severity: Severity; source: string } | undefined {
  for (const type of CVSS_PREFERENCE) {
    let best: CvssScore | undefined;
    for (const s of scores) {
      if (s.type === type && s.score !== undefined && (best?.score === undefined || s.score > best.score))
        best = s;
    }
    if (best?.score !== undefined)
      return { severity: cvssSeverity(type, best.score), source: best.source ?? "cvss" };
  }
  return undefined;
}
